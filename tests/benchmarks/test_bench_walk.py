"""The walk at RealDex's scale (issue figures): reopen through the index, parallel walks, memory per
frame at 1M frames, and farthest-point sampling against its definition.

Full sizes under ``--benchmark-enable``, ten times smaller otherwise (CI). Each benchmark records
its figures (medians, ratios) in ``extra_info`` and prints them; none asserts a time.

    frame/<recording>/<i>.npz     the 14,380 per-frame files of the user's root (conftest.py)
    million/<object>/<k>.npz      1,000 segments of 1,000 frames (1M frames; 100k in CI), 16-point clouds
"""
from __future__ import annotations

import os
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from realdex_conformance import synth
from realdex_ref import datachecks, index
from realdex_ref.loader import farthest_points, farthest_points_by_definition
from tests.benchmarks.common import median_or, report


def settled(root: Path) -> None:
    """Wait until every file of ``root`` is older than the index's racy window, so that its stamps are kept."""
    newest = max(max(st.st_mtime_ns, st.st_ctime_ns) for st in (p.stat() for p in root.rglob("*") if p.is_file()))
    wait = (newest + index.RACY_NS - time.time_ns()) / 1e9 + 0.1
    if wait > 0:
        time.sleep(wait)


def walk(root: Path, **kw):
    inv, findings = datachecks.scan_and_check(root, 8, **kw)  # what inspect, validate and assess run
    return inv.as_dict(), [f.as_dict() for f in findings]


def test_bench_reopen_through_the_index(benchmark, frame_root, tmp_path):
    """The first walk of the per-frame root (an empty index) against a walk of the same, unchanged root."""
    settled(frame_root)
    ix = index.Index(tmp_path / "index")
    t = time.perf_counter()
    first = walk(frame_root, index=ix)
    first_s = time.perf_counter() - t
    t = time.perf_counter()
    again = benchmark.pedantic(walk, args=(frame_root,), kwargs={"index": ix}, rounds=5)
    reopen_s = median_or(benchmark, (time.perf_counter() - t) / 5)
    assert again == first, "a walk served from the index must give the first walk's results"
    files = first[0]["files"]
    report(benchmark, "reopen", first[0]["total_samples"], reopen_s, files=files, first_walk_s=round(first_s, 3),
           reopen_speedup=round(first_s / reopen_s, 1), index_bytes=ix.path_for(frame_root).stat().st_size)


@pytest.mark.parametrize("jobs", [1, 2])
def test_bench_parallel_walk(benchmark, frame_root, jobs):
    """A walk without an index in ``jobs`` worker processes (2: the cores of the machine the figures come from)."""
    t = time.perf_counter()
    got = benchmark.pedantic(walk, args=(frame_root,), kwargs={"jobs": jobs}, rounds=1)
    seconds = median_or(benchmark, time.perf_counter() - t)
    files = got[0]["files"]
    report(benchmark, f"walk jobs={jobs}", got[0]["total_samples"], seconds, files=files,
           ms_per_file=round(1000 * seconds / files, 3), load=os.getloadavg()[0])


@pytest.fixture(scope="module")
def million_root(tmp_path_factory, scale) -> Path:
    """1,000 segment files of 1,000 frames each (100 files in CI), every frame distinct."""
    root = tmp_path_factory.mktemp("million")
    template = root / "template"
    synth.write_root(template, "realdex-segment", objects=("t",), segments_per_object=1, frames_per_segment=(1000, 1001),
                     points=16)
    arrays = dict(np.load(next(template.rglob("*.npz"))))
    for i in range(1000 // scale):
        shifted = {k: (v + 1e-3 * i if k in ("hand_transl", "object_transl") else v) for k, v in arrays.items()}
        folder = root / "data" / f"object{i % 8}"
        folder.mkdir(parents=True, exist_ok=True)
        np.savez(folder / f"{i}.npz", **shifted)
    return root / "data"


def test_bench_memory_per_frame_at_1m_frames(benchmark, million_root, tmp_path):
    """Peak traced allocation of a checked walk through an index (what ``realdex inspect`` runs), per frame:
    the inventory, the checks' summaries with their 16-byte frame digests, the duplicate table, the index."""
    settled(million_root)
    ix = index.Index(tmp_path / "index")

    def traced():
        tracemalloc.start()
        try:
            out = walk(million_root, index=ix)
            return out, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    t = time.perf_counter()
    (inv, findings), peak = benchmark.pedantic(traced, rounds=1)
    seconds = time.perf_counter() - t
    frames = inv["total_samples"]
    assert not [f for f in findings if f["code"] == "DUPLICATE_FRAMES"], "every frame of this root is distinct"
    # the peak holds one file's arrays while it is read (272 kB): the data itself, 0.3 byte per frame at 1M
    report(benchmark, "1M-frame walk", frames, seconds, peak_traced_bytes=peak, bytes_per_frame=round(peak / frames, 1),
           index_bytes=ix.path_for(million_root).stat().st_size)


@pytest.fixture(scope="module")
def cloud(scale) -> tuple[np.ndarray, int]:
    """A 7000-point object surface sampled to 1024 (700 to 102 in CI), as float64 from float32 like the loader's."""
    rng = np.random.default_rng(0)
    g = rng.normal(size=(7000 // scale, 3)) * (0.08, 0.05, 0.12)
    return (g / np.linalg.norm(g / (0.08, 0.05, 0.12), axis=1, keepdims=True)).astype(np.float32).astype(np.float64), 1024 // scale


def test_bench_farthest_points(benchmark, cloud):
    """The fast form, with the definition timed beside it on the same cloud (medians of 3)."""
    points, k = cloud
    by_definition = []
    for _ in range(3):
        t = time.perf_counter()
        want = farthest_points_by_definition(points, k, 17)
        by_definition.append(time.perf_counter() - t)
    t = time.perf_counter()
    chosen = benchmark.pedantic(farthest_points, args=(points, k, 17), rounds=5)
    seconds = median_or(benchmark, (time.perf_counter() - t) / 5)
    assert np.array_equal(chosen, want), "the fast form must give the definition's points"
    definition_s = float(np.median(by_definition))
    report(benchmark, "fps", k, seconds, cloud_points=len(points), definition_s=round(definition_s, 4),
           speedup=round(definition_s / seconds, 1), load=os.getloadavg()[0])
