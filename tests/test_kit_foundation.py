"""The kit's own pieces for chapters 1 to 3: sameness by geodesic angle, and its layout writer/reader agreeing."""
from __future__ import annotations

import math

import numpy as np
import pytest

import realdex_spec
from realdex_conformance import assertions as ah
from realdex_conformance import rawfiles, synth

FIELDS = [f["name"] for f in realdex_spec.schema()["fields"]]
AXIS = np.array([0.0, 0.6, 0.8])


@pytest.mark.parametrize(
    "a, b",
    [(AXIS * math.pi, -AXIS * math.pi), (np.zeros(3), AXIS * 1e-9), (AXIS * (math.pi - 1e-9), -AXIS * (math.pi - 1e-9)),
     (AXIS * (math.pi + 0.5), -AXIS * (math.pi - 0.5))],
    ids=["half-turn-both-signs", "identity-and-1e-9", "nearly-half-turn-both-signs", "beyond-half-turn-and-its-canonical"],
)
def test_rotations_that_are_the_same_compare_equal(a, b):
    ah.assert_same_sample({"hand_orient": a}, {"hand_orient": b}, ["hand_orient"], "kit self-test")


def test_a_zeroed_rotation_fails_and_says_expected_and_found():
    with pytest.raises(AssertionError) as caught:
        ah.assert_same_sample({"object_orient": AXIS * 1.2}, {"object_orient": np.zeros(3)}, ["object_orient"], "kit self-test")
    message = str(caught.value)
    assert "expected rotation vector" in message and "found" in message and "1.2" in message, message


def test_an_invented_field_fails_and_a_moved_joint_is_named():
    with pytest.raises(AssertionError, match="absent"):
        ah.assert_same_sample({"object_transl": None}, {"object_transl": np.zeros(3)}, ["object_transl"], "kit self-test")
    q = np.linspace(0, 1, 22)
    with pytest.raises(AssertionError, match="rh_LFJ3"):
        ah.assert_same_sample({"qpos": q}, {"qpos": np.where(np.arange(22) == 14, q + 0.01, q)}, ["qpos"], "kit self-test")


@pytest.mark.parametrize("layout, encoding", [("realdex-segment", "axis-angle"), ("realdex-frame", "axis-angle"),
                                              ("realdex-frame", "matrix"), ("converted", "axis-angle")])
def test_the_kits_reader_reads_what_its_writer_wrote(tmp_path, layout, encoding):
    samples = synth.make_segment("driller", 4, 9, np.random.default_rng(4), contacts=True)
    holds = set(rawfiles.HOLDS[layout])
    expected = [{k: (s[k] if k in holds else None) for k in FIELDS} for s in samples]
    got = [s for p in rawfiles.write_raw(samples, tmp_path, layout, orient_encoding=encoding) for s in rawfiles.read_raw(p)]
    ah.assert_same_samples(expected, got, FIELDS, f"kit writer then kit reader, {layout} ({encoding})")
    for s in got:
        ah.assert_canonical(s, f"kit reader, {layout}")
