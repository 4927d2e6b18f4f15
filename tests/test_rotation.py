"""The reference's closed-form matrix → rotation vector agrees with scipy everywhere, half turns included."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from realdex_ref.rotation import matrix_to_rotvec

RNG = np.random.default_rng(7)
AXES = RNG.normal(size=(500, 3))
AXES /= np.linalg.norm(AXES, axis=1, keepdims=True)
CASES = {
    "uniform": Rotation.random(2000, random_state=3).as_rotvec(),
    "near-zero": AXES * RNG.uniform(0, 1e-6, size=(500, 1)),
    "exactly-zero": np.zeros((3, 3)),
    "near-half-turn": AXES * (np.pi - RNG.uniform(0, 5e-3, size=(500, 1))),
    "half-turn": AXES * np.pi,
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_matrix_to_rotvec_is_the_same_rotation_with_angle_at_most_pi(case):
    rotvec = CASES[case]
    got = matrix_to_rotvec(Rotation.from_rotvec(rotvec).as_matrix())
    err = (Rotation.from_rotvec(got).inv() * Rotation.from_rotvec(rotvec)).magnitude()
    assert err.max() < 1e-9, f"expected the same rotations within 1e-9 rad, found a geodesic error of {err.max():.3g} rad"
    angle = np.linalg.norm(got, axis=1)
    assert angle.max() <= np.pi + 1e-12, f"expected angles in [0, pi], found {angle.max()!r}"


def test_matrix_to_rotvec_keeps_leading_shape():
    m = Rotation.from_rotvec(CASES["uniform"][:6]).as_matrix().reshape(2, 3, 3, 3)
    assert matrix_to_rotvec(m).shape == (2, 3, 3), f"expected shape (2, 3, 3), found {matrix_to_rotvec(m).shape}"
