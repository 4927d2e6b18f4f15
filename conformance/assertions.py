"""Assertions of the suite that read as sentences, each failing with what was expected and what was found.

Sameness is spec chapter 3's: every field within the tolerances of ``schema.json``, rotations
by geodesic angle, absent only equal to absent, metadata never compared.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

import realdex_spec
from realdex_conformance import features

FIELDS: dict[str, dict] = {f["name"]: f for f in realdex_spec.schema()["fields"]}
TOLERANCES: dict[str, float] = realdex_spec.schema()["tolerances"]
ROTATION_FIELDS = ("hand_orient", "object_orient")
JOINT_NAMES = realdex_spec.joint_names()


def tolerance(field: str) -> float:
    """The schema tolerance of a field, from its unit: metres, radians or unitless."""
    unit = FIELDS[field]["unit"]
    if unit == "m":
        return TOLERANCES["position_m"]
    if unit == "rad":
        return TOLERANCES["angle_rad"]
    return TOLERANCES["unitless"]


def geodesic_angle(a: Any, b: Any) -> float:
    """Angle in radians of the rotation that takes rotation vector ``a`` to ``b``."""
    # copies: scipy refuses a read-only buffer, and a reader may hand out read-only arrays (LAYOUT-12)
    ra = Rotation.from_rotvec(np.array(a, dtype=np.float64).reshape(3))
    rb = Rotation.from_rotvec(np.array(b, dtype=np.float64).reshape(3))
    return float((ra.inv() * rb).magnitude())


def _absent(value: Any) -> bool:
    return value is None


def _show(value: Any) -> str:
    if isinstance(value, np.ndarray):
        if value.size <= 6:
            return f"{np.array2string(value, precision=9)} ({value.dtype})"
        return f"array of shape {value.shape} ({value.dtype})"
    return repr(value)


def field_difference(field: str, expected: Any, got: Any) -> str | None:
    """Why ``got`` is not the same ``field`` as ``expected``, or None when it is."""
    if _absent(expected) or _absent(got):
        if _absent(expected) and _absent(got):
            return None
        return f"expected {'absent (None)' if _absent(expected) else _show(expected)}, found {'absent (None)' if _absent(got) else _show(got)}"
    if FIELDS[field]["dtype"] == "str":
        return None if expected == got else f"expected {expected!r}, found {got!r}"
    exp = np.asarray(expected, dtype=np.float64)
    try:
        found = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return f"expected a number array like {_show(exp)}, found {type(got).__name__} {got!r:.200}"
    if exp.shape != found.shape:
        return f"expected shape {exp.shape}, found shape {found.shape}"
    tol = tolerance(field)
    if field in ROTATION_FIELDS:
        if not np.isfinite(found).all():
            return f"expected rotation vector {_show(exp)}, found non-finite {_show(found)}"
        angle = geodesic_angle(exp, found)
        if angle > tol:
            return (
                f"expected rotation vector {_show(exp)} (angle {np.linalg.norm(exp):.9f} rad), found {_show(found)} "
                f"(angle {np.linalg.norm(found):.9f} rad): they differ by a rotation of {angle:.3g} rad "
                f"(geodesic), more than the tolerance {tol:g}"
            )
        return None
    diff = np.abs(exp - found)
    bad = ~(diff <= tol)  # NaN counts as a difference
    if not bad.any():
        return None
    index = np.unravel_index(int(np.argmax(np.where(np.isnan(diff), np.inf, diff))), diff.shape) if diff.ndim else ()
    where = f" at index {tuple(int(i) for i in index)}" if index else ""
    if field == "qpos" and index:
        where += f" (joint {JOINT_NAMES[int(index[0])]})"
    return (
        f"expected {exp[index]!r}{where}, found {found[index]!r}: differs by {diff[index]:.3g} {FIELDS[field]['unit']}, "
        f"more than the tolerance {tol:g}; {int(bad.sum())} of {bad.size} values differ"
    )


def assert_same_sample(expected: dict[str, Any], got: dict[str, Any], fields: Iterable[str], context: str) -> None:
    """Every field in ``fields`` of ``got`` is the same as in ``expected`` (spec chapter 3)."""
    assert isinstance(got, dict), f"{context}: expected a sample dict, found {type(got).__name__}"
    problems = []
    for field in fields:
        if got.get(field) is None and not features.carries(field):
            continue  # a field the reader declares it does not carry (ADAPTER-7); one it returns is compared
        why = field_difference(field, expected.get(field), got.get(field))
        if why is not None:
            problems.append(f"{field}: {why}")
    assert not problems, f"{context}: the sample read back is not the sample written:\n  " + "\n  ".join(problems)


def _same(expected: dict[str, Any], got: Any, fields: list[str]) -> bool:
    return isinstance(got, dict) and all(
        (got.get(f) is None and not features.carries(f)) or field_difference(f, expected.get(f), got.get(f)) is None
        for f in fields)


def assert_same_samples(expected: Sequence[dict], got: Sequence[dict], fields: Iterable[str], context: str) -> None:
    """The same number of samples, the same in order, field by field. When they are the same
    samples in another order, the message says so, and where each one is."""
    fields = list(fields)
    assert len(got) == len(expected), f"{context}: expected {len(expected)} samples, found {len(got)}"
    for i, (e, g) in enumerate(zip(expected, got)):
        if _same(e, g, fields):
            continue
        placed = _placement(expected, got, fields)
        if placed is not None:
            moved = [(k, j) for k, j in enumerate(placed) if k != j][:6]
            raise AssertionError(
                f"{context}: expected the samples in order (the order is specified here); found the same samples in "
                f"another order: " + ", ".join(f"sample {k} is expected sample {j}" for k, j in moved)
                + (" …" if sum(1 for k, j in enumerate(placed) if k != j) > 6 else ""))
        assert_same_sample(e, g, fields, f"{context}, sample {i}")


def _placement(expected: Sequence[dict], got: Sequence[dict], fields: list[str]) -> list[int] | None:
    """For each sample found, the expected sample it is, when every one is one of them, once; else None."""
    if len(got) > 2000:
        return None  # quadratic: a large root's order is told apart by its first difference
    free = list(range(len(expected)))
    placed = []
    for g in got:
        j = next((j for j in free if _same(expected[j], g, fields)), None)
        if j is None:
            return None
        free.remove(j)
        placed.append(j)
    return placed


def assert_absent(sample: dict[str, Any], fields: Iterable[str], context: str) -> None:
    """Each field is absent or None: never invented (SAMPLE-4)."""
    present = {f: sample.get(f) for f in fields if sample.get(f) is not None}
    assert not present, (
        f"{context}: expected these fields absent (the data does not hold them), found them present: "
        + "; ".join(f"{f} = {_show(v)}" for f, v in present.items())
    )


def _shape_fits(shape: tuple[int, ...], spec: list, sizes: dict[str, int]) -> bool:
    if len(shape) != len(spec):
        return False
    for s, e in zip(shape, spec):
        if isinstance(e, int):
            if s != e:
                return False
        elif sizes.setdefault(e, s) != s:
            return False
    return True


def assert_canonical(sample: Any, context: str) -> None:
    """``sample`` is a canonical sample (SAMPLE-1, -3, -4): the dtypes, shapes, ranges of the field table."""
    assert isinstance(sample, dict), f"{context}: expected a canonical sample (a dict), found {type(sample).__name__}"
    sizes: dict[str, int] = {}
    for name, spec in FIELDS.items():
        value = sample.get(name)
        if value is None:
            assert not spec["required"], f"{context}: expected required field {name!r}, found it absent"
            continue
        if spec["dtype"] == "str":
            assert value in ("right", "left"), f"{context}: {name}: expected 'right' or 'left', found {value!r}"
            continue
        if name == "object_scale":
            assert isinstance(value, (float, np.floating)) and np.isfinite(value) and value > 0, (
                f"{context}: object_scale: expected a positive finite float, found {value!r} ({type(value).__name__})"
            )
            continue
        assert isinstance(value, np.ndarray), f"{context}: {name}: expected a numpy.ndarray, found {type(value).__name__}"
        assert value.dtype == np.float64, f"{context}: {name}: expected dtype float64, found {value.dtype}"
        assert _shape_fits(value.shape, spec["shape"], sizes), (
            f"{context}: {name}: expected shape {tuple(spec['shape'])} (P the same for every per-point field, "
            f"here {sizes.get('P', 'not yet known')}), found {value.shape}"
        )
        assert np.isfinite(value).all(), f"{context}: {name}: expected finite values, found NaN or infinity"
        if name in ("object_colors", "contact_labels"):
            assert value.min() >= 0.0 and value.max() <= 1.0, (
                f"{context}: {name}: expected values in [0, 1], found range [{value.min():.6g}, {value.max():.6g}]"
            )
    assert sample["object_points"].shape[0] >= 1, f"{context}: object_points: expected at least 1 point, found 0"


def assert_folded(sample: dict[str, Any], context: str) -> None:
    """Rotation vectors in canonical form, angle in [0, pi] (SAMPLE-8, a SHOULD: any vector of the
    same rotation meets SAMPLE-3)."""
    for name in ROTATION_FIELDS:
        value = sample.get(name)
        if value is None:
            continue
        angle = float(np.linalg.norm(np.asarray(value, dtype=np.float64)))
        assert angle <= np.pi + TOLERANCES["angle_rad"], (
            f"{context}: {name}: expected a rotation vector folded to an angle in [0, pi], found angle {angle:.9f} rad "
            "(the same rotation, but not in canonical form)")


def assert_error_names(error: BaseException, words: Iterable[str], context: str) -> None:
    """The error's message contains every one of ``words`` (a file, a key, a shape): errors are for people."""
    message = str(error)
    missing = [w for w in words if str(w) not in message]
    assert not missing, (
        f"{context}: expected the error to name {', '.join(repr(str(w)) for w in missing)}; "
        f"found {type(error).__name__}: {message[:800]!r}"
    )
