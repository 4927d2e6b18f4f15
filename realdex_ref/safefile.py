"""Opening files that come from strangers: regular files only, never a hang, never an endless read.

Every reader of the reference opens what it reads through ``open_regular``: a named pipe is
opened without blocking and refused, a device (``/dev/zero``), a folder or a socket is refused
by what the opened descriptor is (so a swap after a check changes nothing), and
``read_bounded`` never reads past a limit, whatever the file's size claims.
"""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from realdex_ref.errors import DataError

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def kind_of(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def open_regular(path: str | Path, what: str, error: type[DataError] = DataError) -> tuple[BinaryIO, int]:
    """``(binary file, size)`` of ``path``, refused with ``error`` naming it unless it is a readable
    regular file. ``what`` is what was expected ("an .npz file", "a run log")."""
    path = Path(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise error(f"expected {what}; no such file (or a symbolic link to nothing)", path=path) from None
    except PermissionError:
        raise error(f"expected {what}; it cannot be read: permission denied", path=path) from None
    except IsADirectoryError:
        raise error(f"expected {what}, found a folder", path=path) from None
    except OSError as exc:  # ELOOP (a symbolic-link loop), ENAMETOOLONG, ENXIO (a socket), ...
        if exc.errno == errno.ENXIO:
            raise error(f"expected {what}, found a socket or a device without a reader", path=path) from None
        raise error(f"expected {what}; cannot reach it: {exc.strerror or exc}", path=path) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise error(f"expected {what}, found {kind_of(st.st_mode)}", path=path)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb"), st.st_size
    except BaseException:
        os.close(fd)
        raise


def read_bounded(fh: BinaryIO, limit: int, path: str | Path, what: str, error: type[DataError] = DataError) -> bytes:
    """All of ``fh``, refused with ``error`` when it holds more than ``limit`` bytes (read at most limit + 1)."""
    data = fh.read(limit + 1)
    if len(data) > limit:
        raise error(f"expected {what} of at most {limit:,} bytes, found more; refusing to read it whole", path=path)
    return data
