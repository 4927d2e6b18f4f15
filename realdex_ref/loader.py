"""The reference loader for PyTorch (spec chapter 8): a Dataset over a data root, its sampler and collate.

The root is read once into packed columns: one (N, 28) float32 array of hand poses and one
flat float32 array of all clouds' points, with each frame pointing at its cloud. A segment's
cloud is held once for all its frames, never copied per frame, and no per-frame Python object
is kept, so memory stays near the bytes of the unique arrays.

Object points are sampled per item from a generator seeded by (seed, epoch, index), so that an
epoch gives the same items whatever the number of workers.
"""
from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from realdex_ref import batching, dataroot, layouts
from realdex_ref import index as index_module
from realdex_ref.index import Index
from realdex_ref.errors import DataError

POINT_SAMPLING = ("random", "fps")


class _Grow:
    """An array that grows by appending rows, doubling its capacity (no list of small arrays)."""

    def __init__(self, tail: tuple[int, ...], dtype: Any) -> None:
        self.buf = np.empty((256, *tail), dtype=dtype)
        self.n = 0

    def append(self, rows: np.ndarray) -> None:
        k = len(rows)
        if self.n + k > len(self.buf):
            bigger = np.empty((max(2 * len(self.buf), self.n + k), *self.buf.shape[1:]), dtype=self.buf.dtype)
            bigger[: self.n] = self.buf[: self.n]
            self.buf = bigger
        self.buf[self.n : self.n + k] = rows
        self.n += k

    def done(self) -> np.ndarray:
        out = self.buf[: self.n].copy()
        self.buf = out
        return out


class _Pack:
    """The columns of one layout of a root, filled file by file."""

    def __init__(self) -> None:
        self.poses = _Grow((28,), np.float32)
        self.points = _Grow((3,), np.float32)
        self.cloud_start = _Grow((), np.int64)
        self.cloud_of_frame = _Grow((), np.int64)
        self.clouds = 0
        self.files: list[tuple[str, int]] = []  # (path, clouds) of each file, in the order of the clouds

    def add(self, d: layouts.FileData) -> None:
        self.poses.append(np.concatenate([d.hand_transl, d.hand_orient, d.qpos], axis=1))
        c, p = d.clouds.shape[:2]
        self.cloud_start.append(self.points.n + p * np.arange(c, dtype=np.int64))
        self.points.append(d.clouds.reshape(-1, 3))
        self.cloud_of_frame.append(self.clouds + d.cloud_of_frame)
        self.clouds += c
        self.files.append((d.path, c))

    def merge(self, other: "_Pack") -> None:
        self.poses.append(other.poses.done())
        self.cloud_start.append(self.points.n + other.cloud_start.done())
        self.points.append(other.points.done())
        self.cloud_of_frame.append(self.clouds + other.cloud_of_frame.done())
        self.clouds += other.clouds
        self.files += other.files


def farthest_points_by_definition(cloud: np.ndarray, k: int, start: int) -> np.ndarray:
    """Farthest-point sampling as defined: from ``start``, ``k - 1`` times the point farthest (squared
    distance, first index on ties) from those already chosen. ``farthest_points`` gives the same points."""
    chosen = np.empty(k, dtype=np.int64)
    chosen[0] = start
    dist = np.sum((cloud - cloud[start]) ** 2, axis=1)
    for j in range(1, k):
        chosen[j] = int(np.argmax(dist))
        np.minimum(dist, np.sum((cloud - cloud[chosen[j]]) ** 2, axis=1), out=dist)
    return chosen


def farthest_points(cloud: np.ndarray, k: int, start: int) -> np.ndarray:
    """Indices of ``k`` points of ``cloud`` (float64, (P, 3)) by farthest-point sampling from point ``start``:
    equal to ``farthest_points_by_definition``, point for point, NaN and infinity included.

    The same arithmetic, element for element (difference, square, ``(dx² + dy²) + dz²`` in the order of
    ``np.sum`` over three values, minimum, first index of the maximum), on the coordinates held as three
    contiguous rows and into buffers allocated once: no (P, 3) temporaries and no strided sum per pick."""
    coords = np.ascontiguousarray(np.asarray(cloud, dtype=np.float64).T)  # (3, P)
    squares = np.empty_like(coords)
    sx, sy, sz = squares
    dist = np.empty(coords.shape[1])
    step = np.empty_like(dist)
    chosen = np.empty(k, dtype=np.int64)
    chosen[0] = start
    sub, mul, add = np.subtract, np.multiply, np.add
    sub(coords, coords[:, start, None], out=squares)
    mul(squares, squares, out=squares)
    add(sx, sy, out=dist)
    add(dist, sz, out=dist)
    farthest = dist.argmax  # the method: half the call cost of np.argmax at this size
    for j in range(1, k):
        c = farthest()
        chosen[j] = c
        sub(coords, coords[:, c, None], out=squares)
        mul(squares, squares, out=squares)
        add(sx, sy, out=step)
        add(step, sz, out=step)
        np.minimum(dist, step, out=dist)
    return chosen


def _decode_points(text: object, k: int, size: int, start: int) -> np.ndarray | None:
    """Kept samples of one cloud, or None when they are not ``k`` indices of it from ``start`` (then recomputed)."""
    if not isinstance(text, str):
        return None
    try:
        chosen = np.frombuffer(base64.b64decode(text, validate=True), dtype="<u4").astype(np.int64)
    except ValueError:
        return None
    if len(chosen) != k or chosen[0] != start or chosen.max(initial=0) >= size:
        return None
    return chosen


class RealDexDataset(Dataset):
    """The frames of one layout of a data root, as training items.

    ``__getitem__(i)`` (or ``(epoch, i)``) gives ``hand_pose`` (28,) float32 = [translation,
    rotation vector, qpos], ``object_points`` (num_points, 3) float32 and ``index``.
    ``point_sampling``: ``"random"`` draws num_points distinct points per item, anew each epoch;
    ``"fps"`` takes farthest-point samples, the same for every frame of a cloud and every epoch
    (as RealDex does), computed once per cloud. A cloud with fewer points than ``num_points`` is
    refused unless ``allow_small_clouds`` (then points are drawn with repetition).
    ``index`` (``realdex_ref.index.Index``): the walk index, refreshed by this walk; with ``"fps"``
    every cloud's samples are computed at once and kept there per file, so that a second open of
    an unchanged root computes none.
    """

    def __init__(self, root: str | Path, *, layout: str | None = None, num_points: int = 1024,
                 point_sampling: str = "random", seed: int = 0, allow_small_clouds: bool = False,
                 index: Index | None = None) -> None:
        if point_sampling not in POINT_SAMPLING:
            raise ValueError(f"point_sampling must be one of {POINT_SAMPLING}, found {point_sampling!r}")
        if not isinstance(num_points, int) or num_points < 1:
            raise ValueError(f"num_points must be an int >= 1, found {num_points!r}")
        packs: dict[str, _Pack] = {}
        self.inventory, self.layout = dataroot.open_root(root, layout, visit=lambda d: packs.setdefault(d.layout, _Pack()).add(d),
                                                         index=index)
        pack = packs.pop(self.layout)
        for detected in dataroot.detected_as(self.inventory, self.layout) - {self.layout}:
            pack.merge(packs.pop(detected))  # LAYOUT-11: one-frame files counted with the segments
        packs.clear()  # the other layouts of the root are not kept
        self.root = str(root)
        self.poses = pack.poses.done()
        self.points = pack.points.done()
        self.cloud_start = np.append(pack.cloud_start.done(), len(self.points))
        self.cloud_of_frame = pack.cloud_of_frame.done()
        self.num_points, self.point_sampling, self.seed = num_points, point_sampling, seed
        self.allow_small_clouds = allow_small_clouds
        self.epoch = 0
        self._fps: dict[int, np.ndarray] = {}
        sizes = np.diff(self.cloud_start)
        small = sizes < num_points
        if small.any() and not allow_small_clouds:
            frames = int(small[self.cloud_of_frame].sum())
            raise DataError(
                f"{frames} of {len(self)} samples of layout {self.layout!r} have object clouds of {int(sizes.min())} point(s), "
                f"fewer than the {num_points} sampled per item (a placeholder, not the object?). Fixes: use data with real "
                f"clouds, a smaller num_points, or allow_small_clouds=True to draw points with repetition "
                f"(`realdex validate {root}` lists the files)",
                path=root,
            )
        if point_sampling == "fps" and index is not None:
            self._fps_from_index(index, pack.files)

    def _fps_start(self, c: int, size: int) -> int:
        return int(np.random.default_rng([self.seed, c]).integers(size))

    def _fps_from_index(self, index: Index, files: list[tuple[str, int]]) -> None:
        """Every cloud's farthest-point samples: those kept in ``index`` under the file's unchanged stamp, the
        others computed now; all kept again, per file, for the next open."""
        started = index_module.now_ns()
        stamps = {e.path: e.stamp for e in self.inventory.files}
        kept = index.load(self.root, "fps")
        sizes = np.diff(self.cloud_start)
        k = self.num_points
        out: dict[str, list] = {}
        c = 0
        for path, count in files:
            rel = os.path.relpath(path, self.root)
            stamp, hit = stamps.get(path), kept.get(rel)
            old = hit[1] if hit is not None and stamp is not None and hit[0] == stamp else {}
            results: dict[str, str] = {}
            for within in range(count):
                size = int(sizes[c])
                if size >= k:
                    start = self._fps_start(c, size)
                    key = f"{within}:{k}:{start}"
                    chosen = _decode_points(old.get(key), k, size, start)
                    if chosen is None:
                        cloud = self.points[self.cloud_start[c] : self.cloud_start[c] + size]
                        chosen = farthest_points(cloud.astype(np.float64), k, start)
                    self._fps[c] = chosen
                    results[key] = base64.b64encode(chosen.astype("<u4").tobytes()).decode("ascii")
                c += 1
            if stamp is not None and index_module.trusted(stamp, started):
                out[rel] = [stamp, results]
        index.save(self.root, out, "fps")

    @property
    def other_layouts(self) -> dict[str, int]:
        """Samples of the root's layouts that were not chosen (for the refusal of a plan)."""
        return {k: v for k, v in self.inventory.layouts.items() if k != self.layout}

    def __len__(self) -> int:
        return len(self.poses)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _point_indices(self, c: int, size: int, epoch: int, index: int) -> np.ndarray:
        k = self.num_points
        if self.point_sampling == "fps" and size >= k:
            if c not in self._fps:
                start = self._fps_start(c, size)
                cloud = self.points[self.cloud_start[c] : self.cloud_start[c] + size]
                self._fps[c] = farthest_points(cloud.astype(np.float64), k, start)
            return self._fps[c]
        rng = np.random.default_rng([self.seed, epoch, index])
        if size < k:
            return rng.integers(size, size=k)
        return rng.choice(size, k, replace=False)

    def _rows(self, keys: list) -> tuple[np.ndarray, np.ndarray]:
        """Sample indices and the rows of ``self.points`` of each item's object points, (B,) and (B, K)."""
        idx = np.empty(len(keys), dtype=np.int64)
        rows = np.empty((len(keys), self.num_points), dtype=np.int64)
        for j, key in enumerate(keys):
            epoch, i = key if isinstance(key, tuple) else (self.epoch, key)
            i = int(i)
            if not 0 <= i < len(self):
                raise IndexError(f"sample index {i} outside 0 … {len(self) - 1}")
            c = int(self.cloud_of_frame[i])
            start = int(self.cloud_start[c])
            idx[j] = i
            rows[j] = start + self._point_indices(c, int(self.cloud_start[c + 1]) - start, epoch, i)
        return idx, rows

    def __getitem__(self, key: int | tuple[int, int]) -> dict[str, Any]:
        idx, rows = self._rows([key])
        i = int(idx[0])
        return {"hand_pose": torch.from_numpy(self.poses[i].copy()), "object_points": torch.from_numpy(self.points[rows[0]]), "index": i}

    def __getitems__(self, keys: list) -> Batch:
        """A whole batch at once (DataLoader calls this when it exists): the items of ``keys``, collated."""
        idx, rows = self._rows(keys)
        return Batch(hand_pose=torch.from_numpy(self.poses[idx]), object_points=torch.from_numpy(self.points[rows]),
                     index=torch.from_numpy(idx))


class Batch(dict):
    """A batch already collated by ``RealDexDataset.__getitems__``."""


def collate(batch: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
    """Stack items: ``hand_pose`` (B, 28) float32, ``object_points`` (B, K, 3) float32, ``index`` (B,) int64."""
    if isinstance(batch, Batch):
        return dict(batch)
    return {
        "hand_pose": torch.stack([b["hand_pose"] for b in batch]),
        "object_points": torch.stack([b["object_points"] for b in batch]),
        "index": torch.tensor([b["index"] for b in batch], dtype=torch.int64),
    }


def _world() -> tuple[int, int]:
    """World size and rank from torch.distributed when initialised, else from torchrun's environment."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_world_size(), torch.distributed.get_rank()
    return int(os.environ.get("WORLD_SIZE", 1)), int(os.environ.get("RANK", 0))


class RealDexLoader:
    """A DataLoader over a RealDexDataset with an EpochSampler, whose position is that of the consumer.

    Iterate it for the batches of the current epoch; ``set_epoch(e)`` before each epoch.
    ``state_dict()`` gives the epoch and the batches already taken by the caller (not those
    prefetched by workers), so that ``load_state_dict`` resumes with the very next batch.
    """

    def __init__(self, dataset: RealDexDataset, sampler: batching.EpochSampler, num_workers: int) -> None:
        self.dataset, self.sampler = dataset, sampler
        self.plan = sampler.plan
        self.dataloader = DataLoader(dataset, batch_sampler=sampler, collate_fn=collate, num_workers=num_workers)
        self.taken = 0

    def __len__(self) -> int:
        return len(self.sampler)

    def set_epoch(self, epoch: int) -> None:
        if epoch != self.sampler.epoch:
            self.taken = 0
        self.sampler.set_epoch(epoch)
        self.dataset.set_epoch(epoch)

    def __iter__(self):
        self.sampler.batches_done = self.taken
        for batch in self.dataloader:
            self.taken += 1
            yield batch
        self.taken = 0

    def state_dict(self) -> dict:
        return self.sampler.state_dict(batches_done=self.taken)

    def load_state_dict(self, state: dict) -> None:
        self.sampler.load_state_dict(state)
        self.dataset.set_epoch(self.sampler.epoch)
        self.taken = self.sampler.batches_done


def make_loader(dataset: RealDexDataset, batch_size: int, *, world_size: int | None = None, rank: int | None = None,
                drop_last: bool = False, seed: int = 0, shuffle: bool = True, num_workers: int = 0,
                min_batches: int = 1) -> RealDexLoader:
    """The loader of one rank; refuses a plan below ``min_batches`` batches per epoch before any work (BATCH-8)."""
    if world_size is None or rank is None:
        world_size, rank = _world()
    sampler = batching.EpochSampler(len(dataset), batch_size, world_size, rank, drop_last, seed, shuffle, with_epoch=True)
    batching.check_plan(sampler.plan, min_batches, other_layouts=dataset.other_layouts)
    return RealDexLoader(dataset, sampler, num_workers)
