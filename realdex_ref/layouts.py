"""The three on-disk layouts (spec chapter 2): detection by content, reading, writing.

Reading is columnar (``FileData``): a segment's cloud is held once and shared by its frames,
never copied per frame; ``FileData.samples()`` gives canonical samples (chapter 1) as views.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

import realdex_spec
from realdex_ref import rotation
from realdex_ref.errors import DataError, LayoutError
from realdex_ref.npzio import load_npz

LAYOUTS = ("realdex-segment", "realdex-frame", "converted")
_SPEC = realdex_spec.schema()["layouts"]
CONVERTED_NAMES = ("converted_data.npz", "converted_data_fixed.npz")
MISSING_KEY = "missing_fields"
# canonical fields each layout can hold beyond the required ones (chapter 3 lists the rest as lost)
HOLDS = {
    "realdex-segment": {"object_transl", "object_orient", "object_colors"},
    "realdex-frame": {"object_transl", "object_orient", "object_colors"},
    "converted": {"contact_labels", "object_scale", "hand_side"},
}
OPTIONAL_FIELDS = ("object_transl", "object_orient", "object_colors", "contact_labels", "object_scale", "hand_side")


@dataclass
class FileData:
    """One file's samples, column by column. T frames; C clouds of P points each."""

    path: str
    layout: str
    object: str
    hand_transl: np.ndarray  # (T, 3)
    hand_orient: np.ndarray  # (T, 3) rotation vectors
    qpos: np.ndarray  # (T, 22)
    clouds: np.ndarray  # (C, P, 3)
    cloud_of_frame: np.ndarray  # (T,) index into clouds
    object_transl: np.ndarray | None = None  # (T, 3)
    object_orient: np.ndarray | None = None  # (T, 3)
    colors: np.ndarray | None = None  # (C, P, 3)
    contact_labels: np.ndarray | None = None  # (T, P)
    object_scale: np.ndarray | None = None  # (T,)
    hand_side: np.ndarray | None = None  # (T,) str
    unexpected_keys: list[str] = field(default_factory=list)
    fits: tuple[str, ...] = ()  # every layout the file fits; two for a one-frame rotation-vector file (LAYOUT-11)

    @property
    def num_frames(self) -> int:
        return int(self.qpos.shape[0])

    def sample(self, i: int) -> dict[str, Any]:
        c = int(self.cloud_of_frame[i])
        return {
            "hand_transl": self.hand_transl[i],
            "hand_orient": self.hand_orient[i],
            "qpos": self.qpos[i],
            "object_points": self.clouds[c],
            "object_transl": None if self.object_transl is None else self.object_transl[i],
            "object_orient": None if self.object_orient is None else self.object_orient[i],
            "object_colors": None if self.colors is None else self.colors[c],
            "contact_labels": None if self.contact_labels is None else self.contact_labels[i],
            "object_scale": None if self.object_scale is None else float(self.object_scale[i]),
            "hand_side": None if self.hand_side is None else str(self.hand_side[i]),
            "object": self.object,
            "source": self.path,
        }

    def samples(self) -> list[dict[str, Any]]:
        return [self.sample(i) for i in range(self.num_frames)]


# ---------------------------------------------------------------- detection


def _fits(shape: tuple[int, ...], spec: list) -> bool:
    """Whether ``shape`` has the rank and fixed sizes of one spec shape (symbols match any size)."""
    return len(shape) == len(spec) and all(not isinstance(e, int) or e == s for e, s in zip(spec, shape))


def _spec_shapes(spec: list) -> list[list]:
    """A spec entry is one shape, or a list of alternative shapes (object_orient of realdex-frame)."""
    return spec if spec and isinstance(spec[0], list) else [spec]


def matching_layouts(arrays: dict[str, np.ndarray]) -> list[str]:
    """Layouts whose required keys are all present with a fitting rank and fixed sizes."""
    found = []
    for layout in LAYOUTS:
        required = _SPEC[layout]["required"]
        if all(k in arrays and any(_fits(arrays[k].shape, s) for s in _spec_shapes(v)) for k, v in required.items()):
            found.append(layout)
    return found


def _choose(arrays: dict[str, np.ndarray], path: Path, found: list[str]) -> str:
    """The layout of a file that fits the layouts ``found`` (``matching_layouts(arrays)``)."""
    if "realdex-frame" in found:
        # one frame with a rotation-vector orientation fits both realdex layouts; its samples are the same
        # either way, and one frame per file is what realdex-frame means (LAYOUT-11)
        return "realdex-frame"
    if found:
        return found[0]
    raise _no_layout_error(arrays, path)


def _no_layout_error(arrays: dict[str, np.ndarray], path: Path) -> LayoutError:
    best, best_score, report = None, None, ""
    for layout in LAYOUTS:
        spec = _SPEC[layout]
        required, optional = spec["required"], spec["optional"]
        missing = [k for k in required if k not in arrays]
        misshapen = [
            f"{k} {arrays[k].shape} (expected {' or '.join(str(tuple(s)) for s in _spec_shapes(v))})"
            for k, v in required.items()
            if k in arrays and not any(_fits(arrays[k].shape, s) for s in _spec_shapes(v))
        ]
        unexpected = [k for k in arrays if k not in required and k not in optional]
        score = (len(missing) + len(misshapen), len(unexpected))
        if best_score is None or score < best_score:
            best, best_score = layout, score
            report = (
                f"missing keys: {', '.join(missing) or 'none'}; wrong shapes: {', '.join(misshapen) or 'none'}; "
                f"unexpected keys: {', '.join(unexpected) or 'none'}"
            )
    return LayoutError(
        f"matches no RealDex layout (keys found: {', '.join(sorted(arrays)) or 'none'}); it comes closest to "
        f"{best!r}: {report}. Layouts and their keys are in the spec, chapter 2.",
        path=path,
    )


def detect_layout(path: str | Path) -> str:
    """The layout of one file, from its keys and shapes (LAYOUT-1, LAYOUT-2)."""
    path = Path(path)
    arrays = load_npz(path)
    return _choose(arrays, path, matching_layouts(arrays))


# ---------------------------------------------------------------- reading


def _numeric(arrays: dict[str, np.ndarray], key: str, path: Path) -> np.ndarray:
    a = arrays[key]
    if a.dtype.kind not in "fiu":
        raise DataError(f"expected a real numeric array, found dtype {a.dtype}", path=path, key=key)
    return a.astype(np.float64, copy=False)


def _frames(arrays: dict[str, np.ndarray], keys: Iterable[str], n: int, path: Path, what: str) -> None:
    for key in keys:
        if key in arrays and arrays[key].shape[0] != n:
            raise DataError(
                f"expected {n} {what} like the other arrays of this file, found {arrays[key].shape[0]} "
                f"(shape {arrays[key].shape})",
                path=path,
                key=key,
            )


def _missing(arrays: dict[str, np.ndarray], path: Path) -> set[str]:
    if MISSING_KEY not in arrays:
        return set()
    names = arrays[MISSING_KEY]
    if names.dtype.kind != "U" or names.ndim != 1:
        raise DataError(f"expected a 1-D array of field names, found dtype {names.dtype}, shape {names.shape}", path=path, key=MISSING_KEY)
    found = {str(n) for n in names}
    # only an optional field can be absent; a file that calls qpos missing has no samples to give
    wrong = sorted(found - set(OPTIONAL_FIELDS))
    if wrong:
        raise DataError(
            f"expected names of optional fields ({', '.join(OPTIONAL_FIELDS)}), found {', '.join(wrong)}",
            path=path,
            key=MISSING_KEY,
        )
    return found


def _check_optional(arrays: dict[str, np.ndarray], layout: str, path: Path) -> None:
    """An optional key that is present has the rank and fixed sizes of its layout (LAYOUT-7)."""
    for key, spec in _SPEC[layout]["optional"].items():
        if key in arrays and not _fits(arrays[key].shape, spec):
            raise DataError(
                f"expected shape {tuple(spec)} ({len(spec)}-D), found shape {arrays[key].shape}", path=path, key=key
            )


def _check_points(clouds: np.ndarray, path: Path, key: str) -> None:
    """A cloud with no point cannot be paired with a frame (SAMPLE: at least one point)."""
    if clouds.shape[-2] == 0:
        raise DataError(f"expected at least 1 object point, found 0 (shape {clouds.shape})", path=path, key=key)


def _object_name(path: Path, layout: str) -> str:
    folder = path.parent.name or path.stem
    if layout == "realdex-frame":
        return re.sub(r"_-?\d+$", "", folder) or folder
    return folder


def load_file(path: str | Path) -> FileData:
    """Read one file of any layout into columns, checking shapes and frame counts (LAYOUT-3..8, 10)."""
    path = Path(path)
    arrays = load_npz(path)
    fits = matching_layouts(arrays)
    layout = _choose(arrays, path, fits)
    spec = _SPEC[layout]
    unexpected = [k for k in arrays if k not in spec["required"] and k not in spec["optional"]]
    _check_optional(arrays, layout, path)
    missing = _missing(arrays, path)
    if layout == "converted":
        data = _read_converted(arrays, path, missing)
    else:
        data = _read_realdex(arrays, path, layout, missing)
    data.unexpected_keys = unexpected
    data.fits = tuple(fits)
    for name in missing:
        attr = {"object_colors": "colors"}.get(name, name)
        if hasattr(data, attr):
            setattr(data, attr, None)
    return data


def _read_realdex(arrays: dict[str, np.ndarray], path: Path, layout: str, missing: set[str] = frozenset()) -> FileData:
    n = arrays["qpos"].shape[0]
    _frames(arrays, ("hand_transl", "hand_orient", "object_transl", "object_orient"), n, path, "frames")
    points = _numeric(arrays, "object_points", path)
    _check_points(points, path, "object_points")
    colors = None
    if "object_colors" in arrays:
        colors = _numeric(arrays, "object_colors", path)
        if colors.shape != points.shape:
            raise DataError(
                f"expected one colour per object point, shape {points.shape}, found {colors.shape}", path=path, key="object_colors"
            )
        colors = colors[None]
    orient = _numeric(arrays, "object_orient", path)
    if orient.ndim == 3 and "object_orient" in missing:
        orient = np.full((n, 3), np.nan)  # the placeholder of a missing field is neither a rotation nor an error
    elif orient.ndim == 3:
        if not np.isfinite(orient).all() or not rotation.is_rotation_matrix(orient).all():
            raise DataError(
                "expected (1, 3, 3) rotation matrices (orthonormal, determinant +1), found a matrix that is not a rotation",
                path=path,
                key="object_orient",
            )
        orient = rotation.matrix_to_rotvec(orient)
    else:
        orient = rotation.canonical_rotvec(orient)
    return FileData(
        path=str(path),
        layout=layout,
        object=_object_name(path, layout),
        hand_transl=_numeric(arrays, "hand_transl", path),
        hand_orient=rotation.canonical_rotvec(_numeric(arrays, "hand_orient", path)),
        qpos=_numeric(arrays, "qpos", path),
        clouds=points[None],
        cloud_of_frame=np.zeros(n, dtype=np.int64),
        object_transl=_numeric(arrays, "object_transl", path),
        object_orient=orient,
        colors=colors,
    )


def _read_converted(arrays: dict[str, np.ndarray], path: Path, missing: set[str] = frozenset()) -> FileData:
    poses = _numeric(arrays, "hand_poses", path)
    n = poses.shape[0]
    _frames(arrays, ("obj_pc", "contact_labels", "object_scales", "hand_sides"), n, path, "samples")
    if "num_samples" in arrays:
        count = arrays["num_samples"]
        if count.dtype.kind not in "iu":
            raise DataError(f"expected an integer count of samples, found dtype {count.dtype}", path=path, key="num_samples")
        if int(count) != n:
            raise DataError(f"expected {n} (the rows of hand_poses), found {int(count)}", path=path, key="num_samples")
    clouds = _numeric(arrays, "obj_pc", path)
    _check_points(clouds, path, "obj_pc")
    contact = None
    if "contact_labels" in arrays:
        contact = _numeric(arrays, "contact_labels", path)
        if contact.shape != clouds.shape[:2]:
            raise DataError(
                f"expected one label per object point, shape {clouds.shape[:2]}, found {contact.shape}", path=path, key="contact_labels"
            )
    sides = None
    if "hand_sides" in arrays:
        sides = arrays["hand_sides"]
        if sides.dtype.kind != "U":
            raise DataError(f"expected strings ('right' or 'left'), found dtype {sides.dtype}", path=path, key="hand_sides")
        unknown = sorted(set(map(str, sides)) - {"right", "left"})
        if unknown and "hand_side" not in missing:
            raise DataError(f"expected 'right' or 'left', found {', '.join(map(repr, unknown))}", path=path, key="hand_sides")
    return FileData(
        path=str(path),
        layout="converted",
        object=_object_name(path, "converted"),
        hand_transl=poses[:, 0:3],
        hand_orient=rotation.canonical_rotvec(poses[:, 3:6]),
        qpos=poses[:, 6:28],
        clouds=clouds,
        cloud_of_frame=np.arange(n, dtype=np.int64),
        contact_labels=contact,
        object_scale=_numeric(arrays, "object_scales", path) if "object_scales" in arrays else None,
        hand_side=sides,
    )


def read_file(path: str | Path) -> list[dict[str, Any]]:
    """The canonical samples of one file, in file order."""
    return load_file(path).samples()


# ---------------------------------------------------------------- writing


@dataclass
class WriteResult:
    files: list[str]
    dropped: list[str]  # canonical fields the samples held that the layout cannot hold

    def as_dict(self) -> dict[str, Any]:
        return {"files": list(self.files), "dropped": list(self.dropped)}


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^\w.\-]+", "_", name).strip("._")
    return cleaned or "object"


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a is b or (a.shape == b.shape and np.array_equal(a, b))


def _segment_key(s: dict[str, Any]) -> tuple:
    return (s.get("object"), s.get("object_transl") is None, s.get("object_orient") is None)


def _converted_key(s: dict[str, Any]) -> tuple:
    presence = tuple(s.get(n) is None for n in ("contact_labels", "object_scale", "hand_side"))
    return (s.get("object"), np.shape(s["object_points"])[0], presence)


def _groups(samples: list[dict[str, Any]], layout: str) -> list[list[dict[str, Any]]]:
    """Runs of consecutive samples that go into one file.

    For the realdex layouts: one object sharing one cloud (and colours), a segment. For
    converted: one object, one cloud size and the same optional fields.
    """
    groups: list[list[dict[str, Any]]] = []
    converted = layout == "converted"
    key = _converted_key if converted else _segment_key
    for s in samples:
        last = groups[-1][-1] if groups else None
        if last is not None and key(last) == key(s) and (
            converted
            or (_same(last["object_points"], s["object_points"]) and _same(last.get("object_colors"), s.get("object_colors")))
        ):
            groups[-1].append(s)
        else:
            groups.append([s])
    return groups


def _stack(group: list[dict[str, Any]], name: str, shape: tuple[int, ...]) -> np.ndarray:
    if any(s.get(name) is None for s in group):
        return np.full((len(group),) + shape, np.nan)
    return np.stack([np.asarray(s[name], dtype=np.float64) for s in group])


def _new_file(path: Path) -> Path:
    if path.exists():
        raise DataError("already exists; write into an empty folder (nothing was overwritten)", path=path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_samples(
    samples: list[dict[str, Any]], dest: str | Path, layout: str, *, orient_encoding: str = "axis-angle"
) -> WriteResult:
    """Write canonical samples into ``dest`` in ``layout``; report what the layout could not hold (EQUIV)."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; expected one of {', '.join(LAYOUTS)}")
    if orient_encoding not in ("axis-angle", "matrix"):
        raise ValueError(f"orient_encoding must be 'axis-angle' or 'matrix', found {orient_encoding!r}")
    dest = Path(dest)
    held = {name for s in samples for name in OPTIONAL_FIELDS if s.get(name) is not None}
    dropped = sorted(held - HOLDS[layout])
    files: list[str] = []
    counters: dict[str, int] = {}
    groups = _groups(samples, layout)
    names = [_safe_name(str(group[0].get("object") or "object")) for group in groups]
    # recording folders <object>_<counter>, zero-padded to the widest counter of their object: folder names
    # compare by code point (ROOT-5), so that an object's recordings read back in the order written
    width = {obj: len(str(names.count(obj) - 1)) for obj in names}
    for group, obj in zip(groups, names):
        counters[obj] = counters.get(obj, -1) + 1
        if layout == "converted":
            files += _write_converted(group, dest, obj, counters[obj], dropped)
        else:
            recording = f"{counters[obj]:0{width[obj]}d}"
            files += _write_realdex(group, dest, obj, counters[obj], recording, layout, orient_encoding, dropped)
    return WriteResult(files, dropped)


def _realdex_arrays(group: list[dict[str, Any]], dropped: list[str]) -> dict[str, np.ndarray]:
    first = group[0]
    arrays = {
        "qpos": _stack(group, "qpos", (22,)),
        "hand_transl": _stack(group, "hand_transl", (3,)),
        "hand_orient": _stack(group, "hand_orient", (3,)),
        "object_transl": _stack(group, "object_transl", (3,)),
        "object_orient": _stack(group, "object_orient", (3,)),
        "object_points": np.asarray(first["object_points"], dtype=np.float64),
    }
    if first.get("object_colors") is not None:
        arrays["object_colors"] = np.asarray(first["object_colors"], dtype=np.float64)
    missing = [n for n in ("object_transl", "object_orient") if first.get(n) is None] + dropped
    if missing:
        arrays[MISSING_KEY] = np.array(sorted(set(missing)), dtype=str)
    return arrays


def _write_realdex(group, dest: Path, obj: str, counter: int, recording: str, layout: str, encoding: str, dropped) -> list[str]:
    arrays = _realdex_arrays(group, dropped)
    if layout == "realdex-segment":
        path = _new_file(dest / obj / f"{counter}.npz")
        np.savez_compressed(path, **arrays)
        return [str(path)]
    files = []
    for i in range(len(group)):
        frame = {k: (v[i : i + 1] if k in ("qpos", "hand_transl", "hand_orient", "object_transl", "object_orient") else v) for k, v in arrays.items()}
        if encoding == "matrix" and np.isfinite(frame["object_orient"]).all():
            frame["object_orient"] = rotation.rotvec_to_matrix(frame["object_orient"])
        path = _new_file(dest / f"{obj}_{recording}" / f"{i}.npz")
        np.savez(path, **frame)
        files.append(str(path))
    return files


def _write_converted(group, dest: Path, obj: str, counter: int, dropped) -> list[str]:
    folder = obj if counter == 0 else f"{obj}_{counter}"
    arrays: dict[str, np.ndarray] = {
        "hand_poses": np.concatenate([_stack(group, "hand_transl", (3,)), _stack(group, "hand_orient", (3,)), _stack(group, "qpos", (22,))], axis=1),
        "obj_pc": np.stack([np.asarray(s["object_points"], dtype=np.float64) for s in group]),
        "num_samples": np.array(len(group)),
    }
    if all(s.get("contact_labels") is not None for s in group):
        arrays["contact_labels"] = np.stack([np.asarray(s["contact_labels"], dtype=np.float64) for s in group])
    if all(s.get("object_scale") is not None for s in group):
        arrays["object_scales"] = np.array([float(s["object_scale"]) for s in group])
    if all(s.get("hand_side") is not None for s in group):
        arrays["hand_sides"] = np.array([str(s["hand_side"]) for s in group])
    if dropped:
        arrays[MISSING_KEY] = np.array(dropped, dtype=str)
    path = _new_file(dest / folder / CONVERTED_NAMES[0])
    np.savez_compressed(path, **arrays)
    return [str(path)]
