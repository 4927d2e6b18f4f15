"""The benchmarks of chapter 15, run through the adapter: the kit's roots, the bare ``np.load``
floor, a child process's peak resident memory, and the figures each benchmark records.

A benchmark's figures travel as a user property of its test (``realdex_benchmark``), so that
they reach the report from xdist's workers as they do in a serial run (REPORT-11, REPORT-15).
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

from realdex_conformance import synth
from realdex_conformance.record import clause_ids, stable_id

PROPERTY = "realdex_benchmark"
SIZES = ("small", "full")
REALDEX_STEP_S = 0.128  # RealDex training at batch 32: 4 hours for 112,500 iterations (realdex-facts.md)
BATCH = 32
NUM_POINTS = 1024  # object points per item in the RealDex config (num_obj_points)
NO_BENCHMARK = ("pytest-benchmark is not installed (or its plugin is off, -p no:benchmark): "
                "pip install 'realdex-conformance[bench]' (the kit's bench extra)")
NOT_ASKED = "a benchmark of chapter 15: run with --conformance-benchmarks to measure it"


@dataclass(frozen=True)
class RootSize:
    """How big the kit's benchmark root of one layout is."""

    segments_per_object: int  # realdex-segment and converted: 8 objects
    frames_per_segment: int
    points: int
    user_frames: int  # realdex-frame: the user's one-frame files, 8-point clouds


# full: the user's 14,380 one-frame files, and 144 segments of 100 frames (14,400 frames)
ROOT_SIZES = {
    "small": RootSize(segments_per_object=2, frames_per_segment=100, points=7000, user_frames=1438),
    "full": RootSize(segments_per_object=18, frames_per_segment=100, points=7000, user_frames=14380),
}
CONVERTED_POINTS = 512  # one cloud per sample: 7000-point clouds would make the full root 2.4 GB
OBJECTS = tuple(f"object{k}" for k in range(8))


def have_benchmark(config: pytest.Config) -> bool:
    """pytest-benchmark is installed and its plugin loaded in this run."""
    return importlib.util.find_spec("pytest_benchmark") is not None and config.pluginmanager.hasplugin("benchmark")


def asked(config: pytest.Config) -> bool:
    return bool(config.getoption("conformance_benchmarks", default=False))


def size(config: pytest.Config) -> str:
    return config.getoption("conformance_benchmark_size", default="small") or "small"


def write_root(dest: Path, layout: str, which: str) -> dict[str, Any]:
    """The kit's benchmark root of ``layout`` at size ``which``; returns ``{"files", "samples"}``.

    ::

        dest/object0/0.npz ...            realdex-segment: 8 objects, 100-frame segments, 7000-point clouds
        dest/driller_1/0.npz ...          realdex-frame: the user's 7 recordings of one-frame files, 8-point cubes
        dest/object0_0/converted_data.npz converted: 8 objects, 100 samples per file, 512-point clouds
    """
    sz = ROOT_SIZES[which]
    if layout == "realdex-frame":
        written = synth.write_user_root(dest, frames=sz.user_frames, converted=0)
        return {"files": sorted(dest.rglob("*.npz")), "samples": written["realdex-frame"]["samples"]}
    points = sz.points if layout == "realdex-segment" else CONVERTED_POINTS
    written = synth.write_root(dest, layout, objects=OBJECTS, segments_per_object=sz.segments_per_object,
                               frames_per_segment=(sz.frames_per_segment, sz.frames_per_segment), points=points)
    return {"files": sorted(Path(f["path"]) for f in written["files"]), "samples": written["num_frames"]}


def bare_np_load(files: list[Path]) -> None:
    """The floor a reader is compared with: every array of every file, loaded and dropped."""
    for path in files:
        with np.load(path, allow_pickle=False) as arrays:
            for key in arrays.files:
                arrays[key]


def median_seconds(func: Callable[[], Any], rounds: int = 3) -> float:
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        func()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def unique_array_bytes(files: list[Path]) -> int:
    """Bytes of every array of every file, each counted once (what a reader has to hold at least)."""
    total = 0
    for path in files:
        with np.load(path, allow_pickle=False) as arrays:
            total += sum(arrays[key].nbytes for key in arrays.files)
    return total


class Bench:
    """pytest-benchmark's ``benchmark`` fixture, with the figures this kit records for its report."""

    def __init__(self, request: pytest.FixtureRequest, benchmark: Any) -> None:
        self.request, self.benchmark = request, benchmark
        self._seconds: list[float] = []

    def __call__(self, func: Callable[[], Any], *, rounds: int | None = None) -> Any:
        """Run ``func`` as pytest-benchmark does (its calibration and --benchmark-* options), or
        exactly ``rounds`` times when given (an expensive measurement, such as a child process)."""
        def timed() -> Any:
            t = time.perf_counter()
            try:
                return func()
            finally:
                self._seconds.append(time.perf_counter() - t)

        if rounds is not None:
            return self.benchmark.pedantic(timed, rounds=rounds, iterations=1, warmup_rounds=0)
        return self.benchmark(timed)

    def median(self) -> tuple[float, int]:
        """The median seconds of one round, and the number of rounds (pytest-benchmark's, else ours)."""
        stats = getattr(getattr(self.benchmark, "stats", None), "stats", None)
        if stats is not None and getattr(stats, "rounds", 0):
            return float(stats.median), int(stats.rounds)
        if not self._seconds:
            raise RuntimeError("Bench.median() before the benchmark ran")
        return float(np.median(self._seconds)), len(self._seconds)

    def record(self, name: str, **figures: Any) -> dict:
        """Store the figures: in the benchmark's ``extra_info`` (its saved runs), in the test's user
        properties (the report) and on the terminal (``-s``)."""
        median, rounds = self.median()
        figures = {k: (round(v, 6) if isinstance(v, float) else v) for k, v in figures.items()}
        entry = {
            "id": stable_id(self.request.node), "clauses": clause_ids(self.request.node), "name": name,
            "median_s": round(median, 6), "rounds": rounds, "size": size(self.request.config), "figures": figures,
        }
        self.benchmark.extra_info.update({"name": name, **figures})
        self.request.node.user_properties.append((PROPERTY, entry))
        print(f"\n{name}: median {median:.4g} s over {rounds} rounds; " + ", ".join(f"{k}={v}" for k, v in figures.items()))
        return entry


def entries(user_properties: list) -> list[dict]:
    return [value for key, value in user_properties if key == PROPERTY and isinstance(value, dict)]


# ---------------------------------------------------------------- peak resident memory of a child
_CHILD = textwrap.dedent(
    """
    import json, resource, sys
    from realdex_conformance import contract

    def status_bytes(field):
        with open("/proc/self/status") as f:  # Linux: kB
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
        raise OSError(field)

    def baseline():  # the resident bytes now, with the peak reset to them (Linux); else the peak so far
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")  # resets VmHWM, the peak resident set, to the current one
            return status_bytes("VmRSS")
        except OSError:
            return peak_bytes()

    def peak():
        try:
            return status_bytes("VmHWM")
        except OSError:
            return peak_bytes()

    def peak_bytes():
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB elsewhere

    spec, member, warm, root, layout, num_points = sys.argv[1:7]
    adapter = contract.load_adapter(spec)

    def open_root(path):
        if member == "make_dataset":
            return adapter.make_dataset(root=path, layout=layout, num_points=int(num_points), point_sampling="random", seed=0)
        return adapter.read_root(root=path, layout=layout)

    open_root(warm)  # imports and first-use costs, on a one-file root, before the baseline
    before = baseline()
    held = open_root(root)
    after = peak()
    print(json.dumps({"before": before, "after": after, "samples": len(held)}))
    """
)


def child_peak_rss(impl: str, member: str, warm: Path, root: Path, layout: str, num_points: int, timeout: float) -> dict:
    """Open ``root`` in a fresh process through the adapter ``impl``; its peak resident bytes before and after."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, impl, member, str(warm), str(root), layout, str(num_points)],
        env=env, capture_output=True, text=True, timeout=timeout,
    )
    if proc.returncode != 0:
        raise AssertionError(f"expected a child process opening {root} with {member} through --impl={impl} to exit 0; "
                             f"it exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
