"""Rotation encodings of the canonical sample: rotation vectors (axis-angle), 3×3 matrices, geodesic angles."""
from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation


def rotvec_to_matrix(rotvec: np.ndarray) -> np.ndarray:
    """(..., 3) rotation vectors to (..., 3, 3) matrices."""
    rv = np.asarray(rotvec, dtype=np.float64)
    return Rotation.from_rotvec(rv.reshape(-1, 3)).as_matrix().reshape(rv.shape[:-1] + (3, 3))


# Within this of a half turn the skew part of a matrix no longer fixes the axis well: scipy decides.
_NEAR_HALF_TURN = 1e-3


def matrix_to_rotvec(matrix: np.ndarray) -> np.ndarray:
    """(..., 3, 3) rotation matrices to (..., 3) rotation vectors with angle in [0, π].

    The closed form (angle from trace and skew part, axis from the skew part) is used where it is
    exact to rounding; it costs a few microseconds where scipy's general conversion costs a few
    hundred per call, which matters for a root of one-frame files. Near a half turn scipy decides.
    """
    m = np.asarray(matrix, dtype=np.float64)
    flat = m.reshape(-1, 3, 3)
    skew = np.stack([flat[:, 2, 1] - flat[:, 1, 2], flat[:, 0, 2] - flat[:, 2, 0], flat[:, 1, 0] - flat[:, 0, 1]], axis=1)
    two_sin = np.linalg.norm(skew, axis=1)  # 2 sin(angle)
    cos = (np.trace(flat, axis1=1, axis2=2) - 1.0) / 2.0
    angle = np.arctan2(two_sin / 2.0, cos)
    scale = np.where(two_sin > 1e-12, angle / np.where(two_sin > 1e-12, two_sin, 1.0), 0.5)
    out = skew * scale[:, None]
    hard = angle > np.pi - _NEAR_HALF_TURN
    if hard.any():
        out[hard] = Rotation.from_matrix(flat[hard]).as_rotvec()
    return out.reshape(m.shape[:-2] + (3,))


def canonical_rotvec(rotvec: np.ndarray) -> np.ndarray:
    """(..., 3) rotation vectors with angle in [0, π] (SAMPLE-3); ``rotvec`` itself when all already are.

    Only vectors beyond a half turn are rewritten, so canonical ones keep their exact values;
    non-finite rows (NaN placeholders of missing fields) are left alone.
    """
    rv = np.asarray(rotvec, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        beyond = np.linalg.norm(rv, axis=-1) > np.pi
    if not beyond.any():
        return rv
    out = rv.copy()
    out[beyond] = Rotation.from_rotvec(rv[beyond].reshape(-1, 3)).as_rotvec().reshape(rv[beyond].shape)
    return out


def geodesic_angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle in radians of the rotation taking ``a`` to ``b``; both (..., 3) rotation vectors."""
    ra = Rotation.from_rotvec(np.asarray(a, dtype=np.float64).reshape(-1, 3))
    rb = Rotation.from_rotvec(np.asarray(b, dtype=np.float64).reshape(-1, 3))
    return (ra.inv() * rb).magnitude().reshape(np.shape(a)[:-1])


def is_rotation_matrix(matrix: np.ndarray, tol: float = 1e-4) -> np.ndarray:
    """Whether each (..., 3, 3) matrix is orthonormal with determinant +1, within ``tol``."""
    m = np.asarray(matrix, dtype=np.float64)
    eye = np.eye(3)
    ortho = np.abs(np.einsum("...ij,...kj->...ik", m, m) - eye).max(axis=(-2, -1)) <= tol
    return ortho & (np.abs(np.linalg.det(m) - 1.0) <= tol)
