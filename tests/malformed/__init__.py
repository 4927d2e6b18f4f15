"""The corpus of malformed inputs (spec chapter 13), made by code at test time.

Each ``Case`` writes one hostile input under a fresh folder and says what a reader must answer:
the error class, the key it names (``None``: the file as a whole) and words of its message that
say what was expected. Cases with ``finding`` set are not read errors: the file reads, and the
data checks must report it (SAFE-2). Only numpy and the standard library are used, so the
corpus does not lean on the writer it is meant to test.

    <tmp>/
      <object>/0.npz        file-level cases: the file the reader is handed
      root/...              root-level cases: a whole data root
"""
from __future__ import annotations

import gzip
import io
import os
import pickle
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

T, P, N = 4, 16, 3  # frames of a segment, points of a cloud, samples of a converted file


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[Path], Path]  # writes the case under the folder given; returns what is read
    error: str | None  # name of the realdex_ref.errors class the reader raises; None for a finding
    key: str | None = None  # the key the error (or finding) must name; None: the file as a whole
    expected: str = "expected"  # words the message must hold, saying what was expected
    finding: str | None = None  # for data that reads but is wrong: the field the finding names
    level: str = "file"  # "file": read one file; "root": read a data root
    # root cases: the inventory's problem code, the path (relative to the root; "" the root) that
    # the problem and the error name, and the samples read_root gives when it reads
    code: str | None = None
    names: str = ""
    samples: int | None = None


# ---------------------------------------------------------------- valid material


def segment_arrays(rng: np.random.Generator | None = None) -> dict[str, np.ndarray]:
    """A valid ``realdex-segment`` file of T frames."""
    rng = rng or np.random.default_rng(0)
    return {
        "qpos": rng.uniform(0.0, 0.2, (T, 22)),
        "hand_transl": rng.normal([0.96, 0.02, 1.02], 0.01, (T, 3)),
        "hand_orient": rng.normal(0.0, 0.3, (T, 3)),
        "object_transl": rng.normal([1.0, 0.0, 0.9], 0.01, (T, 3)),
        "object_orient": rng.normal(0.0, 0.3, (T, 3)),
        "object_points": rng.normal([1.0, 0.0, 0.9], 0.05, (P, 3)),
        "object_colors": rng.uniform(0.0, 1.0, (P, 3)),
    }


def frame_arrays() -> dict[str, np.ndarray]:
    """A valid ``realdex-frame`` file: one frame, ``object_orient`` as a (1, 3, 3) matrix."""
    a = {k: v[:1] for k, v in segment_arrays().items() if k not in ("object_points", "object_colors")}
    a["object_orient"] = np.eye(3)[None]
    a["object_points"] = segment_arrays()["object_points"]
    return a


def converted_arrays() -> dict[str, np.ndarray]:
    """A valid ``converted`` file of N samples with every optional key."""
    rng = np.random.default_rng(1)
    return {
        "hand_poses": np.concatenate([rng.normal([0.96, 0.02, 1.02], 0.01, (N, 3)), rng.normal(0, 0.3, (N, 3)), rng.uniform(0, 0.2, (N, 22))], axis=1),
        "obj_pc": rng.normal(0.0, 0.05, (N, P, 3)),
        "contact_labels": rng.uniform(0.0, 1.0, (N, P)),
        "object_scales": np.ones(N),
        "hand_sides": np.array(["right"] * N),
        "num_samples": np.array(N),
    }


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
    import warnings

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
    arrays = converted_arrays()
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.array([MarkerPayload(str(marker_path(folder)))] * N, dtype=object), allow_pickle=True)
    return put(folder, npz_bytes(arrays, hand_sides=buf.getvalue()), "driller/converted_data.npz")


# ---------------------------------------------------------------- damaged containers


def _valid_npz(compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    return npz_bytes(segment_arrays(), compression)


def _truncated(fraction: float) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        data = _valid_npz()
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
        data = bytearray(_valid_npz(compression))
        header, body = _member_offsets(bytes(data), name)
        patch(data, header, body)
        return put(folder, bytes(data))

    return build


def _flip_data(data: bytearray, header: int, body: int) -> None:
    for i in range(body + 200, body + 216):
        data[i] ^= 0xFF


def _garble_deflate(data: bytearray, header: int, body: int) -> None:
    data[body : body + 40] = b"\xff" * 40


def _encrypted_flag(data: bytearray, header: int, body: int) -> None:
    # set "encrypted" in the local header and in the central directory entry
    data[header + 6] |= 0x01
    (flags,) = struct.unpack("<H", data[header + 6 : header + 8])
    _set_cd_field(data, header, 8, "<H", flags)


def _set_cd_field(data: bytearray, header: int, at: int, fmt: str, value: int) -> None:
    i = bytes(data).find(b"PK\x01\x02")
    while i != -1:
        (offset,) = struct.unpack("<I", data[i + 42 : i + 46])
        if offset == header:
            data[i + at : i + at + struct.calcsize(fmt)] = struct.pack(fmt, value)
        i = bytes(data).find(b"PK\x01\x02", i + 4)


def _unknown_method(data: bytearray, header: int, body: int) -> None:
    data[header + 8 : header + 10] = struct.pack("<H", 99)
    _set_cd_field(data, header, 10, "<H", 99)


def _enormous_size(data: bytearray, header: int, body: int) -> None:
    # a decompression bomb as it announces itself: 4 GB declared, a few bytes stored
    data[header + 22 : header + 26] = struct.pack("<I", 0xFFFFFF00)
    _set_cd_field(data, header, 24, "<I", 0xFFFFFF00)


def _wreck_directory(folder: Path) -> Path:
    data = bytearray(_valid_npz())
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


def _unreadable(folder: Path) -> Path:
    """A file the reader cannot read: mode 000, or, for root (whom modes do not stop), a link to
    /proc/self/mem, whose first page is unmapped and answers every read with an I/O error."""
    path = folder / "driller" / "0.npz"
    path.parent.mkdir(parents=True)
    if os.geteuid() != 0:
        path.write_bytes(_valid_npz())
        path.chmod(0)
    else:
        path.symlink_to("/proc/self/mem")
    return path


def _non_ascii_name(folder: Path) -> Path:
    return put(folder, _valid_npz()[:100], "Bohrmaschine_größe_电钻/0.npz")


def _text(data: bytes) -> Callable[[Path], Path]:
    return lambda folder: put(folder, data)


def _npy_file(folder: Path) -> Path:
    return put(folder, npy_bytes(np.zeros((T, 22))))


def _gzip_file(folder: Path) -> Path:
    return put(folder, gzip.compress(_valid_npz()))


def _non_finite(base: Callable[[], dict], key: str, value: float, rel: str = "driller/0.npz", where=(0, 0)):
    def change(arrays: dict) -> np.ndarray:
        a = arrays[key].copy()
        a[where] = value
        return a

    return with_arrays(base, rel, **{key: change})


def _frame_rel() -> str:
    return "driller_7/0.npz"


CONV = "driller/converted_data.npz"

# ---------------------------------------------------------------- the corpus

CASES: list[Case] = [
    # containers that are not what they claim
    Case("file-empty", _text(b""), "DataError", expected="expected an .npz"),
    Case("file-truncated-half", _truncated(0.5), "DataError", expected="expected"),
    Case("file-truncated-to-header", _truncated(0.01), "DataError", expected="expected"),
    Case("file-text", _text(b"qpos,hand_transl\n0.1,0.2\n"), "UnsafeFileError", expected="expected an .npz"),
    Case("file-npy-not-npz", _npy_file, "DataError", expected="expected an .npz archive of named arrays"),
    Case("file-gzip", _gzip_file, "UnsafeFileError", expected="expected an .npz"),
    Case("file-hdf5-signature", _text(b"\x89HDF\r\n\x1a\n" + b"\x00" * 100), "UnsafeFileError", expected="expected an .npz"),
    Case("file-pickle-payload", _pickle_file, "UnsafeFileError", expected="expected an .npz"),
    Case("file-zip-empty", _text(zip_bytes([])), "LayoutError", expected="keys found: none"),
    # damaged zip structure and members
    Case("zip-central-directory-wrecked", _wreck_directory, "DataError", expected="expected an .npz"),
    Case("zip-member-crc-mismatch", _patch_member("qpos.npy", _flip_data, zipfile.ZIP_STORED), "DataError", "qpos", "cannot be decompressed"),
    Case("zip-member-deflate-garbage", _patch_member("qpos.npy", _garble_deflate, zipfile.ZIP_DEFLATED), "DataError", "qpos", "cannot be decompressed"),
    Case("zip-member-encrypted", _patch_member("qpos.npy", _encrypted_flag, zipfile.ZIP_DEFLATED), "DataError", "qpos", "cannot be decompressed"),
    Case("zip-member-unknown-compression", _patch_member("qpos.npy", _unknown_method, zipfile.ZIP_DEFLATED), "DataError", "qpos", "cannot be decompressed"),
    Case("zip-member-declared-size-enormous", _patch_member("object_points.npy", _enormous_size, zipfile.ZIP_DEFLATED), "DataError", "object_points", "refusing to inflate"),
    Case("zip-member-duplicated", _duplicate_member, "DataError", "qpos", "expected one member named qpos.npy"),
    Case("zip-member-not-npy", _npy_member(b"22 joint angles, comma separated\n"), "DataError", "qpos", "expected a .npy array"),
    # .npy headers that lie
    Case("npy-header-shape-enormous", _npy_member(npy_header("<f8", (10**9, 22)) + b"\x00" * 64), "DataError", "qpos", "declares shape"),
    Case("npy-data-truncated", _npy_member(npy_bytes(np.zeros((T, 22)))[:-100]), "DataError", "qpos", "declares shape"),
    Case("npy-header-not-a-dict", _npy_member(b"\x93NUMPY\x01\x00" + struct.pack("<H", 16) + b"[1, 2, 3]      \n"), "DataError", "qpos", "expected a valid .npy array"),
    Case("npy-header-negative-shape", _npy_member(npy_header("<f8", (-4, 22)) + b"\x00" * 64), "DataError", "qpos", "declares shape"),
    # things that only unpickling could read: refused, never run
    Case("pickle-object-array-payload", _pickle_member, "UnsafeFileError", "qpos", "object array"),
    Case("pickle-object-array-of-str", _object_array_member, "UnsafeFileError", "hand_sides", "object array"),
    Case("pickle-structured-with-object", _npy_member(npy_header([("a", "|O")], (T,)) + b"\x00" * 64), "UnsafeFileError", "qpos", "object array"),
    # wrong dtypes
    Case("dtype-qpos-str", with_arrays(segment_arrays, qpos=np.full((T, 22), "0.1")), "DataError", "qpos", "expected a real numeric array"),
    Case("dtype-qpos-complex", with_arrays(segment_arrays, qpos=np.zeros((T, 22), complex)), "DataError", "qpos", "expected a real numeric array"),
    Case("dtype-qpos-bool", with_arrays(segment_arrays, qpos=np.zeros((T, 22), bool)), "DataError", "qpos", "expected a real numeric array"),
    Case("dtype-points-datetime", with_arrays(segment_arrays, object_points=np.zeros((P, 3), "datetime64[s]")), "DataError", "object_points", "expected a real numeric array"),
    Case("dtype-hand-transl-structured", with_arrays(segment_arrays, hand_transl=np.zeros((T, 3), [("x", "<f8")])), "DataError", "hand_transl", "expected a real numeric array"),
    Case("dtype-hand-sides-numeric", with_arrays(converted_arrays, CONV, hand_sides=np.ones(N)), "DataError", "hand_sides", "expected strings"),
    Case("dtype-hand-sides-bytes", with_arrays(converted_arrays, CONV, hand_sides=np.array([b"right"] * N)), "DataError", "hand_sides", "expected strings"),
    Case("dtype-num-samples-str", with_arrays(converted_arrays, CONV, num_samples=np.array("three")), "DataError", "num_samples", "expected an integer"),
    Case("dtype-num-samples-float", with_arrays(converted_arrays, CONV, num_samples=np.array(float("nan"))), "DataError", "num_samples", "expected an integer"),
    Case("dtype-missing-fields-numeric", with_arrays(segment_arrays, missing_fields=np.arange(2)), "DataError", "missing_fields", "expected a 1-D array of field names"),
    # wrong ranks and lengths
    Case("rank-qpos-1d", with_arrays(segment_arrays, qpos=np.zeros(22)), "LayoutError", "qpos", "expected"),
    Case("length-qpos-21-joints", with_arrays(segment_arrays, qpos=np.zeros((T, 21))), "LayoutError", "qpos", "expected"),
    Case("length-hand-transl-4", with_arrays(segment_arrays, hand_transl=np.zeros((T, 4))), "LayoutError", "hand_transl", "expected"),
    Case("rank-points-3d", with_arrays(segment_arrays, object_points=np.zeros((1, P, 3))), "LayoutError", "object_points", "expected"),
    Case("length-points-2-columns", with_arrays(segment_arrays, object_points=np.zeros((P, 2))), "LayoutError", "object_points", "expected"),
    Case("length-points-none", with_arrays(segment_arrays, object_points=np.zeros((0, 3)), object_colors=None), "DataError", "object_points", "expected at least 1 object point"),
    Case("length-obj-pc-no-points", with_arrays(converted_arrays, CONV, obj_pc=np.zeros((N, 0, 3)), contact_labels=None), "DataError", "obj_pc", "expected at least 1 object point"),
    Case("length-colors-disagree-with-points", with_arrays(segment_arrays, object_colors=np.zeros((P + 1, 3))), "DataError", "object_colors", "expected one colour per object point"),
    Case("rank-obj-pc-2d", with_arrays(converted_arrays, CONV, obj_pc=np.zeros((N, 3))), "LayoutError", "obj_pc", "expected"),
    Case("length-contact-labels-disagree", with_arrays(converted_arrays, CONV, contact_labels=np.zeros((N, P + 1))), "DataError", "contact_labels", "expected one label per object point"),
    Case("rank-object-scales-2d", with_arrays(converted_arrays, CONV, object_scales=np.ones((N, 2))), "DataError", "object_scales", "expected shape"),
    Case("rank-hand-sides-2d", with_arrays(converted_arrays, CONV, hand_sides=np.array([["right", "left"]] * N)), "DataError", "hand_sides", "expected shape"),
    Case("rank-num-samples-1d", with_arrays(converted_arrays, CONV, num_samples=np.array([N, N])), "DataError", "num_samples", "expected shape"),
    Case("rank-frame-orient-4d", with_arrays(frame_arrays, _frame_rel(), object_orient=np.eye(3)[None, None]), "LayoutError", "object_orient", "expected"),
    Case("key-qpos-missing", with_arrays(segment_arrays, qpos=None), "LayoutError", "qpos", "missing keys: qpos"),
    Case("key-missing-fields-names-qpos", with_arrays(segment_arrays, missing_fields=np.array(["qpos"])), "DataError", "missing_fields", "expected names of optional fields"),
    Case("frame-orient-not-a-rotation", with_arrays(frame_arrays, _frame_rel(), object_orient=2 * np.eye(3)[None]), "DataError", "object_orient", "expected (1, 3, 3) rotation matrices"),
    Case("frame-orient-matrix-nan", with_arrays(frame_arrays, _frame_rel(), object_orient=np.full((1, 3, 3), np.nan)), "DataError", "object_orient", "expected (1, 3, 3) rotation matrices"),
    # arrays that disagree on the number of frames
    Case("frames-hand-transl-disagree", with_arrays(segment_arrays, hand_transl=np.zeros((T + 1, 3))), "DataError", "hand_transl", f"expected {T} frames"),
    Case("frames-object-orient-disagree", with_arrays(segment_arrays, object_orient=np.zeros((T - 1, 3))), "DataError", "object_orient", f"expected {T} frames"),
    Case("frames-obj-pc-disagree", with_arrays(converted_arrays, CONV, obj_pc=np.zeros((N + 1, P, 3))), "DataError", "obj_pc", f"expected {N} samples"),
    Case("frames-object-scales-disagree", with_arrays(converted_arrays, CONV, object_scales=np.ones(N + 2)), "DataError", "object_scales", f"expected {N} samples"),
    Case("frames-num-samples-disagree", with_arrays(converted_arrays, CONV, num_samples=np.array(N + 5)), "DataError", "num_samples", f"expected {N}"),
    # not files at all
    Case("path-folder-named-npz", _folder_named_npz, "DataError", expected="expected an .npz file, found a folder"),
    Case("path-named-pipe", _fifo, "DataError", expected="expected an .npz file, found a named pipe"),
    Case("path-device", _device_link, "DataError", expected="expected an .npz file, found a character device"),
    Case("path-dangling-symlink", _dangling_link, "DataError", expected="no such file"),
    Case("path-symlink-loop", _link_loop, "DataError", expected="expected a readable .npz file"),
    Case("path-unreadable", _unreadable, "DataError", expected="cannot"),
    Case("path-non-ascii-name", _non_ascii_name, "DataError", expected="expected"),
    # values that read but are wrong: the data checks report them (SAFE-2)
    Case("value-qpos-nan", _non_finite(segment_arrays, "qpos", np.nan), None, finding="qpos"),
    Case("value-hand-transl-inf", _non_finite(segment_arrays, "hand_transl", np.inf), None, finding="hand_transl"),
    Case("value-object-points-nan", _non_finite(segment_arrays, "object_points", np.nan), None, finding="object_points"),
    Case("value-hand-poses-minus-inf", _non_finite(converted_arrays, "hand_poses", -np.inf, CONV, (1, 10)), None, finding="qpos"),
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
    put(root, npz_bytes(converted_arrays()), "driller/converted_data.npz")


def _folder_loop(root: Path) -> None:
    _segment(root)
    (root / "driller" / "again").symlink_to(root, target_is_directory=True)


def _file_loop(root: Path) -> None:
    a, b = root / "driller" / "1.npz", root / "driller" / "2.npz"
    a.symlink_to(b)
    b.symlink_to(a)


def _unreadable_in(root: Path) -> None:
    target = _unreadable(root / "tmp")
    os.rename(target, root / "driller" / "1.npz")


def _fifo_in(root: Path) -> None:
    os.mkfifo(root / "driller" / "1.npz")


def _non_utf8_name(root: Path) -> None:
    # a name that is not UTF-8 at all (as copied from an old archive); Python sees it with surrogates
    raw = os.fsencode(str(root / "driller")) + b"/\xff\xfe.npz"
    with open(raw, "wb") as f:
        f.write(b"not an archive")


def _pickle_in(root: Path) -> None:
    put(root, pickle_payload(root.parent), "driller/1.npz")


ROOT_CASES: list[Case] = [
    Case("root-empty", _in_root(), "DataError", expected="holds no file of any RealDex layout", level="root", code="EMPTY_ROOT"),
    Case("root-missing", lambda folder: folder / "nowhere", "DataError", expected="expected a folder", level="root"),
    Case("root-is-a-file", lambda folder: put(folder, _valid_npz(), "root.npz"), "DataError", expected="expected a folder", level="root"),
    Case("root-only-non-npz-files", _in_root(lambda r: put(r, b"# my data", "README.md"), lambda r: put(r, b"a,b", "driller/poses.csv")),
         "DataError", expected="holds no file of any RealDex layout", level="root", code="UNKNOWN_FILE", names="README.md"),
    Case("root-non-npz-beside-data", _in_root(_segment, lambda r: put(r, b"\x00\x05\x16\x07", "driller/.DS_Store")),
         "RootWarning", expected="not data", level="root", code="UNKNOWN_FILE", names="driller/.DS_Store", samples=T),
    Case("root-mixed-layouts-one-folder", _in_root(_mixed_one_folder), "LayoutError", expected="choose with layout=",
         level="root", code="MIXED_LAYOUTS"),
    Case("root-folder-symlink-loop", _in_root(_folder_loop), None, level="root", samples=T),
    Case("root-file-symlink-loop", _in_root(_segment, _file_loop), "DataError", expected="expected a readable .npz file",
         level="root", code="INVALID_FILE", names="driller/1.npz"),
    Case("root-unreadable-file", _in_root(_segment, _unreadable_in), "DataError", expected="cannot", level="root",
         code="INVALID_FILE", names="driller/1.npz"),
    Case("root-named-pipe", _in_root(_segment, _fifo_in), "DataError", expected="found a named pipe", level="root",
         code="INVALID_FILE", names="driller/1.npz"),
    Case("root-pickle-file", _in_root(_segment, _pickle_in), "DataError", expected="never loaded", level="root",
         code="UNSAFE_FILE", names="driller/1.npz"),
    Case("root-non-ascii-names", _in_root(lambda r: _segment(r, "電鑽_größe/0.npz"), lambda r: put(r, b"PK\x03\x04", "Bohrmaschine_ß/0.npz")),
         "DataError", expected="expected", level="root", code="INVALID_FILE", names="Bohrmaschine_ß/0.npz"),
    Case("root-non-utf8-name", _in_root(_segment, _non_utf8_name), "DataError", expected="expected", level="root",
         code="UNSAFE_FILE", names=os.fsdecode(b"driller/\xff\xfe.npz")),
]
CASES += ROOT_CASES
