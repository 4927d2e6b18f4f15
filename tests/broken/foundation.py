"""Broken adapters for chapters 1 to 3 (sample, layouts, equivalence); the suite must reject each on the clause it breaks.

Each is the reference with one member changed, the way real loaders go wrong.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from realdex_ref import layouts
from realdex_ref.adapter import ReferenceAdapter
from realdex_ref.npzio import load_npz


def _matrix_orient(path) -> np.ndarray | None:
    """The (T, 3, 3) object_orient of a file that holds matrices, else None."""
    orient = load_npz(Path(path)).get("object_orient")
    return orient if orient is not None and orient.ndim == 3 else None


class ReadsOneLayout(ReferenceAdapter):
    """Declares every layout but reads only segment files: other files give no samples."""

    name = "broken-reads-one-layout"

    def read_file(self, path):
        if layouts.detect_layout(path) != "realdex-segment":
            return []
        return super().read_file(path)


class TransposesMatrix(ReferenceAdapter):
    """Reads a (1, 3, 3) object_orient as its transpose: the inverse rotation (row- vs column-major mix-up)."""

    name = "broken-transposes-matrix"

    def read_file(self, path):
        samples = super().read_file(path)
        matrices = _matrix_orient(path)
        if matrices is not None:
            for s, m in zip(samples, matrices):
                s["object_orient"] = Rotation.from_matrix(m.T).as_rotvec()
        return samples


class ZeroesUnconvertedRotation(ReferenceAdapter):
    """The fallback of the user's fork: a rotation held as a matrix becomes zeros (the identity)."""

    name = "broken-zeroes-rotation"

    def read_file(self, path):
        samples = super().read_file(path)
        if _matrix_orient(path) is not None:
            for s in samples:
                s["object_orient"] = np.zeros(3)
        return samples


class WritesFloat16(ReferenceAdapter):
    """Writes every float array as float16 to save space."""

    name = "broken-writes-float16"

    def write_samples(self, samples, dest, layout):
        result = super().write_samples(samples, dest, layout)
        for path in result["files"]:
            arrays = {k: (v.astype(np.float16) if v.dtype.kind == "f" else v) for k, v in load_npz(Path(path)).items()}
            np.savez(path, **arrays)
        return result


class SwapsQuaternionOrder(ReferenceAdapter):
    """Converts matrices through a quaternion read as (w, x, y, z) when it is (x, y, z, w)."""

    name = "broken-swaps-quaternion-order"

    def read_file(self, path):
        samples = super().read_file(path)
        matrices = _matrix_orient(path)
        if matrices is not None:
            for s, m in zip(samples, matrices):
                x, y, z, w = Rotation.from_matrix(m).as_quat()
                s["object_orient"] = Rotation.from_quat([w, x, y, z]).as_rotvec()  # the bug: w taken as x
        return samples


class InventsObjectPose(ReferenceAdapter):
    """Gives converted samples an identity object pose at the origin instead of leaving it absent."""

    name = "broken-invents-object-pose"

    def read_file(self, path):
        samples = super().read_file(path)
        for s in samples:
            if s.get("object_transl") is None:
                s["object_transl"] = np.zeros(3)
                s["object_orient"] = np.zeros(3)
        return samples


class SaysNothingDropped(ReferenceAdapter):
    """Converts without saying what the target layout could not hold: ``dropped`` is always empty."""

    name = "broken-says-nothing-dropped"

    def write_samples(self, samples, dest, layout):
        return {**super().write_samples(samples, dest, layout), "dropped": []}


READS_ONE_LAYOUT = ReadsOneLayout()
TRANSPOSES_MATRIX = TransposesMatrix()
ZEROES_ROTATION = ZeroesUnconvertedRotation()
WRITES_FLOAT16 = WritesFloat16()
SWAPS_QUATERNION_ORDER = SwapsQuaternionOrder()
INVENTS_OBJECT_POSE = InventsObjectPose()
SAYS_NOTHING_DROPPED = SaysNothingDropped()
