"""The fast farthest-point sampling of the loader gives the points of its definition, one for one.

``loader.farthest_points`` (blocks, bounds, several picks per round) against
``loader.farthest_points_by_definition`` (one full pass per pick) on clouds drawn to be hard:
surfaces, volumes, grids where many distances tie, clouds of a few distinct points repeated (the
samples run out and the definition picks index 0 again and again), clouds too small for blocks.
"""
from __future__ import annotations

import numpy as np
import pytest

from realdex_ref.loader import farthest_points, farthest_points_by_definition


def cloud_of(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "volume":
        c = rng.normal(size=(n, 3))
    elif kind == "surface":
        g = rng.normal(size=(n, 3))
        c = g / np.linalg.norm(g, axis=1, keepdims=True)
    elif kind == "grid":  # many exact ties of distance, and duplicate points
        c = np.round(rng.normal(size=(n, 3)) * 2) / 2
    elif kind == "few-points":  # 27 distinct points, so k > 27 exhausts them
        c = rng.integers(0, 3, size=(n, 3)).astype(float)
    elif kind == "flat":  # a plane: one coordinate the same everywhere
        c = np.column_stack([rng.random(n), rng.random(n), np.zeros(n)])
    else:  # "far": a cloud far from the origin, where rounding of the differences matters most
        c = rng.normal(size=(n, 3)) * 1e-3 + 1e3
    return c.astype(np.float32).astype(np.float64)  # as the loader gives it: float32 points as float64


KINDS = ("volume", "surface", "grid", "few-points", "flat", "far")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", range(6))
def test_fast_fps_equals_the_definition(kind, seed):
    rng = np.random.default_rng([seed, KINDS.index(kind)])
    n = int(rng.integers(10, 2500))
    k = int(rng.integers(1, min(n, 1100) + 1))
    start = int(rng.integers(n))
    cloud = cloud_of(kind, n, rng)
    want = farthest_points_by_definition(cloud, k, start)
    got = farthest_points(cloud, k, start)
    differ = np.flatnonzero(got != want)
    assert not len(differ), (f"{kind} cloud of {n} points, k={k}, start={start}: expected the definition's picks; "
                             f"first difference at pick {differ[0] if len(differ) else None}: "
                             f"{got[differ[:3]].tolist()} instead of {want[differ[:3]].tolist()}")


def test_fast_fps_on_the_loader_cloud_size():
    """A 7000-point cloud sampled to 1024, as the loader does for RealDex clouds."""
    rng = np.random.default_rng(7)
    cloud = cloud_of("surface", 7000, rng)
    want = farthest_points_by_definition(cloud, 1024, 123)
    got = farthest_points(cloud, 1024, 123)
    assert np.array_equal(got, want), f"expected the definition's 1024 picks; {int((got != want).sum())} differ"
    assert len(set(got.tolist())) == 1024, "expected 1024 distinct points from a cloud of 7000 distinct points"


def test_more_picks_than_distinct_points_repeat_index_zero_as_the_definition_does():
    cloud = np.repeat(np.eye(3), 40, axis=0)  # 120 points, 3 distinct
    want = farthest_points_by_definition(cloud, 10, 5)
    got = farthest_points(cloud, 10, 5)
    # checked by hand: start 5 (row of (1,0,0)), then row 40 (the first (0,1,0)) and row 80 (the first (0,0,1)), then index 0 forever
    assert want.tolist() == [5, 40, 80, 0, 0, 0, 0, 0, 0, 0], f"the definition itself changed: {want.tolist()}"
    assert got.tolist() == want.tolist(), f"expected {want.tolist()}, found {got.tolist()}"
