"""The roots the benchmarks share, written once per session at the issue's sizes under ``--benchmark-enable``
and ten times smaller otherwise (CI)."""
from __future__ import annotations

from pathlib import Path

import pytest

from realdex_conformance import synth


@pytest.fixture(scope="session")
def scale(pytestconfig) -> int:
    """1 for the issue's sizes when benchmarking, 10 (ten times smaller) when benchmarks are disabled."""
    disabled = pytestconfig.getoption("benchmark_disable", default=False)  # pyproject's addopts set it
    return 10 if disabled and not pytestconfig.getoption("benchmark_enable", default=False) else 1


@pytest.fixture(scope="session")
def segment_root(tmp_path_factory, scale) -> Path:
    root = tmp_path_factory.mktemp("segment")
    objects = tuple(f"object{k}" for k in range(8))
    synth.write_root(root, "realdex-segment", objects=objects, segments_per_object=18 // scale,
                     frames_per_segment=(100, 100), points=7000)
    return root


@pytest.fixture(scope="session")
def frame_root(tmp_path_factory, scale) -> Path:
    root = tmp_path_factory.mktemp("frame")
    synth.write_user_root(root, frames=14380 // scale, converted=0)
    return root
