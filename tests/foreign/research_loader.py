"""A grasp dataset loader written the way research code is: driven by a configuration, no
per-file reader, no layout detection, items as ``(dict, name)``, one process, no loader state.

    cfg = {"data": {"root": "data/seg", "format": "segment", "n_points": 1024}, "seed": 0,
           "train": {"batch_size": 32, "drop_last": True}}
    dataset = GraspDataset(cfg)
    loader = make_loader(dataset, cfg)

``cfg["careful"]`` (default True) says whether it was written after reading the RealDex
specification. Written without it, it has three defects a user met: it reads only the format it
is configured for and warns about the rest of a mixed root; it copies the object cloud once per
frame; it lets ``drop_last`` turn a small dataset into epochs of zero batches.
"""
from __future__ import annotations

import glob
import os
import warnings

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

# the keys each on-disk format is recognised by ("segment" also reads per-frame files: one frame each)
FORMATS = {"segment": {"qpos", "hand_transl", "hand_orient", "object_points"}, "converted": {"hand_poses", "obj_pc"}}
NAMES = {"segment": "realdex-segment", "converted": "converted"}


def _format_of(keys: set[str]) -> str | None:
    return next((fmt for fmt, need in FORMATS.items() if need <= keys), None)


def _frames_of(fmt: str, z) -> int:
    return len(z["hand_poses"] if fmt == "converted" else z["qpos"])


def _layout_of(fmt: str, z) -> str:
    """The spec's name for a file of ``fmt``: a segment file of one frame is a per-frame file."""
    if fmt == "segment" and _frames_of(fmt, z) == 1:
        return "realdex-frame"
    return NAMES[fmt]


class GraspDataset(Dataset):
    def __init__(self, cfg: dict) -> None:
        data = cfg["data"]
        self.root, self.fmt, self.n_points = data["root"], data["format"], int(data["n_points"])
        self.seed, self.epoch = int(cfg.get("seed", 0)), 0
        careful, copy_clouds = cfg.get("careful", True), not cfg.get("careful", True)
        self.poses: list[np.ndarray] = []       # (28,) float32 per frame: translation, rotation vector, qpos
        self.clouds: list[np.ndarray] = []      # one per segment (or per frame, when copied)
        self.cloud_of: list[int] = []
        self.names: list[str] = []
        others: dict[str, int] = {}
        self.other_frames: dict[str, int] = {}  # layout name -> frames of the files of another format
        for path in sorted(glob.glob(os.path.join(self.root, "**", "*.npz"), recursive=True)):
            with np.load(path) as z:
                fmt = _format_of(set(z.files))
                if fmt != self.fmt:
                    others[str(fmt)] = others.get(str(fmt), 0) + 1
                    if fmt is not None:  # frames of the other format, for the zero-batch refusal's hint
                        layout = _layout_of(fmt, z)
                        self.other_frames[layout] = self.other_frames.get(layout, 0) + _frames_of(fmt, z)
                    continue
                self._add(path, {k: z[k] for k in z.files}, copy_clouds)
        if others and careful and data.get("format_named") is None:
            found = ", ".join(f"{NAMES.get(f, f)} ({n} files)" for f, n in sorted(others.items()))
            raise ValueError(f"{self.root}: holds {NAMES[self.fmt]} ({len(self.poses)} frames) and also {found}; "
                             "name the format to read (data.format) or move the other files")
        if others:
            warnings.warn(f"skipped {sum(others.values())} files of another format under {self.root}")

    def _add(self, path: str, z: dict, copy_clouds: bool) -> None:
        if self.fmt == "converted":
            poses, clouds = z["hand_poses"], z["obj_pc"]
        else:
            poses = np.concatenate([z["hand_transl"], z["hand_orient"], z["qpos"]], axis=1)
            clouds = np.repeat(z["object_points"][None], len(poses), axis=0) if copy_clouds else z["object_points"][None]
        if clouds.shape[1] < self.n_points:
            raise ValueError(f"{path}: its cloud has {clouds.shape[1]} points, fewer than n_points={self.n_points}")
        for t, pose in enumerate(poses):
            self.poses.append(pose.astype(np.float32))
            self.cloud_of.append(len(self.clouds) + (t if len(clouds) > 1 else 0))
            self.names.append(f"{os.path.relpath(path, self.root)}#{t}")
        self.clouds.extend(torch.from_numpy(c).float() if copy_clouds else c for c in clouds)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.poses)

    def __getitem__(self, i: int):
        cloud = self.clouds[self.cloud_of[i]]
        rng = np.random.default_rng([self.seed, self.epoch, i])
        pick = rng.choice(len(cloud), self.n_points, replace=False)
        pose = torch.from_numpy(self.poses[i])
        points = torch.as_tensor(np.asarray(cloud)[pick], dtype=torch.float32)
        return {"trans": pose[:3], "rot": pose[3:6], "qpos": pose[6:], "obj_pc": points}, self.names[i]


class EpochLoader:
    """Batches of one process: a permutation drawn from (seed, epoch), cut into batches."""

    def __init__(self, dataset: GraspDataset, cfg: dict) -> None:
        train = cfg["train"]
        self.dataset, self.batch_size, self.drop_last = dataset, int(train["batch_size"]), bool(train["drop_last"])
        self.shuffle, self.workers, self.seed, self.epoch = train.get("shuffle", True), train.get("num_workers", 0), dataset.seed, 0
        batches = len(dataset) // self.batch_size if self.drop_last else -(-len(dataset) // self.batch_size)
        if batches == 0 and cfg.get("careful", True):
            more = [f"; the root also holds {layout} ({n} frames): read that format (data.format)"
                    for layout, n in sorted(dataset.other_frames.items()) if n > len(dataset)]
            raise ValueError(f"{len(dataset)} samples at batch size {self.batch_size} with drop_last={self.drop_last} "
                             "give 0 batches per epoch: lower the batch size or set drop_last False" + "".join(more))

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)
        self.dataset.set_epoch(epoch)

    def _batches(self) -> list[list[int]]:
        n = len(self.dataset)
        order = torch.randperm(n, generator=torch.Generator().manual_seed(self.seed + self.epoch)).tolist() if self.shuffle else list(range(n))
        cut = [order[i:i + self.batch_size] for i in range(0, n, self.batch_size)]
        return [b for b in cut if len(b) == self.batch_size] if self.drop_last else cut

    def __iter__(self):
        return iter(DataLoader(self.dataset, batch_sampler=self._batches(), num_workers=self.workers))

    def __len__(self) -> int:
        return len(self._batches())


def make_loader(dataset: GraspDataset, cfg: dict) -> EpochLoader:
    return EpochLoader(dataset, cfg)
