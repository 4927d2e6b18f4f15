"""Conformance of chapter 15: the implementation's speed and memory, measured through its adapter (PERF-n).

Skipped unless the run asks with ``--conformance-benchmarks``, and without pytest-benchmark.
The figures are informative (SHOULD clauses): a test fails only when the implementation's answer
is wrong or it raises, never on a figure. Roots (written once per run, small by default,
``--conformance-benchmark-size=full`` for the real sizes)::

    <tmp>/bench-realdex-segment/object0/0.npz ...       8 objects, 100-frame segments, 7000-point clouds
    <tmp>/bench-realdex-frame/driller_1/0.npz ...       the user's one-frame files, 8-point cubes
    <tmp>/bench-converted/object0_0/converted_data.npz  8 objects, 100 samples per file
    <tmp>/bench-warm/warm/0.npz                         one small segment, to warm a child process up
"""
from __future__ import annotations

import pytest

from realdex_conformance import perf, synth
from realdex_conformance.contract import LAYOUTS
from realdex_conformance.plugin import impl_spec, require


@pytest.fixture
def bench(request: pytest.FixtureRequest) -> perf.Bench:
    """pytest-benchmark's ``benchmark``, when the run asks for benchmarks and it is installed."""
    if not perf.asked(request.config):
        pytest.skip(perf.NOT_ASKED)
    if not perf.have_benchmark(request.config):
        pytest.skip(perf.NO_BENCHMARK)
    return perf.Bench(request, request.getfixturevalue("benchmark"))


@pytest.fixture(scope="session")
def bench_roots(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config):
    """``root(layout)``: the kit's benchmark root of that layout, written on first use."""
    written: dict[str, dict] = {}

    def root(layout: str) -> dict:
        if layout not in written:
            path = tmp_path_factory.mktemp(f"bench-{layout}")
            written[layout] = {"path": path, **perf.write_root(path, layout, perf.size(pytestconfig))}
        return written[layout]

    return root


def _frames(got: list, context: str) -> int:
    assert isinstance(got, list), f"{context}: expected a list of samples, found {type(got).__name__}"
    return len(got)


@pytest.mark.clause("PERF-1")
@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUTS)
def test_read_throughput_against_bare_np_load(adapter, bench, bench_roots, layout):
    require(adapter, f"read:{layout}")
    root = bench_roots(layout)
    files = root["files"]
    bare = perf.median_seconds(lambda: perf.bare_np_load(files))

    def read_every_file() -> int:
        return sum(_frames(adapter.read_file(path=f), f"read_file({f})") for f in files)

    got = bench(read_every_file)
    assert got == root["samples"], (
        f"expected read_file to give {root['samples']} samples over the {len(files)} {layout} files the kit wrote, found {got}"
    )
    median, _ = bench.median()
    bench.record(f"read {layout}", files=len(files), samples=got, samples_per_s=got / median,
                 bare_np_load_s=bare, throughput_vs_bare=bare / median)


@pytest.mark.clause("PERF-2")
@pytest.mark.parametrize("member", ["inspect_root", "read_root"])
@pytest.mark.parametrize("layout", ["realdex-segment", "realdex-frame"])
def test_root_open_against_bare_np_load(adapter, bench, bench_roots, layout, member):
    require(adapter, "root")
    require(adapter, f"read:{layout}")
    root = bench_roots(layout)
    bare = perf.median_seconds(lambda: perf.bare_np_load(root["files"]))
    if member == "inspect_root":
        found = bench(lambda: adapter.inspect_root(root=root["path"]))
        total = found.get("total_samples") if isinstance(found, dict) else None
        assert total == root["samples"], (
            f"expected inspect_root to count {root['samples']} samples in the kit's {layout} root, found {total!r}"
        )
    else:
        found = bench(lambda: _frames(adapter.read_root(root=root["path"], layout=layout), "read_root"))
        assert found == root["samples"], f"expected read_root to give {root['samples']} samples of {layout}, found {found}"
    median, _ = bench.median()
    bench.record(f"{member} {layout}", files=len(root["files"]), samples=root["samples"], bare_np_load_s=bare,
                 times_bare=median / bare)


@pytest.mark.clause("PERF-3")
def test_loader_epoch_at_batch_32_against_realdex_step(adapter, bench, bench_roots):
    require(adapter, "loader")
    root = bench_roots("realdex-segment")
    dataset = adapter.make_dataset(root=root["path"], layout="realdex-segment", num_points=perf.NUM_POINTS,
                                   point_sampling="random", seed=0)
    loader = adapter.make_loader(dataset=dataset, batch_size=perf.BATCH, world_size=1, rank=0, drop_last=False, seed=0,
                                 shuffle=True, num_workers=0)
    batches = []

    def one_epoch() -> int:
        loader.set_epoch(0)
        batches[:] = [len(batch["index"]) for batch in loader]
        return sum(batches)

    seen = bench(one_epoch)
    assert seen == root["samples"], f"expected an epoch of {root['samples']} samples at batch 32, found {seen}"
    median, _ = bench.median()
    realdex_epoch = perf.REALDEX_STEP_S * len(batches)
    bench.record("loader epoch at batch 32", samples=seen, batches=len(batches), seconds_per_batch=median / len(batches),
                 realdex_step_s=perf.REALDEX_STEP_S, realdex_epoch_s=realdex_epoch, speedup_vs_realdex=realdex_epoch / median)


@pytest.mark.clause("PERF-4")
def test_peak_resident_memory_against_unique_array_bytes(adapter, bench, bench_roots, tmp_path, pytestconfig):
    caps = set(adapter.capabilities)
    member = "make_dataset" if "loader" in caps else "read_root" if "root" in caps else None
    if member is None:
        pytest.skip(f"{adapter.name} declares neither 'loader' nor 'root': nothing opens a root")
    require(adapter, "read:realdex-segment")
    root = bench_roots("realdex-segment")
    synth.write_root(tmp_path / "warm", "realdex-segment", objects=("warm",), segments_per_object=1,
                     frames_per_segment=(4, 4), points=2 * perf.NUM_POINTS)
    unique = perf.unique_array_bytes(root["files"])
    timeout = float(pytestconfig.getoption("conformance_test_timeout") or 600) * 0.9
    found = bench(lambda: perf.child_peak_rss(impl_spec(pytestconfig), member, tmp_path / "warm", root["path"],
                                              "realdex-segment", perf.NUM_POINTS, timeout), rounds=1)
    want = root["samples"]
    assert found["samples"] == want, f"expected {member} in a child process to hold {want} samples, found {found['samples']}"
    growth = max(found["after"] - found["before"], 0)
    bench.record(f"peak resident memory of {member}", member=member, samples=found["samples"], unique_array_bytes=unique,
                 peak_rss_before_bytes=found["before"], peak_rss_after_bytes=found["after"], peak_rss_growth_bytes=growth,
                 growth_vs_unique=growth / unique)
