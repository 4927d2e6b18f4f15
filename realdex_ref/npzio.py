"""Safe reading of ``.npz`` files: nothing is ever unpickled, and every failure names the file.

numpy and zipfile raise a zoo of exceptions on damaged files (BadZipFile, EOFError, zlib.error,
ValueError about pickles, ...); here each becomes a ``DataError`` that says which file and, where
known, which key, what was expected and what was found.
"""
from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import numpy as np

from realdex_ref.errors import DataError, UnsafeFileError

# A member whose uncompressed size is beyond this is refused before it is inflated.
MAX_MEMBER_BYTES = 2 * 1024**3


def load_npz(path: str | Path) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` file, loaded with pickling disabled."""
    path = Path(path)
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
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"expected an .npz (zip) archive of arrays; cannot open it: {type(exc).__name__}: {exc}", path=path) from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataError(f"expected an .npz archive of named arrays, found a single {type(archive).__name__}", path=path)
    arrays: dict[str, np.ndarray] = {}
    with archive:
        for info in archive.zip.infolist():
            if info.file_size > MAX_MEMBER_BYTES:
                raise DataError(
                    f"member {info.filename} declares {info.file_size} bytes uncompressed, more than the "
                    f"{MAX_MEMBER_BYTES} allowed; refusing to inflate it",
                    path=path,
                    key=info.filename.removesuffix(".npy"),
                )
        for key in archive.files:
            try:
                arrays[key] = archive[key]
            except ValueError as exc:
                if "pickle" in str(exc).lower() or "object" in str(exc).lower():
                    raise UnsafeFileError(
                        "holds an object array, which can only be read by unpickling; refused "
                        "(re-save it as a numeric or string array)",
                        path=path,
                        key=key,
                    ) from None
                raise DataError(f"cannot read the array: {exc}", path=path, key=key) from None
            except (OSError, EOFError, zlib.error, zipfile.BadZipFile, KeyError) as exc:
                raise DataError(f"damaged member, cannot be decompressed: {type(exc).__name__}: {exc}", path=path, key=key) from None
            if arrays[key].dtype.hasobject:
                raise UnsafeFileError("holds an object array; refused", path=path, key=key)
    return arrays
