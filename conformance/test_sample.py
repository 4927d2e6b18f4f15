"""Spec chapter 1, the canonical sample (SAMPLE-n): what ``read_file`` gives back for files the kit wrote."""
from __future__ import annotations

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
from realdex_conformance import features, rawfiles, strategies, synth
from realdex_conformance.plugin import require

LAYOUTS = rawfiles.LAYOUTS
FIELDS = [f["name"] for f in realdex_spec.schema()["fields"]]


def fixed_segment() -> list[dict[str, Any]]:
    """Three frames of one generated segment with 5 points, holding every field."""
    return synth.make_segment("driller", 3, 5, np.random.default_rng(20260), contacts=True)


def held_by(samples: list[dict[str, Any]], layout: str) -> list[dict[str, Any]]:
    """The samples as ``layout`` holds them: what it cannot hold is absent."""
    holds = set(rawfiles.HOLDS[layout])
    return [{k: (v if k in holds else None) for k, v in s.items() if k in FIELDS} for s in samples]


def read(adapter: Any, path: Path, context: str) -> list[dict[str, Any]]:
    got = adapter.read_file(path)
    assert isinstance(got, list), f"{context}: read_file must return a list of samples, found {type(got).__name__}"
    return got


@pytest.fixture(scope="module")
def kit_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    """The fixed segment written by the kit in each layout::

        root/realdex-segment/driller/0.npz
        root/realdex-frame/driller_0/0.npz 1.npz 2.npz      (object_orient as (1, 3, 3) matrices)
        root/converted/driller/converted_data.npz
    """
    root = tmp_path_factory.mktemp("kit-written")
    samples = fixed_segment()
    return {
        layout: rawfiles.write_raw(samples, root / layout, layout, orient_encoding="matrix" if layout == "realdex-frame" else "axis-angle")
        for layout in LAYOUTS
    }


@pytest.mark.clause("SAMPLE-1", "SAMPLE-4")
@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUTS)
def test_samples_read_are_canonical(adapter, kit_files, layout):
    require(adapter, f"read:{layout}")
    for path in kit_files[layout]:
        for i, sample in enumerate(read(adapter, path, f"{layout} file {path}")):
            ah.assert_canonical(sample, f"{layout} file {path}, sample {i}")


@pytest.mark.clause("SAMPLE-1", "SAMPLE-3", "SAMPLE-4")
@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUTS)
@given(data=st.data())
def test_any_segment_reads_as_canonical_samples(adapter, layout, data):
    require(adapter, f"read:{layout}")
    samples = data.draw(strategies.segments_for(layout), label="samples")
    encoding = data.draw(strategies.orient_encodings(layout), label="object_orient encoding")
    with tempfile.TemporaryDirectory() as tmp:
        for path in rawfiles.write_raw(samples, tmp, layout, orient_encoding=encoding):
            for i, sample in enumerate(read(adapter, path, f"{layout} file {path}")):
                ah.assert_canonical(sample, f"{layout} file {path.name}, sample {i}")


@pytest.mark.clause("SAMPLE-2")
@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUTS)
def test_qpos_keeps_the_realdex_joint_order(adapter, tmp_path, layout):
    require(adapter, f"read:{layout}")
    # every joint a different value inside its limits: a reordered, dropped or padded joint shows
    joints = realdex_spec.schema()["joints"]
    qpos = np.array([j["lower"] + (j["upper"] - j["lower"]) * (i + 1) / 24 for i, j in enumerate(joints)])
    sample = {**fixed_segment()[0], "qpos": qpos}
    (path,) = rawfiles.write_raw([sample], tmp_path, layout)[:1]
    got = read(adapter, path, f"{layout} file {path}")
    assert len(got) == 1, f"{layout} file {path}: expected 1 sample, found {len(got)}"
    ah.assert_same_sample({"qpos": qpos}, got[0], ["qpos"], f"{layout} file {path}")


@pytest.mark.clause("SAMPLE-3")
@given(data=st.data())
def test_matrix_rotation_is_converted_not_replaced(adapter, data):
    require(adapter, "read:realdex-frame")
    rotvec = data.draw(strategies.rotvecs(), label="object_orient")
    sample = {**fixed_segment()[0], "object_orient": rotvec}
    with tempfile.TemporaryDirectory() as tmp:
        (path,) = rawfiles.write_raw([sample], tmp, "realdex-frame", orient_encoding="matrix")
        (got,) = read(adapter, path, f"realdex-frame file {path}")
    context = f"realdex-frame file with object_orient as the (1, 3, 3) matrix of rotation vector {rotvec!r}"
    ah.assert_canonical(got, context)
    ah.assert_same_sample({"object_orient": rotvec}, got, ["object_orient"], context)


def beyond_a_half_turn(layout: str, tmp_path: Path) -> tuple[dict[str, Any], Path]:
    """A sample whose rotation vectors have angle pi + 0.7, written in ``layout``."""
    axis = np.array([0.6, -0.48, 0.64])
    beyond = axis * (math.pi + 0.7)
    sample = {**fixed_segment()[0], "hand_orient": beyond, "object_orient": -beyond}
    (path,) = rawfiles.write_raw([sample], tmp_path, layout)
    return sample, path


@pytest.mark.clause("SAMPLE-3")
@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUTS)
def test_rotation_vector_beyond_a_half_turn_is_read_as_the_same_rotation(adapter, tmp_path, layout):
    require(adapter, f"read:{layout}")
    # a file may hold any axis-angle: a reader may fold it into [0, pi] or pass it through
    sample, path = beyond_a_half_turn(layout, tmp_path)
    (got,) = read(adapter, path, f"{layout} file {path}")
    context = f"{layout} file holding rotation vectors of angle {math.pi + 0.7:.4f} rad"
    ah.assert_canonical(got, context)
    ah.assert_same_sample(held_by([sample], layout)[0], got, ["hand_orient", "object_orient"], context)


@pytest.mark.clause("SAMPLE-8")
@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUTS)
def test_rotation_vector_beyond_a_half_turn_is_read_folded(adapter, tmp_path, layout):
    require(adapter, f"read:{layout}")
    _, path = beyond_a_half_turn(layout, tmp_path)
    (got,) = read(adapter, path, f"{layout} file {path}")
    ah.assert_folded(got, f"{layout} file holding rotation vectors of angle {math.pi + 0.7:.4f} rad")


@pytest.mark.clause("SAMPLE-4")
@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUTS)
def test_fields_the_file_does_not_hold_are_absent(adapter, tmp_path, layout):
    require(adapter, f"read:{layout}")
    # the bare minimum of the layout: no colours, contacts, scale or hand side
    bare = [{**s, "object_colors": None, "contact_labels": None, "object_scale": None, "hand_side": None} for s in fixed_segment()]
    path = rawfiles.write_raw(bare, tmp_path, layout)[0]
    for i, got in enumerate(read(adapter, path, f"{layout} file {path}")):
        not_held = [f for f in rawfiles.OPTIONAL_FIELDS if f not in rawfiles.HOLDS[layout] or bare[i][f] is None]
        ah.assert_absent(got, not_held, f"{layout} file {path.name} without optional keys, sample {i}")


@pytest.mark.clause("SAMPLE-5")
@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUTS)
def test_positions_stay_in_world_metres(adapter, kit_files, layout):
    require(adapter, f"read:{layout}")
    # the cloud lies about 1 m from the origin: a reader that centres or rescales moves it
    expected = held_by(fixed_segment(), layout)
    got = [s for p in kit_files[layout] for s in read(adapter, p, f"{layout} file {p}")]
    ah.assert_same_samples(expected, got, ["hand_transl", "object_transl", "object_points"], f"{layout} files written by the kit")


def _bad_samples() -> list[tuple[str, str, dict[str, Any], tuple[str, ...]]]:
    """(id, field, sample, words the error must contain) for samples out of spec."""
    good = held_by(fixed_segment(), "realdex-segment")[0]
    cases = [
        ("missing-qpos", "qpos", {**good, "qpos": None}, ()),
        ("qpos-21-joints", "qpos", {**good, "qpos": good["qpos"][:21]}, ("21",)),
        ("hand_transl-float32", "hand_transl", {**good, "hand_transl": good["hand_transl"].astype(np.float32)}, ("float32",)),
        ("object_points-nan", "object_points", {**good, "object_points": np.vstack([good["object_points"][:-1], [np.nan] * 3])}, ()),
        ("object_points-empty", "object_points", {**good, "object_points": np.zeros((0, 3)), "object_colors": None}, ()),
        ("hand_orient-angle-4-rad", "hand_orient", {**good, "hand_orient": np.array([4.0, 0.0, 0.0])}, ()),
        ("object_colors-above-1", "object_colors", {**good, "object_colors": good["object_colors"] + 1.0}, ()),
        ("object_colors-other-P", "object_colors", {**good, "object_colors": good["object_colors"][:3]}, ()),
        ("hand_side-middle", "hand_side", {**good, "hand_side": "middle"}, ("middle",)),
        ("object_scale-negative", "object_scale", {**good, "object_scale": -1.0}, ()),
    ]
    return cases


BAD = _bad_samples()


@pytest.mark.clause("SAMPLE-6")
@pytest.mark.requires("validate")
@pytest.mark.parametrize("case_id, field, sample, words", BAD, ids=[c[0] for c in BAD])
def test_validator_rejects_a_sample_out_of_spec(adapter, case_id, field, sample, words):
    with pytest.raises(Exception) as caught:
        adapter.validate_sample(sample)
    ah.assert_error_names(caught.value, (field, *words), f"validate_sample on a sample with {case_id}")


@pytest.mark.clause("SAMPLE-6")
@pytest.mark.requires("validate")
@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUTS)
def test_validator_accepts_a_canonical_sample(adapter, layout):
    for i, sample in enumerate(held_by(fixed_segment(), layout)):
        try:
            adapter.validate_sample(sample)
        except Exception as exc:  # the message is the finding
            pytest.fail(f"validate_sample: expected a canonical {layout} sample {i} to pass, found {type(exc).__name__}: {exc}")


@pytest.mark.clause("SAMPLE-7")
@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUTS)
def test_metadata_names_the_object_and_the_source(adapter, kit_files, layout):
    require(adapter, f"read:{layout}")
    for path in kit_files[layout]:
        for i, got in enumerate(read(adapter, path, f"{layout} file {path}")):
            context = f"{layout} file {path}, sample {i}"
            folder = path.parent.name
            assert isinstance(got.get("object"), str) and got["object"] and folder.startswith(got["object"]), (
                f"{context}: expected metadata 'object' to be the folder name {folder!r} (or, per frame, its object part), "
                f"found {got.get('object')!r}"
            )
            source = got.get("source")
            assert source is not None and Path(source).resolve() == path.resolve(), (
                f"{context}: expected metadata 'source' to name the file {str(path)!r}, found {source!r}"
            )


# ---------------------------------------------------------------- golden files


@pytest.mark.clause("SAMPLE-1", "SAMPLE-2", "SAMPLE-3")
@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUTS)
def test_canonical_form_of_a_fixed_sample(adapter, kit_files, layout, golden):
    """The first sample of the fixed segment, as read from each layout: its canonical form, field by field."""
    require(adapter, f"read:{layout}")
    got = read(adapter, kit_files[layout][0], f"{layout} file")[0]
    expected = held_by(fixed_segment(), layout)[0]
    ah.assert_same_sample(expected, got, FIELDS, f"{layout} file written by the kit")
    form = {name: got.get(name) for name in FIELDS}
    for name in FIELDS:  # a field the reader does not carry is not compared (ADAPTER-7)
        if form[name] is None and not features.carries(name):
            form[name] = expected.get(name)
    for name in ah.ROTATION_FIELDS:  # the canonical form folds rotations; a reader need not (SAMPLE-3, SAMPLE-8)
        if form[name] is not None:
            form[name] = rawfiles.canonical_rotvec(np.asarray(form[name], dtype=np.float64))
    golden.check(form, f"the canonical form of the first sample of the {layout} file")


@pytest.mark.clause("SAMPLE-2")
def test_schema_tables_are_those_of_this_spec_version(golden):
    """The joint table and the field table, as the kit reads them: a change to either is a change of spec."""
    schema = realdex_spec.schema()
    fields = [{k: f[k] for k in ("name", "dtype", "shape", "unit", "frame", "required")} for f in schema["fields"]]
    golden.check({"joints": schema["joints"], "fields": fields, "tolerances": schema["tolerances"]}, "the schema tables")


# ---------------------------------------------------------------- open points decided (spec/appendix-decisions.md)

@pytest.mark.clause("SAMPLE-6", "CHECK-4")
@pytest.mark.requires("validate")
def test_validator_accepts_joint_angles_beyond_their_limits(adapter):
    """Recorded data strays outside the URDF limits (CHECK-4: a warning of the checks, never an error): a sample
    whose joints lie 0.1 rad beyond their limits is in spec, and the validator accepts it."""
    joints = realdex_spec.schema()["joints"]
    good = held_by(fixed_segment(), "realdex-segment")[0]
    for side, bound in (("below", "lower"), ("above", "upper")):
        qpos = np.array([j[bound] + (0.1 if side == "above" else -0.1) for j in joints], dtype=np.float64)
        try:
            adapter.validate_sample({**good, "qpos": qpos})
        except Exception as exc:  # the refusal is the finding
            pytest.fail(f"validate_sample: expected a sample whose 22 joints are 0.1 rad {side} their limits to pass "
                        f"(joint limits are the data checks' warning, CHECK-4), found {type(exc).__name__}: {exc}")
