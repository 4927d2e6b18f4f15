"""Watching what an implementation does to the file system, for the clauses that forbid writes
(SAFE-5: reading writes nothing) or require a way of writing (TRAIN-6: checkpoints by rename)."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

# audit events that change the file system without an open() for writing
_CHANGES = {"os.remove", "os.rmdir", "os.mkdir", "os.symlink", "os.truncate", "os.chmod", "os.chown", "os.utime",
            "shutil.rmtree", "shutil.copyfile", "shutil.move"}


class FileWatch:
    """Records, in this process, every file opened for writing, every rename or link, and every
    other change to the file system, while the watch is active (``with FileWatch() as watch``).

    Python audit hooks cannot be removed, so one hook is installed once and records only while a
    watch is active. Writes of other processes are not seen. Compiled bytecode (``__pycache__``)
    that a first import writes is not the implementation's doing and is left out.
    """

    active: "FileWatch | None" = None
    installed = False

    def __init__(self) -> None:
        self.opened: list[tuple[str, str, bool]] = []  # (absolute path, mode or flags, appends)
        self.renamed: list[tuple[str, str]] = []  # (absolute source, absolute destination)
        self.changed: list[str] = []  # other changes, described
        # at each rename, the size on disk of every file opened for writing so far (None: gone), in the order of
        # `renamed`: what a kill at that moment would leave of them (RUNLOG-1: a run log is flushed line by line)
        self.sizes_at_rename: list[dict[str, int | None]] = []

    def writes(self) -> list[str]:
        """Everything seen, described for an assertion message."""
        return ([f"open({p!r}, {how})" for p, how, _ in self.opened]
                + [f"rename({s!r}, {d!r})" for s, d in self.renamed] + self.changed)

    @classmethod
    def _hook(cls, event: str, args: tuple) -> None:
        watch = cls.active
        if watch is None:
            return
        if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
            mode, flags = args[1], args[2] or 0
            if isinstance(mode, str):
                writes, appends = any(c in mode for c in "wxa+"), "a" in mode
            else:
                writes = bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND))
                appends = bool(flags & os.O_APPEND)
            path = os.path.abspath(os.fsdecode(args[0]))
            if writes and "__pycache__" not in path:
                watch.opened.append((path, str(mode or flags), appends))
        elif event in ("os.rename", "os.link") and len(args) >= 2:
            watch.renamed.append((os.path.abspath(os.fsdecode(args[0])), os.path.abspath(os.fsdecode(args[1]))))
            watch.sizes_at_rename.append({p: _size(p) for p in dict.fromkeys(p for p, _, _ in watch.opened)})
        elif event in _CHANGES:
            watch.changed.append(f"{event}{tuple(os.fsdecode(a) if isinstance(a, bytes) else a for a in args[:2])}")

    def __enter__(self) -> "FileWatch":
        if not FileWatch.installed:
            sys.addaudithook(FileWatch._hook)
            FileWatch.installed = True
        FileWatch.active = self
        return self

    def __exit__(self, *exc: Any) -> None:
        FileWatch.active = None


def _size(path: str) -> int | None:
    try:
        return os.stat(path).st_size
    except OSError:
        return None


def tree(folder: Path) -> dict[str, tuple]:
    """Every entry under ``folder`` (links not followed) with its kind, size and modification time."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            st = os.lstat(os.path.join(dirpath, name))
            found[os.path.relpath(os.path.join(dirpath, name), folder)] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return found
