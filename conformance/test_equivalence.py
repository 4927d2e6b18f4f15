"""Spec chapter 3, equivalence of layouts (EQUIV-n): write/read, kit interchange, conversion, losses, rotations."""
from __future__ import annotations

import itertools
import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import realdex_spec
from realdex_conformance import assertions as ah
from realdex_conformance import rawfiles, strategies, synth
from realdex_conformance.plugin import require

LAYOUTS = rawfiles.LAYOUTS
FIELDS = [f["name"] for f in realdex_spec.schema()["fields"]]
PAIRS = [(a, b) for a, b in itertools.product(LAYOUTS, LAYOUTS) if a != b]


def holds(layout: str) -> set[str]:
    return set(rawfiles.HOLDS[layout])


def as_held(samples: list[dict[str, Any]], layout: str) -> list[dict[str, Any]]:
    return [{k: (s.get(k) if k in holds(layout) else None) for k in FIELDS} for s in samples]


def write(adapter: Any, samples: list[dict[str, Any]], dest: Path, layout: str) -> dict[str, Any]:
    result = adapter.write_samples(samples, dest, layout)
    context = f"write_samples(..., layout={layout!r})"
    assert isinstance(result, dict) and "files" in result and "dropped" in result, (
        f"{context}: expected a dict with 'files' and 'dropped', found {result!r:.300}"
    )
    assert result["files"] or not samples, f"{context}: expected the files written for {len(samples)} samples, found none"
    return result


def read_all(adapter: Any, files: list[Any]) -> list[dict[str, Any]]:
    """The samples of ``files``, in the order listed."""
    return [s for f in files for s in adapter.read_file(f)]


def full_segment(frames: int = 3, points: int = 6, seed: int = 11) -> list[dict[str, Any]]:
    """A generated segment holding every field of the sample table."""
    return synth.make_segment("driller", frames, points, np.random.default_rng(seed), contacts=True)


# ---------------------------------------------------------------- EQUIV-1, EQUIV-2


@pytest.mark.clause("EQUIV-1")
@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUTS)
@given(data=st.data())
def test_write_then_read_gives_the_same_samples(adapter, layout, data):
    require(adapter, f"write:{layout}")
    require(adapter, f"read:{layout}")
    samples = data.draw(strategies.samples_for(layout), label="samples")
    with tempfile.TemporaryDirectory() as tmp:
        result = write(adapter, samples, Path(tmp) / "out", layout)
        got = read_all(adapter, result["files"])
    context = f"{len(samples)} samples written as {layout} into {len(result['files'])} file(s) and read back"
    ah.assert_same_samples(samples, got, FIELDS, context)
    assert list(result["dropped"]) == [], f"{context}: the layout holds every field given: expected dropped [], found {result['dropped']!r}"


@pytest.mark.clause("EQUIV-2")
@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUTS)
@given(data=st.data())
def test_files_of_another_writer_read_the_same(adapter, layout, data):
    require(adapter, f"read:{layout}")
    samples = data.draw(strategies.segments_for(layout), label="samples")
    encoding = data.draw(strategies.orient_encodings(layout), label="object_orient encoding")
    with tempfile.TemporaryDirectory() as tmp:
        got = read_all(adapter, rawfiles.write_raw(samples, tmp, layout, orient_encoding=encoding))
    ah.assert_same_samples(samples, got, FIELDS, f"{layout} files written by the kit's writer ({encoding}) and read by the implementation")


@pytest.mark.clause("EQUIV-2", "LAYOUT-9")
@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUTS)
@given(data=st.data())
def test_files_it_writes_read_the_same_by_another_reader(adapter, layout, data):
    require(adapter, f"write:{layout}")
    samples = data.draw(strategies.samples_for(layout), label="samples")
    with tempfile.TemporaryDirectory() as tmp:
        result = write(adapter, samples, Path(tmp) / "out", layout)
        got = [s for f in result["files"] for s in rawfiles.read_raw(f)]
    ah.assert_same_samples(samples, got, FIELDS, f"{layout} files written by the implementation and read by the kit's reader")


# ---------------------------------------------------------------- EQUIV-3, EQUIV-4


@pytest.mark.clause("EQUIV-3", "EQUIV-4")
@pytest.mark.parametrize("source, target", PAIRS, ids=[f"{a}-to-{b}" for a, b in PAIRS])
@given(data=st.data())
def test_conversion_keeps_every_field_both_layouts_hold(adapter, source, target, data):
    require(adapter, f"read:{source}")
    require(adapter, f"write:{target}")
    require(adapter, f"read:{target}")
    samples = data.draw(strategies.segments_for(source), label=f"{source} samples")
    both = sorted(holds(source) & holds(target))
    with tempfile.TemporaryDirectory() as tmp:
        read_a = read_all(adapter, rawfiles.write_raw(samples, Path(tmp) / "a", source))
        result = write(adapter, read_a, Path(tmp) / "b", target)
        got = read_all(adapter, result["files"])
    context = f"{len(samples)} samples read from {source}, written as {target} and read back"
    ah.assert_same_samples(as_held(samples, target), got, FIELDS, context)
    lost = sorted(rawfiles.held_fields(read_a) - holds(target))
    assert sorted(result["dropped"]) == lost, (
        f"{context}: expected dropped to list the fields the samples held and {target} cannot, {lost!r}; "
        f"found {sorted(result['dropped'])!r} (fields both hold: {', '.join(both)})"
    )


@pytest.mark.clause("EQUIV-4")
@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUTS)
def test_write_lists_exactly_the_fields_it_drops(adapter, tmp_path, layout):
    require(adapter, f"write:{layout}")
    require(adapter, f"read:{layout}")
    samples = full_segment()
    cannot = sorted(set(rawfiles.OPTIONAL_FIELDS) - holds(layout))
    result = write(adapter, samples, tmp_path / "out", layout)
    context = f"samples holding every field written as {layout}"
    assert sorted(result["dropped"]) == cannot, f"{context}: expected dropped {cannot!r}, found {sorted(result['dropped'])!r}"
    for path in result["files"]:
        named = {str(n) for n in rawfiles.load(path).get(rawfiles.MISSING_KEY, np.array([], dtype=str))}
        assert set(cannot) <= named, (
            f"{context}: {path}: expected missing_fields to name the dropped fields {cannot!r}, found {sorted(named)!r}"
        )
    for i, got in enumerate(read_all(adapter, result["files"])):
        ah.assert_absent(got, cannot, f"{context}, read back, sample {i}")


@pytest.mark.clause("EQUIV-4", "SAMPLE-4")
@pytest.mark.parametrize("target", ["realdex-segment", "realdex-frame"])
def test_converted_samples_written_as_realdex_never_get_an_invented_object_pose(adapter, tmp_path, target):
    require(adapter, "read:converted")
    require(adapter, f"write:{target}")
    require(adapter, f"read:{target}")
    (kit_file,) = rawfiles.write_raw(full_segment(), tmp_path / "converted", "converted")
    read_c = read_all(adapter, [kit_file])
    for i, s in enumerate(read_c):
        ah.assert_absent(s, ["object_transl", "object_orient"], f"converted file {kit_file}, sample {i} (converted holds no object pose)")
    result = write(adapter, read_c, tmp_path / "out", target)
    context = f"converted samples (no object pose) written as {target}"
    for path in result["files"]:
        raw = rawfiles.load(path)
        named = {str(n) for n in raw.get(rawfiles.MISSING_KEY, np.array([], dtype=str))}
        assert {"object_transl", "object_orient"} <= named, (
            f"{context}: {path}: expected missing_fields to name object_transl and object_orient, found {sorted(named)!r}"
        )
        for key in ("object_transl", "object_orient"):
            assert np.isnan(raw[key]).all(), (
                f"{context}: {path} [{key}]: expected NaN (the pose is not known), found {np.asarray(raw[key]).ravel()[:9]!r}"
            )
    for i, got in enumerate(read_all(adapter, result["files"])):
        ah.assert_absent(got, ["object_transl", "object_orient"], f"{context}, read back, sample {i}")


# ---------------------------------------------------------------- EQUIV-5: rotations


_AXIS = np.array([0.48, -0.6, 0.64])
EDGE_ROTATIONS = {
    "identity": np.zeros(3),
    "1e-9-rad": _AXIS * 1e-9,
    "1e-5-rad": _AXIS * 1e-5,
    "1-rad": _AXIS * 1.0,
    "pi-minus-1e-9": _AXIS * (math.pi - 1e-9),
    "pi-about-x": np.array([math.pi, 0.0, 0.0]),
    "pi": _AXIS * math.pi,
    "minus-pi": -_AXIS * math.pi,
}


def rotation_segment(rotvec: np.ndarray) -> list[dict[str, Any]]:
    return [{**s, "hand_orient": rotvec, "object_orient": rotvec} for s in full_segment(frames=2)]


@pytest.mark.clause("EQUIV-5")
@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUTS)
@pytest.mark.parametrize("name", list(EDGE_ROTATIONS), ids=list(EDGE_ROTATIONS))
def test_edge_rotations_survive_write_and_read(adapter, tmp_path, layout, name):
    require(adapter, f"write:{layout}")
    require(adapter, f"read:{layout}")
    samples = as_held(rotation_segment(EDGE_ROTATIONS[name]), layout)
    result = write(adapter, samples, tmp_path / "out", layout)
    got = read_all(adapter, result["files"])
    ah.assert_same_samples(samples, got, ["hand_orient", "object_orient"], f"rotation {name} written as {layout} and read back")


@pytest.mark.clause("EQUIV-5", "LAYOUT-4")
@pytest.mark.parametrize("name", list(EDGE_ROTATIONS), ids=list(EDGE_ROTATIONS))
def test_edge_rotations_read_from_matrices(adapter, tmp_path, name):
    require(adapter, "read:realdex-frame")
    samples = as_held(rotation_segment(EDGE_ROTATIONS[name])[:1], "realdex-frame")
    got = read_all(adapter, rawfiles.write_raw(samples, tmp_path, "realdex-frame", orient_encoding="matrix"))
    ah.assert_same_samples(samples, got, ["object_orient"], f"rotation {name} held as a (1, 3, 3) matrix")


NOT_ROTATIONS = {
    "zero-matrix": np.zeros((3, 3)),
    "reflection": np.diag([1.0, 1.0, -1.0]),
    "shear": np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]),
}


@pytest.mark.clause("EQUIV-5")
@pytest.mark.parametrize("name", list(NOT_ROTATIONS), ids=list(NOT_ROTATIONS))
def test_matrix_that_is_no_rotation_is_an_error_not_a_zero_rotation(adapter, tmp_path, name):
    require(adapter, "read:realdex-frame")
    arrays = rawfiles.to_arrays(as_held(full_segment(frames=1), "realdex-frame"), "realdex-frame", orient_encoding="matrix")[0]
    arrays["object_orient"] = NOT_ROTATIONS[name][None]
    path = rawfiles.save(tmp_path / "driller_0" / "0.npz", arrays)
    try:
        got = adapter.read_file(path)
    except Exception as exc:  # the refusal is the expected outcome; it must say where
        ah.assert_error_names(exc, [path.name, "object_orient"], f"read_file on a frame file whose object_orient is a {name}")
        return
    pytest.fail(
        f"read_file on {path}: object_orient is a {name}, which no rotation vector stands for: expected an error, "
        f"found object_orient {got[0].get('object_orient')!r}"
    )


# ---------------------------------------------------------------- conversion of per-frame recordings (issue 12)


@pytest.mark.clause("EQUIV-3", "ROOT-5")
@pytest.mark.requires("root")
def test_a_recording_converted_into_a_segment_keeps_its_frame_order(adapter, long_recordings, tmp_path):
    """Per-frame recordings read as a root and written as segments: each segment's frames in the order of their
    index (``2.npz`` before ``10.npz``), as a conversion of the root does (ROOT-5, then EQUIV-3)::

        long/driller_0/0.npz … 299.npz; long/mug_0/0.npz … 11.npz; long/mug_1/0.npz … 46.npz   read
        out/…                                                                                 written as realdex-segment
    """
    require(adapter, "read:realdex-frame")
    require(adapter, "write:realdex-segment")
    require(adapter, "read:realdex-segment")
    root, written = long_recordings
    expected = written["in_root_order"]  # the samples the kit wrote, in the order of ROOT-5
    samples = adapter.read_root(root=root, layout="realdex-frame")
    result = write(adapter, samples, tmp_path / "out", "realdex-segment")
    got = read_all(adapter, result["files"])
    ah.assert_same_samples(as_held(expected, "realdex-segment"), got, FIELDS,
                           f"{len(expected)} frames of 3 per-frame recordings (300, 12 and 47 frames) read as a root, written "
                           f"as realdex-segment into {len(result['files'])} file(s) and read back in the order listed")
