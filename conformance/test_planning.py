"""Conformance of planned work and expected duration (spec chapter 9, PLAN-n).

The user's table (14,380 samples at batch 32, 250 passes, a checkpoint every 500 iterations)
is a golden file of the kit (``golden/test_planning/``); its numbers are also written out here
by hand, so the golden file can never drift from the figures the table states.
"""
from __future__ import annotations

import json
import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from realdex_conformance import features
from realdex_conformance.plugin import require

pytestmark = pytest.mark.requires("planning")

COUNT_KEYS = ("batches_per_epoch", "iterations_per_epoch", "passes", "iterations", "periodic_checkpoints",
              "checkpoints", "samples_seen")
NUMBER_KEYS = ("passes_per_checkpoint", "expected_seconds", "expected_seconds_low", "expected_seconds_high")

# the user's table, checked by hand: ceil(14380 / 32) = 450, floor = 449; 250 x 450 = 112,500,
# 250 x 449 = 112,250; 112,500 / 500 = 225 periodic (the last one is the final one),
# floor(112,250 / 500) = 224 periodic + a final at 112,250 = 225 in all; 500 / 450 = 1.11 passes
# per checkpoint (500 / 449 = 1.11); samples: 250 x 14,380 = 3,595,000 and 250 x 449 x 32 = 3,592,000.
USERS_TABLE = {
    False: dict(batches_per_epoch=450, iterations_per_epoch=450, passes=250, iterations=112_500,
                periodic_checkpoints=225, checkpoints=225, samples_seen=3_595_000),
    True: dict(batches_per_epoch=449, iterations_per_epoch=449, passes=250, iterations=112_250,
               periodic_checkpoints=224, checkpoints=225, samples_seen=3_592_000),
}


def _counts(plan: dict) -> dict:
    return {k: plan[k] for k in COUNT_KEYS}


def _users_plan(adapter, drop_last: bool, **kw) -> dict:
    return adapter.plan_run(num_samples=14_380, batch_size=32, passes=250, drop_last=drop_last, ckpt_every=500, **kw)


@pytest.mark.clause("PLAN-1", "PLAN-2", "PLAN-4", "PLAN-6", "PLAN-7", "PLAN-8", "PLAN-10")
@pytest.mark.parametrize("drop_last", [False, True], ids=["keep-last", "drop-last"])
def test_the_users_table(adapter, golden, drop_last):
    plan = _users_plan(adapter, drop_last)
    assert _counts(plan) == USERS_TABLE[drop_last], (
        f"expected the user's figures {USERS_TABLE[drop_last]} for 14,380 samples at batch 32, 250 passes, "
        f"drop_last={drop_last}, a checkpoint every 500; got {_counts(plan)}"
    )
    assert round(plan["passes_per_checkpoint"], 2) == 1.11, (
        f"expected a checkpoint every 1.11 passes (500 / {plan['iterations_per_epoch']}), got {plan['passes_per_checkpoint']!r}"
    )
    # 4 to 6 hours <-> 0.128 to 0.192 s per iteration: 112,500 x 0.128 = 14,400 s, x 0.192 = 21,600 s
    hours = [round(adapter.plan_run(num_samples=14_380, batch_size=32, passes=250, drop_last=drop_last, ckpt_every=500,
                                    step_time=s)["expected_seconds"] / 3600, 2) for s in (0.128, 0.192)]
    want = [4.0, 6.0] if not drop_last else [3.99, 5.99]  # 112,250 x 0.128 / 3600 = 3.991; x 0.192 = 5.987
    assert hours == want, f"expected {want} hours at 0.128 and 0.192 s per iteration, got {hours}"
    table = {**_counts(plan), "passes_per_checkpoint": round(plan["passes_per_checkpoint"], 2), "hours_at_0.128_0.192_s": hours}
    golden.check(table, "the plan of the user's table")


@pytest.mark.clause("PLAN-2", "PLAN-4", "PLAN-6", "PLAN-8")
def test_eight_samples_make_one_batch_per_pass_and_no_periodic_checkpoint(adapter, golden):
    plan = adapter.plan_run(num_samples=8, batch_size=32, passes=250, ckpt_every=500)
    want = dict(batches_per_epoch=1, iterations_per_epoch=1, passes=250, iterations=250, periodic_checkpoints=0,
                checkpoints=1, samples_seen=2000)
    assert _counts(plan) == want, f"expected {want} for 8 samples at batch 32 (ceil(8/32) = 1), got {_counts(plan)}"
    golden.check(_counts(plan), "the 8-sample plan")


@pytest.mark.clause("PLAN-9")
@pytest.mark.parametrize("n,b,w", [(8, 32, 1), (31, 32, 1), (63, 32, 2), (0, 1, 1)])
def test_a_plan_with_zero_batches_is_refused_with_numbers_and_fixes(adapter, n, b, w):
    with pytest.raises(ValueError) as info:
        adapter.plan_run(num_samples=n, batch_size=b, passes=250, drop_last=True, world_size=w)
    msg = str(info.value)
    for shown in (str(n), str(b), "drop_last"):
        assert shown in msg, f"expected the refusal to show {shown!r} (N={n}, B={b}, W={w}); got: {msg}"
    assert "batch" in msg.lower() and ("fix" in msg.lower() or "use" in msg.lower()), (
        f"expected the refusal to name the fixes (a smaller batch, drop_last false, more data); got: {msg}"
    )


@pytest.mark.clause("PLAN-4")
def test_a_plan_needs_passes_or_a_maximum_of_iterations(adapter):
    with pytest.raises(ValueError):
        adapter.plan_run(num_samples=100, batch_size=10)


@pytest.mark.clause("PLAN-4", "PLAN-8")
@pytest.mark.feature("planning:max-iterations")
@pytest.mark.parametrize(
    "passes,max_iterations,iterations,begun,samples",
    [
        (None, 25, 25, 3, 250),  # 10 iterations per pass: 2 full passes + 5 batches of 10
        (None, 30, 30, 3, 300),
        (2, 25, 20, 2, 200),  # the passes end first
        (5, 25, 25, 3, 250),  # the maximum ends first
    ],
)
def test_passes_and_maximum_iterations(adapter, passes, max_iterations, iterations, begun, samples):
    plan = adapter.plan_run(num_samples=100, batch_size=10, passes=passes, max_iterations=max_iterations)
    got = (plan["iterations"], plan["passes"], plan["samples_seen"])
    assert got == (iterations, begun, samples), (
        f"expected (iterations, passes begun, samples_seen) = {(iterations, begun, samples)} for 100 samples at "
        f"batch 10, passes={passes}, max_iterations={max_iterations}; got {got}"
    )


@pytest.mark.clause("PLAN-3", "PLAN-8")
@pytest.mark.feature("planning:grad-accum")
@pytest.mark.parametrize("grad_accum,per_pass", [(1, 10), (3, 4), (10, 1), (16, 1)])
def test_gradient_accumulation_counts_optimizer_steps(adapter, grad_accum, per_pass):
    plan = adapter.plan_run(num_samples=100, batch_size=10, passes=2, grad_accum=grad_accum)
    assert (plan["batches_per_epoch"], plan["iterations_per_epoch"], plan["iterations"]) == (10, per_pass, 2 * per_pass), (
        f"expected 10 batches and ceil(10 / {grad_accum}) = {per_pass} iterations per pass, {2 * per_pass} in all; "
        f"got {plan['batches_per_epoch']}, {plan['iterations_per_epoch']}, {plan['iterations']}"
    )
    assert plan["samples_seen"] == 200, f"expected 2 passes x 100 samples whatever the accumulation, got {plan['samples_seen']}"


# checkpoint arithmetic at every boundary: K = 10, iterations around multiples of K
@pytest.mark.clause("PLAN-6")
@pytest.mark.feature("planning:max-iterations")
@pytest.mark.parametrize(
    "iterations,periodic,total",
    [(1, 0, 1), (9, 0, 1), (10, 1, 1), (11, 1, 2), (19, 1, 2), (20, 2, 2), (21, 2, 3), (100, 10, 10), (101, 10, 11)],
)
def test_checkpoints_at_every_boundary(adapter, iterations, periodic, total):
    plan = adapter.plan_run(num_samples=10, batch_size=1, max_iterations=iterations, ckpt_every=10)
    got = (plan["periodic_checkpoints"], plan["checkpoints"])
    assert got == (periodic, total), (
        f"expected {periodic} periodic and {total} distinct checkpoints (final counted once) for {iterations} "
        f"iterations with a checkpoint every 10; got {got}"
    )


@pytest.mark.clause("PLAN-6", "PLAN-7")
def test_without_a_checkpoint_period_there_is_only_the_final_checkpoint(adapter):
    plan = adapter.plan_run(num_samples=100, batch_size=10, passes=3)
    got = (plan["periodic_checkpoints"], plan["checkpoints"], plan["passes_per_checkpoint"])
    assert got == (0, 1, None), f"expected (0 periodic, 1 final, passes_per_checkpoint None), got {got}"


@st.composite
def plan_inputs(draw):
    b = draw(st.integers(1, 64), label="batch_size")
    w = draw(st.integers(1, 8), label="world_size")
    drop_last = draw(st.booleans(), label="drop_last")
    n = draw(st.integers(b * w, 20_000), label="num_samples")  # at least one batch per rank
    return dict(
        num_samples=n, batch_size=b, world_size=w, drop_last=drop_last,
        grad_accum=draw(st.integers(1, 4), label="grad_accum"),
        passes=draw(st.integers(1, 300), label="passes"),
        ckpt_every=draw(st.one_of(st.none(), st.integers(1, 2000)), label="ckpt_every"),
    )


def _expected_batches(n: int, b: int, w: int, drop_last: bool) -> int:
    return (n // w) // b if drop_last else math.ceil(math.ceil(n / w) / b)


@pytest.mark.clause("PLAN-2", "PLAN-3", "PLAN-4", "PLAN-6", "PLAN-7", "PLAN-8")
@given(inputs=plan_inputs())
def test_plan_arithmetic(adapter, inputs):
    assume(inputs["grad_accum"] == 1 or features.supports(adapter, "planning:grad-accum"))  # drawn only where supported
    plan = adapter.plan_run(**inputs)
    n, b, w, g, p, k = (inputs[x] for x in ("num_samples", "batch_size", "world_size", "grad_accum", "passes", "ckpt_every"))
    batches = _expected_batches(n, b, w, inputs["drop_last"])
    per_pass = math.ceil(batches / g)
    iterations = p * per_pass
    periodic = iterations // k if k else 0
    total = periodic + (0 if k and iterations % k == 0 else 1)
    per_rank = batches * b if inputs["drop_last"] else math.ceil(n / w)
    want = dict(batches_per_epoch=batches, iterations_per_epoch=per_pass, passes=p, iterations=iterations,
                periodic_checkpoints=periodic, checkpoints=total, samples_seen=p * w * per_rank)
    assert _counts(plan) == want, f"expected {want} for {inputs}, got {_counts(plan)}"
    if k:
        assert plan["passes_per_checkpoint"] == pytest.approx(k / per_pass), (
            f"expected {k} / {per_pass} passes per checkpoint, got {plan['passes_per_checkpoint']!r}"
        )
    if "batching" in set(adapter.capabilities):
        bp = adapter.batch_plan(num_samples=n, batch_size=b, world_size=w, drop_last=inputs["drop_last"])
        assert plan["batches_per_epoch"] == bp["batches_per_epoch"], (
            f"expected the plan to agree with the batch plan ({bp['batches_per_epoch']} batches), got {plan['batches_per_epoch']}"
        )


@pytest.mark.clause("PLAN-5")
@given(inputs=plan_inputs(), more_passes=st.integers(0, 50), more_samples=st.integers(0, 5000))
def test_plan_is_monotonic_in_passes_and_samples(adapter, inputs, more_passes, more_samples):
    assume(inputs["grad_accum"] == 1 or features.supports(adapter, "planning:grad-accum"))  # drawn only where supported
    base = adapter.plan_run(**inputs)
    for what, other in (("passes", {**inputs, "passes": inputs["passes"] + more_passes}),
                        ("num_samples", {**inputs, "num_samples": inputs["num_samples"] + more_samples})):
        bigger = adapter.plan_run(**other)
        for key in ("iterations", "checkpoints", "samples_seen"):
            assert bigger[key] >= base[key], (
                f"expected {key} not to decrease when {what} grows: {base[key]} for {inputs}, {bigger[key]} for {other}"
            )


@pytest.mark.clause("PLAN-10")
@pytest.mark.parametrize("band", [None, 1.5])
def test_wall_time_model(adapter, band):
    kw = {} if band is None else {"band": band}
    # 100 samples, batch 10, 3 passes: 30 iterations, checkpoints at 10, 20, 30 (3), evaluations at 15 and 30 (2)
    plan = adapter.plan_run(num_samples=100, batch_size=10, passes=3, ckpt_every=10, step_time=0.5, startup_time=7.0,
                            save_time=2.0, eval_every=15, eval_time=4.0, **kw)
    expected = 7.0 + 0.5 * 30 + 2.0 * 3 + 4.0 * 2
    factor = 2.0 if band is None else band
    got = (plan["expected_seconds"], plan["expected_seconds_low"], plan["expected_seconds_high"])
    want = (expected, expected / factor, expected * factor)
    assert got == pytest.approx(want), (
        f"expected (expected, low, high) = {want} (start-up 7 + 30 x 0.5 + 3 x 2 + 2 x 4, band {factor}), got {got}"
    )
    plain = adapter.plan_run(num_samples=100, batch_size=10, passes=3)
    assert (plain["expected_seconds"], plain["expected_seconds_low"], plain["expected_seconds_high"]) == (None, None, None), (
        "expected no duration without a step time, got "
        f"{(plain['expected_seconds'], plain['expected_seconds_low'], plain['expected_seconds_high'])}"
    )


@pytest.mark.clause("PLAN-11")
def test_step_time_is_the_median_after_warm_up(adapter):
    durations = [9.0, 5.0, 3.0, 0.2, 0.1, 0.4, 0.3, 50.0]
    got = adapter.steady_step_time(durations=durations, warmup=3)
    assert got == pytest.approx(0.3), f"expected the median of {durations[3:]} = 0.3, got {got!r}"
    with pytest.raises(ValueError):
        adapter.steady_step_time(durations=[1.0, 2.0], warmup=2)


REALDEX_CONFIG = """\
batch_size: 32
total_epoch: 250
num_workers: 4
learning_rate: 0.0005
freq:
  save: 500
  step_epoch: 100
"""


@pytest.mark.clause("PLAN-12")
def test_a_realdex_config_is_read_in_plan_units(adapter, tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(REALDEX_CONFIG, encoding="utf-8")
    cfg = adapter.read_config(path=path)
    inputs = cfg["inputs"]
    want = {"batch_size": 32, "passes": 250, "ckpt_every": 500}
    assert {k: inputs.get(k) for k in want} == want, f"expected the plan inputs {want}, got {inputs}"
    assert cfg["step_epoch"] == 100, f"expected freq.step_epoch = 100 iterations per counter tick, got {cfg['step_epoch']!r}"
    keys = {k["key"]: k for k in cfg["keys"]}
    for key in ("batch_size", "total_epoch", "freq.save", "freq.step_epoch", "num_workers", "learning_rate"):
        assert key in keys, f"expected every key of the file to be explained, {key!r} is missing from {sorted(keys)}"
        assert keys[key]["meaning"], f"expected a meaning for {key!r}, got {keys[key]}"
    assert keys["learning_rate"]["used"] is False, f"expected learning_rate reported as unused, got {keys['learning_rate']}"
    assert "pass" in keys["total_epoch"]["unit"], f"expected total_epoch in passes, got {keys['total_epoch']}"
    assert "iteration" in keys["freq.save"]["unit"], f"expected freq.save in iterations, got {keys['freq.save']}"
    assert "iteration" in keys["freq.step_epoch"]["unit"] and "not a pass" in keys["freq.step_epoch"]["meaning"], (
        f"expected freq.step_epoch explained as iterations per counter tick, not a pass; got {keys['freq.step_epoch']}"
    )
    plan = adapter.plan_run(num_samples=14_380, **inputs)
    assert _counts(plan) == USERS_TABLE[False], f"expected the user's table from the config, got {_counts(plan)}"


@pytest.mark.clause("PLAN-14", "PLAN-1")
def test_a_plan_is_one_json_object_with_int_counts(adapter):
    plan = _users_plan(adapter, False, step_time=0.16)
    back = json.loads(json.dumps(plan))
    for key in COUNT_KEYS:
        assert type(back[key]) is int, f"expected {key} to be an int, got {back[key]!r} ({type(plan[key]).__name__})"
    for key in NUMBER_KEYS:
        assert back[key] is None or isinstance(back[key], (int, float)) and not isinstance(back[key], bool), (
            f"expected {key} to be a number or None, got {back[key]!r}"
        )
    assert back["passes"] == 250 and back["iterations"] == 112_500, (
        f"expected passes (250) and iterations (112,500) under their own keys, got {back['passes']}, {back['iterations']}"
    )


@pytest.mark.clause("PLAN-2")
def test_agrees_with_the_batch_plan_when_both_are_declared(adapter):
    require(adapter, "batching")
    for n, b, w, d in [(14_380, 32, 1, True), (14_380, 32, 4, False), (33, 32, 1, False), (64, 32, 2, True)]:
        bp = adapter.batch_plan(num_samples=n, batch_size=b, world_size=w, drop_last=d)
        plan = adapter.plan_run(num_samples=n, batch_size=b, world_size=w, drop_last=d, passes=1)
        assert plan["batches_per_epoch"] == bp["batches_per_epoch"], (
            f"expected {bp['batches_per_epoch']} batches per pass as the batch plan says for N={n}, B={b}, W={w}, "
            f"drop_last={d}; got {plan['batches_per_epoch']}"
        )


@pytest.mark.clause("PLAN-13")
@pytest.mark.parametrize(
    "step_epoch, final",
    # 112,250 iterations (the user's drop_last run): a tick every 100 iterations ends at 1,122 > 250 passes;
    # every 449 iterations (one pass) ends at 250, and every 500 at 224: neither outruns the passes
    [(100, 1122), (449, None), (500, None)],
    ids=["counter-of-100-outruns-250-passes", "counter-of-one-pass", "counter-of-500"],
)
def test_an_epoch_counter_that_outruns_the_passes_is_warned_about(adapter, step_epoch, final):
    try:
        plan = adapter.plan_run(num_samples=14_380, batch_size=32, passes=250, drop_last=True, step_epoch=step_epoch)
    except TypeError as exc:
        pytest.fail(f"expected plan_run to accept step_epoch (PLAN-13), found: {exc}")
    warnings = plan.get("warnings")
    assert isinstance(warnings, list) and all(isinstance(w, str) for w in warnings), (
        f"expected 'warnings', a list of str, in the plan; found {warnings!r}"
    )
    about = [w for w in warnings if "step_epoch" in w]
    if final is None:
        assert not about, f"expected no warning about a counter of {step_epoch} iterations ending at or below 250; found {about}"
    else:
        assert about and any(f"{final}" in w or f"{final:,}" in w for w in about), (
            f"expected a warning naming step_epoch and the counter's final value {final}; found {warnings}"
        )


# --- max_iterations with gradient accumulation: samples counted in batches (PLAN-8) ----------

@pytest.mark.clause("PLAN-8", "PLAN-3", "PLAN-4")
@pytest.mark.feature("planning:max-iterations", "planning:grad-accum")
@pytest.mark.parametrize(
    "n,w,g,m,per_pass,begun,samples",
    [
        # 100 samples, batch 10: 10 batches per pass; G = 3: iterations of 3, 3, 3 and 1 batches, 4 per pass
        (100, 1, 3, 6, 4, 2, 160),  # a pass (100) + 2 iterations of 3 batches of 10 (60); not 6 x 10, not 6 x 30
        (100, 1, 3, 4, 4, 1, 100),  # exactly one pass: its last iteration drew 1 batch, not 3
        (100, 1, 3, 9, 4, 3, 230),  # 2 passes (200) + 1 iteration of 3 batches (30)
        # 95 samples, batch 10: 10 batches, the last of 5; G = 2: 5 iterations per pass
        (95, 1, 2, 7, 5, 2, 135),  # a pass (95) + 2 iterations of 2 full batches (40); not 7 x 20
        # 2 ranks of 50 samples, 5 batches each; G = 2: iterations of 2, 2 and 1 batches, 3 per pass
        (100, 2, 2, 4, 3, 2, 140),  # a pass (100) + 1 iteration of 2 batches of 10 on 2 ranks (40)
    ],
    ids=["g3-m6-mid-pass", "g3-m4-one-pass", "g3-m9-third-pass", "g2-m7-short-last-batch", "g2-m4-two-ranks"],
)
def test_max_iterations_with_gradient_accumulation_counts_the_batches_run(adapter, n, w, g, m, per_pass, begun,
                                                                          samples):
    plan = adapter.plan_run(num_samples=n, batch_size=10, world_size=w, grad_accum=g, max_iterations=m)
    got = (plan["iterations_per_epoch"], plan["iterations"], plan["passes"], plan["samples_seen"])
    want = (per_pass, m, begun, samples)
    assert got == want, (
        f"expected (iterations_per_epoch, iterations, passes begun, samples_seen) = {want} for {n} samples at batch 10 "
        f"on {w} rank(s), grad_accum={g}, max_iterations={m}: a pass cut after r iterations ran r x {g} batches of 10 "
        f"per rank (PLAN-8); got {got}"
    )


@st.composite
def cut_plan_inputs(draw):
    """A plan with gradient accumulation (2 to 5 batches an iteration) that max_iterations may cut mid-pass."""
    b = draw(st.integers(1, 32), label="batch_size")
    w = draw(st.integers(1, 4), label="world_size")
    drop_last = draw(st.booleans(), label="drop_last")
    n = draw(st.integers(b * w, 2_000), label="num_samples")  # at least one batch per rank
    g = draw(st.integers(2, 5), label="grad_accum")
    per_pass = math.ceil(_expected_batches(n, b, w, drop_last) / g)
    return dict(
        num_samples=n, batch_size=b, world_size=w, drop_last=drop_last, grad_accum=g,
        max_iterations=draw(st.integers(1, 4 * per_pass), label="max_iterations"),
        passes=draw(st.one_of(st.none(), st.integers(1, 5)), label="passes"),
        ckpt_every=draw(st.one_of(st.none(), st.integers(1, 50)), label="ckpt_every"),
    )


@pytest.mark.clause("PLAN-3", "PLAN-4", "PLAN-6", "PLAN-8")
@pytest.mark.feature("planning:max-iterations", "planning:grad-accum")
@given(inputs=cut_plan_inputs())
def test_plan_arithmetic_with_max_iterations_and_gradient_accumulation(adapter, inputs):
    plan = adapter.plan_run(**inputs)
    n, b, w, g, p, m, k = (inputs[x] for x in ("num_samples", "batch_size", "world_size", "grad_accum", "passes",
                                               "max_iterations", "ckpt_every"))
    batches = _expected_batches(n, b, w, inputs["drop_last"])
    per_pass = math.ceil(batches / g)
    iterations = m if p is None else min(p * per_pass, m)
    whole, cut = divmod(iterations, per_pass)  # passes done whole, iterations of the pass cut short
    per_rank = batches * b if inputs["drop_last"] else math.ceil(n / w)
    # a cut pass ran `cut` iterations of g full batches each: only a pass's last iteration (and batch) is short
    samples = w * (whole * per_rank + cut * g * b)
    periodic = iterations // k if k else 0
    want = dict(batches_per_epoch=batches, iterations_per_epoch=per_pass, passes=math.ceil(iterations / per_pass),
                iterations=iterations, periodic_checkpoints=periodic,
                checkpoints=periodic + (0 if k and iterations % k == 0 else 1), samples_seen=samples)
    assert _counts(plan) == want, (
        f"expected {want} for {inputs} ({whole} whole pass(es) of {per_rank} samples per rank and {cut} iteration(s) "
        f"of {g} batches of {b}), got {_counts(plan)}"
    )
