"""The reference's batching beyond the suite: refusal text, the sampler's state and resume."""
from __future__ import annotations

import pytest

from realdex_ref import batching
from realdex_ref.errors import PlanError


def test_refusal_points_at_the_other_layout_with_its_plan():
    with pytest.raises(PlanError) as info:
        batching.check_plan(batching.batch_plan(8, 32, 1, True), other_layouts={"realdex-frame": 14380})
    message = str(info.value)
    for part in ("0 batch", "8 sample", "batch size 32", "batch size 8 or smaller", "drop_last=False", "at least 32",
                 "'realdex-frame' (14380 samples, 449 batches per epoch)"):
        assert part in message, f"expected {part!r} in the refusal: {message}"


def test_accepted_plan_is_returned():
    plan = batching.batch_plan(14380, 32, 1, True)
    assert batching.check_plan(plan, min_batches=449) is plan, "expected check_plan to return the plan it accepts (449 batches meets a minimum of 449)"
    with pytest.raises(PlanError, match="449 batch"):
        batching.check_plan(plan, min_batches=450)


@pytest.mark.parametrize("drop_last", [False, True])
def test_sampler_yields_the_epoch_batches_and_resumes(drop_last):
    s = batching.EpochSampler(103, 8, 2, 1, drop_last, seed=4, shuffle=True)
    s.set_epoch(3)
    full = list(s)
    assert full == batching.epoch_batches(103, 8, 2, 1, drop_last, 4, 3, True) and len(full) == len(s), "expected the sampler to yield the batches of epoch_batches for the same seed, epoch and rank"
    s.set_epoch(3)
    it = iter(s)
    taken = [next(it) for _ in range(4)]
    state = s.state_dict()
    assert state["epoch"] == 3 and state["batches_done"] == 4, f"expected the state at epoch 3 after 4 batches, found {state}"
    resumed = batching.EpochSampler(103, 8, 2, 1, drop_last, seed=4, shuffle=True)
    resumed.load_state_dict(state)
    assert taken + list(resumed) == full, "a resumed sampler must continue with the fifth batch"
    assert list(resumed) == full, "after a finished epoch, the same epoch starts again from its first batch"


def test_resume_into_another_plan_is_refused():
    state = batching.EpochSampler(100, 8, seed=1).state_dict()
    with pytest.raises(PlanError, match="batch_size: saved 8, now 16"):
        batching.EpochSampler(100, 16, seed=1).load_state_dict(state)


def test_epoch_with_items_keyed_by_epoch():
    s = batching.EpochSampler(10, 4, with_epoch=True, shuffle=False)
    s.set_epoch(2)
    assert next(iter(s)) == [(2, 0), (2, 1), (2, 2), (2, 3)], "expected items addressed as (epoch, index) for epoch 2"
