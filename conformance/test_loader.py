"""Conformance of chapter 8: the PyTorch loader (LOADER-n), over roots the kit writes.

Items and batches are read through the adapter's ``loader_items`` (spec chapter 4, ADAPTER-9),
so a loader whose items are not the reference's dicts is tested as it is. The order of a
dataset's items is the implementation's (chapter 8): an item's frame is found by its content.
Features an adapter declares unsupported (``loader:keep-last``, ``loader:ranks``,
``loader:workers``, ``loader:state``, ``loader:random-points``, ``loader:fps``) are not used
where a test does not need them, and the tests that need them are reported *not supported*.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from realdex_conformance import features, memprobe, ownership, rawfiles, synth
from realdex_conformance.items import Items

pytestmark = pytest.mark.requires("loader")

K = 32  # object points per item: small, so that the suite stays quick


@pytest.fixture(scope="module")
def seg_root(tmp_path_factory) -> tuple[Path, dict]:
    """::

        seg/driller/0.npz, 1.npz; seg/sprayer/0.npz, 1.npz     realdex-segment, 8 to 20 frames, 200 points
    """
    root = tmp_path_factory.mktemp("seg")
    return root, synth.write_root(root, "realdex-segment", frames_per_segment=(8, 20), points=200)


def sampling(adapter) -> str:
    """The point sampling a test uses when it does not test one: random where supported, else fps."""
    return "random" if features.supports(adapter, "loader:random-points") else "fps"


def keep_last(adapter) -> bool:
    """Whether tests that do not test drop_last may keep a short last batch (drop_last=False)."""
    return features.supports(adapter, "loader:keep-last")


def dataset(adapter, root, layout=None, num_points=K, point_sampling=None, seed=0):
    return adapter.make_dataset(root=root, layout=layout, num_points=num_points,
                                point_sampling=point_sampling or sampling(adapter), seed=seed)


def loader(adapter, ds, batch_size=8, world_size=1, rank=0, drop_last=None, seed=0, shuffle=True, num_workers=0):
    drop_last = (not keep_last(adapter)) if drop_last is None else drop_last
    return adapter.make_loader(dataset=ds, batch_size=batch_size, world_size=world_size, rank=rank, drop_last=drop_last,
                               seed=seed, shuffle=shuffle, num_workers=num_workers)


def epoch(ld, e=0) -> list:
    ld.set_epoch(e)
    return list(ld)


def kit_frames(written: dict) -> list[dict]:
    """The kit's own reading of the root, in path order then file order (ROOT-5)."""
    return [s for f in sorted(Path(x["path"]) for x in written["files"]) for s in rawfiles.read_raw(f)]


def pose_key(frame: dict) -> np.ndarray:
    """The 25 values that identify a frame whatever the rotation vector's name: translation and qpos."""
    return np.concatenate([frame["hand_transl"], frame["qpos"]])


class Frames:
    """The frames of a root, found by an item's pose (translation and qpos, float32 precision)."""

    def __init__(self, frames: list[dict]) -> None:
        self.frames = frames
        self.keys = np.stack([pose_key(f) for f in frames])

    def find(self, pose: np.ndarray) -> tuple[int, float]:
        """(the nearest frame, its largest difference) for a 28-value hand pose."""
        key = np.concatenate([pose[:3], pose[6:]]).astype(np.float64)
        diff = np.abs(self.keys - key).max(axis=1)
        j = int(np.argmin(diff))
        return j, float(diff[j])


def positions(adapter, ds, batches: list, what: str) -> list[list[int]]:
    """The dataset positions of each batch's rows: its ``index`` where the adapter declares one, else
    found by pose among the dataset's items."""
    items = Items.of(adapter)
    if items.has_index:
        return [items.index(x, f"{what} batch {k}").reshape(-1).astype(int).tolist() for k, x in enumerate(batches)]
    table = Frames([{"hand_transl": p[:3], "qpos": p[6:]} for p in (items.pose(ds[i]).astype(np.float64) for i in range(len(ds)))])
    return [[table.find(row)[0] for row in items.pose(x, f"{what} batch {k}")] for k, x in enumerate(batches)]


def assert_same_batches(adapter, a: list, b: list, what: str) -> None:
    items = Items.of(adapter)
    assert len(b) == len(a), f"{what}: expected {len(a)} batches, found {len(b)}"
    for k, (x, y) in enumerate(zip(a, b)):
        for name, get in (("hand_pose", items.pose), ("object_points", items.points)):
            u, v = get(x), get(y)
            assert u.shape == v.shape and np.array_equal(u, v), f"{what}: batch {k} differs in {name}"


@pytest.mark.clause("LOADER-1")
def test_length_is_frames_and_mixed_roots_are_refused(adapter, seg_root, tmp_path):
    root, written = seg_root
    assert len(dataset(adapter, root)) == written["num_frames"], f"expected {written['num_frames']} frames"
    synth.write_root(tmp_path, "realdex-segment", frames_per_segment=(3, 5), points=64)
    synth.write_root(tmp_path, "converted", objects=("mug",), frames_per_segment=(3, 5), points=64)
    with pytest.raises(Exception) as info:
        dataset(adapter, tmp_path)
    assert "converted" in str(info.value) and "realdex-segment" in str(info.value), f"the refusal must name both layouts: {info.value}"
    got = len(dataset(adapter, tmp_path, layout="converted"))
    assert got > 0, f"expected the converted samples of the root, found {got}"


@pytest.mark.clause("LOADER-1", "ROOT-4")
@pytest.mark.parametrize("layout", ["realdex-frame", "converted"])
def test_a_layout_named_in_a_mixed_root_gives_all_its_frames_and_no_other(adapter, tmp_path, layout):
    # the user's root: per-frame files beside converted ones; each layout named reads exactly its own frames
    info = synth.write_user_root(tmp_path, frames=40, converted=8, converted_points=64)
    want = info[layout]["samples"]
    got = len(dataset(adapter, tmp_path, layout=layout, num_points=8))  # the per-frame files hold an 8-point cube
    assert got == want, (f"the user's root (40 per-frame samples beside 8 converted ones) read as {layout}: expected its "
                         f"{want} frames, found {got}")


@pytest.mark.clause("LOADER-2", "LOADER-3")
def test_items_hold_the_frame_and_points_of_its_cloud(adapter, seg_root):
    root, written = seg_root
    ds = dataset(adapter, root)
    items = Items.of(adapter)
    frames = Frames(kit_frames(written))
    random = sampling(adapter) == "random"
    for i in (0, 7, len(ds) - 1):
        item = ds[i]
        pose, pts = items.pose(item, f"item {i}"), items.points(item, f"item {i}")
        assert pose.shape == (28,) and pose.dtype == np.float32, f"item {i}: hand_pose must be (28,) float32, found {pose.shape} {pose.dtype}"
        assert pts.shape == (K, 3) and pts.dtype == np.float32, f"item {i}: object_points must be ({K}, 3) float32, found {pts.shape} {pts.dtype}"
        if items.has_index:
            index = items.index(item, f"item {i}")
            assert index.size == 1 and int(index) == i, f"item {i}: expected index {i}, found {index}"
        j, off = frames.find(pose.astype(np.float64))
        assert off < 1e-5, (f"item {i}: expected the hand_pose [translation, rotation, qpos] of a frame of the root; its "
                            f"translation and qpos differ from every frame's (the nearest, frame {j} in path order, by {off:.3g})")
        f = frames.frames[j]
        angle = rotation_between(pose[3:6], f["hand_orient"])
        assert angle < 1e-5, f"item {i} (frame {j} in path order): hand_pose rotation differs from the frame's by {angle:.3g} rad"
        cloud = f["object_points"]
        dist = np.min(np.linalg.norm(pts.astype(np.float64)[:, None, :] - cloud[None], axis=2), axis=1)
        assert dist.max() < 1e-5, f"item {i} (frame {j} in path order): object point(s) not in the frame's cloud (off by {dist.max():.3g} m)"
        if random:
            distinct = len({tuple(r) for r in pts.tolist()})
            assert distinct == K, f"item {i}: random sampling of a {len(cloud)}-point cloud must give {K} distinct points, found {distinct}"


def rotation_between(a, b) -> float:
    """The geodesic angle between two rotation vectors, in radians."""
    return float((Rotation.from_rotvec(np.asarray(a, dtype=np.float64)).inv() * Rotation.from_rotvec(b)).magnitude())


@pytest.mark.clause("LOADER-3")
@pytest.mark.feature("loader:fps")
def test_farthest_point_sampling_gives_points_of_the_cloud(adapter, seg_root):
    root, written = seg_root
    ds = dataset(adapter, root, point_sampling="fps")
    items = Items.of(adapter)
    frames = Frames(kit_frames(written))
    j, _ = frames.find(items.pose(ds[0]).astype(np.float64))
    cloud = frames.frames[j]["object_points"]
    pts = items.points(ds[0]).astype(np.float64)
    dist = np.min(np.linalg.norm(pts[:, None, :] - cloud[None], axis=2), axis=1)
    assert pts.shape == (K, 3) and dist.max() < 1e-5, f"fps points must be {K} points of the cloud, found {pts.shape} off by {dist.max():.3g}"


@pytest.mark.clause("LOADER-4")
def test_clouds_smaller_than_num_points_are_refused(adapter, tmp_path):
    synth.write_user_root(tmp_path, frames=14, converted=0)
    with pytest.raises(Exception) as info:
        dataset(adapter, tmp_path, layout="realdex-frame", num_points=1024)
    message = str(info.value)
    assert "8" in message and "1024" in message, f"the refusal must give 8 points and 1024 sampled: {message!r}"


@pytest.mark.clause("LOADER-5")
@pytest.mark.parametrize("world_size, drop_last", [
    pytest.param(1, False, marks=pytest.mark.feature("loader:keep-last")),
    pytest.param(1, True),
    pytest.param(3, False, marks=pytest.mark.feature("loader:keep-last", "loader:ranks")),
    pytest.param(3, True, marks=pytest.mark.feature("loader:ranks")),
])
def test_batches_are_collated_and_follow_the_plan(adapter, seg_root, world_size, drop_last):
    root, written = seg_root
    ds = dataset(adapter, root)
    items = Items.of(adapter)
    n, b = len(ds), 8
    per_rank = -(-n // world_size) if not drop_last else n // world_size
    planned = -(-per_rank // b) if not drop_last else per_rank // b
    for rank in range(world_size):
        batches = epoch(loader(adapter, ds, b, world_size, rank, drop_last, seed=3), e=2)
        where = f"N={n}, B={b}, W={world_size}, rank {rank}, drop_last={drop_last}"
        assert len(batches) == planned, f"{where}: {planned} batches planned, found {len(batches)}"
        for k, x in enumerate(batches):
            pose, pts = items.pose(x, f"batch {k}"), items.points(x, f"batch {k}")
            m = pose.shape[0] if pose.ndim == 2 else -1
            assert pose.ndim == 2 and pose.shape[1] == 28 and pose.dtype == np.float32, (
                f"{where}, batch {k}: hand_pose must be (B, 28) float32, found {pose.shape} {pose.dtype}")
            assert pts.shape == (m, K, 3) and pts.dtype == np.float32, (
                f"{where}, batch {k}: object_points must be ({m}, {K}, 3) float32, found {pts.shape} {pts.dtype}")
            if items.has_index:
                index = items.index(x, f"batch {k}")
                assert index.shape == (m,) and index.dtype == np.int64, f"{where}, batch {k}: index must be ({m},) int64, found {index.shape} {index.dtype}"
        if "batching" in set(adapter.capabilities) and (drop_last or features.supports(adapter, "batching:keep-last")):
            want = adapter.epoch_batches(num_samples=n, batch_size=b, world_size=world_size, rank=rank, drop_last=drop_last,
                                         seed=3, epoch=2, shuffle=True)
            got = positions(adapter, ds, batches, where)
            assert got == [list(map(int, w)) for w in want], f"{where}: the loader's indices {got[:2]}... are not the plan's batches {[list(map(int, w)) for w in want][:2]}..."


@pytest.mark.clause("LOADER-6")
def test_same_batches_on_every_run(adapter, seg_root):
    root, _ = seg_root
    runs = [epoch(loader(adapter, dataset(adapter, root, seed=5), seed=5), e=1) for _ in range(2)]
    assert_same_batches(adapter, runs[0], runs[1], "a second run with the same seed")
    other = epoch(loader(adapter, dataset(adapter, root, seed=5), seed=5), e=2)
    items = Items.of(adapter)
    assert not np.array_equal(items.points(runs[0][0]), items.points(other[0])) or not np.array_equal(
        items.pose(runs[0][0]), items.pose(other[0])), "another epoch must give another order (or other points)"


@pytest.mark.clause("LOADER-6")
@pytest.mark.feature("loader:workers")
def test_same_batches_with_workers(adapter, seg_root):
    root, _ = seg_root
    runs = [epoch(loader(adapter, dataset(adapter, root, seed=5), seed=5, num_workers=w), e=1) for w in (0, 2)]
    assert_same_batches(adapter, runs[0], runs[1], "num_workers=2 against num_workers=0")


@pytest.mark.clause("LOADER-7")
@pytest.mark.feature("loader:state")
@pytest.mark.parametrize("taken", [0, 1, 3])
def test_resume_continues_with_the_next_batch(adapter, seg_root, taken):
    root, _ = seg_root
    ds = dataset(adapter, root)
    full = epoch(loader(adapter, ds, seed=9), e=4)
    first = loader(adapter, ds, seed=9)
    first.set_epoch(4)
    it = iter(first)
    for _ in range(taken):
        next(it)
    state = first.state_dict()
    resumed = loader(adapter, dataset(adapter, root), seed=9)
    resumed.load_state_dict(state)
    rest = list(resumed)
    got = positions(adapter, ds, rest, f"resumed after {taken}")
    want = positions(adapter, ds, full[taken:], "uninterrupted")
    assert got == want, f"resumed after {taken} batch(es): expected the remaining {len(want)} batches, found {len(got)}: {got[:2]} vs {want[:2]}"


@pytest.mark.clause("LOADER-8", "BATCH-9")
def test_zero_batch_plan_is_refused_before_any_batch(adapter, tmp_path):
    synth.write_user_root(tmp_path, frames=0, converted=8, converted_points=64)
    ds = dataset(adapter, tmp_path, layout="converted")
    assert len(ds) == 8, f"expected a dataset of the 8 converted samples, found {len(ds)}"
    with pytest.raises(Exception) as info:
        loader(adapter, ds, batch_size=32, drop_last=True)
    assert "32" in str(info.value) and "8" in str(info.value), f"the refusal must give 8 samples and batch 32: {info.value}"


@pytest.mark.clause("LOADER-9")
@pytest.mark.feature("loader:ranks")
@pytest.mark.parametrize("world_size", [2, 3])
def test_ranks_cover_the_dataset(adapter, seg_root, world_size):
    root, _ = seg_root
    ds = dataset(adapter, root)
    n, b, drop = len(ds), 8, not keep_last(adapter)
    seen: list[int] = []
    counts = []
    for rank in range(world_size):
        batches = epoch(loader(adapter, ds, b, world_size, rank, seed=1), e=0)
        counts.append(len(batches))
        seen += [i for batch in positions(adapter, ds, batches, f"rank {rank}") for i in batch]
    if drop:  # every rank's batches full, no sample twice: all but fewer than B x W samples
        covered = (n // world_size // b) * b * world_size
        assert len(seen) == len(set(seen)) == covered, (f"W={world_size}, drop_last=True: expected {covered} distinct samples, "
                                                        f"found {len(set(seen))} distinct of {len(seen)}")
    else:
        assert set(seen) == set(range(n)), f"W={world_size}: ranks miss samples {sorted(set(range(n)) - set(seen))[:10]}"
    assert len(set(counts)) == 1, f"W={world_size}: ranks got different numbers of batches {counts}"


@pytest.mark.clause("LOADER-10")
def test_a_segment_cloud_is_not_copied_per_frame(adapter, implementation, tmp_path):
    # measured as the resident memory of a child process: torch, C extensions and memory maps included
    root, small = tmp_path / "root", tmp_path / "warm-up"
    written = synth.write_root(root, "realdex-segment", objects=("driller", "mug"), segments_per_object=2,
                               frames_per_segment=(300, 300), points=7000)
    synth.write_root(small, "realdex-segment", objects=("mug",), segments_per_object=1, frames_per_segment=(4, 4), points=64)
    unique = sum(a.nbytes for f in written["files"] for a in rawfiles.load(f["path"]).values())
    args = dict(layout=None, num_points=K, point_sampling=sampling(adapter), seed=0)
    impl, options = implementation
    got = memprobe.measure(impl, options, "make_dataset", {"root": str(root), **args}, warmup={"root": str(small), **args})
    assert got.outcome == "returned", f"make_dataset over {root} in a child process: expected a dataset, found {got.error}"
    assert got.length == 1200, f"expected a dataset of 1200 frames, found {got.length}"
    limit = 1.5 * unique + 16 * 2**20
    per_frame_copy = 1200 * 7000 * 3 * 4
    assert got.peak <= limit, (
        f"making the dataset of 1200 frames (4 segments of 300 frames, one 7000-point cloud each) raised the resident "
        f"memory by {memprobe.mib(got.peak)} at its peak ({got.method}; {memprobe.mib(got.held)} still held) for "
        f"{memprobe.mib(unique)} of arrays in the files: expected at most 1.5 times that plus 16 MiB, {memprobe.mib(limit)}. "
        f"A float32 copy of the cloud per frame alone takes {memprobe.mib(per_frame_copy)}")


@pytest.mark.clause("LOADER-7")
@pytest.mark.feature("loader:state", "loader:workers")
def test_resume_after_workers_prefetched_counts_only_the_batches_taken(adapter, seg_root):
    """Two batches taken from a loader with one worker process, which has fetched more ahead; a fresh loader resumed
    from its state gives the rest: the batches taken and the batches resumed are the planned epoch, none skipped, none
    twice. One worker and a small root: the start of the process is the cost."""
    root, _ = seg_root
    ds = dataset(adapter, root)
    full = positions(adapter, ds, epoch(loader(adapter, ds, seed=9), e=4), "uninterrupted")
    first = loader(adapter, ds, seed=9, num_workers=1)
    first.set_epoch(4)
    it = iter(first)
    taken = [next(it) for _ in range(2)]
    state = first.state_dict()
    del it  # the worker process ends with its iterator
    resumed = loader(adapter, dataset(adapter, root), seed=9)
    resumed.load_state_dict(state)
    got = positions(adapter, ds, taken, "taken with a worker") + positions(adapter, ds, list(resumed), "resumed")
    skipped = [b for b in full if b not in got]
    twice = [b for b in got if got.count(b) > 1]
    assert got == full, (
        f"2 batches taken from a loader with num_workers=1, then a fresh loader resumed from its state_dict(): expected "
        f"the {len(full)} batches of the planned epoch in order, found {len(got)} ({len(skipped)} skipped, {len(twice)} "
        f"twice; skipped {skipped[:2]}). The state must count the batches yielded, not those the workers fetched ahead "
        f"(LOADER-7); it was {state!r}")


@pytest.mark.clause("LOADER-11")
def test_batches_yielded_are_the_callers(adapter, seg_root):
    """Every tensor of every batch of an epoch changed in place (what a training step that centres the points does),
    then the same epoch iterated again: it gives the batches it gave before the change."""
    root, _ = seg_root
    items = Items.of(adapter)
    ld = loader(adapter, dataset(adapter, root), seed=2)
    first = epoch(ld, e=1)
    kept = [(items.pose(x).copy(), items.points(x).copy()) for x in first]
    changed, read_only = ownership.scribble(first)
    again = epoch(ld, e=1)
    assert len(again) == len(kept), f"epoch 1 iterated twice: expected {len(kept)} batches the second time, found {len(again)}"
    for k, ((pose, pts), x) in enumerate(zip(kept, again)):
        for name, want, now in (("hand_pose", pose, items.pose(x)), ("object_points", pts, items.points(x))):
            assert now.shape == want.shape and np.array_equal(now, want), (
                f"epoch 1 iterated twice, the {changed} writable tensor(s) of its batches changed in place between the "
                f"two ({read_only} read-only): batch {k}'s {name} differs the second time"
                f"{' and holds the value written' if np.any(now == ownership.SENTINEL) else ''}. A batch must be the "
                f"caller's, not a tensor the loader keeps (LOADER-11)")


@pytest.mark.clause("ROOT-12", "LOADER-1")
def test_a_dataset_made_again_reads_a_rewritten_file_anew(adapter, tmp_path):
    """A dataset made, its one file rewritten in place with other frames of the same shapes (the same size, the
    modification time restored), a dataset made again: its items are the new file's frames."""
    def arrays(seed):
        frames = synth.make_segment("driller", 10, 64, np.random.default_rng(seed))
        return frames, rawfiles.to_arrays(frames, "realdex-segment")[0]

    path = tmp_path / "driller" / "0.npz"
    rawfiles.save(path, arrays(21)[1], compressed=False)
    items = Items.of(adapter)
    before = len(dataset(adapter, tmp_path))
    newer, content = arrays(22)
    was = os.stat(path)
    rawfiles.save(tmp_path / "scratch.npz", content, compressed=False)
    data = (tmp_path / "scratch.npz").read_bytes()
    (tmp_path / "scratch.npz").unlink()
    with open(path, "r+b") as fh:
        fh.truncate(0)
        fh.write(data)
    os.utime(path, ns=(was.st_atime_ns, was.st_mtime_ns))
    assert os.stat(path).st_size == was.st_size, "the kit's rewrite must keep the file's size"
    ds = dataset(adapter, tmp_path)
    frames = Frames(newer)
    offs = [frames.find(items.pose(ds[i]).astype(np.float64))[1] for i in range(len(ds))]
    assert len(ds) == before == 10 and max(offs) < 1e-5, (
        f"a root of one 10-frame segment, rewritten in place (size and modification time kept) after a first "
        f"make_dataset: expected a dataset of the 10 new frames, found {len(ds)} item(s) whose poses are off the new "
        f"frames' by up to {max(offs, default=0):.3g}: a stale cache (ROOT-12)")


# ---------------------------------------------------------------- the converted layout: a cloud per sample (issue 12)


@pytest.fixture(scope="module")
def converted_root(tmp_path_factory) -> tuple[Path, dict]:
    """Converted files whose samples each hold their own cloud, as real converted files do (obj_pc (N, P, 3))::

        converted/driller_0/converted_data.npz, driller_1/…; converted/sprayer_0/…, sprayer_1/…   4 to 9 samples, 96 points
    """
    root = tmp_path_factory.mktemp("converted")
    return root, synth.write_root(root, "converted", frames_per_segment=(4, 9), points=96)


@pytest.mark.clause("LOADER-2", "LOADER-3")
def test_items_of_a_converted_root_take_points_of_their_own_samples_cloud(adapter, converted_root):
    """Every item of a converted root: its points come from the cloud of its own sample, never from the cloud of
    another sample of the same file (the first one's, read once per file as a segment's is)."""
    root, written = converted_root
    ds = dataset(adapter, root, layout="converted")
    items = Items.of(adapter)
    frames = Frames(kit_frames(written))
    assert len(ds) == written["num_frames"], f"expected a dataset of the {written['num_frames']} converted samples, found {len(ds)}"
    wrong = []
    for i in range(len(ds)):
        item = ds[i]
        j, off = frames.find(items.pose(item, f"item {i}").astype(np.float64))
        assert off < 1e-5, (f"item {i}: expected the hand_pose of a sample of the root; its translation and qpos differ from "
                            f"every sample's (the nearest, sample {j}, by {off:.3g})")
        pts = items.points(item, f"item {i}").astype(np.float64)
        cloud = frames.frames[j]["object_points"]
        dist = np.min(np.linalg.norm(pts[:, None, :] - cloud[None], axis=2), axis=1)
        if dist.max() >= 1e-5:
            wrong.append((i, j, float(dist.max())))
    assert not wrong, (
        f"{len(wrong)} of {len(ds)} items of a converted root (a cloud per sample) hold points that are not of their own "
        f"sample's cloud: " + ", ".join(f"item {i} (sample {j}) off by {d:.3g} m" for i, j, d in wrong[:5])
        + ". Each sample of a converted file has its own cloud, obj_pc[i]; pairing every sample with the file's first cloud "
        "gives this")



@pytest.mark.clause("LOADER-12")
@pytest.mark.feature("loader:state")
def test_a_state_of_another_plan_is_refused_naming_what_differs(adapter, seg_root):
    root, _ = seg_root
    ds = dataset(adapter, root)
    args = dict(batch_size=4, seed=3, shuffle=True, drop_last=not keep_last(adapter))
    first = loader(adapter, ds, **args)
    first.set_epoch(1)
    next(iter(first))
    state = first.state_dict()
    changes = {"seed": 4, "shuffle": False, "batch_size": 2}
    if keep_last(adapter):
        changes["drop_last"] = True
    for name, value in changes.items():
        resumed = loader(adapter, ds, **dict(args, **{name: value}))
        with pytest.raises(Exception) as info:
            resumed.load_state_dict(state)
        assert name in str(info.value), (
            f"a state taken with {args} loaded into a loader with {name}={value!r}: expected a refusal that names "
            f"{name!r}, found: {info.value!r}")
    if features.supports(adapter, "loader:ranks"):
        ranked = loader(adapter, ds, world_size=2, rank=0, **args)
        ranked.set_epoch(1)
        next(iter(ranked))
        state = ranked.state_dict()
        for name, other in (("rank", dict(world_size=2, rank=1)), ("world_size", dict(world_size=1, rank=0))):
            with pytest.raises(Exception) as info:
                loader(adapter, ds, **other, **args).load_state_dict(state)
            assert name in str(info.value), (
                f"a state taken by rank 0 of 2 loaded into a loader with {other}: expected a refusal that names {name!r}, "
                f"found: {info.value!r}")


def _greedy_from(cloud: np.ndarray, start: int, want: set[int]) -> bool:
    """Whether farthest-point sampling by its definition (each next point the one farthest from those chosen),
    grown from ``start``, picks exactly ``want``; stops at the first pick outside it."""
    dist = np.sum((cloud - cloud[start]) ** 2, axis=1)
    for _ in range(len(want) - 1):
        pick = int(np.argmax(dist))
        if pick not in want:
            return False
        np.minimum(dist, np.sum((cloud - cloud[pick]) ** 2, axis=1), out=dist)
    return True


@pytest.mark.clause("LOADER-3")
@pytest.mark.feature("loader:fps")
def test_farthest_point_sampling_is_greedy_from_one_of_its_points(adapter, seg_root):
    # "fps" is farthest-point sampling (chapter 8): the set of points is the greedy farthest-point set grown from one of
    # them, whatever order the item keeps them in; the kit's clouds are random floats, so there are no ties
    root, written = seg_root
    ds = dataset(adapter, root, point_sampling="fps", seed=11)  # a seed of its own: picks computed here, not kept from another test
    items, frames = Items.of(adapter), Frames(kit_frames(written))
    checked = set()
    for i in range(len(ds)):
        j, _ = frames.find(items.pose(ds[i]).astype(np.float64))
        cloud_id = id(frames.frames[j]["object_points"])
        if cloud_id in checked:
            continue
        checked.add(cloud_id)
        cloud = np.asarray(frames.frames[j]["object_points"], dtype=np.float32).astype(np.float64)
        pts = items.points(ds[i]).astype(np.float64)
        got = set(np.argmin(np.linalg.norm(pts[:, None, :] - cloud[None], axis=2), axis=1).tolist())
        assert len(got) == K, f"item {i}: fps must give {K} distinct points of the cloud, found {len(got)}"
        assert any(_greedy_from(cloud, s, got) for s in got), (
            f"item {i}: the {K} fps points of a {len(cloud)}-point cloud are not the farthest-point set grown from any of them")
        if len(checked) == 2:
            break



@pytest.mark.clause("LOADER-7")
@pytest.mark.feature("loader:state")
def test_resume_in_a_later_epoch_continues_with_its_next_batch(adapter, seg_root):
    # a loader that took 1 batch of epoch 2 (a pass cut short), then 2 batches of epoch 3: its state is the position in
    # epoch 3, k = 2 (LOADER-7 counts the batches of that epoch)
    root, _ = seg_root
    ds = dataset(adapter, root)
    full = epoch(loader(adapter, ds, seed=9), e=3)
    first = loader(adapter, ds, seed=9)
    first.set_epoch(2)
    next(iter(first))
    first.set_epoch(3)
    it = iter(first)
    next(it), next(it)
    resumed = loader(adapter, dataset(adapter, root), seed=9)
    resumed.load_state_dict(first.state_dict())
    got = positions(adapter, ds, list(resumed), "resumed in epoch 3 after 2")
    want = positions(adapter, ds, full[2:], "epoch 3 uninterrupted")
    assert got == want, f"resumed after 2 batches of epoch 3 (1 of epoch 2 taken before): expected the remaining {len(want)} batches, found {len(got)}"


@pytest.mark.clause("LOADER-3")
@pytest.mark.feature("loader:fps")
def test_fps_points_follow_the_seed_and_the_cloud_not_the_root(adapter, seg_root, tmp_path):
    # chapter 8: the fps start is drawn from (seed, cloud), so a copy of the root elsewhere gives the same points
    root, _ = seg_root
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    items = Items.of(adapter)
    a, b = dataset(adapter, root, point_sampling="fps", seed=5), dataset(adapter, copy, point_sampling="fps", seed=5)
    in_copy = {np.asarray(items.pose(b[j])).tobytes(): j for j in range(len(b))}  # the order of items is the implementation's
    for i in (0, len(a) - 1):
        j = in_copy.get(np.asarray(items.pose(a[i])).tobytes())
        assert j is not None, f"item {i} of the root has no item of the same pose in its copy"
        pa, pb = items.points(a[i]).astype(np.float64), items.points(b[j]).astype(np.float64)
        assert np.array_equal(np.sort(pa, axis=0), np.sort(pb, axis=0)), (
            f"item {i}: fps with seed 5 gave other points over a copy of the root; expected the same (seed, cloud)")


@pytest.mark.clause("LOADER-8", "BATCH-8")
def test_a_zero_batch_refusal_names_the_roots_other_layout(adapter, tmp_path):
    """The user's failure itself: 8 converted samples read beside 40 per-frame ones, batch 32 with drop_last gives 0
    batches per epoch; the loader knows the root, so its refusal points at the layout that holds the data (BATCH-8)."""
    synth.write_user_root(tmp_path, frames=40, converted=8, converted_points=64)
    ds = dataset(adapter, tmp_path, layout="converted")
    assert len(ds) == 8, f"expected a dataset of the 8 converted samples of the root, found {len(ds)}"
    with pytest.raises(Exception) as info:
        loader(adapter, ds, batch_size=32, drop_last=True)
    message = str(info.value)
    missing = [word for word in ("realdex-frame", "40") if word not in message]
    assert not missing, (f"a root of 8 converted and 40 per-frame samples, read as converted at batch 32 with drop_last: "
                         f"expected the refusal to name the other layout 'realdex-frame' and its 40 samples (BATCH-8), "
                         f"missing {missing} in: {message}")
