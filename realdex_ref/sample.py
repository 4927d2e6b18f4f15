"""The canonical sample (spec chapter 1): its fields and a validator with errors for people."""
from __future__ import annotations

from typing import Any

import numpy as np

import realdex_spec
from realdex_ref.errors import DataError

JOINT_NAMES: tuple[str, ...] = tuple(realdex_spec.joint_names())
JOINT_LOWER = np.array([j["lower"] for j in realdex_spec.schema()["joints"]])
JOINT_UPPER = np.array([j["upper"] for j in realdex_spec.schema()["joints"]])
FIELDS: dict[str, dict] = {f["name"]: f for f in realdex_spec.schema()["fields"]}
REQUIRED = tuple(name for name, f in FIELDS.items() if f["required"])
POSE_FIELDS = ("hand_transl", "hand_orient", "qpos")
HAND_SIDES = ("right", "left")


def validate_sample(sample: Any, *, where: str = "sample") -> None:
    """Raise ``DataError`` naming the field, what was expected and what was found (SAMPLE-1, -3, -4, -6)."""
    if not isinstance(sample, dict):
        raise DataError(f"{where}: expected a dict of canonical fields, found {type(sample).__name__}")
    for name in REQUIRED:
        if sample.get(name) is None:
            raise DataError(f"{where}: required field {name!r} is missing", key=name)
    n_points = None
    for name, field in FIELDS.items():
        value = sample.get(name)
        if value is None:
            continue
        if field["dtype"] == "str":
            if name == "hand_side" and value not in HAND_SIDES:
                raise DataError(f"{where}: field 'hand_side': expected one of {HAND_SIDES}, found {value!r}", key=name)
            continue
        if name == "object_scale":
            if not isinstance(value, (float, np.floating)) or not np.isfinite(value) or value <= 0:
                raise DataError(f"{where}: field 'object_scale': expected a positive finite float, found {value!r}", key=name)
            continue
        if not isinstance(value, np.ndarray):
            raise DataError(f"{where}: field {name!r}: expected a numpy float64 array, found {type(value).__name__}", key=name)
        if value.dtype != np.float64:
            raise DataError(f"{where}: field {name!r}: expected dtype float64, found {value.dtype}", key=name)
        expected = tuple(field["shape"])
        if len(value.shape) != len(expected) or any(
            isinstance(e, int) and e != s for e, s in zip(expected, value.shape)
        ):
            raise DataError(f"{where}: field {name!r}: expected shape {_shape_text(expected)}, found {value.shape}", key=name)
        if "P" in expected:
            p = value.shape[expected.index("P")]
            if n_points is None:
                n_points = p
            elif p != n_points:
                raise DataError(
                    f"{where}: field {name!r}: expected {n_points} points like object_points, found {p}", key=name
                )
        if not np.isfinite(value).all():
            raise DataError(f"{where}: field {name!r}: expected finite values, found NaN or infinity", key=name)
    if sample["object_points"].shape[0] < 1:
        raise DataError(f"{where}: field 'object_points': expected at least 1 point, found 0", key="object_points")
    for name in ("hand_orient", "object_orient"):
        value = sample.get(name)
        if value is not None and np.linalg.norm(value) > np.pi + 1e-6:
            raise DataError(
                f"{where}: field {name!r}: expected a rotation vector with angle in [0, pi], found angle "
                f"{np.linalg.norm(value):.6f}",
                key=name,
            )
    for name in ("object_colors", "contact_labels"):
        value = sample.get(name)
        if value is not None and (value.min() < 0 or value.max() > 1):
            raise DataError(
                f"{where}: field {name!r}: expected values in [0, 1], found [{value.min():.4g}, {value.max():.4g}]", key=name
            )


def _shape_text(shape: tuple) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
