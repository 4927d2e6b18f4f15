"""The benchmark comparison of CONTRIBUTING.md fails on a deliberately slowed function."""
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


def bench(mode: str, path, storage, slowdown: int) -> subprocess.CompletedProcess:
    # a wide threshold: this shows the mechanism on a shared machine, not the default's noise
    env = {**os.environ, "BENCH_STORAGE": str(storage), "BENCH_FAIL": "median:100%", "REALDEX_SLOWDOWN": str(slowdown)}
    return subprocess.run(
        ["bash", str(REPO / "scripts" / "bench.sh"), mode, str(path), "--benchmark-max-time=0.05", "--benchmark-min-rounds=30"],
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
