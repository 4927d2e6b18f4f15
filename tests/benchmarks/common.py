"""What the benchmarks share: the bare ``np.load`` floor and how figures are reported."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np


def bare_pass(root: Path) -> float:
    """Seconds for a bare np.load of every array of every file (the floor the reader is compared with)."""
    files = sorted(root.rglob("*.npz"))
    t = time.perf_counter()
    for f in files:
        with np.load(f, allow_pickle=False) as z:
            for k in z.files:
                z[k]
    return time.perf_counter() - t


def unique_bytes(root: Path) -> int:
    total = 0
    for f in sorted(root.rglob("*.npz")):
        with np.load(f, allow_pickle=False) as z:
            total += sum(z[k].nbytes for k in z.files)
    return total


def report(benchmark, name: str, samples: int, seconds: float, **extra) -> None:
    info = {"samples": samples, "seconds": round(seconds, 4), "samples_per_s": round(samples / seconds, 1), **extra}
    benchmark.extra_info.update(info)
    print(f"\n{name}: " + ", ".join(f"{k}={v}" for k, v in info.items()))


def median_or(benchmark, fallback: float) -> float:
    stats = getattr(benchmark, "stats", None)
    return stats.stats.median if stats is not None else fallback
