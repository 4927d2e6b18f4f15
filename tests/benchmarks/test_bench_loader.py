"""Cost of opening a data root and of an epoch of the reference loader (issue figures, chapter 8).

Measured with pytest-benchmark: run with ``--benchmark-enable`` (or without
``--benchmark-disable``) for the figures; CI runs each once on a root ten times smaller.
Each benchmark records samples/s and the ratio to a bare ``np.load`` of every array of the
same files in ``extra_info`` and prints them.

Roots (written once per session, by ``conftest.py``)::

    segment/<object>/<k>.npz     realdex-segment: 144 files of 100 frames, 7000-point clouds (14,400 frames)
    frame/<recording>/<i>.npz    realdex-frame: the user's 14,380 one-frame files, 8-point clouds
"""
from __future__ import annotations

import statistics
import time
import tracemalloc

import pytest

from realdex_conformance import synth
from realdex_ref import dataroot
from realdex_ref.loader import RealDexDataset, make_loader
from tests.benchmarks.common import bare_pass, median_or, report, unique_bytes

REALDEX_STEP_S = 0.128  # RealDex training: seconds per iteration at batch 32 (realdex-facts.md)


@pytest.mark.parametrize("layout", ["realdex-segment", "realdex-frame"])
def test_bench_open_root(benchmark, segment_root, frame_root, layout):
    """The dataset's open against a bare np.load of the same files, the two measured in turn before each round
    (a shared machine's load moves both alike); the ratio is of their medians."""
    root = segment_root if layout == "realdex-segment" else frame_root
    num_points = 1024 if layout == "realdex-segment" else 8
    rounds = 3 if layout == "realdex-segment" else 2
    bare: list[float] = []
    t = time.perf_counter()
    ds = benchmark.pedantic(RealDexDataset, args=(root,), kwargs={"num_points": num_points}, rounds=rounds,
                            setup=lambda: bare.append(bare_pass(root)))
    seconds = median_or(benchmark, (time.perf_counter() - t - sum(bare)) / len(bare))  # rounds run: 1 in CI
    floor = statistics.median(bare)
    report(benchmark, f"open {layout}", len(ds), seconds, bare_np_load_s=round(floor, 4),
           throughput_vs_bare=round(floor / seconds, 3))


def test_bench_open_memory(benchmark, segment_root):
    """Peak traced allocation of opening the segment root, against the bytes of its unique arrays."""
    unique = unique_bytes(segment_root)

    def open_traced():
        tracemalloc.start()
        try:
            ds = RealDexDataset(segment_root, num_points=1024)
            return ds, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    t = time.perf_counter()
    ds, peak = benchmark.pedantic(open_traced, rounds=1)
    report(benchmark, "open memory", len(ds), time.perf_counter() - t, unique_array_bytes=unique, peak_traced_bytes=peak,
           peak_vs_unique=round(peak / unique, 3), held_bytes=int(ds.poses.nbytes + ds.points.nbytes + ds.cloud_of_frame.nbytes))


@pytest.mark.parametrize("num_workers", [0, 2])
def test_bench_epoch(benchmark, segment_root, num_workers):
    """One epoch at batch 32 with 1024 object points sampled per item."""
    ds = RealDexDataset(segment_root, num_points=1024)
    loader = make_loader(ds, 32, world_size=1, rank=0, num_workers=num_workers)

    def one_epoch():
        loader.set_epoch(0)
        return sum(len(b["index"]) for b in loader)

    t = time.perf_counter()
    n = benchmark.pedantic(one_epoch, rounds=2 if num_workers == 0 else 1)
    seconds = median_or(benchmark, time.perf_counter() - t)
    realdex_epoch = REALDEX_STEP_S * len(loader)
    report(benchmark, f"epoch num_workers={num_workers}", n, seconds, iterations=len(loader),
           realdex_epoch_s=round(realdex_epoch, 1), speedup_vs_realdex=round(realdex_epoch / seconds, 1))


def test_bench_inspect_user_root(benchmark, frame_root, scale, tmp_path_factory):
    """The user's root (8 converted beside the per-frame files) is reported truthfully."""
    synth.write_user_root(frame_root.parent / "user_conv", frames=0, converted=8)
    for sub in (frame_root.parent / "user_conv").iterdir():
        target = frame_root / sub.name
        if not target.exists():
            sub.rename(target)
    t = time.perf_counter()
    inv = benchmark.pedantic(dataroot.inspect_root, args=(frame_root,), rounds=1)
    seconds = time.perf_counter() - t
    assert inv.layouts == {"realdex-frame": 14380 // scale, "converted": 8}, f"the user's root must be counted truthfully: {inv.layouts}"
    assert any(p.code == "MIXED_LAYOUTS" for p in inv.problems), "the user's root must be reported MIXED_LAYOUTS"
    report(benchmark, "inspect user root", inv.total_samples, seconds)
