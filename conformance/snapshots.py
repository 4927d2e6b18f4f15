"""Snapshots (syrupy) that hold on any machine: floats rounded to 6 significant digits, arrays as lists."""
from __future__ import annotations

from typing import Any

import numpy as np
from syrupy.extensions.amber import AmberSnapshotExtension

DIGITS = 6


def _round(x: float) -> float:
    return float(f"{x:.{DIGITS}g}") + 0.0  # + 0.0 turns -0.0 into 0.0


def plain(data: Any) -> Any:
    """``data`` with arrays as nested lists and every float rounded; dicts keep their keys."""
    if isinstance(data, dict):
        return {str(k): plain(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [plain(v) for v in data]
    if isinstance(data, np.ndarray):
        return plain(data.tolist())
    if isinstance(data, (float, np.floating)):
        return _round(float(data))
    if isinstance(data, np.integer):
        return int(data)
    if isinstance(data, np.str_):
        return str(data)
    return data


class RoundedAmberExtension(AmberSnapshotExtension):
    """The amber format of syrupy, after ``plain``: stable across platforms and float noise."""

    def serialize(self, data: Any, **kwargs: Any) -> str:
        return super().serialize(plain(data), **kwargs)
