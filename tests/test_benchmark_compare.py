"""The benchmark comparison of CONTRIBUTING.md fails on a deliberately slowed function; a save never loses the
stored baseline (``save -s`` with no path measures the benchmarks, a failed save keeps the old one)."""
from __future__ import annotations

import os
import subprocess
import textwrap

from tests.kit import REPO

BENCH = textwrap.dedent(
    """
    import os

    def work():
        # REALDEX_SLOWDOWN makes the same function do proportionally more work
        return sum(i * i for i in range(2000 * int(os.environ.get("REALDEX_SLOWDOWN", "1"))))

    def test_bench_work(benchmark):
        benchmark(work)
    """
)


def bench(mode: str, path, storage, slowdown: int, *args: str, default_path=None) -> subprocess.CompletedProcess:
    """``bash scripts/bench.sh MODE PATH ARGS``; with ``path`` None, no path, and BENCH_PATHS=``default_path``."""
    # a wide threshold: this shows the mechanism on a shared machine, not the default's noise
    env = {**os.environ, "BENCH_STORAGE": str(storage), "BENCH_FAIL": "median:100%", "REALDEX_SLOWDOWN": str(slowdown)}
    if default_path is not None:
        env["BENCH_PATHS"] = str(default_path)
    return subprocess.run(
        ["bash", str(REPO / "scripts" / "bench.sh"), mode, *([] if path is None else [str(path)]), *args,
         "--benchmark-max-time=0.05", "--benchmark-min-rounds=30"],
        env=env, capture_output=True, text=True, timeout=300,
    )


def test_compare_fails_on_a_slowed_function_and_passes_without_change(tmp_path):
    path = tmp_path / "test_bench_tiny.py"
    path.write_text(BENCH, encoding="utf-8")
    storage = tmp_path / "baseline"
    missing = bench("compare", path, storage, 1)
    assert missing.returncode == 2 and "no baseline for machine" in missing.stderr, (
        f"expected a refusal without a baseline, found exit {missing.returncode}: {missing.stderr}"
    )
    saved = bench("save", path, storage, 1)
    assert saved.returncode == 0 and list(storage.glob("*/0001_baseline.json")), f"expected a stored baseline:\n{saved.stdout[-2000:]}"
    same = bench("compare", path, storage, 1)
    assert same.returncode == 0, f"expected the unchanged function within 100% of its baseline:\n{same.stdout[-2000:]}"
    slowed = bench("compare", path, storage, 5)
    out = slowed.stdout + slowed.stderr
    assert slowed.returncode != 0 and "Performance has regressed" in out, (
        f"expected the 5x slower function to fail the comparison, found exit {slowed.returncode}:\n{out[-2000:]}"
    )


def test_a_save_never_loses_the_stored_baseline(tmp_path):
    path = tmp_path / "test_bench_tiny.py"
    path.write_text(BENCH, encoding="utf-8")
    storage = tmp_path / "baseline"
    saved = bench("save", path, storage, 1)
    stored = list(storage.glob("*/0001_baseline.json"))
    assert saved.returncode == 0 and len(stored) == 1, f"expected one stored baseline, found {stored}:\n{saved.stderr[-2000:]}"
    before = stored[0].read_bytes()

    # options alone (`save -s`): the default paths are measured (BENCH_PATHS here, tests/benchmarks by default)
    options_only = bench("save", None, storage, 1, "-s", default_path=path)
    out = options_only.stdout + options_only.stderr
    assert options_only.returncode == 0 and stored[0].exists(), (
        f"expected `save -s` to measure the default paths and store their baseline, found exit {options_only.returncode}, "
        f"baseline {'kept' if stored[0].exists() else 'deleted'}:\n{out[-2000:]}")
    assert "test_bench_work" in stored[0].read_text(encoding="utf-8"), "expected the default paths' benchmark in the new baseline"
    before = stored[0].read_bytes()

    # a save whose run fails, and one that selects no benchmark, keep the baseline as it was
    broken = tmp_path / "test_bench_broken.py"
    broken.write_text("def test_bench_fails(benchmark):\n    benchmark(lambda: 1 / 0)\n", encoding="utf-8")
    for label, run in (("a failing benchmark", bench("save", broken, storage, 1)),
                       ("no benchmark selected", bench("save", path, storage, 1, "-k", "nothing_matches_this"))):
        assert run.returncode != 0 and "kept as it was" in run.stderr, (
            f"{label}: expected the save refused with the baseline kept, found exit {run.returncode}: {run.stderr[-2000:]}")
        assert stored[0].exists() and stored[0].read_bytes() == before, f"{label}: expected the stored baseline unchanged"
