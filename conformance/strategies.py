"""Hypothesis strategies for canonical samples, kept small so that a run stays fast.

Tests draw from these with ``data.draw(strategy, label=...)`` so that a falsifying example
names each value. Clouds have a few points: per-point work is not what these tests are
about (the realistic sizes come from ``conformance.synth`` in a few fixed cases).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import realdex_spec
from conformance import rawfiles

JOINTS = realdex_spec.schema()["joints"]
CROP_LOW = (0.8, -0.6, 0.75)
CROP_HIGH = (1.9, 0.5, 1.2)
NEAR = 1e-6  # how close to 0 and to π the "near" rotations come


def _floats(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def unit_axes() -> st.SearchStrategy[np.ndarray]:
    """Unit vectors, from three components not all near zero."""
    return (
        st.tuples(_floats(-1, 1), _floats(-1, 1), _floats(-1, 1))
        .map(np.array)
        .filter(lambda v: np.linalg.norm(v) > 0.1)
        .map(lambda v: v / np.linalg.norm(v))
    )


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


def _vectors(shape: tuple[int, ...], low: Any, high: Any) -> st.SearchStrategy[np.ndarray]:
    low_a, high_a = np.broadcast_to(low, shape), np.broadcast_to(high, shape)
    return st.tuples(*[_floats(float(a), float(b)) for a, b in zip(low_a.ravel(), high_a.ravel())]).map(
        lambda xs: np.array(xs, dtype=np.float64).reshape(shape)
    )


def qpos() -> st.SearchStrategy[np.ndarray]:
    """Joint angles within their URDF limits, in RealDex order."""
    return _vectors((22,), [j["lower"] for j in JOINTS], [j["upper"] for j in JOINTS])


def positions() -> st.SearchStrategy[np.ndarray]:
    return _vectors((3,), CROP_LOW, CROP_HIGH)


def clouds(points: int) -> st.SearchStrategy[np.ndarray]:
    return hnp.arrays(np.float64, (points, 3), elements=_floats(0.0, 1.0)).map(
        lambda u: np.asarray(CROP_LOW) + u * (np.asarray(CROP_HIGH) - np.asarray(CROP_LOW))
    )


def unit_arrays(shape: tuple[int, ...]) -> st.SearchStrategy[np.ndarray]:
    return hnp.arrays(np.float64, shape, elements=_floats(0.0, 1.0))


@st.composite
def segment(
    draw: st.DrawFn,
    holds: tuple[str, ...] = rawfiles.HOLDS["realdex-segment"],
    frames: tuple[int, int] = (1, 4),
    points: tuple[int, int] = (1, 8),
) -> list[dict[str, Any]]:
    """Samples of one object sharing one cloud, holding the required fields and some of ``holds``.

    The object pose is held whenever ``holds`` has it (the RealDex layouts require it);
    colours, contacts, scale and hand side are each held or not, for the whole segment.
    """
    n = draw(st.integers(*frames))
    p = draw(st.integers(*points))
    cloud = draw(clouds(p))
    shared: dict[str, Any] = {"object": draw(st.sampled_from(["driller", "sprayer"]))}
    if "object_colors" in holds and draw(st.booleans()):
        shared["object_colors"] = draw(unit_arrays((p, 3)))
    if "object_scale" in holds and draw(st.booleans()):
        shared["object_scale"] = draw(_floats(0.05, 20.0))
    if "hand_side" in holds and draw(st.booleans()):
        shared["hand_side"] = draw(st.sampled_from(["right", "left"]))
    with_contacts = "contact_labels" in holds and draw(st.booleans())
    with_pose = "object_transl" in holds
    samples = []
    for _ in range(n):
        sample = {
            "hand_transl": draw(positions()),
            "hand_orient": draw(rotvecs()),
            "qpos": draw(qpos()),
            "object_points": cloud,
            **shared,
        }
        if with_pose:
            sample["object_transl"] = draw(positions())
            sample["object_orient"] = draw(rotvecs())
        if with_contacts:
            sample["contact_labels"] = draw(unit_arrays((p,)))
        for name in rawfiles.OPTIONAL_FIELDS:
            sample.setdefault(name, None)
        samples.append(sample)
    return samples


def samples_for(layout: str, *, segments: tuple[int, int] = (1, 2), frames: tuple[int, int] = (1, 4)) -> st.SearchStrategy[list[dict]]:
    """Samples holding only fields ``layout`` can hold: one or more segments, one after another."""
    holds = rawfiles.HOLDS[layout]
    return st.lists(segment(holds=holds, frames=frames), min_size=segments[0], max_size=segments[1]).map(
        lambda groups: [s for g in groups for s in g]
    )


def segments_for(layout: str, *, frames: tuple[int, int] = (1, 4)) -> st.SearchStrategy[list[dict]]:
    """One segment holding only fields ``layout`` can hold (the unit the kit's writer writes to one file)."""
    return segment(holds=rawfiles.HOLDS[layout], frames=frames)
