"""Spec chapter 2, the on-disk layouts (LAYOUT-n): detection, reading each layout, refusals, safe loading, writing."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import realdex_spec
from realdex_conformance import assertions as ah
from realdex_conformance import ownership, rawfiles, strategies, synth
from realdex_conformance.plugin import require

LAYOUTS = rawfiles.LAYOUTS
FIELDS = [f["name"] for f in realdex_spec.schema()["fields"]]


def segment(frames: int = 4, points: int = 6, seed: int = 3) -> list[dict[str, Any]]:
    """A generated segment holding every field, small enough for any test."""
    return synth.make_segment("driller", frames, points, np.random.default_rng(seed), contacts=True)


def as_held(samples: list[dict[str, Any]], layout: str) -> list[dict[str, Any]]:
    holds = set(rawfiles.HOLDS[layout])
    return [{k: (s.get(k) if k in holds else None) for k in FIELDS} for s in samples]


def read(adapter: Any, path: Path) -> list[dict[str, Any]]:
    got = adapter.read_file(path)
    assert isinstance(got, list), f"read_file({path}): expected a list of samples, found {type(got).__name__}"
    return got


def refused(call, context: str) -> BaseException:
    """The error ``call()`` raises; fails the test when it returns instead."""
    try:
        value = call()
    except Exception as exc:  # any error type: what matters is that it refuses, and what it says
        return exc
    pytest.fail(f"{context}: expected the file to be refused with an error, found it accepted (returned {type(value).__name__})")


# ---------------------------------------------------------------- LAYOUT-1, LAYOUT-2: detection


MISLEADING = [
    # (layout written, path that looks like another layout)
    ("realdex-segment", "driller_0/converted_data.npz"),
    ("realdex-segment", "driller_3/7.npz"),
    ("converted", "driller/0.npz"),
    ("converted", "driller_0/12.npz"),
    ("realdex-frame", "driller/converted_data_fixed.npz"),
]


@pytest.mark.clause("LAYOUT-1")
@pytest.mark.parametrize("layout, name", MISLEADING, ids=[f"{lay}-at-{name}" for lay, name in MISLEADING])
def test_layout_is_detected_from_content_not_name(adapter, tmp_path, layout, name):
    require(adapter, f"read:{layout}")
    samples = segment(frames=1 if layout == "realdex-frame" else 4)
    (arrays,) = rawfiles.to_arrays(samples, layout)[:1]
    path = rawfiles.save(tmp_path / name, arrays)
    found = adapter.detect_layout(path)
    assert found == layout, f"detect_layout({name}) of a {layout} file: expected {layout!r}, found {found!r}"
    ah.assert_same_samples(as_held(samples, layout), read(adapter, path), FIELDS, f"{layout} file at {name}")


NO_LAYOUT = [
    # (id, layout it comes closest to, key removed, key added)
    ("segment-with-joint_angles-for-qpos", "realdex-segment", "qpos", "joint_angles"),
    ("segment-without-object_points", "realdex-segment", "object_points", "cloud"),
    ("converted-with-object_pc-for-obj_pc", "converted", "obj_pc", "object_pc"),
]


@pytest.mark.clause("LAYOUT-2")
@pytest.mark.parametrize("member", ["detect_layout", "read_file"])
@pytest.mark.parametrize("case_id, closest, removed, added", NO_LAYOUT, ids=[c[0] for c in NO_LAYOUT])
def test_file_of_no_layout_is_refused_naming_keys_and_closest_layout(adapter, tmp_path, member, case_id, closest, removed, added):
    require(adapter, f"read:{closest}")
    arrays = rawfiles.to_arrays(segment(), closest)[0]
    arrays[added] = arrays.pop(removed)
    path = rawfiles.save(tmp_path / "data" / "0.npz", arrays)
    error = refused(lambda: getattr(adapter, member)(path), f"{member} on a {closest} file with {removed!r} renamed {added!r}")
    ah.assert_error_names(error, [path.name, removed, added, closest], f"{member} on a file of no layout ({case_id})")


# ---------------------------------------------------------------- LAYOUT-3..6: reading


@pytest.mark.clause("LAYOUT-3")
@given(data=st.data())
def test_segment_of_t_frames_reads_as_t_samples_sharing_its_cloud(adapter, data):
    require(adapter, "read:realdex-segment")
    samples = data.draw(strategies.segments_for("realdex-segment", frames=(2, 6)), label="segment")
    with tempfile.TemporaryDirectory() as tmp:
        (path,) = rawfiles.write_raw(samples, tmp, "realdex-segment")
        got = read(adapter, path)
    ah.assert_same_samples(samples, got, FIELDS, f"realdex-segment file of {len(samples)} frames")


@pytest.mark.clause("LAYOUT-3", "LAYOUT-6")
def test_realistic_segment_reads_frame_by_frame(adapter, tmp_path):
    require(adapter, "read:realdex-segment")
    info = synth.write_root(tmp_path, "realdex-segment", objects=("driller",), segments_per_object=1, frames_per_segment=(120, 120))
    (entry,) = info["files"]
    expected = next(synth.root_segments(("driller",), 1, (120, 120)))[2]
    got = read(adapter, Path(entry["path"]))
    assert len(got) == 120, f"{entry['path']}: a segment of 120 frames and one 7000-point cloud: expected 120 samples, found {len(got)}"
    ah.assert_same_samples(as_held(expected, "realdex-segment"), got, FIELDS, "realistic realdex-segment file (120 frames, 7000 points)")


ENCODINGS = ["axis-angle", "matrix"]


@pytest.mark.clause("LAYOUT-4")
@pytest.mark.parametrize("encoding", ENCODINGS, ids=["object_orient-1x3", "object_orient-1x3x3"])
@given(data=st.data())
def test_frame_file_reads_as_one_sample_in_either_orientation_encoding(adapter, encoding, data):
    require(adapter, "read:realdex-frame")
    samples = data.draw(strategies.segments_for("realdex-frame", frames=(1, 1)), label="frame")
    with tempfile.TemporaryDirectory() as tmp:
        (path,) = rawfiles.write_raw(samples, tmp, "realdex-frame", orient_encoding=encoding)
        got = read(adapter, path)
    ah.assert_same_samples(samples, got, FIELDS, f"realdex-frame file with object_orient as {encoding}")


@pytest.mark.clause("LAYOUT-4")
def test_user_frame_files_with_matrices_read_as_one_sample_each(adapter, tmp_path):
    require(adapter, "read:realdex-frame")
    synth.write_user_root(tmp_path, frames=14, converted=0)
    paths = sorted(tmp_path.glob("*/*.npz"))
    assert len(paths) == 14, f"the kit wrote {len(paths)} per-frame files, expected 14"
    for path in paths:
        raw = rawfiles.load(path)
        got = read(adapter, path)
        assert len(got) == 1, f"{path}: a per-frame file: expected 1 sample, found {len(got)}"
        ah.assert_same_samples(rawfiles.read_raw(path), got, FIELDS, f"per-frame file {path} with object_orient of shape {raw['object_orient'].shape}")


@pytest.mark.clause("LAYOUT-5")
@given(data=st.data())
def test_converted_file_of_n_samples_splits_hand_poses(adapter, data):
    require(adapter, "read:converted")
    samples = data.draw(strategies.segments_for("converted", frames=(1, 5)), label="converted samples")
    with tempfile.TemporaryDirectory() as tmp:
        (path,) = rawfiles.write_raw(samples, tmp, "converted")
        got = read(adapter, path)
    context = f"converted file of {len(samples)} samples (hand_poses = [translation 3, axis-angle 3, qpos 22])"
    ah.assert_same_samples(samples, got, FIELDS, context)
    for i, s in enumerate(got):
        ah.assert_absent(s, ["object_transl", "object_orient", "object_colors"], f"{context}, sample {i}")


@pytest.mark.clause("LAYOUT-6")
@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUTS)
def test_samples_are_counted_by_frames_not_files(adapter, tmp_path, layout):
    require(adapter, f"read:{layout}")
    info = synth.write_root(tmp_path, layout, segments_per_object=2, frames_per_segment=(3, 9), points=16)
    counted = sum(len(read(adapter, Path(f["path"]))) for f in info["files"])
    assert counted == info["num_frames"], (
        f"{layout} root of {info['num_files']} files holding {info['num_frames']} frames: "
        f"expected {info['num_frames']} samples, found {counted}"
    )


# ---------------------------------------------------------------- LAYOUT-7, LAYOUT-8: refusals


def _broken(layout: str, key: str, change) -> tuple[str, dict[str, np.ndarray]]:
    arrays = rawfiles.to_arrays(segment(frames=4, points=6), layout)[0]
    arrays[key] = change(arrays[key])
    return layout, arrays


MISSHAPEN = [
    # (id, layout, key, change, words the error must hold besides the file name and the key)
    ("hand_transl-3-frames-of-4", "realdex-segment", "hand_transl", lambda a: a[:3], ("3", "4")),
    ("object_transl-5-frames-of-4", "realdex-segment", "object_transl", lambda a: np.vstack([a, a[:1]]), ("5", "4")),
    ("qpos-21-joints", "realdex-segment", "qpos", lambda a: a[:, :21], ("21", "22")),
    ("qpos-rank-1", "realdex-segment", "qpos", lambda a: a.ravel(), ("88",)),
    ("qpos-strings", "realdex-segment", "qpos", lambda a: a.astype("U8"), ("<U8",)),
    ("object_points-rank-3", "realdex-segment", "object_points", lambda a: a[None], ("1, 6, 3",)),
    ("obj_pc-5-samples-of-4", "converted", "obj_pc", lambda a: np.concatenate([a, a[:1]]), ("5", "4")),
    ("contact_labels-7-points-of-6", "converted", "contact_labels", lambda a: np.hstack([a, a[:, :1]]), ("7", "6")),
    ("hand_poses-27-columns", "converted", "hand_poses", lambda a: a[:, :27], ("27", "28")),
]


@pytest.mark.clause("LAYOUT-7")
@pytest.mark.parametrize("case_id, layout, key, change, words", MISSHAPEN, ids=[c[0] for c in MISSHAPEN])
def test_misshapen_file_is_refused_naming_file_key_and_shapes(adapter, tmp_path, case_id, layout, key, change, words):
    require(adapter, f"read:{layout}")
    _, arrays = _broken(layout, key, change)
    path = rawfiles.save(tmp_path / "driller" / "0.npz", arrays)
    error = refused(lambda: adapter.read_file(path), f"read_file on a {layout} file with {case_id}")
    ah.assert_error_names(error, [path.name, key, *words], f"read_file on a {layout} file with {case_id}")


class _Trap:
    """Unpickling this object creates a folder: proof that a reader unpickled."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


@pytest.mark.clause("LAYOUT-8")
@pytest.mark.parametrize("layout, key", [("realdex-segment", "qpos"), ("converted", "hand_sides"), ("realdex-frame", "object_orient")],
                         ids=["segment-qpos", "converted-hand_sides", "frame-object_orient"])
def test_object_array_is_refused_without_unpickling(adapter, tmp_path, layout, key):
    require(adapter, f"read:{layout}")
    marker = tmp_path / "unpickled"
    arrays = rawfiles.to_arrays(segment(frames=1 if layout == "realdex-frame" else 4), layout)[0]
    trap = np.empty(arrays[key].shape[:1] if key in arrays else (4,), dtype=object)
    trap[:] = [_Trap(str(marker)) for _ in range(trap.shape[0])]
    arrays[key] = trap
    path = tmp_path / "driller" / "0.npz"
    path.parent.mkdir()
    np.savez(path, **arrays)  # numpy pickles the object array: the file a hostile party would send
    error = refused(lambda: adapter.read_file(path), f"read_file on a {layout} file whose {key!r} is an object array")
    assert not marker.exists(), f"read_file on {path}: expected no unpickling, found that the object array was unpickled"
    ah.assert_error_names(error, [path.name, key], f"read_file on a {layout} file whose {key!r} is an object array")


# ---------------------------------------------------------------- LAYOUT-9, LAYOUT-10: writing, missing fields


@pytest.mark.clause("LAYOUT-9")
@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUTS)
def test_writer_keeps_float64_or_float32_precision(adapter, tmp_path, layout):
    require(adapter, f"write:{layout}")
    samples = as_held(segment(), layout)
    result = adapter.write_samples(samples, tmp_path / "out", layout)
    assert isinstance(result, dict) and isinstance(result.get("files"), list), (
        f"write_samples({layout}): expected a dict {{'files': [paths], 'dropped': [names]}}, found {type(result).__name__}"
    )
    files = result["files"]
    assert files, f"write_samples({layout}): expected the files it wrote, found none"
    for path in files:
        for key, array in rawfiles.load(path).items():
            if array.dtype.kind == "f":
                assert array.dtype in (np.float64, np.float32), (
                    f"{path} [{key}]: expected float64 or float32, found {array.dtype} (precision lost)"
                )
            else:
                assert array.dtype.kind in "iuU", f"{path} [{key}]: expected numbers or strings, found dtype {array.dtype}"


@pytest.mark.clause("LAYOUT-10")
@pytest.mark.parametrize(
    "layout, absent",
    [("realdex-segment", ("object_transl", "object_orient")), ("realdex-frame", ("object_transl", "object_orient")),
     ("converted", ("contact_labels",))],
    ids=["segment-object-pose", "frame-object-pose", "converted-contact_labels"],
)
def test_fields_named_in_missing_fields_are_read_absent(adapter, tmp_path, layout, absent):
    require(adapter, f"read:{layout}")
    samples = as_held(segment(frames=1 if layout == "realdex-frame" else 3), layout)
    arrays = rawfiles.to_arrays(samples, layout)[0]
    for field in absent:
        key = field
        arrays[key] = np.full_like(arrays[key], np.nan)
    arrays[rawfiles.MISSING_KEY] = np.array(sorted(absent), dtype=str)
    path = rawfiles.save(tmp_path / "driller" / "0.npz", arrays)
    expected = [{**s, **{f: None for f in absent}} for s in samples]
    got = read(adapter, path)
    ah.assert_same_samples(expected, got, FIELDS, f"{layout} file whose missing_fields names {', '.join(absent)}")


@pytest.mark.clause("LAYOUT-11")
def test_one_frame_rotation_vector_file_is_a_frame_file_with_the_same_samples(adapter, tmp_path):
    require(adapter, "read:realdex-frame")
    samples = as_held(segment(frames=1), "realdex-segment")
    # written as a one-frame segment: it fits both realdex layouts
    (path,) = rawfiles.write_raw(samples, tmp_path, "realdex-segment")
    found = adapter.detect_layout(path)
    assert found == "realdex-frame", f"detect_layout of a one-frame file with a (1, 3) object_orient: expected 'realdex-frame', found {found!r}"
    ah.assert_same_samples(samples, read(adapter, path), FIELDS, "one-frame file with a (1, 3) object_orient")



# ---------------------------------------------------------------- open points decided (spec/appendix-decisions.md)

RELATIVE = {"realdex-segment": "driller/0.npz", "realdex-frame": "driller_0/0.npz", "converted": "driller_0/converted_data.npz"}


def one_file(layout: str, frames: int = 3, **encoding) -> tuple[list[dict[str, Any]], dict[str, np.ndarray]]:
    """Samples held by ``layout`` and the arrays of the one file that holds them."""
    samples = as_held(segment(frames=1 if layout == "realdex-frame" else frames), layout)
    return samples, rawfiles.to_arrays(samples, layout, **encoding)[0]


@pytest.mark.clause("LAYOUT-1")
@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUTS)
def test_keys_beyond_the_layout_are_ignored(adapter, tmp_path, layout):
    """A key no layout names (a note a conversion left beside the arrays) changes neither the layout nor the samples."""
    require(adapter, f"read:{layout}")
    samples, arrays = one_file(layout)
    arrays["frame_ids"] = np.arange(len(samples))
    path = rawfiles.save(tmp_path / RELATIVE[layout], arrays)
    found = adapter.detect_layout(path)
    assert found == layout, f"detect_layout of a {layout} file with the extra key 'frame_ids': expected {layout!r}, found {found!r}"
    ah.assert_same_samples(samples, read(adapter, path), FIELDS, f"{layout} file with the extra key 'frame_ids'")


@pytest.mark.clause("LAYOUT-3", "LAYOUT-5", "LAYOUT-6")
@pytest.mark.parametrize("layout", ["realdex-segment", "converted"])
def test_file_of_zero_frames_reads_as_no_sample(adapter, tmp_path, layout):
    """T = 0 (N = 0) is a file of no frame, read as no sample; only a cloud of no point is refused."""
    require(adapter, f"read:{layout}")
    _, arrays = one_file(layout)
    per_frame = {"realdex-segment": ("qpos", "hand_transl", "hand_orient", "object_transl", "object_orient"),
                 "converted": ("hand_poses", "obj_pc", "contact_labels", "object_scales", "hand_sides")}[layout]
    for key in per_frame:
        if key in arrays:
            arrays[key] = arrays[key][:0]
    arrays.pop("num_samples", None)
    path = rawfiles.save(tmp_path / RELATIVE[layout], arrays)
    got = read(adapter, path)
    assert got == [], f"read_file of a {layout} file of 0 frames: expected no sample, found {len(got)}"


@pytest.mark.clause("LAYOUT-4", "EQUIV-5")
def test_rotation_matrix_stored_as_float32_is_read(adapter, tmp_path):
    """A rotation matrix rounded to float32 (|RᵀR − I| about 1e-7) is a rotation: read, not refused."""
    require(adapter, "read:realdex-frame")
    samples, arrays = one_file("realdex-frame", orient_encoding="matrix")
    arrays["object_orient"] = arrays["object_orient"].astype(np.float32)
    path = rawfiles.save(tmp_path / RELATIVE["realdex-frame"], arrays)
    try:
        got = read(adapter, path)
    except Exception as exc:  # the finding is the refusal itself
        pytest.fail(f"read_file({path}): a float32 rotation matrix is within 1e-6 of a rotation; expected it read, "
                    f"found {type(exc).__name__}: {exc}")
    ah.assert_same_samples(samples, got, ["object_orient"], "frame file whose object_orient is a float32 (1, 3, 3) matrix")


@pytest.mark.clause("LAYOUT-10", "LAYOUT-4")
def test_nan_matrix_named_in_missing_fields_is_read_absent(adapter, tmp_path):
    """The placeholder of a missing object pose may be a NaN (1, 3, 3) matrix: absent, neither a rotation nor an error."""
    require(adapter, "read:realdex-frame")
    samples, arrays = one_file("realdex-frame", orient_encoding="matrix")
    arrays["object_orient"] = np.full((1, 3, 3), np.nan)
    arrays["object_transl"] = np.full((1, 3), np.nan)
    arrays[rawfiles.MISSING_KEY] = np.array(["object_orient", "object_transl"])
    path = rawfiles.save(tmp_path / RELATIVE["realdex-frame"], arrays)
    try:
        got = read(adapter, path)
    except Exception as exc:  # the finding is the refusal itself
        pytest.fail(f"read_file({path}): object_orient is a NaN placeholder named in missing_fields; expected the sample "
                    f"read with no object pose, found {type(exc).__name__}: {exc}")
    expected = [{**s, "object_orient": None, "object_transl": None} for s in samples]
    ah.assert_same_samples(expected, got, FIELDS, "frame file whose NaN (1, 3, 3) object_orient is named in missing_fields")


@pytest.mark.clause("LAYOUT-7", "SAMPLE-4")
def test_hand_sides_stored_as_bytes_are_refused_or_read_as_text(adapter, tmp_path):
    """Implementation-defined: bytes hand sides (dtype S) are refused, or read as the str they spell; never as bytes."""
    require(adapter, "read:converted")
    samples, arrays = one_file("converted")
    arrays["hand_sides"] = np.array([str(s).encode("ascii") for s in arrays["hand_sides"]])
    path = rawfiles.save(tmp_path / RELATIVE["converted"], arrays)
    try:
        got = read(adapter, path)
    except Exception as exc:  # a refusal is one of the two allowed answers; it must say where
        ah.assert_error_names(exc, [path.name, "hand_sides"], f"read_file on a converted file whose hand_sides are bytes ({arrays['hand_sides'].dtype})")
        return
    sides = [s.get("hand_side") for s in got]
    assert all(isinstance(x, str) for x in sides), f"read_file({path}): expected hand_side as str ('right'), found {sides!r}"
    ah.assert_same_samples(samples, got, ["hand_side"], "converted file whose hand_sides are bytes")


@pytest.mark.clause("LAYOUT-7", "SAMPLE-4")
@pytest.mark.parametrize("value", ["Right", "both", ""], ids=["Right", "both", "empty"])
def test_hand_side_other_than_right_or_left_is_refused(adapter, tmp_path, value):
    require(adapter, "read:converted")
    _, arrays = one_file("converted")
    arrays["hand_sides"] = np.array(["right"] * (len(arrays["hand_sides"]) - 1) + [value])
    path = rawfiles.save(tmp_path / RELATIVE["converted"], arrays)
    error = refused(lambda: adapter.read_file(path), f"read_file on a converted file with the hand side {value!r}")
    ah.assert_error_names(error, [path.name, "hand_sides"], f"read_file on a converted file with the hand side {value!r}")


@pytest.mark.clause("LAYOUT-7", "LAYOUT-9")
@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUTS)
def test_float32_arrays_are_read(adapter, tmp_path, layout):
    """float32 is a precision a writer may use (LAYOUT-9), so every reader reads it (as float64 of the same values)."""
    require(adapter, f"read:{layout}")
    samples, arrays = one_file(layout)
    arrays = {k: (v.astype(np.float32) if v.dtype == np.float64 else v) for k, v in arrays.items()}
    path = rawfiles.save(tmp_path / RELATIVE[layout], arrays)
    stored = rawfiles.read_raw(path)  # the kit's reading: the float32 values, as float64
    ah.assert_same_samples(stored, read(adapter, path), FIELDS, f"{layout} file of float32 arrays")


# ---------------------------------------------------------------- LAYOUT-12: a read gives the file as it is now, in arrays the caller owns


def held_file(layout: str, seed: int) -> tuple[list[dict[str, Any]], dict[str, np.ndarray]]:
    """Samples held by ``layout`` (3 frames, 6 points; one frame per file for realdex-frame) and the arrays of their file."""
    samples = as_held(segment(frames=1 if layout == "realdex-frame" else 3, seed=seed), layout)
    return samples, rawfiles.to_arrays(samples, layout)[0]


def rewrite_in_place(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` into ``path`` through the same inode, then give it back its access and modification times."""
    before = os.stat(path)
    scratch = path.with_name(path.name + ".new")
    content = rawfiles.save(scratch, arrays, compressed=False).read_bytes()
    scratch.unlink()
    with open(path, "r+b") as fh:
        fh.truncate(0)
        fh.write(content)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


@pytest.mark.clause("LAYOUT-12")
@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUTS)
def test_a_file_rewritten_with_its_size_and_time_kept_is_read_anew(adapter, tmp_path, layout):
    """Two read_file calls on one path; between them the file is rewritten in place with other values of the same
    shapes (uncompressed: the same size) and its modification time restored. A cache keyed on the path, or on the
    path, size and modification time, serves the first file's samples; the second read must give the second file's."""
    require(adapter, f"read:{layout}")
    first, first_arrays = held_file(layout, seed=11)
    second, second_arrays = held_file(layout, seed=12)
    path = rawfiles.save(tmp_path / RELATIVE[layout], first_arrays, compressed=False)
    ah.assert_same_samples(first, read(adapter, path), FIELDS, f"{layout} file before its rewrite")
    was = os.stat(path)
    rewrite_in_place(path, second_arrays)
    now = os.stat(path)
    assert (now.st_size, now.st_mtime_ns) == (was.st_size, was.st_mtime_ns), (
        f"the kit's rewrite must keep the size and modification time: expected {(was.st_size, was.st_mtime_ns)}, "
        f"found {(now.st_size, now.st_mtime_ns)}")
    ah.assert_same_samples(second, read(adapter, path), FIELDS,
                           f"{layout} file rewritten in place (size and modification time kept) after a first read_file: "
                           "the second read must give what the file holds now, not what a cache kept (LAYOUT-12)")


@pytest.mark.clause("LAYOUT-12")
@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUTS)
def test_arrays_a_read_returned_are_the_callers(adapter, tmp_path, layout):
    """The caller changes in place every array one read_file returned (as a training step centring a cloud does);
    a second read_file of the unchanged file gives what the first gave. Read-only arrays refuse the change: right too."""
    require(adapter, f"read:{layout}")
    _, arrays = held_file(layout, seed=13)
    path = rawfiles.save(tmp_path / RELATIVE[layout], arrays)
    got = read(adapter, path)
    kept = ownership.snapshot(got)
    changed, refused_ = ownership.scribble(got)
    again = ownership.differences(kept, read(adapter, path), "samples")
    assert not again, (
        f"read_file({path.name}) twice, the {changed} writable array(s) of the first read changed in place between them "
        f"({refused_} read-only): expected the second read to give what the first gave, found {len(again)} difference(s): "
        f"{again[:4]}. The arrays a read returns must be the caller's, not a cache's (LAYOUT-12)")
