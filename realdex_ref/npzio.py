"""Safe reading of ``.npz`` files: nothing is ever unpickled, and every failure names the file.

numpy and zipfile raise a zoo of exceptions on damaged files (BadZipFile, EOFError, zlib.error,
ValueError about pickles, ...); here each becomes a ``DataError`` that says which file and, where
known, which key, what was expected and what was found.
"""
from __future__ import annotations

import os
import stat
import zipfile
import zlib
from pathlib import Path

import numpy as np

from realdex_ref.errors import DataError, UnsafeFileError

# A member whose uncompressed size is beyond this is refused before it is inflated.
MAX_MEMBER_BYTES = 2 * 1024**3

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _check_regular(path: Path) -> None:
    """Refuse anything but a readable regular file before opening it: a named pipe would block forever."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise DataError("no such file (or a symbolic link to nothing)", path=path) from None
    except PermissionError:
        raise DataError("cannot be read: permission denied", path=path) from None
    except OSError as exc:  # ELOOP (a symbolic-link loop), ENAMETOOLONG, ...
        raise DataError(f"expected a readable .npz file; cannot reach it: {exc.strerror or exc}", path=path) from None
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
        raise DataError(f"expected an .npz file, found {kind}", path=path)


def load_npz(path: str | Path) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` file, loaded with pickling disabled."""
    path = Path(path)
    _check_regular(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise DataError("no such file", path=path) from None
    except PermissionError:
        raise DataError("cannot be read: permission denied", path=path) from None
    except IsADirectoryError:
        raise DataError("expected an .npz file, found a folder", path=path) from None
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            # numpy takes anything that is neither zip nor .npy for a pickle; we never load one
            raise UnsafeFileError(
                "expected an .npz (zip) archive of arrays, found neither a zip archive nor an .npy array "
                "(it may be a pickle, which is never loaded)",
                path=path,
            ) from None
        raise DataError(f"expected an .npz (zip) archive of arrays; cannot open it: {exc}", path=path) from None
    except (OSError, EOFError, zipfile.BadZipFile, RuntimeError, NotImplementedError) as exc:
        raise DataError(f"expected an .npz (zip) archive of arrays; cannot open it: {type(exc).__name__}: {exc}", path=path) from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataError(f"expected an .npz archive of named arrays, found a single {type(archive).__name__}", path=path)
    arrays: dict[str, np.ndarray] = {}
    with archive:
        infos = archive.zip.infolist()
        seen: set[str] = set()
        for info in infos:
            key = info.filename.removesuffix(".npy")
            if info.filename in seen:
                # zipfile would silently hand back the last copy; which one is the data is anyone's guess
                raise DataError(f"expected one member named {info.filename}, found several", path=path, key=key)
            seen.add(info.filename)
            if info.file_size > MAX_MEMBER_BYTES:
                raise DataError(
                    f"member {info.filename} declares {info.file_size} bytes uncompressed, more than the "
                    f"{MAX_MEMBER_BYTES} allowed; refusing to inflate it",
                    path=path,
                    key=key,
                )
        for info in infos:
            key = info.filename.removesuffix(".npy")
            arrays[key] = _read_member(archive.zip, info, path, key)
    return arrays


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, key: str) -> np.ndarray:
    """One member as an array, its ``.npy`` header checked against its size before any allocation."""
    try:
        with archive.open(info) as fp:
            try:
                version = np.lib.format.read_magic(fp)
            except ValueError:
                raise DataError(
                    f"expected a .npy array in member {info.filename}, found {info.file_size} bytes of something else",
                    path=path,
                    key=key,
                ) from None
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(fp)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(fp)
            if dtype.hasobject:
                raise UnsafeFileError(
                    "holds an object array, which can only be read by unpickling; refused "
                    "(re-save it as a numeric or string array)",
                    path=path,
                    key=key,
                )
            # a header may promise far more data than the member holds (a memory bomb): numpy would
            # allocate the promised size before finding out
            promised = int(np.prod(shape, dtype=object)) * dtype.itemsize
            held = info.file_size - fp.tell()
            if promised != held:
                raise DataError(
                    f"expected the {held} bytes of array data the member holds, but its header declares shape "
                    f"{shape} of {dtype} ({promised} bytes)",
                    path=path,
                    key=key,
                )
            # the header is parsed once: read the data that follows it (seeking back would inflate again)
            data = bytearray(promised)
            if promised and fp.readinto(data) != promised:
                raise DataError(f"member {info.filename} ends before its {promised} bytes of data", path=path, key=key)
            if dtype.itemsize == 0:  # such as '<U0': no bytes to view
                array = np.empty(shape, dtype=dtype)
            else:
                array = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    except DataError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc).lower() or "object" in str(exc).lower():
            raise UnsafeFileError(
                "holds an object array, which can only be read by unpickling; refused (re-save it as a numeric or string array)",
                path=path,
                key=key,
            ) from None
        raise DataError(f"expected a valid .npy array; cannot read it: {exc}", path=path, key=key) from None
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile, KeyError, RuntimeError, NotImplementedError) as exc:
        # RuntimeError: an encrypted member; NotImplementedError: an unknown compression method
        raise DataError(f"damaged member, cannot be decompressed: {type(exc).__name__}: {exc}", path=path, key=key) from None
    if array.dtype.hasobject:
        raise UnsafeFileError("holds an object array; refused", path=path, key=key)
    return array
