"""Loader items as they are in the wild (spec chapter 4, ADAPTER-9).

The loader tests read an item or a collated batch through three paths, which an adapter may
declare in ``loader_items`` when its loader's items are not the reference's dicts::

    loader_items = {
        "hand_pose": [(0, "trans"), (0, "rot"), (0, "qpos")],  # joined along the last axis
        "object_points": (0, "obj_pc"),
        "index": None,                                          # none: frames are found by their pose
    }

A path is a key (``str``), a position (``int``) or a tuple of those, taken in turn:
``(0, "qpos")`` is ``item[0]["qpos"]``. The same paths are taken in a collated batch, which is
what PyTorch's default collation makes of such items. Values may be torch tensors or numpy
arrays; the suite reads them as numpy arrays, dtypes kept.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

DEFAULT: dict[str, Any] = {"hand_pose": "hand_pose", "object_points": "object_points", "index": "index"}
_KEYS = ("hand_pose", "object_points", "index")


def _is_path(path: Any) -> bool:
    if isinstance(path, (str, int)) and not isinstance(path, bool):
        return True
    return isinstance(path, tuple) and bool(path) and all(isinstance(p, (str, int)) and not isinstance(p, bool) for p in path)


def problems(spec: Any) -> list[str]:
    """Why an adapter's ``loader_items`` is unusable (ADAPTER-9), or an empty list."""
    if not isinstance(spec, Mapping):
        return [f"'loader_items' must be a mapping of hand_pose, object_points, index to paths, found {type(spec).__name__} (ADAPTER-9)"]
    found = [f"'loader_items' has unknown key {k!r}; its keys are {', '.join(_KEYS)} (ADAPTER-9)" for k in spec if k not in _KEYS]
    for key in ("hand_pose", "object_points"):
        if key not in spec:
            found.append(f"'loader_items' needs a path for {key!r} (ADAPTER-9)")
    for key, path in spec.items():
        if key not in _KEYS or (key == "index" and path is None):
            continue
        parts = path if key == "hand_pose" and isinstance(path, list) else [path]
        if not parts or not all(_is_path(p) for p in parts):
            found.append(
                f"'loader_items'[{key!r}] must be a key, a position or a tuple of them"
                + (" (or, for hand_pose, a list of such paths to join)" if key == "hand_pose" else "")
                + f"; found {path!r} (ADAPTER-9)")
    return found


def _take(value: Any, path: Any, what: str) -> Any:
    steps = path if isinstance(path, tuple) else (path,)
    for i, step in enumerate(steps):
        try:
            value = value[step]
        except (KeyError, IndexError, TypeError) as exc:
            where = "".join(f"[{s!r}]" for s in steps[: i + 1])
            kind = type(value).__name__
            keys = f"; its keys are {sorted(map(str, value))}" if isinstance(value, Mapping) else ""
            raise AssertionError(f"{what}: expected a value at {where} of the loader's {kind}{keys}; found none ({exc!r}). "
                                 "Declare where it is in the adapter's loader_items (spec chapter 4, ADAPTER-9)") from None
    return value


def as_numpy(value: Any) -> np.ndarray:
    """A torch tensor or an array-like as a numpy array, its dtype kept."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


class Items:
    """How the suite reads the loader's items and batches."""

    def __init__(self, spec: Mapping | None) -> None:
        self.spec = dict(DEFAULT if spec is None else spec)

    @classmethod
    def of(cls, adapter: Any) -> "Items":
        return cls(getattr(adapter, "loader_items", None))

    @property
    def has_index(self) -> bool:
        return self.spec.get("index") is not None

    def pose(self, x: Any, what: str = "item") -> np.ndarray:
        path = self.spec["hand_pose"]
        if isinstance(path, list):
            return np.concatenate([as_numpy(_take(x, p, f"{what} hand_pose part")) for p in path], axis=-1)
        return as_numpy(_take(x, path, f"{what} hand_pose"))

    def points(self, x: Any, what: str = "item") -> np.ndarray:
        return as_numpy(_take(x, self.spec["object_points"], f"{what} object_points"))

    def index(self, x: Any, what: str = "item") -> np.ndarray | None:
        if not self.has_index:
            return None
        return as_numpy(_take(x, self.spec["index"], f"{what} index"))
