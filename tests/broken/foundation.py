"""Broken adapters for chapters 1 to 3 (sample, layouts, equivalence); the suite must reject each on the clause it breaks.

Each is the reference with one member changed, the way real loaders go wrong.
"""
from __future__ import annotations

from pathlib import Path
from unittest import mock

import numpy as np
from scipy.spatial.transform import Rotation

import realdex_spec
from realdex_ref import errors, layouts
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


class RefusesExtraKeys(ReferenceAdapter):
    """Strict detection: a file with any key beyond its layout's matches no layout (a note beside the arrays is fatal)."""

    name = "broken-refuses-extra-keys"

    def _strict(self, path):
        known = set().union(*(set(v["required"]) | set(v["optional"]) for v in layouts._SPEC.values()))
        extra = sorted(set(load_npz(Path(path))) - known - {layouts.MISSING_KEY})
        if extra:
            raise errors.LayoutError(f"matches no RealDex layout: unexpected keys {', '.join(extra)}", path=Path(path))

    def detect_layout(self, path):
        self._strict(path)
        return super().detect_layout(path)

    def read_file(self, path):
        self._strict(path)
        return super().read_file(path)


class RefusesPlaceholderMatrix(ReferenceAdapter):
    """Refuses every non-finite (1, 3, 3) object_orient, before it reads missing_fields: a NaN placeholder is fatal."""

    name = "broken-refuses-placeholder-matrix"

    def read_file(self, path):
        orient = _matrix_orient(path)
        if orient is not None and not np.isfinite(orient).all():
            raise errors.DataError("expected (1, 3, 3) rotation matrices, found NaN", path=Path(path), key="object_orient")
        return super().read_file(path)


class PassesHandSideThrough(ReferenceAdapter):
    """Reads hand_sides as they are stored: 'Right' reaches the samples, where only 'right' or 'left' may."""

    name = "broken-passes-hand-side-through"

    def read_file(self, path):
        arrays = load_npz(Path(path))
        sides = arrays.get("hand_sides")
        if sides is None or sides.dtype.kind != "U":
            return super().read_file(path)
        stored_as_right = {**arrays, "hand_sides": np.full(sides.shape, "right")}
        with mock.patch.object(layouts, "load_npz", lambda *args, **kwargs: stored_as_right):
            samples = super().read_file(path)
        for s, side in zip(samples, sides):
            s["hand_side"] = str(side)
        return samples


class ValidatorChecksJointLimits(ReferenceAdapter):
    """Its validator also refuses joint angles beyond the URDF limits, as if they were out of spec: real data strays."""

    name = "broken-validator-checks-joint-limits"

    def validate_sample(self, sample):
        super().validate_sample(sample)
        for joint, angle in zip(realdex_spec.schema()["joints"], np.asarray(sample["qpos"])):
            if not joint["lower"] <= angle <= joint["upper"]:
                raise ValueError(f"qpos: expected {joint['name']} within [{joint['lower']}, {joint['upper']}], found {angle}")


class WritesBytesHandSides(ReferenceAdapter):
    """Writes hand_sides as bytes (dtype S), as a conversion from HDF5 or Python 2 would: other readers may refuse them."""

    name = "broken-writes-bytes-hand-sides"

    def write_samples(self, samples, dest, layout):
        result = super().write_samples(samples, dest, layout)
        for path in result["files"]:
            arrays = load_npz(Path(path))
            if "hand_sides" in arrays:
                arrays["hand_sides"] = np.char.encode(arrays["hand_sides"], "ascii")
                with open(path, "wb") as fh:
                    np.savez_compressed(fh, **arrays)
        return result


class ConvertsInListingOrder(ReferenceAdapter):
    """Gathers each recording's frames into its segment by sorting the samples on their source file's path, as
    strings (the order of a sorted listing: ``10.npz`` before ``2.npz``), not in the order it is given them."""

    name = "broken-converts-in-listing-order"

    def write_samples(self, samples, dest, layout):
        by_source = sorted(samples, key=lambda s: (str(s.get("object")), str(s.get("source") or "")))  # stable
        return super().write_samples(by_source, dest, layout)


READS_ONE_LAYOUT = ReadsOneLayout()
TRANSPOSES_MATRIX = TransposesMatrix()
ZEROES_ROTATION = ZeroesUnconvertedRotation()
WRITES_FLOAT16 = WritesFloat16()
SWAPS_QUATERNION_ORDER = SwapsQuaternionOrder()
INVENTS_OBJECT_POSE = InventsObjectPose()
SAYS_NOTHING_DROPPED = SaysNothingDropped()
REFUSES_EXTRA_KEYS = RefusesExtraKeys()
REFUSES_PLACEHOLDER_MATRIX = RefusesPlaceholderMatrix()
PASSES_HAND_SIDE_THROUGH = PassesHandSideThrough()
VALIDATOR_CHECKS_JOINT_LIMITS = ValidatorChecksJointLimits()
WRITES_BYTES_HAND_SIDES = WritesBytesHandSides()
CONVERTS_IN_LISTING_ORDER = ConvertsInListingOrder()
