"""A lock on a run folder (spec chapter 11, the reference's trainer): one trainer or resume at a time.

``hold(out)`` takes an exclusive ``flock`` on the folder ``out`` for the life of the run and
writes who holds it (process, host, start time) into ``.realdex.lock``. A second trainer on it
finds the lock taken and is refused with the holder named. A lock file left by a process that
died holds no ``flock`` any more (the kernel drops it with the process): it is taken over, and
the take-over is said. Only rank 0 of a torchrun world takes the lock (it alone writes).
"""
from __future__ import annotations

import json
import os
import socket
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from realdex_ref import safejson
from realdex_ref.errors import DataError

LOCK = ".realdex.lock"


class RunLockedError(DataError):
    """The run folder is held by another trainer."""


class StaleLockWarning(UserWarning):
    """A lock left by a process that is gone was taken over."""


def _holder(path: Path) -> dict:
    if not os.path.lexists(path):
        return {}
    try:
        record = safejson.read_json(path, "a lock record", max_bytes=4096)
    except DataError:  # damaged or hostile: the lock is still the flock, only the name of the holder is lost
        return {}
    return record if isinstance(record, dict) else {}


@contextmanager
def hold(out: str | Path) -> Iterator[None]:
    """Hold the lock on the run folder ``out`` (created if missing) while the block runs.

    The lock is an ``flock`` on the folder itself; who holds it is written beside, by rename, into
    ``.realdex.lock`` (no file of a run folder is ever overwritten in place, TRAIN-6).
    """
    if int(os.environ.get("RANK", "0")) != 0:
        yield
        return
    import fcntl

    from realdex_ref.checkpoint import write_atomic

    out = Path(out)
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK
    fd = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        who = _holder(path)
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(who["started"])) if isinstance(
            who.get("started"), (int, float)) else "an unknown time"
        raise RunLockedError(
            f"the run folder is in use by process {who.get('pid', '?')} on {who.get('host', '?')} since {since} "
            f"({who.get('command', 'realdex train')}); two trainers in one folder would replace each other's "
            "checkpoints. Fix: wait for it to end (or stop it), or use another --out", path=out) from None
    try:
        left = _holder(path)
        if left.get("pid"):
            warnings.warn(f"{out}: took over the lock left by process {left.get('pid')} on {left.get('host', '?')}, "
                          "which is no longer running", StaleLockWarning, stacklevel=3)
        record = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time(), "command": "realdex train"}
        write_atomic(path, lambda fh: fh.write(json.dumps(record).encode("utf-8")))
        yield
    finally:
        try:
            path.unlink()
            if created:
                out.rmdir()  # a run refused before any work leaves no folder behind (only when empty)
        except OSError:
            pass
        os.close(fd)
