"""Conformance of chapter 8: the PyTorch loader (LOADER-n), over roots the kit writes."""
from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from realdex_conformance import rawfiles, synth

pytestmark = pytest.mark.requires("loader")

K = 32  # object points per item: small, so that the suite stays quick


@pytest.fixture(scope="module")
def torch():
    """PyTorch, whose tensors the loader capability hands out; imported here, not at the top, so
    that the rest of the suite runs where PyTorch is not installed."""
    return pytest.importorskip("torch", reason="the loader capability hands out torch tensors: install PyTorch")


@pytest.fixture(scope="module")
def seg_root(tmp_path_factory) -> tuple[Path, dict]:
    """::

        seg/driller/0.npz, 1.npz; seg/sprayer/0.npz, 1.npz     realdex-segment, 8 to 20 frames, 200 points
    """
    root = tmp_path_factory.mktemp("seg")
    return root, synth.write_root(root, "realdex-segment", frames_per_segment=(8, 20), points=200)


def dataset(adapter, root, layout=None, num_points=K, point_sampling="random", seed=0):
    return adapter.make_dataset(root=root, layout=layout, num_points=num_points, point_sampling=point_sampling, seed=seed)


def loader(adapter, ds, batch_size=8, world_size=1, rank=0, drop_last=False, seed=0, shuffle=True, num_workers=0):
    return adapter.make_loader(dataset=ds, batch_size=batch_size, world_size=world_size, rank=rank, drop_last=drop_last,
                               seed=seed, shuffle=shuffle, num_workers=num_workers)


def epoch(ld, e=0) -> list[dict]:
    ld.set_epoch(e)
    return list(ld)


def kit_frames(written: dict) -> list[dict]:
    """The kit's own reading of the root, in path order then file order (ROOT-5)."""
    return [s for f in sorted(Path(x["path"]) for x in written["files"]) for s in rawfiles.read_raw(f)]


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


@pytest.mark.clause("LOADER-2", "LOADER-3")
def test_items_hold_the_frame_and_points_of_its_cloud(adapter, torch, seg_root):
    root, written = seg_root
    ds = dataset(adapter, root)
    frames = kit_frames(written)
    for i in (0, 7, len(ds) - 1):
        item = ds[i]
        pose, pts = item["hand_pose"], item["object_points"]
        assert pose.shape == (28,) and pose.dtype == torch.float32, f"hand_pose must be (28,) float32, got {tuple(pose.shape)} {pose.dtype}"
        assert pts.shape == (K, 3) and pts.dtype == torch.float32, f"object_points must be ({K}, 3) float32, got {tuple(pts.shape)} {pts.dtype}"
        assert int(item["index"]) == i, f"item {i} says index {item['index']}"
        f = frames[i]
        p = pose.double().numpy()
        assert np.allclose(p[:3], f["hand_transl"], atol=1e-5) and np.allclose(p[6:], f["qpos"], atol=1e-5), (
            f"item {i}: hand_pose translation/qpos differ from the file's frame")
        angle = (Rotation.from_rotvec(p[3:6]).inv() * Rotation.from_rotvec(f["hand_orient"])).magnitude()
        assert angle < 1e-5, f"item {i}: hand_pose rotation differs from the frame's by {angle} rad"
        cloud = f["object_points"]
        dist = np.min(np.linalg.norm(pts.double().numpy()[:, None, :] - cloud[None], axis=2), axis=1)
        assert dist.max() < 1e-5, f"item {i}: object point(s) not in the frame's cloud (off by {dist.max()} m)"
        assert len({tuple(r) for r in pts.numpy().tolist()}) == K, f"item {i}: random sampling must give {K} distinct points"


@pytest.mark.clause("LOADER-3")
def test_farthest_point_sampling_gives_points_of_the_cloud(adapter, seg_root):
    root, written = seg_root
    ds = dataset(adapter, root, point_sampling="fps")
    cloud = kit_frames(written)[0]["object_points"]
    pts = ds[0]["object_points"].double().numpy()
    dist = np.min(np.linalg.norm(pts[:, None, :] - cloud[None], axis=2), axis=1)
    assert pts.shape == (K, 3) and dist.max() < 1e-5, f"fps points must be {K} points of the cloud (off by {dist.max()})"


@pytest.mark.clause("LOADER-4")
def test_clouds_smaller_than_num_points_are_refused(adapter, tmp_path):
    synth.write_user_root(tmp_path, frames=14, converted=0)
    with pytest.raises(Exception) as info:
        dataset(adapter, tmp_path, layout="realdex-frame", num_points=1024)
    message = str(info.value)
    assert "8" in message and "1024" in message, f"the refusal must give 8 points and 1024 sampled: {message!r}"


@pytest.mark.clause("LOADER-5")
@pytest.mark.parametrize("world_size, drop_last", [(1, False), (1, True), (3, False)])
def test_batches_are_collated_and_follow_the_plan(adapter, torch, seg_root, world_size, drop_last):
    root, written = seg_root
    ds = dataset(adapter, root)
    n, b = len(ds), 8
    per_rank = -(-n // world_size) if not drop_last else n // world_size
    planned = -(-per_rank // b) if not drop_last else per_rank // b
    for rank in range(world_size):
        batches = epoch(loader(adapter, ds, b, world_size, rank, drop_last, seed=3), e=2)
        assert len(batches) == planned, f"N={n}, B={b}, W={world_size}, drop_last={drop_last}: {planned} batches planned, got {len(batches)}"
        for x in batches:
            m = len(x["index"])
            assert x["hand_pose"].shape == (m, 28) and x["hand_pose"].dtype == torch.float32, f"hand_pose {tuple(x['hand_pose'].shape)} {x['hand_pose'].dtype}"
            assert x["object_points"].shape == (m, K, 3) and x["object_points"].dtype == torch.float32, (
                f"object_points must be ({m}, {K}, 3) float32, got {tuple(x['object_points'].shape)} {x['object_points'].dtype}"
            )
            assert x["index"].dtype == torch.int64, f"index must be int64, got {x['index'].dtype}"
        if "batching" in set(adapter.capabilities):
            want = adapter.epoch_batches(num_samples=n, batch_size=b, world_size=world_size, rank=rank, drop_last=drop_last,
                                         seed=3, epoch=2, shuffle=True)
            got = [x["index"].tolist() for x in batches]
            assert got == [list(map(int, w)) for w in want], f"rank {rank}: the loader's indices are not the plan's batches"


@pytest.mark.clause("LOADER-6")
def test_same_batches_with_workers_and_on_every_run(adapter, torch, seg_root):
    root, _ = seg_root
    runs = [epoch(loader(adapter, dataset(adapter, root, seed=5), seed=5, num_workers=w), e=1) for w in (0, 0, 2)]
    for name, other in (("a second run", runs[1]), ("num_workers=2", runs[2])):
        assert len(other) == len(runs[0]), f"{name}: {len(other)} batches, expected {len(runs[0])}"
        for k, (x, y) in enumerate(zip(runs[0], other)):
            for key in ("index", "hand_pose", "object_points"):
                assert torch.equal(x[key], y[key]), f"{name}: batch {k} differs in {key} from num_workers=0"
    assert not torch.equal(runs[0][0]["object_points"], epoch(loader(adapter, dataset(adapter, root, seed=5), seed=5), e=2)[0]["object_points"]), (
        "another epoch must give another order (or other points)")


@pytest.mark.clause("LOADER-7")
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
    got = [x["index"].tolist() for x in rest]
    want = [x["index"].tolist() for x in full[taken:]]
    assert got == want, f"resumed after {taken} batch(es): expected the remaining {len(want)} batches, got {len(got)}: {got[:2]} vs {want[:2]}"


@pytest.mark.clause("LOADER-8", "BATCH-9")
def test_zero_batch_plan_is_refused_before_any_batch(adapter, tmp_path):
    synth.write_user_root(tmp_path, frames=0, converted=8, converted_points=64)
    ds = dataset(adapter, tmp_path, layout="converted")
    assert len(ds) == 8, f"expected a dataset of the 8 converted samples, found {len(ds)}"
    with pytest.raises(Exception) as info:
        loader(adapter, ds, batch_size=32, drop_last=True)
    assert "32" in str(info.value) and "8" in str(info.value), f"the refusal must give 8 samples and batch 32: {info.value}"


@pytest.mark.clause("LOADER-9")
@pytest.mark.parametrize("world_size", [2, 3])
def test_ranks_cover_the_dataset(adapter, seg_root, world_size):
    root, _ = seg_root
    ds = dataset(adapter, root)
    seen = set()
    counts = []
    for rank in range(world_size):
        batches = epoch(loader(adapter, ds, 8, world_size, rank, seed=1), e=0)
        counts.append(len(batches))
        seen |= {int(i) for x in batches for i in x["index"]}
    assert seen == set(range(len(ds))), f"W={world_size}: ranks miss samples {sorted(set(range(len(ds))) - seen)[:10]}"
    assert len(set(counts)) == 1, f"W={world_size}: ranks got different numbers of batches {counts}"


@pytest.mark.clause("LOADER-10")
def test_a_segment_cloud_is_not_copied_per_frame(adapter, tmp_path):
    written = synth.write_root(tmp_path, "realdex-segment", objects=("driller",), segments_per_object=2,
                               frames_per_segment=(150, 150), points=7000)
    unique = sum(a.nbytes for f in written["files"] for a in rawfiles.load(f["path"]).values())
    tracemalloc.start()
    try:
        ds = dataset(adapter, tmp_path, num_points=K)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(ds) == 300, f"expected a dataset of 300 frames, found {len(ds)}"
    per_frame_copy = 300 * 7000 * 3 * 4
    assert peak <= 1.5 * unique + 1_000_000, (
        f"making the dataset peaked at {peak} bytes for {unique} bytes of arrays (limit 1.5×); a per-frame copy of "
        f"the clouds alone would be {per_frame_copy} bytes")
