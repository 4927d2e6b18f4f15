"""Checkpoints of the reference trainer (spec chapter 11): plain dicts, written atomically.

A checkpoint is ``ckpt_<iteration>.pt`` in the run folder, and the file ``latest`` names the
newest complete one. Both are written under a temporary name in the same folder, flushed and
fsynced, then renamed (TRAIN-6): a kill at any moment leaves either the old file or the new
one, never half of one, and ``latest`` only ever names a file that was complete before the
pointer moved. Reading never unpickles (``torch.load(weights_only=True)``), so every value in a
checkpoint is a tensor or a plain type.
"""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any, Callable

from realdex_ref.errors import DataError

LATEST = "latest"
FORMAT = "realdex-ref-checkpoint/1"
KEYS = ("model", "optimizer", "iteration", "pass", "position", "rng", "config", "plan")
_NAME = re.compile(r"ckpt_(\d+)\.pt")


def checkpoint_name(iteration: int) -> str:
    return f"ckpt_{iteration:08d}.pt"


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # some systems cannot open a folder; the rename is still atomic there
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: str | Path, write: Callable[[Any], None]) -> Path:
    """Call ``write(fh)`` on a temporary file beside ``path``, flush and fsync it, then rename it to ``path``."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return path


def save(state: dict[str, Any], folder: str | Path) -> Path:
    """Write ``state`` as the checkpoint of its iteration and point ``latest`` at it; return its path."""
    import torch

    missing = [k for k in KEYS if k not in state]
    if missing:
        raise ValueError(f"a checkpoint needs the keys {', '.join(KEYS)}; missing: {', '.join(missing)}")
    folder = Path(folder)
    digest = hashlib.sha256()
    path = write_atomic(folder / checkpoint_name(int(state["iteration"])),
                        lambda fh: torch.save({"format": FORMAT, **state}, _Hashing(fh, digest)))
    # the digest is published after the file and before the pointer: `latest` names only a
    # checkpoint whose digest is beside it (sha256sum's format: `sha256sum -c` checks it too)
    write_atomic(digest_path(path), lambda fh: fh.write(f"{digest.hexdigest()}  {path.name}\n".encode()))
    write_atomic(folder / LATEST, lambda fh: fh.write(path.name.encode("utf-8") + b"\n"))
    return path


class _Hashing:
    """A binary file that hashes what is written through it."""

    def __init__(self, fh: Any, digest: Any) -> None:
        self.fh, self.digest = fh, digest

    def write(self, data: Any) -> int:
        self.digest.update(data)
        return self.fh.write(data)

    def flush(self) -> None:
        self.fh.flush()


def digest_path(path: str | Path) -> Path:
    """The sidecar ``ckpt_<iteration>.pt.sha256`` that holds a checkpoint's SHA-256."""
    path = Path(path)
    return path.with_name(path.name + ".sha256")


def verify(path: str | Path) -> str | None:
    """None when the checkpoint's bytes match the digest beside it, else what is wrong, in words.

    A checkpoint without a digest (written before digests were kept) is not refused here;
    ``load`` still refuses what does not read.
    """
    path = Path(path)
    side = digest_path(path)
    if not side.exists():
        return None
    try:
        want = side.read_text(encoding="ascii").split()[0]
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except (OSError, UnicodeDecodeError, IndexError) as exc:
        return f"its digest cannot be checked ({exc})"
    found = digest.hexdigest()
    if found != want:
        return f"its SHA-256 is {found[:16]}…, the digest beside it says {want[:16]}…: its bytes changed after it was written"
    return None


def resume_point(folder: str | Path) -> tuple[Path, dict[str, Any], list[str]] | None:
    """The newest checkpoint of ``folder`` that passes its digest and reads, its state, and a line for
    every newer one passed over (a flipped byte, a truncated file); None when the folder has none.

    The checkpoint ``latest`` names comes first, then the older ones, newest first.
    """
    folder = Path(folder)
    first = latest(folder)
    if first is None:
        return None
    iteration = int(_NAME.fullmatch(first.name).group(1))
    older = sorted((p for p in folder.glob("ckpt_*.pt") if _NAME.fullmatch(p.name)
                    and int(_NAME.fullmatch(p.name).group(1)) < iteration),
                   key=lambda p: int(_NAME.fullmatch(p.name).group(1)), reverse=True)
    passed: list[str] = []
    for path in [first, *older]:
        problem = verify(path)
        if problem is None:
            try:
                return path, load(path), passed
            except DataError as exc:
                problem = str(exc)
        passed.append(f"{path.name}: {problem}")
    raise DataError("no checkpoint of the run passes its integrity check: " + "; ".join(passed) +
                    ". Fix: start the run again in another folder", path=folder)


def load(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint without unpickling; a damaged or foreign file is a DataError naming it."""
    import torch

    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise DataError("checkpoint not found", path=path) from None
    except Exception as exc:  # a truncated zip, a pickle needing globals, ...: all unusable, say why
        raise DataError(f"cannot read the checkpoint ({type(exc).__name__}: {str(exc)[:300]}); "
                        "it is damaged or not a checkpoint of this trainer", path=path) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        found = state.get("format") if isinstance(state, dict) else type(state).__name__
        raise DataError(f"expected a checkpoint of format {FORMAT!r}, found {found!r}", path=path)
    missing = [k for k in KEYS if k not in state]
    if missing:
        raise DataError(f"the checkpoint lacks the key(s) {', '.join(missing)}", path=path)
    return state


def latest(folder: str | Path) -> Path | None:
    """The checkpoint ``latest`` names in ``folder``, or None when the folder has no checkpoint."""
    folder = Path(folder)
    pointer = folder / LATEST
    if pointer.exists():
        name = pointer.read_text(encoding="utf-8").strip()
        if not _NAME.fullmatch(name):
            raise DataError(f"expected the name of a checkpoint file (ckpt_<iteration>.pt), found {name!r}",
                            path=pointer)
        target = folder / name
        if not target.exists():
            raise DataError(f"names {name}, which is not in the folder", path=pointer)
        return target
    found = sorted(folder.glob("ckpt_*.pt"))
    if len(found) == 1 and _NAME.fullmatch(found[0].name) and _loads(found[0]):
        # a kill between the first checkpoint's rename and its pointer's: the file is complete (it only
        # ever appears under its final name whole), so it is the run's latest (SAFE-9)
        return found[0]
    if found:
        # files without a pointer: the pointer is written after each file, so they were never "latest"
        raise DataError(f"{len(found)} checkpoint file(s) but no '{LATEST}' pointer; the run was not written by "
                        f"this trainer or its folder was edited. Fix: write the name of the checkpoint to resume "
                        f"from (e.g. {found[-1].name}) into {pointer}", path=folder)
    return None


def _loads(path: Path) -> bool:
    try:
        load(path)
    except DataError:
        return False
    return True


class FallbackWarning(UserWarning):
    """A resume passed over a damaged newer checkpoint for an older good one."""
