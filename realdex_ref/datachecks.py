"""Data checks (spec chapter 6): data that loads but is not what it claims, found and named.

``check_root`` walks a root once (``dataroot.scan``) and checks each file's columns while they
are in memory. Findings are grouped per **unit**: the file, or for ``realdex-frame`` the
recording folder (one file per frame would otherwise give thousands of identical findings).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
from pathlib import Path

import numpy as np

import realdex_spec
from realdex_ref import dataroot, layouts
from realdex_ref.dataroot import ERROR, WARNING, Problem
from realdex_ref.index import Index
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


SUMMARY_VERSION = 1  # of ``summarise``'s output, kept in the walk index: a change of it re-reads every file
HASH_BYTES = 16  # per frame, for DUPLICATE_FRAMES: a digest of the hand pose, never the pose or a string


def summarise(d: layouts.FileData) -> dict:
    """What the data checks need of one file, small and JSON-able: counts per key, the cloud size, and a
    16-byte digest of each frame's hand pose. Run in the walk's workers and kept in the walk index."""
    out: dict = {"v": SUMMARY_VERSION, "unit": unit_of(d), "path": d.path, "layout": d.layout, "frames": d.num_frames,
                 "points": int(d.clouds.shape[1]), "nonfinite": {}, "zero": {}}
    for name in _FIELDS:
        a = getattr(d, name)
        if a is not None and a.dtype.kind == "f":
            bad = int(a.size - np.count_nonzero(np.isfinite(a)))
            if bad:
                key = _KEY_OF.get(name, name)
                out["nonfinite"][key] = out["nonfinite"].get(key, 0) + bad
    for name in ("hand_orient", "object_orient"):
        a = getattr(d, name)
        if a is not None:
            out["zero"][name] = int((np.linalg.norm(a, axis=1) < IDENTITY_ANGLE).sum())
    q = d.qpos
    bad_q = (q < LOWER - LIMIT_SLACK) | (q > UPPER + LIMIT_SLACK)
    if bad_q.any():
        out["limits"] = bad_q.sum(axis=0).tolist()
        out["limit_frames"] = int(bad_q.any(axis=1).sum())
        out["worst"] = float(np.maximum(LOWER - q, q - UPPER).max())
    pose = np.ascontiguousarray(np.concatenate([d.hand_transl, d.hand_orient, d.qpos], axis=1))
    out["hashes"] = base64.b64encode(b"".join(
        hashlib.blake2b(pose[i].tobytes(), digest_size=HASH_BYTES).digest() for i in range(d.num_frames))).decode("ascii")
    return out


class _Checker:
    def __init__(self, num_points: int, layout: str | None) -> None:
        self.num_points, self.layout = num_points, layout
        self.frames: dict[str, int] = {}  # unit -> frames checked
        self.small: dict[str, list[int]] = {}  # unit -> [frames, smallest P]
        self.nonfinite: dict[tuple[str, str], int] = {}
        self.zero: dict[tuple[str, str], int] = {}  # (unit, key) -> frames with identity rotation
        self.limits: dict[str, list[int]] = {}  # unit -> per-joint count of frames out of limits
        self.limit_frames: dict[str, int] = {}
        self.worst: dict[str, float] = {}
        # the duplicate-frame table: 16 bytes per frame, and per file its path, unit and first frame
        self.hashes: list[bytes] = []
        self.sources: list[tuple[str, str]] = []
        self.first_frame: list[int] = []
        self.walked = 0  # frames in the table
        self.dups: dict[str, list] = {}  # unit -> [count, first source]

    def add(self, s: dict) -> None:
        """Count one file's summary (files in path order)."""
        if self.layout is not None and s["layout"] != self.layout:
            return
        unit, t = s["unit"], s["frames"]
        self.frames[unit] = self.frames.get(unit, 0) + t
        p = s["points"]
        if p < self.num_points:
            entry = self.small.setdefault(unit, [0, p])
            entry[0] += t  # every frame of a file pairs with a cloud of the file's one size P
            entry[1] = min(entry[1], p)
        for key, bad in s["nonfinite"].items():
            self.nonfinite[(unit, key)] = self.nonfinite.get((unit, key), 0) + bad
        for key, zero in s["zero"].items():
            self.zero[(unit, key)] = self.zero.get((unit, key), 0) + zero
        if "limits" in s:
            counts = self.limits.get(unit)
            self.limits[unit] = list(s["limits"]) if counts is None else [a + b for a, b in zip(counts, s["limits"])]
            self.limit_frames[unit] = self.limit_frames.get(unit, 0) + s["limit_frames"]
            self.worst[unit] = max(self.worst.get(unit, 0.0), s["worst"])
        self.first_frame.append(self.walked)
        self.walked += t
        self.hashes.append(binascii.a2b_base64(s["hashes"]))  # base64.b64decode's own call, without its wrapper
        self.sources.append((s["path"], unit))

    def _duplicates(self) -> None:
        """DUPLICATE_FRAMES from the table: a frame whose digest an earlier frame has (in walk order)."""
        table = np.frombuffer(b"".join(self.hashes), dtype=np.uint64).reshape(-1, 2)
        self.hashes = []
        if len(table) < 2:
            return
        order = np.lexsort((table[:, 1], table[:, 0]))  # stable: within one digest, frames in walk order
        ranked = table[order]
        new_group = np.ones(len(order), dtype=bool)
        new_group[1:] = (ranked[1:] != ranked[:-1]).any(axis=1)
        del ranked
        group_first = order[np.maximum.accumulate(np.where(new_group, np.arange(len(order)), 0))]
        repeat = ~new_group
        frames, firsts = order[repeat], group_first[repeat]
        del order, group_first, new_group
        starts = np.asarray(self.first_frame)
        walk = np.argsort(frames, kind="stable")
        frames, firsts = frames[walk], firsts[walk]
        units = sorted({u for _, u in self.sources})
        number = {u: i for i, u in enumerate(units)}
        unit_id = np.array([number[u] for _, u in self.sources])
        of_frame = unit_id[np.searchsorted(starts, frames, side="right") - 1]
        present, first_at, counts = np.unique(of_frame, return_index=True, return_counts=True)
        for k in np.argsort(first_at, kind="stable"):  # units in the order their first repeat was walked
            f = int(firsts[first_at[k]])
            i = int(np.searchsorted(starts, f, side="right") - 1)
            self.dups[units[present[k]]] = [int(counts[k]), f"{self.sources[i][0]} frame {f - starts[i]}"]

    def findings(self) -> list[Problem]:
        self._duplicates()
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
        for unit, counts in self.limits.items():
            per_joint = np.array(counts)
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


def scan_and_check(root: str | Path, num_points: int = 1024, layout: str | None = None, *, jobs: int = 1,
                   index: "Index | None" = None, progress: dataroot.Progress | None = None) -> tuple[dataroot.Inventory, list[Problem]]:
    """One walk of ``root``: its inventory (chapter 5) and the findings of the data checks (chapter 6).
    ``jobs``, ``index``, ``progress``: as for ``dataroot.scan``; the findings do not depend on them."""
    checker = _Checker(num_points, layout)
    inv = dataroot.scan(root, summarise=summarise, jobs=jobs, index=index, progress=progress)
    for s in inv.summaries:
        checker.add(s)
    inv.summaries = []
    return inv, checker.findings()


def check_root(root: str | Path, num_points: int = 1024, layout: str | None = None, *, jobs: int = 1,
               index: "Index | None" = None, progress: dataroot.Progress | None = None) -> list[Problem]:
    """Every finding about ``root``: the inventory's problems (chapter 5) and the data checks (chapter 6)."""
    inv, checked = scan_and_check(root, num_points, layout, jobs=jobs, index=index, progress=progress)
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
