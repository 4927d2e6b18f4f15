"""Data made fit to store and compare on any machine: arrays as lists, numpy scalars as Python
numbers, and floats rounded to 6 significant digits (``digits=None`` keeps them whole)."""
from __future__ import annotations

from typing import Any

import numpy as np

DIGITS = 6


def _round(x: float, digits: int | None) -> float:
    if digits is None:
        return float(x) + 0.0
    return float(f"{x:.{digits}g}") + 0.0  # + 0.0 turns -0.0 into 0.0


def plain(data: Any, digits: int | None = DIGITS) -> Any:
    """``data`` with arrays as nested lists and every float rounded; dicts keep their keys."""
    if isinstance(data, dict):
        return {str(k): plain(v, digits) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [plain(v, digits) for v in data]
    if isinstance(data, np.ndarray):
        return plain(data.tolist(), digits)
    if isinstance(data, (float, np.floating)):
        return _round(float(data), digits)
    if isinstance(data, np.bool_):
        return bool(data)
    if isinstance(data, np.integer):
        return int(data)
    if isinstance(data, np.str_):
        return str(data)
    return data
