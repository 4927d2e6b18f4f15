"""Arrays a read hands out are the caller's (LAYOUT-12, ROOT-14, LOADER-11).

The suite does what a training step does to what it is given: it changes every array in place
(``scribble``), then reads again and compares with what the first read gave (``snapshot`` taken
before the change, ``differences`` after). A read-only array (``writeable=False``) refusing the
change is a right way to hand out shared data: it is left as it is.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

SENTINEL = 4321  # written into every number of every array changed: no generated value is this


def _is_tensor(value: Any) -> bool:
    return hasattr(value, "detach") and hasattr(value, "fill_") and hasattr(value, "is_floating_point")


def snapshot(value: Any) -> Any:
    """A deep copy of ``value`` with tensors as numpy arrays: what the read gave, kept aside."""
    if isinstance(value, Mapping):
        return {k: snapshot(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [snapshot(v) for v in value]
    if _is_tensor(value):
        return value.detach().cpu().numpy().copy()
    if isinstance(value, np.ndarray):
        return value.copy()
    return value


def scribble(value: Any) -> tuple[int, int]:
    """Change in place every numeric array and tensor in ``value`` (mappings, lists and tuples
    walked) to ``SENTINEL``; (arrays changed, arrays that refused the change as read-only)."""
    if isinstance(value, Mapping):
        counts = [scribble(v) for v in value.values()]
    elif isinstance(value, (list, tuple)):
        counts = [scribble(v) for v in value]
    elif _is_tensor(value):
        if str(value.dtype) in ("torch.bool", "torch.complex64", "torch.complex128"):
            return 0, 0
        try:
            value.detach().fill_(SENTINEL)
        except RuntimeError:  # an inference tensor, or one torch will not let change: it stays as it was
            return 0, 1
        return 1, 0
    elif isinstance(value, np.ndarray) and value.dtype.kind in "fiu":
        if not value.flags.writeable:
            return 0, 1
        value[...] = np.asarray(SENTINEL).astype(value.dtype)
        return 1, 0
    else:
        return 0, 0
    return sum(c for c, _ in counts), sum(r for _, r in counts)


def differences(before: Any, after: Any, where: str = "") -> list[str]:
    """Where ``after`` (as read now) differs from ``before`` (a snapshot), each as ``where: what``."""
    if isinstance(before, Mapping):
        if not isinstance(after, Mapping):
            return [f"{where}: expected a mapping, found {type(after).__name__}"]
        found = [f"{where}[{k!r}]: absent now" for k in before if k not in after]
        return found + [d for k in before if k in after for d in differences(before[k], after[k], f"{where}[{k!r}]")]
    if isinstance(before, list):
        if not isinstance(after, (list, tuple)) or len(after) != len(before):
            return [f"{where}: expected {len(before)} entries, found {len(after) if isinstance(after, (list, tuple)) else after!r}"]
        return [d for i, (b, a) in enumerate(zip(before, after)) for d in differences(b, a, f"{where}[{i}]")]
    if isinstance(before, np.ndarray):
        now = snapshot(after)
        if not isinstance(now, np.ndarray) or now.shape != before.shape:
            return [f"{where}: expected an array of shape {before.shape}, found {getattr(now, 'shape', now)!r}"]
        nan = before.dtype.kind == "f" and now.dtype.kind == "f"
        if not np.array_equal(before, now, equal_nan=nan):
            changed = int(np.sum(before != now)) if before.dtype == now.dtype else before.size
            sentinel = " (the value the suite wrote into the first read's arrays)" if np.any(now == SENTINEL) else ""
            return [f"{where}: {changed} of {before.size} values differ, now {now.reshape(-1)[:4].tolist()}{sentinel}"]
        return []
    return [] if before == after or (before != before and after != after) else [f"{where}: {before!r} then {after!r}"]
