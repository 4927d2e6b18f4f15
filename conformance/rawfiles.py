"""The kit's own writer and reader of the three layouts: "another conforming implementation".

Plain numpy and scipy, written from ``schema.json`` and spec chapters 2 and 3 alone, so that
an implementation's files can be checked against an independent reading (EQUIV-2) and fixture
files never depend on the implementation under test. Samples are canonical samples (chapter 1).

Paths follow the layouts' conventions::

    dest/<name>/0.npz                      realdex-segment (next free counter)
    dest/<name>_<recording>/<i>.npz        realdex-frame, one file per sample
    dest/<name>/converted_data.npz         converted
"""
from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any, Iterable

import numpy as np
from scipy.spatial.transform import Rotation

import realdex_spec

LAYOUTS = ("realdex-segment", "realdex-frame", "converted")
MISSING_KEY = "missing_fields"
HOLDS: dict[str, tuple[str, ...]] = {name: tuple(spec["holds"]) for name, spec in realdex_spec.schema()["layouts"].items()}
REQUIRED_FIELDS = tuple(f["name"] for f in realdex_spec.schema()["fields"] if f["required"])
OPTIONAL_FIELDS = tuple(f["name"] for f in realdex_spec.schema()["fields"] if not f["required"])
ROTATION_FIELDS = ("hand_orient", "object_orient")
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def held_fields(samples: Iterable[dict[str, Any]]) -> set[str]:
    """Optional fields that at least one sample holds (not absent, not None)."""
    return {name for s in samples for name in OPTIONAL_FIELDS if s.get(name) is not None}


def canonical_rotvec(rotvec: np.ndarray) -> np.ndarray:
    """The same rotation(s) as rotation vectors with angle in [0, π]."""
    rv = np.array(rotvec, dtype=np.float64)  # a copy: scipy refuses a read-only buffer (a reader may hand one out)
    return Rotation.from_rotvec(rv.reshape(-1, 3)).as_rotvec().reshape(rv.shape)


def _stack(samples: list[dict[str, Any]], name: str, shape: tuple[int, ...]) -> np.ndarray:
    if any(s.get(name) is None for s in samples):
        return np.full((len(samples),) + shape, np.nan)
    return np.stack([np.asarray(s[name], dtype=np.float64).reshape(shape) for s in samples])


def _missing(samples: list[dict[str, Any]], names: Iterable[str]) -> list[str]:
    return sorted(n for n in names if any(s.get(n) is None for s in samples))


def to_arrays(samples: list[dict[str, Any]], layout: str, *, orient_encoding: str = "axis-angle") -> list[dict[str, np.ndarray]]:
    """The arrays of the file(s) that hold ``samples`` in ``layout``: one dict per file.

    ``realdex-segment`` puts all samples in one file and so needs them to share one cloud;
    ``realdex-frame`` writes one file per sample, with ``object_orient`` as a (1, 3) rotation
    vector or, for ``orient_encoding="matrix"``, a (1, 3, 3) matrix. Fields the layout
    requires and the samples lack are NaN and named in ``missing_fields``; fields the layout
    cannot hold are left out and named in ``missing_fields`` too.
    """
    if not samples:
        raise ValueError("no samples to write")
    if layout == "converted":
        per_file = [_converted_arrays(samples)]
    elif layout == "realdex-segment":
        per_file = [_realdex_arrays(samples, "axis-angle")]
    elif layout == "realdex-frame":
        per_file = [_realdex_arrays([s], orient_encoding) for s in samples]
    else:
        raise ValueError(f"unknown layout {layout!r}; expected one of {', '.join(LAYOUTS)}")
    dropped = held_fields(samples) - set(HOLDS[layout])
    if dropped:  # the file says what it lost (EQUIV-4)
        for arrays in per_file:
            named = {str(n) for n in arrays.get(MISSING_KEY, ())}
            arrays[MISSING_KEY] = np.array(sorted(named | dropped), dtype=str)
    return per_file


def _realdex_arrays(samples: list[dict[str, Any]], orient_encoding: str) -> dict[str, np.ndarray]:
    first = samples[0]
    points = np.asarray(first["object_points"], dtype=np.float64)
    for s in samples[1:]:
        if not np.array_equal(np.asarray(s["object_points"]), points):
            raise ValueError("a realdex-segment file holds one cloud: these samples have different object_points")
    arrays = {
        "qpos": _stack(samples, "qpos", (22,)),
        "hand_transl": _stack(samples, "hand_transl", (3,)),
        "hand_orient": _stack(samples, "hand_orient", (3,)),
        "object_transl": _stack(samples, "object_transl", (3,)),
        "object_orient": _stack(samples, "object_orient", (3,)),
        "object_points": points,
    }
    if first.get("object_colors") is not None:
        arrays["object_colors"] = np.asarray(first["object_colors"], dtype=np.float64)
    missing = _missing(samples, ("object_transl", "object_orient"))
    if missing:
        arrays[MISSING_KEY] = np.array(missing, dtype=str)
    if orient_encoding == "matrix" and "object_orient" not in missing:
        arrays["object_orient"] = Rotation.from_rotvec(arrays["object_orient"]).as_matrix()
    elif orient_encoding not in ("axis-angle", "matrix"):
        raise ValueError(f"orient_encoding must be 'axis-angle' or 'matrix', found {orient_encoding!r}")
    return arrays


def _converted_arrays(samples: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    arrays = {
        "hand_poses": np.concatenate(
            [_stack(samples, "hand_transl", (3,)), _stack(samples, "hand_orient", (3,)), _stack(samples, "qpos", (22,))], axis=1
        ),
        "obj_pc": np.stack([np.asarray(s["object_points"], dtype=np.float64) for s in samples]),
        "num_samples": np.array(len(samples)),
    }
    if all(s.get("contact_labels") is not None for s in samples):
        arrays["contact_labels"] = np.stack([np.asarray(s["contact_labels"], dtype=np.float64) for s in samples])
    if all(s.get("object_scale") is not None for s in samples):
        arrays["object_scales"] = np.array([float(s["object_scale"]) for s in samples])
    if all(s.get("hand_side") is not None for s in samples):
        arrays["hand_sides"] = np.array([str(s["hand_side"]) for s in samples])
    return arrays


def save(path: str | Path, arrays: dict[str, np.ndarray], *, compressed: bool = True) -> Path:
    """Write one npz file (creating its folder); ``compressed`` as RealDex's own writer does."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # what np.savez does, with a fixed member date so that the same arrays give the same bytes
    method = zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        for key, value in arrays.items():
            member = zipfile.ZipInfo(f"{key}.npy", date_time=_ZIP_DATE)
            member.compress_type = method
            with archive.open(member, "w", force_zip64=True) as out:
                np.lib.format.write_array(out, np.asanyarray(value), allow_pickle=False)
    return path


def file_paths(dest: str | Path, layout: str, name: str, count: int) -> list[Path]:
    """Where ``count`` files of ``layout`` for ``name`` go under ``dest`` (the layout's convention)."""
    dest = Path(dest)
    if layout == "realdex-segment":
        counter = 0
        while (dest / name / f"{counter}.npz").exists():
            counter += 1
        return [dest / name / f"{counter}.npz"]
    if layout == "realdex-frame":
        recording = 0
        while (dest / f"{name}_{recording}").exists():
            recording += 1
        return [dest / f"{name}_{recording}" / f"{i}.npz" for i in range(count)]
    return [dest / name / "converted_data.npz"]


def write_raw(
    samples: list[dict[str, Any]],
    dest: str | Path,
    layout: str,
    *,
    name: str = "driller",
    orient_encoding: str = "axis-angle",
    compressed: bool | None = None,
) -> list[Path]:
    """Write canonical samples as raw ``layout`` files under ``dest``; return their paths in sample order.

    ``compressed`` defaults to RealDex's habit: compressed segment and converted files,
    uncompressed per-frame files.
    """
    per_file = to_arrays(samples, layout, orient_encoding=orient_encoding)
    if compressed is None:
        compressed = layout != "realdex-frame"
    paths = file_paths(dest, layout, name, len(per_file))
    return [save(p, a, compressed=compressed) for p, a in zip(paths, per_file)]


def load(path: str | Path) -> dict[str, np.ndarray]:
    """Every array of an npz file, never unpickling."""
    with np.load(path, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def layout_of(arrays: dict[str, np.ndarray]) -> str:
    """The kit's own reading of chapter 2: which layout these keys and shapes are."""
    if "hand_poses" in arrays:
        return "converted"
    return "realdex-frame" if arrays["qpos"].shape[0] == 1 else "realdex-segment"


def read_raw(path: str | Path) -> list[dict[str, Any]]:
    """The canonical samples of one file, read by the kit (no metadata)."""
    arrays = load(path)
    missing = {str(n) for n in arrays.get(MISSING_KEY, np.array([], dtype=str))}
    if layout_of(arrays) == "converted":
        poses = arrays["hand_poses"].astype(np.float64)
        n = poses.shape[0]
        columns: dict[str, Any] = {
            "hand_transl": poses[:, 0:3],
            "hand_orient": canonical_rotvec(poses[:, 3:6]),
            "qpos": poses[:, 6:28],
            "object_points": arrays["obj_pc"].astype(np.float64),
        }
        if "contact_labels" in arrays:
            columns["contact_labels"] = arrays["contact_labels"].astype(np.float64)
        if "object_scales" in arrays:
            columns["object_scale"] = [float(x) for x in arrays["object_scales"]]
        if "hand_sides" in arrays:
            if arrays["hand_sides"].dtype.kind != "U":  # a writer writes text as numpy unicode (LAYOUT-9)
                raise ValueError(f"{path}: hand_sides: expected numpy unicode text (dtype kind U, LAYOUT-9), "
                                 f"found dtype {arrays['hand_sides'].dtype}")
            columns["hand_side"] = [str(x) for x in arrays["hand_sides"]]
    else:
        n = arrays["qpos"].shape[0]
        orient = arrays["object_orient"].astype(np.float64)
        if orient.ndim == 3 and np.isfinite(orient).all():
            orient = Rotation.from_matrix(orient).as_rotvec()
        columns = {k: arrays[k].astype(np.float64) for k in ("qpos", "hand_transl", "object_transl")}
        columns["hand_orient"] = canonical_rotvec(arrays["hand_orient"])
        columns["object_orient"] = canonical_rotvec(orient) if np.isfinite(orient).all() else orient
        points = arrays["object_points"].astype(np.float64)
        columns["object_points"] = [points] * n
        if "object_colors" in arrays:
            columns["object_colors"] = [arrays["object_colors"].astype(np.float64)] * n
    samples = []
    for i in range(n):
        sample = {name: values[i] for name, values in columns.items() if name not in missing}
        for name in OPTIONAL_FIELDS:
            sample.setdefault(name, None)
        samples.append(sample)
    return samples


def root_order(paths: Iterable[str | Path], root: str | Path) -> list[Path]:
    """``paths`` under ``root`` in the order ROOT-5 gives a root's files, the kit's own reading of it.

    Relative paths part by part; in each folder the numbered files (``<digits>.npz``) first, by their
    number (``2.npz`` before ``10.npz``; equal numbers by code point), then every other name by code point.
    """
    root = Path(root)

    def key(path: Path) -> tuple:
        *folders, name = path.relative_to(root).parts
        stem = name[:-len(".npz")] if name.endswith(".npz") else ""
        numbered = stem.isascii() and stem.isdigit()
        return (*((1, f) for f in folders), (0, int(stem), name) if numbered else (1, name))

    return sorted((Path(p) for p in paths), key=key)
