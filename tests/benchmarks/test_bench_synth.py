"""How long the kit takes to write the user's full root: 8 converted samples beside 14,380 per-frame files."""
from __future__ import annotations

import shutil

from realdex_conformance import synth


def test_bench_write_the_full_user_root(benchmark, tmp_path):
    dest = tmp_path / "user-root"

    def write():
        shutil.rmtree(dest, ignore_errors=True)
        return synth.write_user_root(dest)

    info = benchmark.pedantic(write, rounds=1, iterations=1)
    frames = [p for p in dest.glob("*/*.npz") if p.name != "converted_data.npz"]
    converted = list(dest.glob("*/converted_data.npz"))
    assert len(frames) == 14_380, f"expected 14,380 per-frame files, found {len(frames)}"
    assert len(converted) == 4, f"expected 4 converted files (2 samples each), found {len(converted)}"
    assert info["samples"] == 8 + 14_380, f"expected 14,388 samples in all, found {info['samples']}"
