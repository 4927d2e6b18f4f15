"""The fast farthest-point sampling of the loader gives the points of its definition, one for one.

``loader.farthest_points`` (coordinates as three contiguous rows, buffers allocated once) against
``loader.farthest_points_by_definition`` (an (N, 3) difference and a strided sum per pick) on clouds
drawn to be hard: surfaces, volumes, grids where many distances tie, clouds of a few distinct points
repeated (the samples run out and the definition picks index 0 again and again), clouds far from the
origin, and, drawn by Hypothesis, small clouds of duplicates with NaN and infinities among them.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# a few values drawn again and again: duplicate points, tied distances (points whose coordinates are permutations
# of each other: equal distances in exact arithmetic, which only the order of the additions tells apart once
# rounded), and the values that break arithmetic
COORDINATE = st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.1, 0.3, 0.7, 1 / 3, 2.0, 1e3, 1e3 + 2**-40, 1e-300, 3.4e38,
                              np.inf, -np.inf, np.nan])


@st.composite
def sampled_clouds(draw):
    n = draw(st.integers(1, 40), label="points")
    rows = draw(st.lists(st.tuples(COORDINATE, COORDINATE, COORDINATE), min_size=n, max_size=n), label="cloud")
    if draw(st.booleans(), label="with permuted points"):
        # the six orders of (a, b, c), with signs: distances from the origin that tie before rounding
        # (not st.floats: its favourite values are round, and squares of round values add without rounding)
        a, b, c = draw(st.tuples(*[st.integers(1, 10**6).map(lambda i: i / 997)] * 3), label="a, b, c")
        signs = draw(st.lists(st.sampled_from([1.0, -1.0]), min_size=6, max_size=6), label="signs")
        rows = [(0.0, 0.0, 0.0)] + [tuple(s * v for v in p) for s, p in zip(signs, itertools.permutations((a, b, c)))] + rows
    n = len(rows)
    k = draw(st.integers(1, 2 * n), label="k")  # more picks than points too: the definition then repeats
    start = draw(st.integers(0, n - 1), label="start")  # 0: the origin when there are permuted points
    return np.array(rows, dtype=np.float64).reshape(n, 3), k, start


@settings(max_examples=300, deadline=None)
@given(sampled_clouds())
def test_fast_fps_equals_the_definition_on_ties_duplicates_and_non_finite_points(case):
    cloud, k, start = case
    with np.errstate(all="ignore"):  # inf - inf, inf * 0: the same NaN on both sides
        want = farthest_points_by_definition(cloud, k, start)
        got = farthest_points(cloud, k, start)
    assert got.tolist() == want.tolist(), (f"cloud {cloud.tolist()}, k={k}, start={start}: expected the definition's "
                                           f"picks {want.tolist()}, found {got.tolist()}")
