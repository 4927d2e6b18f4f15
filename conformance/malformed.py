"""The kit's corpus of hostile inputs (spec chapter 13), made by code at test time.

Each ``Case`` writes one hostile input under a fresh folder and says what any implementation
must make of it: the layout the file claims (so the capability that reads it), the key at fault
(``None``: the file as a whole), or, for data that reads but is not believable, the field the
data checks must name (SAFE-2). Nothing here knows an implementation's error types or wording:
the reference's own expectations live beside its tests (``tests/malformed``), built on this
corpus. Valid material comes from the kit's generator and writer (``synth``, ``rawfiles``);
damage is done with numpy, ``zipfile`` and ``struct``, so the corpus does not lean on the
readers it tests.

    <folder>/
      <object>/0.npz        file-level cases: the file the reader is handed
      root/...              root-level cases: a whole data root
"""
from __future__ import annotations

import gzip
import io
import os
import pickle
import struct
import warnings
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np

from realdex_conformance import rawfiles, synth

T, P, N = 4, 16, 3  # frames of a segment, points of a cloud, samples of a converted file
SEGMENT, FRAME, CONVERTED = rawfiles.LAYOUTS


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[Path], Path]  # writes the case under the folder given; returns what is read
    layout: str = SEGMENT  # the layout the file claims: its reader is what a test needs
    key: str | None = None  # the key the error must name; None: the file as a whole
    finding: str | None = None  # values that read: the field the data checks must name (SAFE-2), or its key
    level: str = "file"  # "file": one file is read; "root": a data root
    # root cases: the inventory's problem code, the path (relative to the root; "" the root)
    # that the problem and the error name, and the samples read_root gives when it reads
    code: str | None = None
    names: str = ""
    samples: int | None = None

    @property
    def refused(self) -> bool:
        """Whether reading must end in an error (file cases) or read_root must refuse (root cases)."""
        return self.finding is None and self.samples is None


# ---------------------------------------------------------------- valid material


@lru_cache(maxsize=None)
def _samples(frames: int) -> tuple:
    return tuple(synth.make_segment("driller", frames, P, np.random.default_rng(0), contacts=True))


def segment_arrays() -> dict[str, np.ndarray]:
    """A valid ``realdex-segment`` file of T frames and P points (fresh arrays each call)."""
    return rawfiles.to_arrays(list(_samples(T)), SEGMENT)[0]


def frame_arrays() -> dict[str, np.ndarray]:
    """A valid ``realdex-frame`` file: one frame, ``object_orient`` as a (1, 3, 3) matrix."""
    return rawfiles.to_arrays(list(_samples(T))[:1], FRAME, orient_encoding="matrix")[0]


def converted_arrays() -> dict[str, np.ndarray]:
    """A valid ``converted`` file of N samples with every optional key."""
    return rawfiles.to_arrays(list(_samples(N)), CONVERTED)[0]


def npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asarray(array), allow_pickle=False)
    return buf.getvalue()


def npy_header(descr: object, shape: tuple, fortran: bool = False) -> bytes:
    """A hand-written .npy header (version 1.0), for headers numpy itself would never write."""
    body = repr({"descr": descr, "fortran_order": fortran, "shape": shape}).encode("latin1")
    pad = 64 - (10 + len(body) + 1) % 64
    body += b" " * pad + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(body)) + body


def zip_bytes(members: list[tuple[str, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """An npz-like zip of raw members (names may repeat: zipfile only warns)."""
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name": the duplicate is the point of that case
        with zipfile.ZipFile(buf, "w", compression=compression) as z:
            for name, data in members:
                z.writestr(name, data)
    return buf.getvalue()


def npz_bytes(arrays: dict[str, np.ndarray], compression: int = zipfile.ZIP_DEFLATED, **replace: bytes) -> bytes:
    """An npz of ``arrays``; a member in ``replace`` gets the raw bytes given instead of its array."""
    members = [(f"{k}.npy", replace.pop(k) if k in replace else npy_bytes(v)) for k, v in arrays.items()]
    members += [(f"{k}.npy", v) for k, v in replace.items()]
    return zip_bytes(members, compression)


def put(folder: Path, data: bytes, rel: str = "driller/0.npz") -> Path:
    path = folder / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def with_arrays(base: Callable[[], dict], rel: str = "driller/0.npz", **changes) -> Callable[[Path], Path]:
    """A builder writing ``base()`` with keys changed (a value of ``None`` removes the key)."""

    def build(folder: Path) -> Path:
        arrays = base()
        for k, v in changes.items():
            if v is None:
                arrays.pop(k, None)
            else:
                arrays[k] = v(arrays) if callable(v) else v
        return put(folder, npz_bytes(arrays), rel)

    return build


# ---------------------------------------------------------------- the pickle payload

MARKER_NAME = "UNPICKLED-MARKER"


class MarkerPayload:
    """Unpickling this creates the file named by ``marker``: proof that a reader executed data."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def marker_path(folder: Path) -> Path:
    return folder / MARKER_NAME


def pickle_payload(folder: Path) -> bytes:
    return pickle.dumps(MarkerPayload(str(marker_path(folder))), protocol=3)


def _pickle_file(folder: Path) -> Path:
    return put(folder, pickle_payload(folder))


def _pickle_member(folder: Path) -> Path:
    # an object-array .npy whose body is the payload: numpy with allow_pickle=True would run it
    member = npy_header("|O", (1,)) + pickle_payload(folder)
    return put(folder, npz_bytes(segment_arrays(), qpos=member))


def _object_array_member(folder: Path) -> Path:
    # what a user gets from np.savez(..., hand_sides=list_of_objects): a real pickled object array
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.array([MarkerPayload(str(marker_path(folder)))] * N, dtype=object), allow_pickle=True)
    return put(folder, npz_bytes(converted_arrays(), hand_sides=buf.getvalue()), CONV)


# ---------------------------------------------------------------- damaged containers


def valid_npz(compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    return npz_bytes(segment_arrays(), compression)


def _truncated(fraction: float) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        data = valid_npz()
        return put(folder, data[: int(len(data) * fraction)])

    return build


def _member_offsets(data: bytes, name: str) -> tuple[int, int]:
    """(offset of the local header, offset of the member's data) of member ``name``."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        info = z.getinfo(name)
    start = info.header_offset
    name_len, extra_len = struct.unpack("<HH", data[start + 26 : start + 30])
    return start, start + 30 + name_len + extra_len


def _patch_member(name: str, patch: Callable[[bytearray, int, int], None], compression: int) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        data = bytearray(valid_npz(compression))
        header, body = _member_offsets(bytes(data), name)
        patch(data, header, body)
        return put(folder, bytes(data))

    return build


def _flip_data(data: bytearray, header: int, body: int) -> None:
    for i in range(body + 200, body + 216):
        data[i] ^= 0xFF


def _garble_deflate(data: bytearray, header: int, body: int) -> None:
    data[body : body + 40] = b"\xff" * 40


def _set_cd_field(data: bytearray, header: int, at: int, fmt: str, value: int) -> None:
    i = bytes(data).find(b"PK\x01\x02")
    while i != -1:
        (offset,) = struct.unpack("<I", data[i + 42 : i + 46])
        if offset == header:
            data[i + at : i + at + struct.calcsize(fmt)] = struct.pack(fmt, value)
        i = bytes(data).find(b"PK\x01\x02", i + 4)


def _encrypted_flag(data: bytearray, header: int, body: int) -> None:
    # set "encrypted" in the local header and in the central directory entry
    data[header + 6] |= 0x01
    (flags,) = struct.unpack("<H", data[header + 6 : header + 8])
    _set_cd_field(data, header, 8, "<H", flags)


def _unknown_method(data: bytearray, header: int, body: int) -> None:
    data[header + 8 : header + 10] = struct.pack("<H", 99)
    _set_cd_field(data, header, 10, "<H", 99)


def _enormous_size(data: bytearray, header: int, body: int) -> None:
    # a decompression bomb as it announces itself: 4 GB declared, a few bytes stored
    data[header + 22 : header + 26] = struct.pack("<I", 0xFFFFFF00)
    _set_cd_field(data, header, 24, "<I", 0xFFFFFF00)


def _wreck_directory(folder: Path) -> Path:
    data = bytearray(valid_npz())
    end = bytes(data).rfind(b"PK\x05\x06")
    (cd_offset,) = struct.unpack("<I", data[end + 16 : end + 20])
    data[cd_offset:end] = b"\x00" * (end - cd_offset)
    return put(folder, bytes(data))


def _npy_member(member: bytes, key: str = "qpos") -> Callable[[Path], Path]:
    return lambda folder: put(folder, npz_bytes(segment_arrays(), **{key: member}))


def _duplicate_member(folder: Path) -> Path:
    members = [(f"{k}.npy", npy_bytes(v)) for k, v in segment_arrays().items()]
    members.append(("qpos.npy", npy_bytes(np.zeros((T, 22)))))
    return put(folder, zip_bytes(members))


# ---------------------------------------------------------------- paths that are not regular files


def _fifo(folder: Path) -> Path:
    path = folder / "driller" / "0.npz"
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    return path


def _folder_named_npz(folder: Path) -> Path:
    path = folder / "driller" / "0.npz"
    path.mkdir(parents=True)
    return path


def _dangling_link(folder: Path) -> Path:
    path = folder / "driller" / "0.npz"
    path.parent.mkdir(parents=True)
    path.symlink_to(folder / "driller" / "gone.npz")
    return path


def _link_loop(folder: Path) -> Path:
    a, b = folder / "driller" / "0.npz", folder / "driller" / "1.npz"
    a.parent.mkdir(parents=True)
    a.symlink_to(b)
    b.symlink_to(a)
    return a


def _device_link(folder: Path) -> Path:
    path = folder / "driller" / "0.npz"
    path.parent.mkdir(parents=True)
    path.symlink_to("/dev/zero")  # endless zeros: a reader that does not look first reads forever
    return path


def unreadable(folder: Path) -> Path:
    """A file the reader cannot read: mode 000, or, for root (whom modes do not stop), a link to
    /proc/self/mem, whose first page is unmapped and answers every read with an I/O error."""
    path = folder / "driller" / "0.npz"
    path.parent.mkdir(parents=True)
    if os.geteuid() != 0:
        path.write_bytes(valid_npz())
        path.chmod(0)
    else:
        path.symlink_to("/proc/self/mem")
    return path


def _non_ascii_name(folder: Path) -> Path:
    return put(folder, valid_npz()[:100], "Bohrmaschine_größe_电钻/0.npz")


def _text(data: bytes) -> Callable[[Path], Path]:
    return lambda folder: put(folder, data)


def _npy_file(folder: Path) -> Path:
    return put(folder, npy_bytes(np.zeros((T, 22))))


def _gzip_file(folder: Path) -> Path:
    return put(folder, gzip.compress(valid_npz()))


def _non_finite(base: Callable[[], dict], key: str, value: float, rel: str = "driller/0.npz", where=(0, 0)):
    def change(arrays: dict) -> np.ndarray:
        a = arrays[key].copy()
        a[where] = value
        return a

    return with_arrays(base, rel, **{key: change})


# ---------------------------------------------------------------- bombs, aliases and headers numpy chokes on

BOMB_BYTES = 48 * 2**20  # inflated; stored in about 50 kB (SAFE-11: above 32 MiB at more than 200:1)


@lru_cache(maxsize=None)  # seconds to build, so once per process
def _bomb_member(key: str, compression: int, inflated: int = BOMB_BYTES) -> bytes:
    """An npz whose member ``key`` is a valid header and ``inflated`` bytes of zeros, streamed in
    (never held whole), compressed with ``compression``; the other members are valid."""
    arrays = segment_arrays()
    buf = io.BytesIO()
    rows = inflated // (8 * 3)
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for k, v in arrays.items():
            if k != key:
                z.writestr(f"{k}.npy", npy_bytes(v))
        info = zipfile.ZipInfo(f"{key}.npy")
        info.compress_type = compression
        with z.open(info, "w", force_zip64=False) as out:
            out.write(npy_header("<f8", (rows, 3)))
            zeros = bytes(2**20)
            left = rows * 24
            while left > 0:
                out.write(zeros[: min(left, len(zeros))])
                left -= len(zeros)
    return buf.getvalue()


def _bomb(key: str, compression: int, inflated: int = BOMB_BYTES) -> Callable[[Path], Path]:
    return lambda folder: put(folder, _bomb_member(key, compression, inflated))


def _many_members_bomb(folder: Path) -> Path:
    """Three members of 16 MiB of zeros each: none is above 32 MiB, the file inflates to 48 MiB."""
    return put(folder, _many_members_bytes())


@lru_cache(maxsize=None)
def _many_members_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for k, v in segment_arrays().items():
            z.writestr(f"{k}.npy", npy_bytes(v))
        for i in range(3):
            with z.open(f"padding_{i}.npy", "w") as out:
                out.write(npy_header("<f8", (2**19, 4)))
                for _ in range(16):
                    out.write(bytes(2**20))
    return buf.getvalue()


def _many_empty_members(folder: Path) -> Path:
    """60,000 stored members of no bytes (5.8 MB of zip headers): each is modest, their directory is not."""
    return put(folder, _many_empty_members_bytes())


@lru_cache(maxsize=None)
def _many_empty_members_bytes(n: int = 60_000) -> bytes:
    local, central, offset = [], [], 0  # written by hand: zipfile takes seconds for this many members
    for i in range(n):
        name = b"m%05d.npy" % i
        head = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0x21, 0, 0, 0, len(name), 0) + name
        central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0x21, 0, 0, 0, len(name), 0, 0, 0,
                                   0, 0, offset) + name)
        local.append(head)
        offset += len(head)
    directory = b"".join(central)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, n, n, len(directory), offset, 0)
    return b"".join(local) + directory + end


def _bare_npy_enormous(folder: Path) -> Path:
    """A 192-byte bare .npy named .npz whose header announces 10^12 float64 (7 TiB)."""
    return put(folder, npy_header("<f8", (10**12,)) + b"\x00" * 64)


def _alias_members(folder: Path) -> Path:
    """``qpos.npy`` and ``qpos`` in one archive: both are the key qpos, and they differ."""
    members = [(f"{k}.npy", npy_bytes(v)) for k, v in segment_arrays().items()]
    members.append(("qpos", npy_bytes(np.full((T, 22), 0.5))))
    return put(folder, zip_bytes(members))


def _directory_swallows_members(folder: Path) -> Path:
    """A central-directory entry's comment length is raised to cover the next two entries: a reader
    that trusts it sees two members fewer than the end record declares."""
    data = bytearray(valid_npz())
    end = bytes(data).rfind(b"PK\x05\x06")
    (cd_offset,) = struct.unpack("<I", data[end + 16 : end + 20])
    entries = []
    i = cd_offset
    while i < end:
        n, m, k = struct.unpack("<HHH", data[i + 28 : i + 34])
        entries.append((i, 46 + n + m + k))
        i += 46 + n + m + k
    # the last two members are the optional object_colors and missing_fields: a reader that trusts the
    # directory reads the file without them and never knows
    first, _ = entries[-3]
    swallowed = entries[-2][1] + entries[-1][1]
    data[first + 32 : first + 34] = struct.pack("<H", swallowed)
    return put(folder, bytes(data))


def _unbalanced_header(folder: Path) -> Path:
    body = b"{'descr': '<f8', 'fortran_order': False, 'shape': (4, 22, }" + b" " * 3 + b"\n"
    member = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(body)) + body + b"\x00" * (4 * 22 * 8)
    return put(folder, npz_bytes(segment_arrays(), qpos=member))


def _zero_itemsize(folder: Path) -> Path:
    return put(folder, npz_bytes(segment_arrays(), qpos=npy_header("<U0", (10**9, 22))))


CONV = "driller/converted_data.npz"
FRAME_REL = "driller_7/0.npz"
# a header that promises 369 MB of float64 for a member of 64 bytes: a reader that believes it sets
# the memory aside (numpy does, before reading) and only then finds the bytes missing (SAFE-4)
LYING_HEADER = npy_header("<f8", (2**21, 22)) + b"\x00" * 64


def _seg(id: str, build, key: str | None = None) -> Case:
    return Case(id, build, SEGMENT, key)


def _conv(id: str, key: str, **changes) -> Case:
    return Case(id, with_arrays(converted_arrays, CONV, **changes), CONVERTED, key)


def _frame(id: str, key: str, **changes) -> Case:
    return Case(id, with_arrays(frame_arrays, FRAME_REL, **changes), FRAME, key)


def _changed(id: str, key: str, **changes) -> Case:
    return Case(id, with_arrays(segment_arrays, **changes), SEGMENT, key)


# ---------------------------------------------------------------- the corpus of files

FILE_CASES: list[Case] = [
    # containers that are not what they claim
    _seg("file-empty", _text(b"")),
    _seg("file-truncated-half", _truncated(0.5)),
    _seg("file-truncated-to-header", _truncated(0.01)),
    _seg("file-text", _text(b"qpos,hand_transl\n0.1,0.2\n")),
    _seg("file-npy-not-npz", _npy_file),
    _seg("file-gzip", _gzip_file),
    _seg("file-hdf5-signature", _text(b"\x89HDF\r\n\x1a\n" + b"\x00" * 100)),
    _seg("file-pickle-payload", _pickle_file),
    _seg("file-zip-empty", _text(zip_bytes([]))),
    # damaged zip structure and members
    _seg("zip-central-directory-wrecked", _wreck_directory),
    _seg("zip-member-crc-mismatch", _patch_member("qpos.npy", _flip_data, zipfile.ZIP_STORED), "qpos"),
    _seg("zip-member-deflate-garbage", _patch_member("qpos.npy", _garble_deflate, zipfile.ZIP_DEFLATED), "qpos"),
    _seg("zip-member-encrypted", _patch_member("qpos.npy", _encrypted_flag, zipfile.ZIP_DEFLATED), "qpos"),
    _seg("zip-member-unknown-compression", _patch_member("qpos.npy", _unknown_method, zipfile.ZIP_DEFLATED), "qpos"),
    _seg("zip-member-declared-size-enormous", _patch_member("object_points.npy", _enormous_size, zipfile.ZIP_DEFLATED), "object_points"),
    _seg("zip-member-duplicated", _duplicate_member, "qpos"),
    _seg("zip-member-not-npy", _npy_member(b"22 joint angles, comma separated\n"), "qpos"),
    # .npy headers that lie
    _seg("npy-header-shape-enormous", _npy_member(npy_header("<f8", (10**9, 22)) + b"\x00" * 64), "qpos"),
    _seg("npy-header-shape-lies", _npy_member(LYING_HEADER), "qpos"),
    _seg("npy-data-truncated", _npy_member(npy_bytes(np.zeros((T, 22)))[:-100]), "qpos"),
    _seg("npy-header-not-a-dict", _npy_member(b"\x93NUMPY\x01\x00" + struct.pack("<H", 16) + b"[1, 2, 3]      \n"), "qpos"),
    _seg("npy-header-negative-shape", _npy_member(npy_header("<f8", (-4, 22)) + b"\x00" * 64), "qpos"),
    _seg("npy-header-unbalanced-bracket", _unbalanced_header, "qpos"),
    _seg("npy-dtype-zero-itemsize", _zero_itemsize, "qpos"),
    # memory bombs and silent choices (SAFE-11, SAFE-12)
    _seg("file-bare-npy-enormous-header", _bare_npy_enormous),
    _seg("zip-deflate-bomb", _bomb("object_points", zipfile.ZIP_DEFLATED), "object_points"),
    # bzip2 is slow to write: just above the 32 MiB floor
    _seg("zip-bzip2-bomb", _bomb("object_points", zipfile.ZIP_BZIP2, 34 * 2**20), "object_points"),
    _seg("zip-many-members-bomb", _many_members_bomb),
    _seg("zip-many-empty-members", _many_empty_members),
    _seg("zip-member-alias", _alias_members, "qpos"),
    _seg("zip-directory-swallows-members", _directory_swallows_members),
    # things that only unpickling could read: refused, never run
    _seg("pickle-object-array-payload", _pickle_member, "qpos"),
    Case("pickle-object-array-of-str", _object_array_member, CONVERTED, "hand_sides"),
    _seg("pickle-structured-with-object", _npy_member(npy_header([("a", "|O")], (T,)) + b"\x00" * 64), "qpos"),
    # wrong dtypes
    _changed("dtype-qpos-str", "qpos", qpos=np.full((T, 22), "0.1")),
    _changed("dtype-qpos-complex", "qpos", qpos=np.zeros((T, 22), complex)),
    _changed("dtype-qpos-bool", "qpos", qpos=np.zeros((T, 22), bool)),
    _changed("dtype-points-datetime", "object_points", object_points=np.zeros((P, 3), "datetime64[s]")),
    _changed("dtype-hand-transl-structured", "hand_transl", hand_transl=np.zeros((T, 3), [("x", "<f8")])),
    _conv("dtype-hand-sides-numeric", "hand_sides", hand_sides=np.ones(N)),
    # hand_sides as bytes (dtype S) is no case here: refusing them or reading them as str is implementation-defined
    # (spec/appendix-decisions.md); test_layouts.py::test_hand_sides_stored_as_bytes_are_refused_or_read_as_text
    _conv("dtype-num-samples-str", "num_samples", num_samples=np.array("three")),
    _conv("dtype-num-samples-float", "num_samples", num_samples=np.array(float("nan"))),
    _changed("dtype-missing-fields-numeric", "missing_fields", missing_fields=np.arange(2)),
    # wrong ranks and lengths
    _changed("rank-qpos-1d", "qpos", qpos=np.zeros(22)),
    _changed("length-qpos-21-joints", "qpos", qpos=np.zeros((T, 21))),
    _changed("length-hand-transl-4", "hand_transl", hand_transl=np.zeros((T, 4))),
    _changed("rank-points-3d", "object_points", object_points=np.zeros((1, P, 3))),
    _changed("length-points-2-columns", "object_points", object_points=np.zeros((P, 2))),
    _changed("length-points-none", "object_points", object_points=np.zeros((0, 3)), object_colors=None),
    _conv("length-obj-pc-no-points", "obj_pc", obj_pc=np.zeros((N, 0, 3)), contact_labels=None),
    _changed("length-colors-disagree-with-points", "object_colors", object_colors=np.zeros((P + 1, 3))),
    _conv("rank-obj-pc-2d", "obj_pc", obj_pc=np.zeros((N, 3))),
    _conv("length-contact-labels-disagree", "contact_labels", contact_labels=np.zeros((N, P + 1))),
    _conv("rank-object-scales-2d", "object_scales", object_scales=np.ones((N, 2))),
    _conv("rank-hand-sides-2d", "hand_sides", hand_sides=np.array([["right", "left"]] * N)),
    _conv("rank-num-samples-1d", "num_samples", num_samples=np.array([N, N])),
    _frame("rank-frame-orient-4d", "object_orient", object_orient=np.eye(3)[None, None]),
    _changed("key-qpos-missing", "qpos", qpos=None),
    _changed("key-missing-fields-names-qpos", "missing_fields", missing_fields=np.array(["qpos"])),
    # a name no canonical field has (a typo): which placeholder it meant is a guess, so the file is refused
    _changed("key-missing-fields-names-unknown", "missing_fields", missing_fields=np.array(["object_colour"])),
    _conv("enum-hand-sides-not-right-or-left", "hand_sides", hand_sides=np.array(["Right"] * N)),
    # a matrix per frame in a file of several frames: no layout holds it (realdex-frame is one frame per file)
    _changed("rank-segment-orient-matrices", "object_orient", object_orient=np.tile(np.eye(3), (T, 1, 1))),
    _frame("frame-orient-not-a-rotation", "object_orient", object_orient=2 * np.eye(3)[None]),
    _frame("frame-orient-matrix-nan", "object_orient", object_orient=np.full((1, 3, 3), np.nan)),
    # arrays that disagree on the number of frames
    _changed("frames-hand-transl-disagree", "hand_transl", hand_transl=np.zeros((T + 1, 3))),
    _changed("frames-object-orient-disagree", "object_orient", object_orient=np.zeros((T - 1, 3))),
    _conv("frames-obj-pc-disagree", "obj_pc", obj_pc=np.zeros((N + 1, P, 3))),
    _conv("frames-object-scales-disagree", "object_scales", object_scales=np.ones(N + 2)),
    _conv("frames-num-samples-disagree", "num_samples", num_samples=np.array(N + 5)),
    # not regular files at all
    _seg("path-folder-named-npz", _folder_named_npz),
    _seg("path-named-pipe", _fifo),
    _seg("path-device", _device_link),
    _seg("path-dangling-symlink", _dangling_link),
    _seg("path-symlink-loop", _link_loop),
    _seg("path-unreadable", unreadable),
    _seg("path-non-ascii-name", _non_ascii_name),
    # values that read but are not believable: the data checks report them (SAFE-2)
    Case("value-qpos-nan", _non_finite(segment_arrays, "qpos", np.nan), key="qpos", finding="qpos"),
    Case("value-hand-transl-inf", _non_finite(segment_arrays, "hand_transl", np.inf), key="hand_transl", finding="hand_transl"),
    Case("value-object-points-nan", _non_finite(segment_arrays, "object_points", np.nan), key="object_points",
         finding="object_points"),
    # column 10 of hand_poses is joint 4 of qpos (chapter 2): a finding may name the field or the key
    Case("value-hand-poses-minus-inf", _non_finite(converted_arrays, "hand_poses", -np.inf, CONV, (1, 10)), CONVERTED,
         key="hand_poses", finding="qpos"),
]

# ---------------------------------------------------------------- whole roots


def _root(folder: Path) -> Path:
    root = folder / "root"
    root.mkdir()
    return root


def _segment(root: Path, rel: str = "driller/0.npz") -> Path:
    return put(root, npz_bytes(segment_arrays()), rel)


def _in_root(*parts: Callable[[Path], object]) -> Callable[[Path], Path]:
    """A root built by each part in turn (each gets the root folder)."""

    def build(folder: Path) -> Path:
        root = _root(folder)
        for part in parts:
            part(root)
        return root

    return build


def _mixed_one_folder(root: Path) -> None:
    _segment(root)
    put(root, npz_bytes(converted_arrays()), CONV)


def _folder_loop(root: Path) -> None:
    _segment(root)
    (root / "driller" / "again").symlink_to(root, target_is_directory=True)


def _file_loop(root: Path) -> None:
    a, b = root / "driller" / "1.npz", root / "driller" / "2.npz"
    a.symlink_to(b)
    b.symlink_to(a)


def _unreadable_in(root: Path) -> None:
    os.rename(unreadable(root / "tmp"), root / "driller" / "1.npz")


def _fifo_in(root: Path) -> None:
    os.mkfifo(root / "driller" / "1.npz")


def _non_utf8_name(root: Path) -> None:
    # a valid segment under a name that is not UTF-8 at all (as copied from an old archive); Python sees it
    # with surrogates. A name is never a reason to refuse (ROOT-1): the file is read and counted like any other
    raw = os.fsencode(str(root / "driller")) + b"/\xff\xfe.npz"
    with open(raw, "wb") as f:
        f.write(npz_bytes(segment_arrays()))


def unenterable(folder: Path) -> Path:
    """A folder the walk cannot list: mode 000, or, for root (whom modes do not stop), a link to a
    folder of /proc that even root may not list; the case is skipped where there is none."""
    path = folder / "sprayer"
    if os.geteuid() != 0:
        path.mkdir(parents=True)
        (path / "0.npz").write_bytes(valid_npz())
        path.chmod(0)
        return path
    for target in ("/proc/1/map_files", "/proc/1/root"):
        try:
            os.listdir(target)
        except PermissionError:
            path.symlink_to(target, target_is_directory=True)
            return path
        except OSError:
            continue
    import unittest

    raise unittest.SkipTest("no folder here that root cannot list")


def _outside(root: Path) -> Path:
    """A folder of data beside the root (outside it), reached by links."""
    return _segment(root.parent, "elsewhere/driller/0.npz").parent


def _linked_folder(root: Path) -> None:
    (root / "driller").symlink_to(_outside(root), target_is_directory=True)


def _linked_twice(root: Path) -> None:
    target = _outside(root)
    (root / "a").symlink_to(target, target_is_directory=True)
    (root / "b").symlink_to(target, target_is_directory=True)


def _pickle_in(root: Path) -> None:
    put(root, pickle_payload(root.parent), "driller/1.npz")


def _root_case(id: str, build, code: str | None = None, names: str = "", samples: int | None = None) -> Case:
    return Case(id, build, level="root", code=code, names=names, samples=samples)


ROOT_CASES: list[Case] = [
    _root_case("root-empty", _in_root(), "EMPTY_ROOT"),
    _root_case("root-missing", lambda folder: folder / "nowhere"),
    _root_case("root-is-a-file", lambda folder: put(folder, valid_npz(), "root.npz")),
    _root_case("root-only-non-npz-files", _in_root(lambda r: put(r, b"# my data", "README.md"),
                                                   lambda r: put(r, b"a,b", "driller/poses.csv")), "UNKNOWN_FILE", "README.md"),
    _root_case("root-non-npz-beside-data", _in_root(_segment, lambda r: put(r, b"\x00\x05\x16\x07", "driller/.DS_Store")),
               "UNKNOWN_FILE", "driller/.DS_Store", samples=T),
    _root_case("root-mixed-layouts-one-folder", _in_root(_mixed_one_folder), "MIXED_LAYOUTS"),
    _root_case("root-folder-symlink-loop", _in_root(_folder_loop), "FOLDER_LINK_SKIPPED", "driller/again", samples=T),
    _root_case("root-unreadable-folder", _in_root(_segment, unenterable), "UNREADABLE_FOLDER", "sprayer"),
    _root_case("root-linked-folder-is-read", _in_root(_linked_folder), samples=T),
    _root_case("root-folder-linked-twice", _in_root(_linked_twice), "FOLDER_LINK_SKIPPED", "b", samples=T),
    _root_case("root-file-symlink-loop", _in_root(_segment, _file_loop), "INVALID_FILE", "driller/1.npz"),
    _root_case("root-unreadable-file", _in_root(_segment, _unreadable_in), "INVALID_FILE", "driller/1.npz"),
    _root_case("root-named-pipe", _in_root(_segment, _fifo_in), "INVALID_FILE", "driller/1.npz"),
    _root_case("root-pickle-file", _in_root(_segment, _pickle_in), "UNSAFE_FILE", "driller/1.npz"),
    _root_case("root-non-ascii-names", _in_root(lambda r: _segment(r, "電鑽_größe/0.npz"),
                                                lambda r: put(r, b"PK\x03\x04", "Bohrmaschine_ß/0.npz")),
               "INVALID_FILE", "Bohrmaschine_ß/0.npz"),
    _root_case("root-non-utf8-name", _in_root(_segment, _non_utf8_name), samples=2 * T),
]

CASES: list[Case] = FILE_CASES + ROOT_CASES

# ---------------------------------------------------------------- hostile run logs (SAFE-14)


@dataclass(frozen=True)
class LogCase:
    id: str
    build: Callable[[Path], Path]  # writes the log under the folder given; returns its path


def _plan(num_samples: int = 100, batch_size: int = 10, passes: int = 1, ckpt_every: int | None = 5) -> dict:
    return {"num_samples": num_samples, "batch_size": batch_size, "world_size": 1, "drop_last": False,
            "grad_accum": 1, "passes": passes, "max_iterations": None, "ckpt_every": ckpt_every}


def _log_start(plan: dict, **extra) -> dict:
    return {"event": "run_start", "time": 1.0, "format": "realdex-runlog/1", "config": {},
            "dataset": {"root": "/data", "layout": FRAME, "samples": plan["num_samples"],
                        "counts": {FRAME: plan["num_samples"]}}, "plan": plan, "resume": None, **extra}


def _log_lines(lines: list[str]) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = folder / "run.jsonl"
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        return path

    return build


def _events(*events: dict) -> Callable[[Path], Path]:
    import json

    return _log_lines([json.dumps(e) for e in events])


def _deep_log(folder: Path) -> Path:
    start = '{"event": "run_start", "time": 1.0, "plan": ' + "[" * 100_000 + "]" * 100_000 + "}"
    return _log_lines([start])(folder)


def _huge_integer_log(folder: Path) -> Path:
    import json

    start = json.dumps(_log_start(_plan()))
    return _log_lines([start, '{"event": "run_end", "time": 2.0, "status": "success", "reason": "completed", '
                              '"iteration": ' + "9" * 5001 + "}"])(folder)


def _fifo_log(folder: Path) -> Path:
    path = folder / "run.jsonl"
    os.mkfifo(path)
    return path


def _device_log(folder: Path) -> Path:
    path = folder / "run.jsonl"
    path.symlink_to("/dev/zero")
    return path


_ENORMOUS = _plan(num_samples=10**15, batch_size=1, passes=1, ckpt_every=1)

LOG_CASES: list[LogCase] = [
    LogCase("log-nested-100000-deep", _deep_log),
    LogCase("log-integer-5001-digits", _huge_integer_log),
    LogCase("log-dataset-is-a-list", _events(_log_start(_plan(), dataset=[1, 2]),
                                             {"event": "run_end", "time": 2.0, "status": "success",
                                              "reason": "completed", "iteration": 10})),
    LogCase("log-fields-of-wrong-types", _events(_log_start(_plan(), resume="yes", config=[None]),
                                                 {"event": "epoch_start", "time": 1.5, "pass": "zero", "iteration": [0]},
                                                 {"event": "checkpoint", "time": 1.6, "iteration": {"a": 1}},
                                                 {"event": "epoch_end", "time": 1.7, "pass": None, "samples_seen": "all"},
                                                 {"event": "run_end", "time": 2.0, "status": 1, "reason": ["completed"],
                                                  "iteration": "10"})),
    LogCase("log-plan-values-of-wrong-types", _events(_log_start({**_plan(), "batch_size": "ten", "passes": [1]}))),
    LogCase("log-negative-iteration", _events(_log_start(_plan()), {"event": "run_end", "time": 2.0, "status": "success",
                                                                    "reason": "completed", "iteration": -10})),
    LogCase("log-plan-10e15-iterations-checkpoint-every-one", _events(
        _log_start(_ENORMOUS), {"event": "run_end", "time": 2.0, "status": "success", "reason": "completed",
                                "iteration": 10**15})),
    LogCase("log-named-pipe", _fifo_log),
    LogCase("log-device", _device_log),
]

# ---------------------------------------------------------------- byte mutations (the fuzz test, scripts/fuzz.py)

MUTATIONS = ("flip", "overwrite", "truncate", "duplicate", "zero", "max-int", "random-int")


def valid_files() -> dict[str, bytes]:
    """One valid file of every layout, by layout: what the mutations start from."""
    return {SEGMENT: npz_bytes(segment_arrays()), FRAME: npz_bytes(frame_arrays()),
            CONVERTED: npz_bytes(converted_arrays()), f"{SEGMENT}-stored": npz_bytes(segment_arrays(), zipfile.ZIP_STORED)}


def mutate(data: bytes, ops: list[tuple[str, int, int]]) -> bytes:
    """``data`` with each ``(mutation, position, value)`` applied in turn; positions wrap around the data.

    ``max-int`` and ``random-int`` write a 2- or 4-byte little-endian integer (sizes, offsets, counts
    of the zip and .npy headers are such integers), the others act on bytes.
    """
    out = bytearray(data)
    for op, position, value in ops:
        if not out:
            break
        i = position % len(out)
        if op == "flip":
            out[i] ^= 1 << (value % 8)
        elif op == "overwrite":
            n = 1 + value % 16
            out[i:i + n] = bytes((value * 31 + k * 17) % 256 for k in range(n))
        elif op == "truncate":
            del out[i:]
        elif op == "duplicate":
            n = 1 + value % 64
            out[i:i] = out[i:i + n]
        elif op == "zero":
            out[i:i + 1 + value % 32] = bytes(len(out[i:i + 1 + value % 32]))
        elif op == "max-int":
            width = 2 if value % 2 else 4
            out[i:i + width] = b"\xff" * width
        elif op == "random-int":
            width = 2 if value % 2 else 4
            out[i:i + width] = (value % 256 ** width).to_bytes(width, "little")
    return bytes(out)
