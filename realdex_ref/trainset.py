"""The samples the trainer draws from: one layout of a data root, as poses and object clouds.

A stop-gap until the PyTorch loader of chapter 8 (``realdex_ref.loader``) lands: the trainer
needs only what is here. Items are addressed as ``(pass, index)`` (``EpochSampler(...,
with_epoch=True)``), so that the object points of an item are drawn from (seed, pass, index)
and are the same in any process, worker or resumed run.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from realdex_ref import dataroot, layouts


class TrainingSet:
    """``ds[(pass, i)]`` -> {"hand_pose": (28,) float32, "object_points": (num_points, 3) float32}."""

    def __init__(self, root: str | Path, *, layout: str | None = None, num_points: int = 1024, seed: int = 0) -> None:
        kept: list[layouts.FileData] = []
        inventory, self.layout = dataroot.open_root(root, layout, visit=kept.append)
        self.counts = dict(inventory.layouts)  # samples per layout under the root (run log: dataset.counts)
        kept = [d for d in kept if d.layout == self.layout]
        self.num_points, self.seed = num_points, seed
        self.poses = np.concatenate([np.concatenate([d.hand_transl, d.hand_orient, d.qpos], axis=1) for d in kept]
                                    ).astype(np.float32) if kept else np.zeros((0, 28), np.float32)
        self.clouds: list[np.ndarray] = []
        cloud_of: list[np.ndarray] = []
        for d in kept:
            cloud_of.append(d.cloud_of_frame + len(self.clouds))
            self.clouds.extend(c.astype(np.float32) for c in d.clouds)
        self.cloud_of = np.concatenate(cloud_of) if cloud_of else np.zeros(0, np.int64)

    def __len__(self) -> int:
        return len(self.poses)

    def __getitem__(self, key: tuple[int, int]) -> dict[str, Any]:
        import torch

        pass_index, i = key
        cloud = self.clouds[int(self.cloud_of[i])]
        rng = np.random.default_rng([self.seed, pass_index, i])
        pick = rng.choice(len(cloud), self.num_points, replace=len(cloud) < self.num_points)
        return {"hand_pose": torch.from_numpy(self.poses[i]), "object_points": torch.from_numpy(cloud[pick])}

    @staticmethod
    def collate(items: list[dict[str, Any]]) -> dict[str, Any]:
        import torch

        return {k: torch.stack([it[k] for it in items]) for k in items[0]}
