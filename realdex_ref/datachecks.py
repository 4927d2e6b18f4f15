"""Data checks (spec chapter 6): data that loads but is not what it claims, found and named.

``check_root`` walks a root once (``dataroot.scan``) and checks each file's columns while they
are in memory. Findings are grouped per **unit**: the file, or for ``realdex-frame`` the
recording folder (one file per frame would otherwise give thousands of identical findings).
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable

import numpy as np

import realdex_spec
from realdex_ref import dataroot, layouts
from realdex_ref.dataroot import ERROR, WARNING, Problem
from realdex_ref.npzio import load_npz

_JOINTS = realdex_spec.schema()["joints"]
LOWER = np.array([j["lower"] for j in _JOINTS])
UPPER = np.array([j["upper"] for j in _JOINTS])
NAMES = [j["name"] for j in _JOINTS]
LIMIT_SLACK = 1e-6  # rad: rounding of the limits themselves
IDENTITY_ANGLE = 1e-9  # rad: a rotation this close to the identity is "zero"
_FIELDS = ("hand_transl", "hand_orient", "qpos", "clouds", "object_transl", "object_orient", "colors",
           "contact_labels", "object_scale")
_KEY_OF = {"clouds": "object points", "colors": "object_colors"}


def unit_of(data: layouts.FileData) -> str:
    return str(Path(data.path).parent) if data.layout == "realdex-frame" else data.path


class _Checker:
    def __init__(self, num_points: int, layout: str | None) -> None:
        self.num_points, self.layout = num_points, layout
        self.frames: dict[str, int] = {}  # unit -> frames checked
        self.small: dict[str, list[int]] = {}  # unit -> [frames, smallest P]
        self.nonfinite: dict[tuple[str, str], int] = {}
        self.zero: dict[tuple[str, str], int] = {}  # (unit, key) -> frames with identity rotation
        self.limits: dict[str, np.ndarray] = {}  # unit -> per-joint count of frames out of limits
        self.limit_frames: dict[str, int] = {}
        self.worst: dict[str, float] = {}
        self.seen: dict[bytes, str] = {}
        self.dups: dict[str, list] = {}  # unit -> [count, first source]

    def visit(self, d: layouts.FileData) -> None:
        if self.layout is not None and d.layout != self.layout:
            return
        unit, t = unit_of(d), d.num_frames
        self.frames[unit] = self.frames.get(unit, 0) + t
        p = d.clouds.shape[1]
        if p < self.num_points:
            entry = self.small.setdefault(unit, [0, p])
            entry[0] += t  # every frame of a file pairs with a cloud of the file's one size P
            entry[1] = min(entry[1], p)
        for name in _FIELDS:
            a = getattr(d, name)
            if a is not None and a.dtype.kind == "f":
                bad = int(a.size - np.count_nonzero(np.isfinite(a)))
                if bad:
                    key = (unit, _KEY_OF.get(name, name))
                    self.nonfinite[key] = self.nonfinite.get(key, 0) + bad
        for name in ("hand_orient", "object_orient"):
            a = getattr(d, name)
            if a is not None:
                zero = int((np.linalg.norm(a, axis=1) < IDENTITY_ANGLE).sum())
                key = (unit, name)
                self.zero[key] = self.zero.get(key, 0) + zero
        q = d.qpos
        out = (q < LOWER - LIMIT_SLACK) | (q > UPPER + LIMIT_SLACK)
        if out.any():
            self.limits[unit] = self.limits.get(unit, np.zeros(len(NAMES), int)) + out.sum(axis=0)
            self.limit_frames[unit] = self.limit_frames.get(unit, 0) + int(out.any(axis=1).sum())
            excess = np.maximum(LOWER - q, q - UPPER).max()
            self.worst[unit] = max(self.worst.get(unit, 0.0), float(excess))
        pose = np.ascontiguousarray(np.concatenate([d.hand_transl, d.hand_orient, d.qpos], axis=1))
        for i in range(t):
            h = hashlib.blake2b(pose[i].tobytes(), digest_size=16).digest()
            first = self.seen.setdefault(h, f"{d.path} frame {i}")
            if first != f"{d.path} frame {i}":
                entry = self.dups.setdefault(unit, [0, first])
                entry[0] += 1

    def findings(self) -> list[Problem]:
        out: list[Problem] = []
        for unit, (frames, p) in self.small.items():
            out.append(Problem(unit, "CLOUD_TOO_SMALL", (
                f"{frames} frame(s) have object clouds of {p} point(s), fewer than the {self.num_points} the loader samples "
                f"per item (a placeholder, not the object?); use the real clouds, or sample fewer points"), ERROR, frames))
        for (unit, key), bad in self.nonfinite.items():
            out.append(Problem(unit, "NON_FINITE", f"{bad} value(s) of {key} are NaN or infinite", ERROR, bad))
        for (unit, key), zero in self.zero.items():
            if zero == self.frames[unit]:
                out.append(Problem(unit, "ZERO_ORIENTATION", (
                    f"all {zero} frame(s) have {key} = 0 (the identity rotation): the trace of a rotation conversion "
                    "that fell back to zeros; convert the source rotations again"), ERROR, zero))
        for unit, per_joint in self.limits.items():
            worst = ", ".join(f"{NAMES[j]} {int(per_joint[j])}" for j in np.argsort(-per_joint)[:4] if per_joint[j])
            out.append(Problem(unit, "JOINT_OUT_OF_LIMITS", (
                f"{self.limit_frames[unit]} of {self.frames[unit]} frame(s) have joint angles outside the URDF limits "
                f"(values out: {worst}; worst by {self.worst[unit]:.3f} rad); recorded data does stray, "
                "so this is counted, not refused"), WARNING, self.limit_frames[unit]))
        for unit, (count, first) in self.dups.items():
            out.append(Problem(unit, "DUPLICATE_FRAMES", (
                f"{count} frame(s) repeat the hand pose of an earlier frame exactly (first: {first}); "
                "a file copied twice counts its samples twice"), WARNING, count))
        return out


def frame_count_mismatch(path: str | Path) -> str | None:
    """The per-frame arrays of a file whose leading lengths disagree, described; None when they agree.

    Which arrays are per frame comes from ``schema.json``: those whose first dimension is T or N.
    """
    try:
        arrays = load_npz(path)
    except Exception:
        return None
    for name, spec in realdex_spec.schema()["layouts"].items():
        if not all(k in arrays for k in spec["required"]):
            continue
        lengths = {}
        for key, shape in {**spec["required"], **spec["optional"]}.items():
            shapes = shape if shape and isinstance(shape[0], list) else [shape]
            if key in arrays and arrays[key].ndim and any(s and s[0] in ("T", "N") for s in shapes):
                lengths[key] = arrays[key].shape[0]
        if len(set(lengths.values())) > 1:
            return f"arrays disagree on the number of frames ({name}): " + ", ".join(f"{k} {v}" for k, v in lengths.items())
    return None


def scan_and_check(root: str | Path, num_points: int = 1024, layout: str | None = None, *,
                   progress: Callable[[int, int], None] | None = None) -> tuple[dataroot.Inventory, list[Problem]]:
    """One walk of ``root``: its inventory (chapter 5) and the findings of the data checks (chapter 6);
    ``progress(files_done, files_total)`` after each file."""
    checker = _Checker(num_points, layout)
    inv = dataroot.scan(root, visit=checker.visit, progress=progress)
    return inv, checker.findings()


def check_root(root: str | Path, num_points: int = 1024, layout: str | None = None, *,
               progress: Callable[[int, int], None] | None = None) -> list[Problem]:
    """Every finding about ``root``: the inventory's problems (chapter 5) and the data checks (chapter 6)."""
    inv, checked = scan_and_check(root, num_points, layout, progress=progress)
    return classify(root, inv, checked, layout)


def classify(root: str | Path, inv: dataroot.Inventory, checked: list[Problem], layout: str | None = None) -> list[Problem]:
    """The findings of one walk, as ``check_root`` and the command line report them: a root of several
    layouts is an error until one is chosen; a refused file whose arrays disagree on their frames says so."""
    findings: list[Problem] = []
    for p in inv.problems:
        if p.code == "MIXED_LAYOUTS":
            if layout is None:  # cannot be trained on until a layout is chosen
                findings.append(Problem(p.path, p.code, p.message, ERROR))
            continue
        if p.code == "INVALID_FILE":
            mismatch = frame_count_mismatch(p.path)
            if mismatch:
                findings.append(Problem(p.path, "FRAME_COUNT_MISMATCH", mismatch + "; the file is refused (LAYOUT-7)", ERROR))
                continue
        findings.append(p)
    if layout is not None and layout not in inv.layouts:
        findings.append(Problem(str(root), "EMPTY_ROOT", f"holds no file of layout {layout!r}; it holds {inv.layouts or 'none'}"))
    return findings + checked
