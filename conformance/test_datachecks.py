"""Conformance of chapter 6: data checks and their findings (CHECK-n).

Each fault is written by the kit into otherwise clean data (``realdex_conformance.synth`` and
``realdex_conformance.rawfiles``), so that the finding can be traced to one cause.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from realdex_conformance import rawfiles, synth
from realdex_conformance.profiles import examples

pytestmark = pytest.mark.requires("checks")

CODES = {"MIXED_LAYOUTS", "UNKNOWN_FILE", "NOT_A_LAYOUT", "INVALID_FILE", "UNSAFE_FILE", "EMPTY_ROOT",
         "MANIFEST_SHORTFALL", "MANIFEST_EXCESS", "INVALID_MANIFEST", "UNREADABLE_FOLDER", "FOLDER_LINK_SKIPPED",
         "CLOUD_TOO_SMALL", "NON_FINITE",
         "ZERO_ORIENTATION", "JOINT_OUT_OF_LIMITS", "DUPLICATE_FRAMES", "FRAME_COUNT_MISMATCH"}
LOWER = np.array(synth.JOINT_LOWER)
UPPER = np.array(synth.JOINT_UPPER)


def segment_arrays(seed: int, frames: int = 12, points: int = 64) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rawfiles.to_arrays(synth.make_segment("driller", frames, points, rng), "realdex-segment")[0]


def clean_root(root: Path, files: int = 2, frames: int = 12, points: int = 64) -> list[Path]:
    """::

        root/driller/0.npz … <files-1>.npz     realdex-segment, ``frames`` frames of ``points`` points each
    """
    return [rawfiles.save(root / "driller" / f"{k}.npz", segment_arrays(k, frames, points)) for k in range(files)]


def check(adapter, root: Path, num_points: int = 64) -> list[dict]:
    found = [dict(f) for f in adapter.check_root(root=root, num_points=num_points)]
    for f in found:
        assert {"path", "code", "message"} <= set(f), f"a finding needs path, code and message (CHECK-7): {f}"
        assert f["code"] in CODES, f"unknown finding code {f['code']!r} (CHECK-7): {f}"
        assert isinstance(f["message"], str) and f["message"].strip(), f"a finding's message is a non-empty str (CHECK-7): {f}"
        assert isinstance(f["path"], str) and f["path"], f"a finding's path is a non-empty str (CHECK-7): {f}"
        assert f.get("severity", "error") in ("error", "warning"), f"severity must be 'error' or 'warning': {f}"
    return found


def with_code(found: list[dict], code: str) -> list[dict]:
    return [f for f in found if f["code"] == code]


def errors(found: list[dict]) -> list[dict]:
    return [f for f in found if f.get("severity", "error") == "error"]


@pytest.mark.clause("CHECK-1")
@pytest.mark.parametrize("points, num_points, expected", [(64, 128, True), (64, 64, False), (8, 1024, True)])
def test_cloud_smaller_than_the_points_sampled(adapter, tmp_path, points, num_points, expected):
    clean_root(tmp_path, points=points)
    small = with_code(check(adapter, tmp_path, num_points), "CLOUD_TOO_SMALL")
    if not expected:
        assert not small, f"clouds of {points} points with {num_points} sampled are enough; found {small}"
        return
    assert small, f"clouds of {points} points with {num_points} sampled must give CLOUD_TOO_SMALL"
    message = small[0]["message"]
    assert str(points) in message and str(num_points) in message, f"the finding must give {points} and {num_points}: {message!r}"
    assert small[0].get("severity", "error") == "error", f"expected a small cloud to be an error, found {small[0]}"


@pytest.mark.clause("CHECK-1", "CHECK-8")
def test_user_placeholder_cubes_are_found_in_every_recording(adapter, tmp_path):
    written = synth.write_user_root(tmp_path, frames=35, converted=8, converted_points=2048)
    small = with_code(check(adapter, tmp_path, 1024), "CLOUD_TOO_SMALL")
    recordings = [r for r, n in written["realdex-frame"]["recordings"].items() if n]
    for rec in recordings:
        assert any(rec in Path(f["path"]).parts for f in small), (
            f"recording {rec} holds 8-point cubes; no CLOUD_TOO_SMALL names it: {[f['path'] for f in small]}")
    assert len(small) <= len(recordings), (
        f"one finding per recording expected (CHECK-8), got {len(small)} for {len(recordings)} recordings")


@pytest.mark.clause("CHECK-2")
@examples(8)
@given(key=st.sampled_from(["qpos", "hand_transl", "hand_orient", "object_points", "object_transl"]),
       value=st.sampled_from([np.nan, np.inf, -np.inf]), count=st.integers(1, 5), seed=st.integers(0, 100))
def test_non_finite_values_are_named(adapter, tmp_path_factory, key, value, count, seed):
    root = tmp_path_factory.mktemp("nonfinite")
    arrays = segment_arrays(seed)
    target = np.array(arrays[key])  # a writable copy; reshape of a view may copy in silence
    where = np.unravel_index(np.random.default_rng(seed).choice(target.size, count, replace=False), target.shape)
    target[where] = value
    arrays[key] = target
    path = rawfiles.save(root / "driller" / "0.npz", arrays)
    found = with_code(check(adapter, root), "NON_FINITE")
    assert found, f"{count} {value} value(s) in {key} must give NON_FINITE"
    named = [f for f in found if key in f["message"] or key.replace("_", " ") in f["message"]]
    assert named, f"the finding must name the field {key}: {[f['message'] for f in found]}"
    assert str(path.parent) in named[0]["path"] or str(path) == named[0]["path"], f"the finding must name {path}: {named[0]}"
    # a reader that canonicalises a rotation vector (chapter 1) spreads one bad component over its three
    allowed = range(count, 3 * count + 1) if key == "hand_orient" else [count]
    stated = named[0].get("count")
    assert stated in allowed or any(str(c) in named[0]["message"] for c in allowed), (
        f"the finding must count the {count} non-finite value(s) (up to 3 per rotation): {named[0]}")


@pytest.mark.clause("CHECK-3")
@pytest.mark.parametrize("key", ["hand_orient", "object_orient"])
def test_all_zero_orientations_are_an_error_some_are_not(adapter, tmp_path, key):
    arrays = segment_arrays(1)
    arrays[key] = np.zeros_like(arrays[key])
    rawfiles.save(tmp_path / "driller" / "0.npz", arrays)
    partial = segment_arrays(2)
    partial[key][:3] = 0.0
    rawfiles.save(tmp_path / "driller" / "1.npz", partial)
    zero = with_code(check(adapter, tmp_path), "ZERO_ORIENTATION")
    paths = [Path(f["path"]).name for f in zero]
    assert paths == ["0.npz"], f"only the file whose every {key} is zero must be found; found in {paths}"
    assert key in zero[0]["message"], f"the finding must name {key}: {zero[0]['message']!r}"


@pytest.mark.clause("CHECK-3")
def test_identity_matrices_of_per_frame_files_are_found(adapter, tmp_path):
    samples = synth.make_segment("driller", 6, 16, np.random.default_rng(3))
    for i, s in enumerate(samples):
        s = {**s, "object_orient": np.zeros(3)}
        rawfiles.save(tmp_path / "driller_0" / f"{i}.npz", rawfiles.to_arrays([s], "realdex-frame", orient_encoding="matrix")[0],
                      compressed=False)
    zero = with_code(check(adapter, tmp_path, 16), "ZERO_ORIENTATION")
    assert zero and "object_orient" in zero[0]["message"], f"identity matrices in every frame must give ZERO_ORIENTATION: {zero}"


@pytest.mark.clause("CHECK-4")
@examples(8)
@given(joint=st.integers(0, 21), frames=st.integers(1, 12), above=st.booleans(), seed=st.integers(0, 100))
def test_joint_angles_outside_limits_are_counted_not_refused(adapter, tmp_path_factory, joint, frames, above, seed):
    root = tmp_path_factory.mktemp("limits")
    arrays = segment_arrays(seed)
    arrays["qpos"] = np.clip(arrays["qpos"], LOWER, UPPER)
    arrays["qpos"][:frames, joint] = UPPER[joint] + 0.1 if above else LOWER[joint] - 0.1
    rawfiles.save(root / "driller" / "0.npz", arrays)
    found = check(adapter, root)
    out = with_code(found, "JOINT_OUT_OF_LIMITS")
    assert out, f"{frames} frame(s) of joint {joint} beyond its limit must give JOINT_OUT_OF_LIMITS"
    assert out[0].get("severity") == "warning", f"straying joints are a warning, not an error: {out[0]}"
    assert out[0].get("count", frames) == frames and str(frames) in out[0]["message"], (
        f"the finding must count {frames} frame(s): {out[0]}")
    assert not errors(found), f"joints out of limits alone must give no error: {errors(found)}"


@pytest.mark.clause("CHECK-4", "CHECK-7")
@pytest.mark.parametrize("layout", rawfiles.LAYOUTS)
def test_clean_data_gives_no_error(adapter, tmp_path, layout):
    synth.write_root(tmp_path, layout, frames_per_segment=(3, 8), points=32)
    found = check(adapter, tmp_path, 32)
    assert not errors(found), f"clean {layout} data must give no error finding: {errors(found)}"
    assert not with_code(found, "JOINT_OUT_OF_LIMITS"), f"the kit's clean data is within the limits: {found}"


@pytest.mark.clause("CHECK-5")
def test_a_copied_file_gives_duplicate_frames(adapter, tmp_path):
    first, _ = clean_root(tmp_path, files=2, frames=9)
    shutil.copy(first, tmp_path / "driller" / "7.npz")
    dups = with_code(check(adapter, tmp_path), "DUPLICATE_FRAMES")
    total = sum(f.get("count") or 0 for f in dups)
    assert dups and (total == 9 or "9" in dups[0]["message"]), f"a copied 9-frame file must give 9 duplicate frames: {dups}"
    assert all(f.get("severity") == "warning" for f in dups), f"duplicates are a warning: {dups}"


@pytest.mark.clause("CHECK-6")
def test_disagreeing_frame_counts(adapter, tmp_path):
    clean_root(tmp_path, files=1)
    arrays = segment_arrays(5, frames=12)
    arrays["hand_transl"] = arrays["hand_transl"][:10]
    bad = rawfiles.save(tmp_path / "driller" / "1.npz", arrays)
    found = with_code(check(adapter, tmp_path), "FRAME_COUNT_MISMATCH")
    assert found and found[0]["path"] == str(bad), f"{bad} (hand_transl 10 frames, others 12) must give FRAME_COUNT_MISMATCH: {found}"
    assert "10" in found[0]["message"] and "12" in found[0]["message"], f"the finding must give both lengths: {found[0]['message']!r}"


@pytest.mark.clause("CHECK-2")
@pytest.mark.parametrize("layout, key, field", [
    ("realdex-segment", "object_orient", "object_orient"),
    ("realdex-segment", "object_colors", "object_colors"),
    ("converted", "contact_labels", "contact_labels"),
    ("converted", "object_scales", "object_scale"),
])
def test_non_finite_values_of_every_field_held_are_named(adapter, tmp_path, layout, key, field):
    # the fields a model may not train on are data too: a NaN object rotation or colour is a broken file
    samples = synth.make_segment("driller", 6, 64, np.random.default_rng(8), contacts=layout == "converted")
    arrays = rawfiles.to_arrays(samples, layout)[0]
    target = np.array(arrays[key], dtype=np.float64)
    target.reshape(-1)[[1, 4]] = [np.nan, np.inf]
    arrays[key] = target
    path = rawfiles.save(rawfiles.file_paths(tmp_path, layout, "driller", 1)[0], arrays)
    found = with_code(check(adapter, tmp_path), "NON_FINITE")
    named = [f for f in found if any(name in f["message"] for name in {key, field, field.replace("_", " ")})]
    assert named, f"{layout} file {path}: 2 non-finite values of {key} must give a NON_FINITE finding naming {key}; found {found}"
    assert str(path) == named[0]["path"] or str(path.parent) in named[0]["path"], f"the finding must name {path}: {named[0]}"


def repeat_part_of_the_pose(arrays: dict[str, np.ndarray], keys: tuple[str, ...], frm: int, to: int) -> dict[str, np.ndarray]:
    """The arrays with frame ``to`` taking ``keys`` of frame ``frm`` (a writable copy)."""
    out = {k: np.array(v) for k, v in arrays.items()}
    for key in keys:
        out[key][to] = out[key][frm]
    return out


@pytest.mark.clause("CHECK-5")
def test_a_frame_repeated_within_a_file_is_a_duplicate(adapter, tmp_path):
    # a repeated frame, not a repeated file: a checker that hashes whole files never sees it
    clean_root(tmp_path, files=1)
    arrays = repeat_part_of_the_pose(segment_arrays(5), ("hand_transl", "hand_orient", "qpos"), 2, 7)
    rawfiles.save(tmp_path / "driller" / "1.npz", arrays)
    dups = with_code(check(adapter, tmp_path), "DUPLICATE_FRAMES")
    total = sum(f.get("count") or 0 for f in dups)
    assert dups and (total == 1 or "1 frame" in dups[0]["message"]), (
        f"frame 7 of driller/1.npz repeats the hand pose of its frame 2: expected one DUPLICATE_FRAMES frame, found {dups}")


@pytest.mark.clause("CHECK-5")
@pytest.mark.parametrize("keys", [("qpos",), ("hand_transl", "hand_orient")], ids=["qpos", "hand-transl-and-orient"])
def test_frames_sharing_part_of_the_hand_pose_are_not_duplicates(adapter, tmp_path, keys):
    # a grasp held while the arm moves repeats qpos alone; the hand pose is translation, rotation and qpos together
    arrays = segment_arrays(6)
    for to in range(1, 12):
        arrays = repeat_part_of_the_pose(arrays, keys, 0, to)
    rawfiles.save(tmp_path / "driller" / "0.npz", arrays)
    dups = with_code(check(adapter, tmp_path), "DUPLICATE_FRAMES")
    assert not dups, f"frames that share only {' and '.join(keys)} are not duplicate frames; found {dups}"


@pytest.mark.clause("CHECK-2", "CHECK-7")
@pytest.mark.parametrize("layout", ["realdex-segment", "realdex-frame"])
def test_placeholders_of_missing_fields_are_not_checked(adapter, tmp_path, layout):
    # converted samples (no object pose) written as a RealDex layout: the pose is NaN and named in missing_fields
    samples = [{**s, "object_transl": None, "object_orient": None}
               for s in synth.make_segment("driller", 4, 64, np.random.default_rng(9))]
    for arrays, path in zip(rawfiles.to_arrays(samples, layout), rawfiles.file_paths(tmp_path, layout, "driller", 4)):
        rawfiles.save(path, arrays)
    found = with_code(check(adapter, tmp_path), "NON_FINITE")
    assert not found, (f"the NaN under a key that missing_fields names is the placeholder of an absent field, not a "
                       f"non-finite value: expected no NON_FINITE for {layout} files without an object pose, found {found}")


@pytest.mark.clause("CHECK-6")
def test_disagreeing_sample_counts_of_a_converted_file(adapter, tmp_path):
    samples = synth.make_segment("driller", 6, 64, np.random.default_rng(10), contacts=True)
    arrays = rawfiles.to_arrays(samples, "converted")[0]
    arrays = {**arrays, "obj_pc": arrays["obj_pc"][:5]}
    del arrays["num_samples"]
    bad = rawfiles.save(tmp_path / "driller" / "converted_data.npz", arrays)
    found = with_code(check(adapter, tmp_path), "FRAME_COUNT_MISMATCH")
    assert found and found[0]["path"] == str(bad), f"{bad} (hand_poses 6 samples, obj_pc 5) must give FRAME_COUNT_MISMATCH: {found}"
    assert "5" in found[0]["message"] and "6" in found[0]["message"], f"the finding must give both lengths: {found[0]['message']!r}"


@pytest.mark.clause("CHECK-3")
def test_all_zero_hand_rotations_of_a_converted_file_are_an_error(adapter, tmp_path):
    # the converted layout has no object pose, but its hand rotations can fall back to zeros like any other
    samples = [{**s, "hand_orient": np.zeros(3)} for s in synth.make_segment("driller", 6, 64, np.random.default_rng(11))]
    rawfiles.save(tmp_path / "driller" / "converted_data.npz", rawfiles.to_arrays(samples, "converted")[0])
    zero = with_code(check(adapter, tmp_path), "ZERO_ORIENTATION")
    assert zero and "hand_orient" in zero[0]["message"], (
        f"a converted file whose every hand rotation is zero must give ZERO_ORIENTATION naming hand_orient: {zero}")


@pytest.mark.clause("CHECK-4", "CHECK-8")
def test_joints_out_of_limits_are_counted_over_every_file_of_a_recording(adapter, tmp_path):
    # one recording of 6 one-frame files, 4 of them with joint 0 above its limit: 4 frames in all, whether given
    # as one finding for the recording (CHECK-8) or one per file
    written = synth.write_root(tmp_path, "realdex-frame", objects=("driller",), segments_per_object=1,
                               frames_per_segment=(6, 6), points=64)
    paths = sorted(Path(f["path"]) for f in written["files"])
    assert len(paths) == 6, f"expected 6 one-frame files, found {paths}"
    for path in paths[:4]:
        arrays = rawfiles.load(path)
        arrays["qpos"] = np.clip(arrays["qpos"], LOWER, UPPER)
        arrays["qpos"][..., 0] = UPPER[0] + 0.1
        rawfiles.save(path, arrays, compressed=False)
    out = with_code(check(adapter, tmp_path), "JOINT_OUT_OF_LIMITS")
    if out and all(f.get("count") is not None for f in out):
        counted = sum(f["count"] for f in out) == 4
    else:  # no count: the one finding of the recording gives the number (a joint name like rh_FFJ4 is not one)
        counted = len(out) == 1 and re.search(r"(?<![\w.])4(?![\w.])", out[0]["message"]) is not None
    assert counted, f"4 one-frame files of one recording with joint 0 beyond its limit: expected 4 frames counted, found {out}"



@pytest.mark.clause("CHECK-1", "CHECK-8")
def test_small_clouds_are_counted_over_every_file_of_a_recording(adapter, tmp_path):
    # one recording of 5 one-frame files whose clouds have 8 points, 64 sampled: 5 frames in all
    synth.write_root(tmp_path, "realdex-frame", objects=("driller",), segments_per_object=1, frames_per_segment=(5, 5),
                     points=8)
    out = with_code(check(adapter, tmp_path, 64), "CLOUD_TOO_SMALL")
    if out and all(f.get("count") is not None for f in out):
        counted = sum(f["count"] for f in out) == 5
    else:
        counted = len(out) == 1 and re.search(r"(?<![\w.])5(?![\w.])", out[0]["message"]) is not None
    assert counted, f"5 one-frame files of one recording with 8-point clouds, 64 sampled: expected 5 frames counted, found {out}"


@pytest.mark.clause("CHECK-5")
def test_a_root_of_two_equal_frames_gives_one_duplicate(adapter, tmp_path):
    written = synth.write_root(tmp_path, "realdex-frame", objects=("driller",), segments_per_object=1,
                               frames_per_segment=(2, 2), points=64)
    first, second = sorted(Path(f["path"]) for f in written["files"])
    shutil.copy(first, second)
    dups = with_code(check(adapter, tmp_path), "DUPLICATE_FRAMES")
    assert dups and sum(f.get("count") or 1 for f in dups) == 1, f"2 one-frame files, the second a copy: expected 1 duplicate frame, found {dups}"
