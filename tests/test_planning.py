"""The reference's planning module beyond the conformance suite: calibration, config reading, the counter warning."""
from __future__ import annotations

import itertools

import pytest

from realdex_ref import planning
from realdex_ref.errors import DataError, PlanError


def test_calibrate_times_each_step_and_drops_the_warm_up():
    ticks = itertools.count()
    # a fake clock: step i takes durations[i] seconds
    durations = [3.0, 2.0, 0.5, 0.2, 0.1, 0.3, 0.2]
    times = []
    t = 0.0
    for d in durations:
        times += [t, t + d]
        t += d + 1.0
    clock = iter(times).__next__
    out = planning.calibrate(lambda: next(ticks), steps=len(durations), warmup=2, clock=clock)
    assert out["durations"] == pytest.approx(durations), f"expected the measured durations {durations}, got {out['durations']}"
    assert out["step_time"] == pytest.approx(0.2), f"expected the median of {durations[2:]} = 0.2, got {out['step_time']}"
    assert next(ticks) == len(durations), "expected the step to run once per calibration step"


def test_a_calibration_too_short_for_its_warm_up_is_refused_with_the_fix():
    with pytest.raises(PlanError, match=r"at least 6 steps"):
        planning.steady_step_time([1.0] * 5, warmup=5)


def test_checkpoint_iterations_name_each_checkpoint_once():
    plan = planning.plan_run(14_380, 32, passes=250, ckpt_every=500)
    marks = plan.checkpoint_iterations()
    assert len(marks) == plan.checkpoints == 225, f"expected 225 distinct checkpoints, got {len(marks)} and {plan.checkpoints}"
    assert marks[0] == 500 and marks[-1] == 112_500, f"expected 500 ... 112,500, got {marks[0]} ... {marks[-1]}"
    dropped = planning.plan_run(14_380, 32, passes=250, ckpt_every=500, drop_last=True).checkpoint_iterations()
    assert dropped[-2:] == [112_000, 112_250], f"expected the last periodic at 112,000 and the final at 112,250, got {dropped[-2:]}"


def test_step_time_for_gives_the_users_band():
    plan = planning.plan_run(14_380, 32, passes=250, ckpt_every=500)
    band = (round(plan.step_time_for(4 * 3600), 3), round(plan.step_time_for(6 * 3600), 3))
    assert band == (0.128, 0.192), f"expected 4 to 6 h to mean 0.128 to 0.192 s per iteration, got {band}"


def test_empty_passes_are_described_when_not_refused():
    plan = planning.plan_run(8, 32, passes=250, drop_last=True, ckpt_every=500, refuse_empty=False)
    got = (plan.batches_per_epoch, plan.iterations, plan.passes, plan.checkpoints, plan.samples_seen)
    assert got == (0, 0, 250, 1, 0), f"expected 0 batches, 0 iterations, 250 empty passes, the final checkpoint only; got {got}"


@pytest.mark.parametrize("kw", [dict(grad_accum=0), dict(ckpt_every=0), dict(step_time=-1.0), dict(band=0.5),
                                dict(passes=-1)])
def test_bad_inputs_are_refused_by_name(kw):
    args = {"passes": 2, **kw}
    with pytest.raises(PlanError, match=next(iter(kw))):
        planning.plan_run(100, 10, **args)


def test_read_config_explains_realdex_keys_and_flags_the_epoch_counter(tmp_path):
    path = tmp_path / "train.yaml"
    path.write_text("batch_size: 32\ntotal_epoch: 250\nnum_workers: 4\nfreq:\n  save: 500\n  step_epoch: 100\n", encoding="utf-8")
    cfg = planning.read_config(path)
    assert cfg["inputs"] == {"batch_size": 32, "passes": 250, "ckpt_every": 500}, f"got {cfg['inputs']}"
    plan = planning.plan_run(14_380, **cfg["inputs"])
    warning = planning.epoch_counter_warning(plan, cfg["step_epoch"])
    # 112,500 iterations / 100 = 1,125 counter ticks against 250 passes
    assert warning and "1125" in warning and "250" in warning, f"expected a warning naming 1125 ticks and 250 passes: {warning}"
    assert planning.epoch_counter_warning(plan, 450) is None, "a counter of one pass per tick must not warn"


@pytest.mark.parametrize("text", ["- a\n- list\n", "batch_size: [32\n"])
def test_a_config_that_is_not_a_mapping_names_the_file(tmp_path, text):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as info:
        planning.read_config(path)
    assert str(path) in str(info.value), f"expected the error to name {path}: {info.value}"
