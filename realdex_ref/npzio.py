"""Safe reading of ``.npz`` files: nothing is ever unpickled, memory is bounded, every failure names the file.

An ``.npz`` comes from strangers, so nothing it declares is believed before it is checked
(spec chapter 13, SAFE-4, SAFE-11..SAFE-14):

- the first bytes say what the file is: a bare ``.npy``, a pickle, text or anything not a zip
  is refused before numpy or zipfile parse it;
- the zip's end record is read first and cross-checked against the central directory (the
  number of members, where the directory lies), so a corrupted directory cannot drop members
  in silence;
- the sizes members declare are bounded per member, per file and by their compression ratio
  before anything is inflated; data is then inflated in chunks, counted as it comes, and
  stopped at the limit or at the size the ``.npy`` header declared, so memory follows the
  data actually read, never what a header promises;
- ``.npy`` headers are parsed here (a bounded length, a literal dict of three keys), so a
  malformed header is a ``DataError`` naming file and key, not a ``tokenize`` or ``SyntaxError``
  from inside numpy; zero-itemsize dtypes and object dtypes are refused;
- member names are normalised to keys (``qpos.npy`` and ``qpos`` are both the key ``qpos``),
  and two members for one key are an error, not a choice made in silence.

The limits are module constants; a caller with larger files may raise them.
"""
from __future__ import annotations

import ast
import struct
import tokenize
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from realdex_ref.errors import DataError, UnsafeFileError
from realdex_ref.safefile import open_regular

# Bounds (bytes, counts) checked before anything is inflated, and again while inflating.
MAX_MEMBER_BYTES = 1 * 1024**3  # one array, inflated
MAX_FILE_BYTES = 2 * 1024**3  # all arrays of one file, inflated
MAX_RATIO = 200  # inflated bytes per stored byte, above RATIO_FLOOR (numeric data compresses ~1-5x)
RATIO_FLOOR = 32 * 1024**2  # small members may compress as well as they like (a NaN placeholder array)
MAX_MEMBERS = 1024  # a layout has about 15 keys
MAX_HEADER_BYTES = 100_000  # an .npy header (numpy itself refuses more than 10,000 by default)
CHUNK = 1024**2
# Headers that passed every check, by their exact bytes: the files of a root repeat a handful of them, and
# parsing one (a Python literal) costs as much as reading a small member. Only a header that passed is kept.
MAX_KNOWN_HEADERS = 4096
_HEADERS: dict[tuple[int, bytes], tuple[tuple[int, ...], bool, np.dtype]] = {}

_ZIP, _EMPTY_ZIP, _NPY = b"PK\x03\x04", b"PK\x05\x06", b"\x93NUMPY"
_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
_OTHER_METHODS = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "lzma"}

def load_npz(path: str | Path) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` file, by key, read within the limits above and never unpickled."""
    path = Path(path)
    fh, size = open_regular(path, "an .npz file")
    try:
        with fh:
            return _load(fh, size, path)
    except DataError:
        raise
    except PermissionError:
        raise DataError("cannot be read: permission denied", path=path) from None
    except MemoryError:
        raise DataError("expected an .npz that fits in memory; reading it ran out of memory", path=path) from None
    except OSError as exc:  # an I/O error of the disk, /proc/self/mem, ...
        raise DataError(f"expected a readable .npz file; it cannot be read: {exc.strerror or exc}", path=path) from None


def _load(fh: BinaryIO, size: int, path: Path) -> dict[str, np.ndarray]:
    magic = fh.read(8)
    if not magic:
        raise DataError("expected an .npz (zip) archive of arrays, found an empty file", path=path)
    if magic.startswith(_NPY):
        raise DataError("expected an .npz archive of named arrays, found a single .npy array (a bare ndarray); "
                        "nothing of it was parsed. Save it with numpy.savez under the layout's keys", path=path)
    if not (magic.startswith(_ZIP) or magic.startswith(_EMPTY_ZIP)):
        raise UnsafeFileError(
            "expected an .npz (zip) archive of arrays, found neither a zip archive nor an .npy array "
            f"(it begins {magic[:8]!r}; it may be a pickle, which is never loaded)", path=path)
    entries = _end_record(fh, size, path)
    try:
        fh.seek(0)
        archive = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, struct.error, NotImplementedError,
            UnicodeDecodeError) as exc:
        raise DataError(f"expected an .npz (zip) archive of arrays; cannot open it: {type(exc).__name__}: {exc}",
                        path=path) from None
    with archive:
        infos = archive.infolist()
        if len(infos) != entries:
            raise DataError(
                f"expected the {entries} member(s) the zip's end record declares, found {len(infos)} in its central "
                "directory: the directory is damaged (members would be lost in silence)", path=path)
        keys = _keys(infos, path)
        _check_declared(infos, keys, size, path)
        budget = [MAX_FILE_BYTES]
        return {keys[i.filename]: _read_member(archive, i, path, keys[i.filename], budget) for i in infos}


def _end_record(fh: BinaryIO, size: int, path: Path) -> int:
    """The number of members the zip's end record (or its zip64 record) declares, its bounds checked."""
    tail = min(size, 22 + 65535)
    fh.seek(size - tail)
    data = fh.read(tail)
    at = data.rfind(_EMPTY_ZIP)
    # the end record is the signature whose comment ends the file (a signature inside a comment is not)
    while at != -1 and (at + 22 > len(data) or at + 22 + struct.unpack("<H", data[at + 20:at + 22])[0] != len(data)):
        at = data.rfind(_EMPTY_ZIP, 0, at)
    if at == -1:
        raise DataError("expected an .npz (zip) archive of arrays; found no intact zip end record (the file is "
                        "truncated or not a zip)", path=path)
    _, _, on_disk, entries, cd_size, cd_offset = struct.unpack("<HHHHII", data[at + 4:at + 20])
    eocd = size - tail + at
    if entries == 0xFFFF or cd_offset == 0xFFFFFFFF or cd_size == 0xFFFFFFFF:
        loc = data[at - 20:at] if at >= 20 else b""
        if not loc.startswith(b"PK\x06\x07"):
            raise DataError("expected a zip64 end record, as the end record announces; found none", path=path)
        (offset,) = struct.unpack("<Q", loc[8:16])
        if offset + 56 > size:
            raise DataError("expected a zip64 end record inside the file; it points past its end", path=path)
        fh.seek(offset)
        rec = fh.read(56)
        if not rec.startswith(b"PK\x06\x06"):
            raise DataError("expected a zip64 end record where the locator points; found other bytes", path=path)
        entries, cd_size, cd_offset = struct.unpack("<QQQ", rec[32:56])
        eocd = offset
    elif on_disk != entries:
        raise DataError(f"expected one zip of {entries} members; its end record says {on_disk} on this disk "
                        "(a split archive, or a damaged end record)", path=path)
    if entries > MAX_MEMBERS:
        raise DataError(f"declares {entries} members, more than the {MAX_MEMBERS} allowed (a layout has about 15 "
                        "keys); refusing to read its directory", path=path)
    if cd_size > eocd:
        raise DataError(f"expected a central directory inside the file; its end record declares {cd_size} bytes "
                        f"before an end record at byte {eocd}", path=path)
    return entries


def _keys(infos: list[zipfile.ZipInfo], path: Path) -> dict[str, str]:
    """Member name -> key (``.npy`` dropped, as numpy does); two members for one key are an error."""
    keys: dict[str, str] = {}
    owner: dict[str, str] = {}
    for info in infos:
        name = info.filename
        key = name.removesuffix(".npy")
        if name in keys:
            # zipfile would silently hand back the last copy; which one is the data is anyone's guess
            raise DataError(f"expected one member named {name}, found several", path=path, key=key)
        if key in owner:
            raise DataError(f"expected one member for the key {key!r}, found two: {owner[key]!r} and {name!r} "
                            "(readers disagree on which is the data); remove one", path=path, key=key)
        keys[name], owner[key] = key, name
    return keys


def _check_declared(infos: list[zipfile.ZipInfo], keys: dict[str, str], size: int, path: Path) -> None:
    """Refuse what the directory declares beyond the limits, before inflating anything."""
    total = 0
    for info in infos:
        key = keys[info.filename]
        if info.compress_type not in _METHODS:
            method = _OTHER_METHODS.get(info.compress_type, f"method {info.compress_type}")
            raise DataError(f"member {info.filename} cannot be decompressed here: it uses {method}, an .npz member "
                            "is stored or deflated", path=path, key=key)
        if info.flag_bits & 0x1:
            raise DataError(f"member {info.filename} is encrypted and cannot be decompressed", path=path, key=key)
        if info.file_size > MAX_MEMBER_BYTES:
            raise DataError(f"member {info.filename} declares {info.file_size} bytes uncompressed, more than the "
                            f"{MAX_MEMBER_BYTES} allowed; refusing to inflate it", path=path, key=key)
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise DataError(f"member {info.filename} declares {info.file_size} bytes from {info.compress_size} "
                            f"stored, a ratio above {MAX_RATIO}:1 (a decompression bomb); refusing to inflate it",
                            path=path, key=key)
        if info.compress_size > size:
            raise DataError(f"member {info.filename} declares {info.compress_size} stored bytes in a file of "
                            f"{size}", path=path, key=key)
        total += info.file_size
    if total > MAX_FILE_BYTES:
        raise DataError(f"declares {total} bytes uncompressed in all, more than the {MAX_FILE_BYTES} allowed for "
                        "one file; refusing to inflate it", path=path)
    if total > RATIO_FLOOR and total > MAX_RATIO * max(size, 1):
        raise DataError(f"declares {total} bytes uncompressed from a file of {size}, a ratio above {MAX_RATIO}:1 "
                        "(a decompression bomb); refusing to inflate it", path=path)


def _header(fp: BinaryIO, info: zipfile.ZipInfo, path: Path, key: str) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    """(shape, fortran order, dtype, header length) of a member's ``.npy`` header, parsed without numpy's parser."""
    def bad(what: str) -> DataError:
        return DataError(f"expected a valid .npy array in member {info.filename}; {what}", path=path, key=key)

    magic = fp.read(8)
    if len(magic) < 8 or not magic.startswith(_NPY):
        raise DataError(f"expected a .npy array in member {info.filename}, found {info.file_size} bytes of "
                        "something else", path=path, key=key)
    major = magic[6]
    if major == 1:
        raw = fp.read(2)
        length = struct.unpack("<H", raw)[0] if len(raw) == 2 else -1
    elif major in (2, 3):
        raw = fp.read(4)
        length = struct.unpack("<I", raw)[0] if len(raw) == 4 else -1
    else:
        raise bad(f"found .npy format version {major}.{magic[7]} (known: 1.0, 2.0, 3.0)")
    if length < 0:
        raise bad("its header ends before its length")
    if length > MAX_HEADER_BYTES:
        raise bad(f"its header declares {length} bytes, more than the {MAX_HEADER_BYTES} allowed")
    text = fp.read(length)
    if len(text) != length:
        raise bad(f"its header declares {length} bytes, the member holds {len(text)}")
    known = _HEADERS.get((major, text))
    if known is not None:
        return (*known, len(magic) + len(raw) + length)
    try:
        literal = ast.literal_eval(text.decode("utf-8" if major == 3 else "latin1"))
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError, tokenize.TokenError,
            UnicodeDecodeError) as exc:
        raise bad(f"its header is not a Python literal ({type(exc).__name__}: {str(exc)[:120]})") from None
    if not isinstance(literal, dict) or set(literal) != {"descr", "fortran_order", "shape"}:
        found = sorted(map(repr, literal)) if isinstance(literal, dict) else type(literal).__name__
        raise bad(f"its header must be a dict of descr, fortran_order and shape; found {found}")
    shape, fortran = literal["shape"], literal["fortran_order"]
    if not isinstance(shape, tuple) or not all(isinstance(n, int) and not isinstance(n, bool) for n in shape) \
            or len(shape) > 32:
        raise bad(f"its header's shape must be a tuple of at most 32 integers, found {str(shape)[:80]}")
    if any(n < 0 for n in shape):
        raise DataError(f"expected a non-negative shape, but its header declares shape {shape}", path=path, key=key)
    if not isinstance(fortran, bool):
        raise bad(f"its header's fortran_order must be True or False, found {fortran!r}")
    try:
        dtype = np.lib.format.descr_to_dtype(literal["descr"])
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, RecursionError, MemoryError,
            OverflowError, SyntaxError) as exc:
        raise bad(f"its header's descr {str(literal['descr'])[:80]} is not a dtype ({type(exc).__name__})") from None
    if dtype.hasobject:
        raise UnsafeFileError("holds an object array, which can only be read by unpickling; refused "
                              "(re-save it as a numeric or string array)", path=path, key=key)
    if dtype.itemsize == 0:
        raise DataError(f"expected a dtype whose items hold bytes, found {dtype} (itemsize 0): its size cannot be "
                        "checked against the data", path=path, key=key)
    if len(_HEADERS) >= MAX_KNOWN_HEADERS:
        _HEADERS.clear()
    _HEADERS[(major, text)] = (shape, fortran, dtype)
    return shape, fortran, dtype, len(magic) + len(raw) + length


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, key: str, budget: list[int]) -> np.ndarray:
    """One member as an array: its header checked against its size, its data inflated in counted chunks."""
    try:
        with archive.open(info) as fp:
            shape, fortran, dtype, head = _header(fp, info, path, key)
            count = 1
            for n in shape:
                count *= n
            promised = count * dtype.itemsize
            held = info.file_size - head
            if promised != held:
                raise DataError(f"expected the {held} bytes of array data the member holds, but its header declares "
                                f"shape {shape} of {dtype} ({promised} bytes)", path=path, key=key)
            data = bytearray()  # grows with what is actually inflated, never with what is declared
            while True:
                chunk = fp.read(min(CHUNK, promised - len(data) + 1))
                if not chunk:
                    break
                data += chunk
                budget[0] -= len(chunk)
                if len(data) > promised or budget[0] < 0:
                    raise DataError(f"member {info.filename} inflates beyond the {promised} bytes it declares "
                                    "(or beyond the file's limit); refusing the rest", path=path, key=key)
            if len(data) != promised:
                raise DataError(f"member {info.filename} ends before its {promised} bytes of data, after "
                                f"{len(data)}", path=path, key=key)
            array = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    except DataError:
        raise
    except ValueError as exc:
        raise DataError(f"expected a valid .npy array; cannot read it: {exc}", path=path, key=key) from None
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile, KeyError, RuntimeError, NotImplementedError,
            struct.error) as exc:
        # RuntimeError: an encrypted member; NotImplementedError: an unknown compression method
        raise DataError(f"damaged member, cannot be decompressed: {type(exc).__name__}: {exc}",
                        path=path, key=key) from None
    return array
