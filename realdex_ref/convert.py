"""Conversion of a data root to another layout, all or nothing (spec chapter 13, SAFE-6..8).

The new root is written into a hidden folder beside the destination, checked by reading it
back, and renamed into place only when complete; on any failure that folder is removed and the
destination is as it was. Samples are read and written one object at a time, so a root is
never held in memory whole.
"""
from __future__ import annotations

import os
import re
import shutil
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from realdex_ref import dataroot, layouts
from realdex_ref.errors import DataError
from realdex_ref.index import Index


@dataclass
class ConvertResult:
    source: str
    dest: str
    source_layout: str
    layout: str
    samples: int
    files: int
    dropped: list[str] = field(default_factory=list)  # fields the source held that ``layout`` cannot hold
    replaced: bool = False  # an existing destination was replaced (--force)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_destination(src: Path, dst: Path, *, force: bool) -> None:
    """Refuse a destination that is the source, inside it or around it, or that holds data (SAFE-7)."""
    s, d = src.resolve(), dst.resolve()
    if _inside(d, s):
        raise DataError(
            f"expected a destination outside the source {s}; writing into the source would mix the new layout "
            "with the old one. Choose a folder beside it",
            path=dst,
        )
    if _inside(s, d):
        raise DataError(
            f"expected a destination that does not contain the source {s}; replacing it would delete the source. "
            "Choose a folder beside it",
            path=dst,
        )
    if d.exists() and not d.is_dir():
        raise DataError("expected a folder (or nothing) as the destination, found a file", path=dst)
    if d.is_dir() and any(d.iterdir()) and not force:
        count = sum(1 for _ in d.iterdir())
        raise DataError(
            f"expected an empty or absent destination, found {count} entr{'y' if count == 1 else 'ies'}; nothing was "
            "written. Pass --force to replace it once the new root is complete",
            path=dst,
        )


def convert_root(src: str | Path, dst: str | Path, to: str, *, layout: str | None = None, force: bool = False,
                 progress: Callable[[int, int], None] | None = None, jobs: int = 1,
                 index: "Index | None" = None) -> ConvertResult:
    """Write the samples of ``src`` (of ``layout``, or of its only layout) as ``to`` into ``dst``.

    ``progress(files_done, files_total)`` is called after each file of the walk of ``src``, then after each
    file converted (the total grows by the files to convert once the walk has counted them). ``jobs`` and
    ``index``: as for ``dataroot.scan``, for the walk of ``src`` and the check of what was written."""
    src, dst = Path(src), Path(dst)
    if to not in layouts.LAYOUTS:
        raise ValueError(f"unknown layout {to!r}; expected one of {', '.join(layouts.LAYOUTS)}")
    check_destination(src, dst, force=force)
    walked = [0]

    def walking(done: int, total: int) -> None:
        walked[0] = total
        progress(done, total)

    inv, chosen = dataroot.open_root(src, layout, jobs=jobs, index=index, progress=walking if progress is not None else None)
    by_object: dict[str, list[str]] = {}
    for entry in inv.files:
        if entry.layout == chosen:
            by_object.setdefault(entry.object, []).append(entry.path)
    expected = sum(e.frames for e in inv.files if e.layout == chosen)

    dst.parent.mkdir(parents=True, exist_ok=True)
    recover(dst)
    staging = dst.parent / f".{dst.name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        dropped: set[str] = set()
        files = 0
        done, total = walked[0], walked[0] + sum(len(paths) for paths in by_object.values())
        for paths in by_object.values():
            samples = []
            for path in paths:
                samples += layouts.load_file(path).samples()
                done += 1
                if progress is not None:
                    progress(done, total)
            written = layouts.write_samples(samples, staging, to)
            dropped.update(written.dropped)
            files += len(written.files)
        _check_complete(staging, to, expected, jobs)
        replaced = _move_into_place(staging, dst)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return ConvertResult(str(src), str(dst), chosen, to, expected, files, sorted(dropped), replaced)


_LEFT = re.compile(r"\.(?P<name>.+)\.(?P<kind>partial|replaced)-(?P<pid>\d+)")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def recover(dst: str | Path) -> list[str]:
    """Put right what a killed ``convert`` to ``dst`` left beside it; return what was done, in words.

    Staging folders (``.DST.partial-PID``) of processes no longer alive are removed. A replaced
    destination (``.DST.replaced-PID``) of a dead process is either the old data of a swap cut
    between its two renames, which goes back to ``DST`` when ``DST`` is absent, or the old data
    of a swap that finished (``DST`` is there), which is removed. A live process's folders are
    left alone (it may be converting now).
    """
    dst = Path(dst)
    done: list[str] = []
    try:
        names = sorted(os.listdir(dst.parent))
    except OSError:
        return done
    left = [(m, dst.parent / n) for n in names if (m := _LEFT.fullmatch(n)) and m["name"] == dst.name]
    for m, path in left:
        if _alive(int(m["pid"])):
            continue
        if m["kind"] == "replaced" and not os.path.lexists(dst):
            os.rename(path, dst)
            done.append(f"restored {dst} from {path.name}, left by a conversion killed while it replaced it")
        else:
            shutil.rmtree(path, ignore_errors=True)
            done.append(f"removed {path.name}, left by a conversion killed (process {m['pid']})")
    if done:
        warnings.warn("; ".join(done), RecoveredWarning, stacklevel=2)
    return done


class RecoveredWarning(UserWarning):
    """What ``recover`` put right, said out loud."""


def _check_complete(staging: Path, to: str, expected: int, jobs: int = 1) -> None:
    """Read the new root back: every frame is there and every file reads as ``to``."""
    if expected == 0:
        return
    inv = dataroot.inspect_root(staging, jobs=jobs)  # files written just now: an index would only re-read them
    found = sum(f.frames for f in inv.files if to in f.fits)  # one-frame segments also fit realdex-frame (LAYOUT-11)
    bad = [p for p in inv.problems if p.code in dataroot.BLOCKING]
    if found != expected or bad or any(to not in f.fits for f in inv.files):
        raise DataError(
            f"the converted root does not read back whole: expected {expected} samples of layout {to!r}, found "
            f"{inv.layouts or 'none'}" + (f"; {bad[0].path}: {bad[0].message}" if bad else "") + "; nothing was written",
            path=staging,
        )


def _move_into_place(staging: Path, dst: Path) -> bool:
    """Rename ``staging`` to ``dst``; an existing ``dst`` is moved aside first and removed after."""
    if not dst.exists():
        os.rename(staging, dst)
        return False
    if not any(dst.iterdir()):
        os.rename(staging, dst)  # renaming a folder over an empty one is atomic on POSIX
        return False
    old = dst.parent / f".{dst.name}.replaced-{os.getpid()}"
    os.rename(dst, old)
    try:
        os.rename(staging, dst)
    except BaseException:
        os.rename(old, dst)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return True
