"""Hypothesis strategies for canonical samples, kept small so that a run stays fast.

Tests draw from these with ``data.draw(strategy, label=...)`` so that a falsifying example
names each value. Clouds have a few points: per-point work is not what these tests are
about (the realistic sizes come from ``realdex_conformance.synth`` in a few fixed cases).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import strategies as st

import realdex_spec
from realdex_conformance import rawfiles

JOINTS = realdex_spec.schema()["joints"]
CROP_LOW = (0.8, -0.6, 0.75)
CROP_HIGH = (1.9, 0.5, 1.2)
NEAR = 1e-6  # how close to 0 and to π the "near" rotations come


def _floats(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def unit_axes() -> st.SearchStrategy[np.ndarray]:
    """Unit vectors, from three components not all near zero."""
    def unit(xyz: tuple[float, float, float]) -> np.ndarray:
        v = np.array(xyz)
        if np.linalg.norm(v) < 0.1:  # mapped, not filtered: no draw is wasted
            v = v + np.array([1.0, 0.0, 0.0])
        return v / np.linalg.norm(v)

    return st.tuples(_floats(-1, 1), _floats(-1, 1), _floats(-1, 1)).map(unit)


def rotation_angles() -> st.SearchStrategy[float]:
    """Angles in [0, π], with weight on the hard cases: 0, near 0, near π and π itself."""
    return st.one_of(
        _floats(0.0, math.pi),
        _floats(0.0, NEAR),
        _floats(math.pi - NEAR, math.pi),
        st.sampled_from([0.0, math.pi]),
    )


def rotvecs() -> st.SearchStrategy[np.ndarray]:
    """Canonical rotation vectors (angle in [0, π]) including the identity and half turns."""
    return st.builds(lambda axis, angle: axis * angle, unit_axes(), rotation_angles())


JOINT_LOWER = np.array([j["lower"] for j in JOINTS])
JOINT_UPPER = np.array([j["upper"] for j in JOINTS])


def _uniform(rng: np.random.Generator, low: Any, high: Any, shape: tuple[int, ...]) -> np.ndarray:
    low, high = np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
    return low + rng.random(shape) * (high - low)


@st.composite
def segment(
    draw: st.DrawFn,
    holds: tuple[str, ...] = rawfiles.HOLDS["realdex-segment"],
    frames: tuple[int, int] = (1, 4),
    points: tuple[int, int] = (1, 8),
    own_clouds: bool = False,
) -> list[dict[str, Any]]:
    """Samples of one object sharing one cloud, holding the required fields and some of ``holds``.

    The object pose is held whenever ``holds`` has it (the RealDex layouts require it);
    colours, contacts, scale and hand side are each held or not, for the whole segment. With
    ``own_clouds`` the samples may instead each hold a cloud of their own (of one size), as the
    samples of a real converted file do (drawn, so that both cases come up).
    """
    n = draw(st.integers(*frames))
    p = draw(st.integers(*points))
    # bulk values (clouds, joints, positions) come from one drawn seed, which keeps generation
    # fast; rotations, sizes and which fields are held are drawn one by one, as they are
    # where readers go wrong
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    cloud = _uniform(rng, CROP_LOW, CROP_HIGH, (p, 3))
    shared: dict[str, Any] = {"object": draw(st.sampled_from(["driller", "sprayer"]))}
    if "object_colors" in holds and draw(st.booleans()):
        shared["object_colors"] = rng.random((p, 3))
    if "object_scale" in holds and draw(st.booleans()):
        shared["object_scale"] = float(_uniform(rng, 0.05, 20.0, ()))
    if "hand_side" in holds and draw(st.booleans()):
        shared["hand_side"] = draw(st.sampled_from(["right", "left"]))
    with_contacts = "contact_labels" in holds and draw(st.booleans())
    with_pose = "object_transl" in holds
    cloud_each = own_clouds and draw(st.booleans())
    samples = []
    for k in range(n):
        sample = {
            "hand_transl": _uniform(rng, CROP_LOW, CROP_HIGH, (3,)),
            "hand_orient": draw(rotvecs()),
            "qpos": _uniform(rng, JOINT_LOWER, JOINT_UPPER, (22,)),
            "object_points": _uniform(rng, CROP_LOW, CROP_HIGH, (p, 3)) if cloud_each and k else cloud,
            **shared,
        }
        if with_pose:
            sample["object_transl"] = _uniform(rng, CROP_LOW, CROP_HIGH, (3,))
            sample["object_orient"] = draw(rotvecs())
        if with_contacts:
            sample["contact_labels"] = rng.random(p)
        for name in rawfiles.OPTIONAL_FIELDS:
            sample.setdefault(name, None)
        samples.append(sample)
    return samples


def samples_for(layout: str, *, segments: tuple[int, int] = (1, 2), frames: tuple[int, int] = (1, 4)) -> st.SearchStrategy[list[dict]]:
    """Samples holding only fields ``layout`` can hold: one or more segments, one after another (for
    ``converted``, whose samples each have a cloud, segments whose samples may not share one)."""
    holds = rawfiles.HOLDS[layout]
    return st.lists(segment(holds=holds, frames=frames, own_clouds=layout == "converted"),
                    min_size=segments[0], max_size=segments[1]).map(
        lambda groups: [s for g in groups for s in g]
    )


def segments_for(layout: str, *, frames: tuple[int, int] = (1, 4)) -> st.SearchStrategy[list[dict]]:
    """One segment holding only fields ``layout`` can hold (the unit the kit's writer writes to one file);
    for ``converted``, samples that may each hold a cloud of their own."""
    return segment(holds=rawfiles.HOLDS[layout], frames=frames, own_clouds=layout == "converted")


def orient_encodings(layout: str) -> st.SearchStrategy[str]:
    """How the kit writes ``object_orient``: both encodings seen in the wild for realdex-frame files
    ((1, 3) rotation vector or (1, 3, 3) matrix), a rotation vector for the other layouts."""
    return st.sampled_from(["axis-angle", "matrix"]) if layout == "realdex-frame" else st.just("axis-angle")
