"""Broken adapters of reads that the suite must reject on the clause each breaks: caches that serve a
file as it was, or hand out the arrays they keep; manifests checked only in part; a loader state
that counts what its workers fetched ahead."""
from __future__ import annotations

import copy
import os
from pathlib import Path
from unittest import mock

from realdex_ref import dataroot
from realdex_ref import index as index_module
from realdex_ref.adapter import ReferenceAdapter


def _stamp(path) -> tuple:
    """Everything the file system says of a file: a rewrite changes at least its change time."""
    st = os.stat(path)
    return (str(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


class CachesFileByPath(ReferenceAdapter):
    """Remembers each file's samples under its path, size and modification time, and serves copies of them: a file
    rewritten within the same size and modification time is served as it was."""

    name = "broken-caches-file-by-path"

    def __init__(self) -> None:
        self.kept: dict[tuple, list] = {}

    def read_file(self, path):
        st = os.stat(path)
        key = (str(path), st.st_size, st.st_mtime_ns)
        if key not in self.kept:
            self.kept[key] = super().read_file(path)
        return copy.deepcopy(self.kept[key])


class SharesCachedArrays(ReferenceAdapter):
    """Remembers each file's samples, and each root's, under the full stamps of their files (never stale), and hands
    out the very arrays it keeps: a caller that centres a cloud in place changes what the next read returns."""

    name = "broken-shares-cached-arrays"

    def __init__(self) -> None:
        self.kept: dict[tuple, list] = {}

    def read_file(self, path):
        key = ("file", _stamp(path))
        if key not in self.kept:
            self.kept[key] = super().read_file(path)
        return list(self.kept[key])

    def read_root(self, root, layout=None):
        files = sorted(_stamp(Path(folder) / name) for folder, _, names in os.walk(root) for name in names)
        key = ("root", str(root), layout, tuple(files))
        if key not in self.kept:
            self.kept[key] = super().read_root(root, layout)
        return list(self.kept[key])



class StampsSizeAndTime(ReferenceAdapter):
    """Its walk index keeps a file's record under its size and modification time alone, as make and rsync compare
    files: a file rewritten in place with its size and modification time kept (a `touch -r`, an unpacked archive, a
    copy with times preserved) is served as it was."""

    name = "broken-stamps-size-and-time"

    def inspect_root(self, root):
        with mock.patch.object(index_module, "stamp_of", lambda st: [st.st_size, st.st_mtime_ns, st.st_mtime_ns]):
            return super().inspect_root(root)

    def read_root(self, root, layout=None):
        with mock.patch.object(index_module, "stamp_of", lambda st: [st.st_size, st.st_mtime_ns, st.st_mtime_ns]):
            return super().read_root(root, layout)


_check_manifest = dataroot._check_manifest


def _manifest_checked_on(*counted: str):
    """``_check_manifest`` keeping only the findings on the total and on ``counted`` ("layout", "object")."""

    def check(root, inv) -> None:
        _check_manifest(root, inv)
        dropped = [what for what in ("layout", "object") if what not in counted]
        inv.problems[:] = [p for p in inv.problems if not (
            p.code in ("MANIFEST_SHORTFALL", "MANIFEST_EXCESS") and any(f"of {what} " in p.message for what in dropped))]

    return check


class ChecksManifestTotal(ReferenceAdapter):
    """Compares a manifest's total with the root's and nothing else: 100 frames declared and found pass, however they
    fall among layouts and objects."""

    name = "broken-checks-manifest-total"
    counted: tuple[str, ...] = ()

    def inspect_root(self, root):
        with mock.patch.object(dataroot, "_check_manifest", _manifest_checked_on(*self.counted)):
            return super().inspect_root(root)

    def read_root(self, root, layout=None):
        with mock.patch.object(dataroot, "_check_manifest", _manifest_checked_on(*self.counted)):
            return super().read_root(root, layout)


class ChecksManifestLayouts(ChecksManifestTotal):
    """Compares a manifest's total and its layouts' counts, never its objects'."""

    name = "broken-checks-manifest-layouts"
    counted = ("layout",)


class CachesDatasetByPath(ReferenceAdapter):
    """Makes each root's dataset once per path and arguments and hands the same one out again, however the files
    changed since (a research loader's cache of packed arrays named after the root)."""

    name = "broken-caches-dataset-by-path"

    def __init__(self) -> None:
        self.kept: dict[tuple, object] = {}

    def make_dataset(self, root, layout=None, num_points=1024, point_sampling="random", seed=0):
        key = (str(root), layout, num_points, point_sampling, seed)
        if key not in self.kept:
            self.kept[key] = super().make_dataset(root, layout, num_points, point_sampling, seed)
        return self.kept[key]


class MemoisesBatches(ReferenceAdapter):
    """A dataset that memoises each collated batch by its epoch and sample indices, and hands out the tensors it keeps:
    a training step that centres a batch's points in place changes that batch the next time the epoch is iterated."""

    name = "broken-memoises-batches"

    def make_dataset(self, root, layout=None, num_points=1024, point_sampling="random", seed=0):
        from realdex_ref import loader

        class Memoising(loader.RealDexDataset):
            def __getitems__(self, keys):
                memo = self.__dict__.setdefault("memo", {})
                key = (self.epoch, tuple(tuple(k) if isinstance(k, (tuple, list)) else int(k) for k in keys))
                if key not in memo:
                    memo[key] = super().__getitems__(keys)
                return memo[key]

        made = super().make_dataset(root, layout, num_points, point_sampling, seed)
        made.__class__ = Memoising
        return made


class CountsFetchedBatches(ReferenceAdapter):
    """Its loader's state counts the batches the sampler has handed out, which with worker processes includes those
    fetched ahead of the caller: a resume skips the batches prefetched but never taken."""

    name = "broken-counts-fetched-batches"

    def make_loader(self, dataset, batch_size, world_size=1, rank=0, drop_last=False, seed=0, shuffle=True, num_workers=0):
        made = super().make_loader(dataset, batch_size, world_size, rank, drop_last, seed, shuffle, num_workers)
        made.state_dict = made.sampler.state_dict  # the sampler's own count: what was fetched, not what was taken
        return made


CACHES_FILE_BY_PATH = CachesFileByPath()
SHARES_CACHED_ARRAYS = SharesCachedArrays()
STAMPS_SIZE_AND_TIME = StampsSizeAndTime()
CHECKS_MANIFEST_TOTAL = ChecksManifestTotal()
CHECKS_MANIFEST_LAYOUTS = ChecksManifestLayouts()
CACHES_DATASET_BY_PATH = CachesDatasetByPath()
MEMOISES_BATCHES = MemoisesBatches()
COUNTS_FETCHED_BATCHES = CountsFetchedBatches()
