"""Conformance of chapter 7: the batch plan and epoch invariants (BATCH-n).

Every property is drawn over dataset sizes, batch sizes, world sizes, drop_last, seeds and
epochs with Hypothesis; the user's case (8 samples, batch 32) and the full data's figures are
named cases. The expected plan comes from the table of chapter 7, written out here; the
epochs are checked by counting the indices the ranks get, not by re-deriving the order.
"""
from __future__ import annotations

import math
import re
from collections import Counter

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from realdex_conformance import features

pytestmark = pytest.mark.requires("batching")

PLAN_KEYS = ("num_samples", "batch_size", "world_size", "drop_last", "samples_per_rank",
             "batches_per_epoch", "dropped_per_epoch", "padded_per_epoch")

sizes = st.integers(0, 400)       # a plan is a description: BATCH-1 holds for N = 0
samples = st.integers(1, 400)     # an epoch of an empty dataset is never drawn: BATCH-8 refuses its plan first
batch_sizes = st.integers(1, 48)
world_sizes = st.integers(1, 8)
seeds = st.integers(0, 2**31 - 1)
epochs = st.integers(0, 1000)


def expected_plan(n: int, b: int, w: int, drop_last: bool) -> dict:
    """The table of chapter 7."""
    if drop_last:
        per_rank = n // w
        batches = per_rank // b
        return dict(samples_per_rank=per_rank, batches_per_epoch=batches,
                    dropped_per_epoch=n - batches * b * w, padded_per_epoch=0)
    per_rank = math.ceil(n / w)
    return dict(samples_per_rank=per_rank, batches_per_epoch=math.ceil(per_rank / b),
                dropped_per_epoch=0, padded_per_epoch=per_rank * w - n)


def get_plan(adapter, n: int, b: int, w: int, drop_last: bool) -> dict:
    plan = dict(adapter.batch_plan(num_samples=n, batch_size=b, world_size=w, drop_last=drop_last))
    missing = [k for k in PLAN_KEYS if k not in plan]
    assert not missing, f"batch_plan({n}, {b}, {w}, drop_last={drop_last}) lacks key(s) {missing}; it returned {plan}"
    return plan


def all_ranks(adapter, n, b, w, drop_last, seed=0, epoch=0, shuffle=True) -> list[list[list[int]]]:
    return [
        [list(map(int, batch)) for batch in adapter.epoch_batches(
            num_samples=n, batch_size=b, world_size=w, rank=r, drop_last=drop_last, seed=seed, epoch=epoch, shuffle=shuffle)]
        for r in range(w)
    ]


def where(n, b, w, drop_last, seed=None, epoch=None) -> str:
    extra = "" if seed is None else f", seed={seed}, epoch={epoch}"
    return f"N={n}, B={b}, W={w}, drop_last={drop_last}{extra}"


@pytest.mark.clause("BATCH-1")
@given(n=sizes, b=batch_sizes, w=world_sizes, drop_last=st.booleans())
def test_plan_follows_the_table(adapter, n, b, w, drop_last):
    assume(drop_last or features.supports(adapter, "batching:keep-last"))  # drawn only where supported (ADAPTER-7)
    plan = get_plan(adapter, n, b, w, drop_last)
    want = expected_plan(n, b, w, drop_last)
    got = {k: plan[k] for k in want}
    assert got == want, f"batch plan for {where(n, b, w, drop_last)}: expected {want}, got {got}"
    echo = {k: plan[k] for k in ("num_samples", "batch_size", "world_size", "drop_last")}
    assert echo == dict(num_samples=n, batch_size=b, world_size=w, drop_last=drop_last), (
        f"the plan must repeat its inputs; for {where(n, b, w, drop_last)} it says {echo}")


@pytest.mark.clause("BATCH-1", "BATCH-9")
@pytest.mark.parametrize(
    "n, b, w, drop_last, batches, dropped, padded",
    [
        pytest.param(8, 32, 1, True, 0, 8, 0, id="user-8-samples-batch-32-drop-last"),
        pytest.param(8, 32, 1, False, 1, 0, 0, id="user-8-samples-batch-32-keep-last", marks=pytest.mark.feature("batching:keep-last")),
        pytest.param(14380, 32, 1, False, 450, 0, 0, id="full-data-batch-32", marks=pytest.mark.feature("batching:keep-last")),
        pytest.param(14380, 32, 1, True, 449, 12, 0, id="full-data-batch-32-drop-last"),
        pytest.param(14380, 32, 3, False, 150, 0, 2, id="full-data-batch-32-three-ranks", marks=pytest.mark.feature("batching:keep-last")),
    ],
)
def test_worked_figures(adapter, n, b, w, drop_last, batches, dropped, padded):
    plan = get_plan(adapter, n, b, w, drop_last)
    got = (plan["batches_per_epoch"], plan["dropped_per_epoch"], plan["padded_per_epoch"])
    assert got == (batches, dropped, padded), (
        f"{where(n, b, w, drop_last)}: expected (batches, dropped, padded) = {(batches, dropped, padded)}, got {got}")


@pytest.mark.clause("BATCH-2")
@given(n=samples, b=batch_sizes, w=world_sizes, drop_last=st.booleans(), seed=seeds, epoch=epochs)
def test_every_rank_gets_the_planned_number_of_batches(adapter, n, b, w, drop_last, seed, epoch):
    assume(drop_last or features.supports(adapter, "batching:keep-last"))  # drawn only where supported (ADAPTER-7)
    planned = get_plan(adapter, n, b, w, drop_last)["batches_per_epoch"]
    counts = [len(batches) for batches in all_ranks(adapter, n, b, w, drop_last, seed, epoch)]
    assert counts == [planned] * w, (
        f"{where(n, b, w, drop_last, seed, epoch)}: the plan says {planned} batch(es) per rank, "
        f"the ranks got {counts}")


@pytest.mark.clause("BATCH-3", "BATCH-6")
@pytest.mark.feature("batching:keep-last")
@given(n=st.integers(1, 400), b=batch_sizes, w=world_sizes, seed=seeds, epoch=epochs, shuffle=st.booleans())
def test_without_drop_last_every_sample_is_seen_and_only_padding_repeats(adapter, n, b, w, seed, epoch, shuffle):
    padded = get_plan(adapter, n, b, w, False)["padded_per_epoch"]
    seen = Counter(i for rank in all_ranks(adapter, n, b, w, False, seed, epoch, shuffle) for batch in rank for i in batch)
    unseen = sorted(set(range(n)) - set(seen))
    assert not unseen, f"{where(n, b, w, False, seed, epoch)}: sample(s) never seen in the epoch: {unseen[:20]}"
    outside = sorted(i for i in seen if not 0 <= i < n)
    assert not outside, f"{where(n, b, w, False, seed, epoch)}: indices outside 0..{n - 1}: {outside[:20]}"
    repeats = sum(c - 1 for c in seen.values())
    assert repeats == padded, (
        f"{where(n, b, w, False, seed, epoch)}: the plan states {padded} padded sample(s), "
        f"the epoch repeats {repeats}: {sorted((i, c) for i, c in seen.items() if c > 1)[:20]}")
    if w == 1:
        assert repeats == 0, f"{where(n, b, w, False, seed, epoch)}: one rank must see no sample twice"


@pytest.mark.clause("BATCH-4")
@given(n=sizes, b=batch_sizes, w=world_sizes, seed=seeds, epoch=epochs, shuffle=st.booleans())
def test_with_drop_last_no_sample_twice_and_the_dropped_are_counted(adapter, n, b, w, seed, epoch, shuffle):
    dropped = get_plan(adapter, n, b, w, True)["dropped_per_epoch"]
    seen = Counter(i for rank in all_ranks(adapter, n, b, w, True, seed, epoch, shuffle) for batch in rank for i in batch)
    twice = sorted(i for i, c in seen.items() if c > 1)
    assert not twice, f"{where(n, b, w, True, seed, epoch)}: sample(s) seen more than once: {twice[:20]}"
    assert all(0 <= i < n for i in seen), f"{where(n, b, w, True, seed, epoch)}: indices outside 0..{n - 1}"
    assert n - len(seen) == dropped, (
        f"{where(n, b, w, True, seed, epoch)}: the plan states {dropped} dropped sample(s), "
        f"the epoch left out {n - len(seen)}")


@pytest.mark.clause("BATCH-5")
@given(n=samples, b=batch_sizes, w=world_sizes, drop_last=st.booleans(), seed=seeds)
def test_batch_sizes(adapter, n, b, w, drop_last, seed):
    assume(drop_last or features.supports(adapter, "batching:keep-last"))  # drawn only where supported (ADAPTER-7)
    for rank, batches in enumerate(all_ranks(adapter, n, b, w, drop_last, seed)):
        sizes_ = [len(x) for x in batches]
        assert all(1 <= s <= b for s in sizes_), f"{where(n, b, w, drop_last)} rank {rank}: batch sizes {sizes_} outside 1..{b}"
        full = sizes_ if drop_last else sizes_[:-1]
        assert all(s == b for s in full), (
            f"{where(n, b, w, drop_last)} rank {rank}: batch sizes {sizes_}; "
            + ("every batch must be full with drop_last" if drop_last else "only the last batch may be short"))


@pytest.mark.clause("BATCH-6")
@given(n=st.integers(1, 400), b=batch_sizes, w=st.integers(2, 8), drop_last=st.booleans(), seed=seeds, epoch=epochs)
def test_ranks_share_samples_only_through_padding(adapter, n, b, w, drop_last, seed, epoch):
    assume(drop_last or features.supports(adapter, "batching:keep-last"))  # drawn only where supported (ADAPTER-7)
    plan = get_plan(adapter, n, b, w, drop_last)
    ranks = [{i for batch in rank for i in batch} for rank in all_ranks(adapter, n, b, w, drop_last, seed, epoch)]
    shared = sum(len(ranks[r] & ranks[q]) for r in range(w) for q in range(r + 1, w))
    assert shared <= plan["padded_per_epoch"] * (w - 1), (
        f"{where(n, b, w, drop_last, seed, epoch)}: ranks share {shared} sample(s) pairwise; "
        f"the plan pads only {plan['padded_per_epoch']}")
    if drop_last:
        assert shared == 0, f"{where(n, b, w, drop_last, seed, epoch)}: with drop_last no two ranks may share a sample"
    else:
        union = set().union(*ranks)
        assert union == set(range(n)), (
            f"{where(n, b, w, drop_last, seed, epoch)}: the ranks' union misses {sorted(set(range(n)) - union)[:20]}")


@pytest.mark.clause("BATCH-7")
@given(n=st.integers(10, 400), b=batch_sizes, w=world_sizes, drop_last=st.booleans(), seed=seeds, epoch=epochs)
def test_shuffle_is_reproducible_and_differs_by_epoch_and_seed(adapter, n, b, w, drop_last, seed, epoch):
    assume(drop_last or features.supports(adapter, "batching:keep-last"))  # drawn only where supported (ADAPTER-7)
    first = all_ranks(adapter, n, b, w, drop_last, seed, epoch)
    again = all_ranks(adapter, n, b, w, drop_last, seed, epoch)
    assert first == again, f"{where(n, b, w, drop_last, seed, epoch)}: the same epoch asked twice gave different batches"
    keep = features.supports(adapter, "batching:keep-last")  # one rank, batch 1: nothing to drop either way
    whole = get_plan(adapter, n, 1, 1, not keep)  # one rank, batch 1: the order itself
    assert whole["batches_per_epoch"] == n, f"expected {n} batches of one sample, found {whole['batches_per_epoch']}"
    order = [x for batch in all_ranks(adapter, n, 1, 1, not keep, seed, epoch)[0] for x in batch]
    following = [x for batch in all_ranks(adapter, n, 1, 1, not keep, seed, epoch + 1)[0] for x in batch]
    other_seed = [x for batch in all_ranks(adapter, n, 1, 1, not keep, seed + 1, epoch)[0] for x in batch]
    assert order != following, f"N={n}, seed={seed}: epochs {epoch} and {epoch + 1} have the same order {order[:10]}..."
    assert order != other_seed, f"N={n}, epoch={epoch}: seeds {seed} and {seed + 1} give the same order {order[:10]}..."


@pytest.mark.clause("BATCH-7")
@given(n=samples, b=batch_sizes, w=world_sizes, drop_last=st.booleans(), seed=seeds, epoch=epochs)
def test_without_shuffle_the_order_is_the_dataset_order_dealt_to_ranks(adapter, n, b, w, drop_last, seed, epoch):
    assume(drop_last or features.supports(adapter, "batching:keep-last"))  # drawn only where supported (ADAPTER-7)
    ranks = all_ranks(adapter, n, b, w, drop_last, seed, epoch, shuffle=False)
    per_rank = get_plan(adapter, n, b, w, drop_last)["samples_per_rank"]
    padded = (list(range(n)) * (1 + per_rank * w // max(n, 1)))[: per_rank * w]
    for r, batches in enumerate(ranks):
        got = [i for batch in batches for i in batch]
        want = padded[r::w][: len(got)]
        assert got == want, f"{where(n, b, w, drop_last)} rank {r} without shuffle: expected {want[:20]}..., got {got[:20]}..."


def samples_needed(b: int, w: int, drop_last: bool, min_batches: int) -> int:
    """The fewest samples that give ``min_batches`` batches per rank at batch size b on w ranks (the table of chapter 7)."""
    return min_batches * b * w if drop_last else (min_batches - 1) * b * w + 1


@pytest.mark.clause("BATCH-8")
@given(n=st.integers(0, 200), b=st.integers(1, 64), w=world_sizes, drop_last=st.booleans(), min_batches=st.integers(1, 5))
def test_a_plan_below_the_minimum_is_refused_with_numbers_and_fixes(adapter, n, b, w, drop_last, min_batches):
    assume(drop_last or features.supports(adapter, "batching:keep-last"))  # drawn only where supported (ADAPTER-7)
    batches = get_plan(adapter, n, b, w, drop_last)["batches_per_epoch"]
    kwargs = dict(num_samples=n, batch_size=b, world_size=w, drop_last=drop_last, min_batches=min_batches)
    if batches >= min_batches:
        adapter.check_plan(**kwargs)  # accepted: must not raise
        return
    with pytest.raises(Exception) as info:
        adapter.check_plan(**kwargs)
    message = str(info.value)
    for number, what in ((n, "samples"), (b, "batch size"), (batches, "batches per epoch")):
        assert str(number) in message, f"refusal of {where(n, b, w, drop_last)} must give the {what} ({number}): {message!r}"
    # the fixes that apply (BATCH-8), and only where they apply: batch size 1 gives the most batches, so a
    # smaller batch size helps exactly when batch size 1 reaches the minimum (never for N = 0)
    if get_plan(adapter, n, 1, w, drop_last)["batches_per_epoch"] >= min_batches:
        lowered = message.lower()
        assert "batch size" in lowered or "batch_size" in lowered, (
            f"a smaller batch size would fix {where(n, b, w, drop_last)} (min_batches={min_batches}); expected the refusal "
            f"to propose one (the words 'batch size' or 'batch_size'), found: {message!r}")
    if drop_last and get_plan(adapter, n, b, w, False)["batches_per_epoch"] >= min_batches:
        assert "drop_last" in message, f"drop_last=False would fix {where(n, b, w, drop_last)}; the refusal must say so: {message!r}"
    need = samples_needed(b, w, drop_last, min_batches)
    assert str(need) in message or str(need - n) in message, (
        f"{where(n, b, w, drop_last)}, min_batches={min_batches}: expected the refusal to give the samples the plan needs "
        f"({need} in all, {need - n} more), found: {message!r}")


@pytest.mark.clause("BATCH-8", "BATCH-9")
def test_user_case_8_samples_batch_32_is_refused(adapter):
    assert all_ranks(adapter, 8, 32, 1, True) == [[]], "8 samples at batch 32 with drop_last must give no batch"
    with pytest.raises(Exception) as info:
        adapter.check_plan(num_samples=8, batch_size=32, world_size=1, drop_last=True, min_batches=1)
    message = str(info.value)
    for part in ("8", "32", "0", "drop_last"):
        assert part in message, f"the refusal of 8 samples at batch 32 must mention {part!r}: {message!r}"
    kept = all_ranks(adapter, 8, 32, 1, False, shuffle=False)
    assert kept == [[list(range(8))]], f"without drop_last, 8 samples at batch 32 are one batch of 8; got {kept}"
    adapter.check_plan(num_samples=8, batch_size=32, world_size=1, drop_last=False, min_batches=1)


@pytest.mark.clause("BATCH-10")
@given(n=samples, b=batch_sizes, w=world_sizes, drop_last=st.booleans())
def test_left_out_samples_are_bounded(adapter, n, b, w, drop_last):
    assume(drop_last or features.supports(adapter, "batching:keep-last"))  # drawn only where supported (ADAPTER-7)
    plan = get_plan(adapter, n, b, w, drop_last)
    assert 0 <= plan["dropped_per_epoch"] < b * w, f"{where(n, b, w, drop_last)}: dropped {plan['dropped_per_epoch']}, must be < B×W = {b * w}"
    assert 0 <= plan["padded_per_epoch"] < w, f"{where(n, b, w, drop_last)}: padded {plan['padded_per_epoch']}, must be < W = {w}"


@pytest.mark.clause("BATCH-11")
@given(n=st.integers(1, 300), b=batch_sizes, w=world_sizes, drop_last=st.booleans(), seed=st.integers(0, 10_000),
       epoch=st.integers(0, 100), shuffle=st.booleans())
def test_order_is_that_of_distributed_sampler(adapter, n, b, w, drop_last, seed, epoch, shuffle):
    assume(drop_last or features.supports(adapter, "batching:keep-last"))  # drawn only where supported (ADAPTER-7)
    # torch's own sampler is the oracle; the rest of chapter 7 runs without PyTorch
    DistributedSampler = pytest.importorskip("torch.utils.data", reason="BATCH-11 compares with torch's DistributedSampler: "
                                             "install PyTorch to check it").DistributedSampler

    for r, batches in enumerate(all_ranks(adapter, n, b, w, drop_last, seed, epoch, shuffle)):
        sampler = DistributedSampler(range(n), num_replicas=w, rank=r, shuffle=shuffle, seed=seed, drop_last=drop_last)
        sampler.set_epoch(epoch)
        want = list(sampler)
        got = [i for batch in batches for i in batch]
        assert got == want[: len(got)], (
            f"{where(n, b, w, drop_last, seed, epoch)} rank {r}, shuffle={shuffle}: DistributedSampler gives "
            f"{want[:12]}..., the implementation {got[:12]}...")


@pytest.mark.clause("BATCH-8")
@given(n=st.integers(0, 40), b=batch_sizes, w=world_sizes, drop_last=st.booleans())
def test_zero_batches_are_refused_whatever_the_minimum(adapter, n, b, w, drop_last):
    """A minimum of 0 asks for nothing more: a plan of zero batches per epoch is still refused (BATCH-8)."""
    batches = get_plan(adapter, n, b, w, drop_last)["batches_per_epoch"]
    kwargs = dict(num_samples=n, batch_size=b, world_size=w, drop_last=drop_last, min_batches=0)
    if batches > 0:
        adapter.check_plan(**kwargs)  # accepted: must not raise
        return
    try:
        adapter.check_plan(**kwargs)
    except Exception as exc:  # the refusal is the expected outcome; it must give the numbers
        assert str(n) in str(exc) and str(b) in str(exc), (
            f"refusal of {where(n, b, w, drop_last)} with min_batches=0: expected N={n} and B={b} in it, found {exc!r}")
        return
    pytest.fail(f"check_plan({where(n, b, w, drop_last)}, min_batches=0): the plan gives 0 batches per epoch; "
                f"expected a refusal, found it accepted")


@pytest.mark.clause("BATCH-8")
@pytest.mark.parametrize("n, b, w, drop_last, min_batches, largest", [
    pytest.param(103, 32, 1, True, 4, 25, id="drop-last"),  # floor(103 / 25) = 4, floor(103 / 26) = 3
    pytest.param(40, 32, 1, False, 3, 19, id="keep-last", marks=pytest.mark.feature("batching:keep-last")),  # ceil(40 / 19) = 3
    pytest.param(8, 3, 1, True, 3, 2, id="drop-last-fix"),  # and drop_last=False gives exactly the minimum: ceil(8 / 3) = 3
])
def test_a_refusal_proposes_the_largest_batch_size_that_gives_the_minimum(adapter, n, b, w, drop_last, min_batches, largest):
    assert get_plan(adapter, n, largest, w, drop_last)["batches_per_epoch"] >= min_batches > get_plan(
        adapter, n, largest + 1, w, drop_last)["batches_per_epoch"], f"the case's figures: {where(n, largest, w, drop_last)}"
    with pytest.raises(Exception) as info:
        adapter.check_plan(num_samples=n, batch_size=b, world_size=w, drop_last=drop_last, min_batches=min_batches)
    message = str(info.value)
    assert re.search(rf"(?<![\d.]){largest}(?![\d.])", message), (
        f"{where(n, b, w, drop_last)}, min_batches={min_batches}: expected the refusal to propose batch size {largest}, "
        f"the largest that gives {min_batches} batches, found: {message!r}")
    keep = features.supports(adapter, "batching:keep-last")
    if drop_last and keep and get_plan(adapter, n, b, w, False)["batches_per_epoch"] >= min_batches:
        assert "drop_last=False" in message, (
            f"{where(n, b, w, drop_last)}, min_batches={min_batches}: drop_last=False gives the minimum; expected the "
            f"refusal to propose drop_last=False, found: {message!r}")
