"""Conformance of the learning and resource findings (spec chapter 14, LEARN-n), through ``runlog``.

Every log here is written by hand, as a trainer that writes ``metrics`` events would write it,
over the small plan of ``test_runlog`` (100 samples, batch 10, 3 passes, a checkpoint every 15
iterations: 30 iterations) with one ``metrics`` event per iteration, or over the user's case
(8 samples, batch 32 kept, 250 passes: 250 iterations, one event every 10). The series are
chosen so that the rule of each clause decides them by a wide margin (the numbers are in each
test), and each bad log also carries what a healthy one has, so that only its own code fires.
"""
from __future__ import annotations

import json
import math

import pytest

from realdex_conformance.test_runlog import SMALL, T0, plan, run_end, run_start, write

pytestmark = pytest.mark.requires("runlog")

LEARNING_CODES = {"RUN-LOSS-NONFINITE", "RUN-NO-LEARNING", "RUN-DIVERGED", "RUN-MEMORISED", "RUN-SLOWDOWN"}
PARAMETERS = 75_644  # the reference model's size: 100 x 28 x 27 samples


def healthy_losses(n: int, start: float = 1.2, floor: float = 0.3) -> list[float]:
    """A loss that falls fast, then slowly, with a deterministic wobble of +-2% (never below zero)."""
    return [floor + (start - floor) * math.exp(-5 * i / n) * (1 + 0.02 * math.sin(7.3 * i)) for i in range(n)]


def steady_steps(n: int, step: float = 0.1) -> list[float]:
    """Step times wobbling +-10% around ``step`` (a shared machine), never slowing for long."""
    return [step * (1 + 0.1 * math.sin(3.1 * i)) for i in range(n)]


def metrics_log(losses, steps=None, the_plan=SMALL, every=1, model=PARAMETERS, per_pass=10, ckpt_every=15,
                counts=None, parts=None):
    """One segment of ``len(losses) * every`` iterations with a metrics event every ``every`` iterations.

    ``losses[k]`` is the loss of the event at iteration ``(k + 1) * every``; ``steps[k]`` its step time;
    ``parts``: optional list of part mappings. Epoch and checkpoint events follow the plan.
    """
    steps = steps or steady_steps(len(losses))
    start = run_start(T0, the_plan, layout="converted" if counts else "realdex-frame",
                      counts=counts)
    if model is not None:
        start["model"] = {"parameters": model}
    events, t, it = [start], T0, 0
    total = len(losses) * every
    for k, loss in enumerate(losses):
        for _ in range(every):
            if it % per_pass == 0:
                events.append({"event": "epoch_start", "time": t, "pass": it // per_pass, "iteration": it})
            it, t = it + 1, t + steps[k]
            if it % every == 0:
                m = {"event": "metrics", "time": t, "iteration": it, "loss": loss, "iterations": every,
                     "step_time": steps[k], "samples_per_second": the_plan["batch_size"] / steps[k]}
                if parts is not None:
                    m["parts"] = parts[k]
                events.append(m)
            if it % per_pass == 0 or it == total:
                events.append({"event": "epoch_end", "time": t, "pass": (it - 1) // per_pass, "iteration": it,
                               "batches": per_pass, "samples_seen": min(the_plan["num_samples"],
                                                                        per_pass * the_plan["batch_size"])})
            if (ckpt_every and it % ckpt_every == 0) or it == total:
                events.append({"event": "checkpoint", "time": t, "iteration": it, "path": f"ckpt_{it}.pt",
                               "final": it == total})
    events.append(run_end(t, it))
    return events


USER_PLAN = plan(num_samples=8, batch_size=32, passes=250, ckpt_every=500, batches_per_epoch=1, iterations=250,
                 iterations_per_epoch=1, periodic_checkpoints=0, checkpoints=1, samples_seen=2000)


def user_log(losses, steps=None, model=PARAMETERS, samples=8, **kw):
    """The user's plan trained: 250 passes of one batch of 8, a metrics event every 10 iterations (25 events)."""
    p = USER_PLAN if samples == 8 else plan(num_samples=samples, batch_size=32, passes=250, ckpt_every=500)
    return metrics_log(losses, steps, the_plan=p, every=10, model=model, per_pass=1, ckpt_every=500,
                       counts={"converted": samples}, **kw)


def learning_codes(adapter, path) -> list[str]:
    return [f["code"] for f in adapter.check_run(path=path) if f["code"] in LEARNING_CODES]


def assert_only(adapter, tmp_path, events, code, name="run.jsonl"):
    path = write(tmp_path, events, name)
    findings = adapter.check_run(path=path)
    got = [f["code"] for f in findings]
    assert code in got, f"expected the verdict on {name} to flag {code}, got {got}"
    others = sorted(set(got) - {code})
    assert not others, f"expected {code} alone (the log is otherwise healthy), got {got}"
    return next(f for f in findings if f["code"] == code)


def line_of(events, **match) -> int:
    return next(i for i, e in enumerate(events, start=1) if all(e.get(k) == v for k, v in match.items()))


# --- healthy runs: no false alarm ------------------------------------------------------------

@pytest.mark.clause("LEARN-1", "LEARN-3")
def test_a_log_without_metrics_gets_no_learning_finding(adapter, tmp_path):
    events = metrics_log(healthy_losses(30))
    bare = [e for e in events if e["event"] != "metrics"]
    got = adapter.check_run(path=write(tmp_path, bare))
    assert got == [], f"expected no finding for a clean run that logs no metrics events, got {got}"


@pytest.mark.clause("LEARN-3", "LEARN-5", "LEARN-6", "LEARN-8")
@pytest.mark.parametrize("shape", ["falls", "falls-then-flat", "falls-slowly"])
def test_a_healthy_run_gets_no_finding(adapter, tmp_path, shape):
    n = 30
    losses = {"falls": healthy_losses(n),
              # learns in its first 5 iterations (inside the head), flat +-2% after: still learning by LEARN-5
              "falls-then-flat": [1.2, 1.0, 0.8, 0.6, 0.5] + [0.4 * (1 + 0.02 * math.sin(5.1 * i)) for i in range(n - 5)],
              # 1.00 down to 0.90 over the run, +-1%: a small but steady fall
              "falls-slowly": [1.0 - 0.1 * i / n + 0.01 * math.sin(2.7 * i) for i in range(n)]}[shape]
    got = adapter.check_run(path=write(tmp_path, metrics_log(losses)))
    assert got == [], f"expected no finding for a healthy run whose loss {shape}, got {got}"


@pytest.mark.clause("LEARN-3", "LEARN-5", "LEARN-6", "LEARN-8")
def test_a_short_run_is_not_judged_on_too_few_values(adapter, tmp_path):
    """10 iterations, a flat loss and a doubled step time: under 20 values no trend or throughput rule applies."""
    p = plan(num_samples=100, batch_size=10, passes=1, ckpt_every=15, batches_per_epoch=10, iterations_per_epoch=10,
             iterations=10, periodic_checkpoints=0, checkpoints=1, samples_seen=100)
    events = metrics_log([0.9] * 10, [0.1] * 5 + [0.3] * 5, the_plan=p)
    got = adapter.check_run(path=write(tmp_path, events))
    assert got == [], f"expected no finding on a 10-iteration log (10 metrics values, the rules need 20), got {got}"


@pytest.mark.clause("LEARN-7")
def test_a_collapse_on_a_large_dataset_is_not_memorisation(adapter, tmp_path):
    """The same fall as a memorising run, on 14,380 samples: 402,640 pose values against 75,644 parameters."""
    losses = [1.2, 0.5, 0.1] + [0.01] * 22
    p = plan(num_samples=14_380, batch_size=32, passes=1, ckpt_every=500, max_iterations=250)
    events = metrics_log(losses, the_plan=p, every=10, per_pass=450, ckpt_every=500)
    got = learning_codes(adapter, write(tmp_path, events))
    assert got == [], f"expected no learning finding for a falling loss on 14,380 samples, got {got}"


# --- each finding ------------------------------------------------------------------------------

@pytest.mark.clause("LEARN-4", "LEARN-3")
def test_nan_losses_are_not_clean(adapter, tmp_path):
    """--lr 1e30: every metrics line says null (NaN written as JSON allows)."""
    events = metrics_log([None] * 30)
    f = assert_only(adapter, tmp_path, events, "RUN-LOSS-NONFINITE")
    assert f["line"] == line_of(events, event="metrics", iteration=1), (
        f"expected the finding at the first metrics line ({line_of(events, event='metrics', iteration=1)}), got {f['line']}")


@pytest.mark.clause("LEARN-4")
def test_one_non_finite_part_is_a_finding(adapter, tmp_path):
    """The loss stays finite, its KL term overflows once, at iteration 20."""
    losses = healthy_losses(30)
    parts = [{"reconstruction": v, "kl": None if i == 19 else 0.1} for i, v in enumerate(losses)]
    events = metrics_log(losses, parts=parts)
    f = assert_only(adapter, tmp_path, events, "RUN-LOSS-NONFINITE")
    assert f["line"] == line_of(events, event="metrics", iteration=20), f"expected the line of iteration 20, got {f}"


@pytest.mark.clause("LEARN-5")
@pytest.mark.parametrize("shape", ["constant", "noisy-flat"])
def test_a_loss_that_never_moves(adapter, tmp_path, shape):
    """Learning rate 0: the same loss to the last digit, or a flat loss with +-3% noise and no trend."""
    losses = [0.9632] * 30 if shape == "constant" else [0.96 * (1 + 0.03 * math.sin(2.3 * i)) for i in range(30)]
    assert_only(adapter, tmp_path, metrics_log(losses), "RUN-NO-LEARNING")


@pytest.mark.clause("LEARN-6")
def test_a_loss_that_rises(adapter, tmp_path):
    """Falls to 0.5 by iteration 10, then climbs to 2.0: the last quarter (1.6..2.0) above the best (~0.5)."""
    losses = [1.2 - 0.07 * i for i in range(10)] + [0.5 + 0.075 * i for i in range(20)]
    assert_only(adapter, tmp_path, metrics_log(losses), "RUN-DIVERGED")


@pytest.mark.clause("LEARN-7")
def test_eight_samples_memorised(adapter, tmp_path):
    """The user's 8 samples, batch 32 kept: the loss falls from 1.2 to 0.01 within 30 passes and stays there.

    8 x 28 = 224 values, x 100 = 22,400 <= 75,644 parameters; the tail median 0.01 is 0.8% of 1.2."""
    losses = [1.2, 0.4, 0.05] + [0.01 * (1 + 0.05 * math.sin(i)) for i in range(22)]
    f = assert_only(adapter, tmp_path, user_log(losses), "RUN-MEMORISED")
    assert isinstance(f["message"], str) and "8" in f["message"], f"expected the message to name the 8 samples: {f}"


@pytest.mark.clause("LEARN-7")
def test_eight_samples_memorised_without_a_parameter_count(adapter, tmp_path):
    """No model size logged: 8 samples fit in one batch of 32, which any model can store."""
    losses = [1.2, 0.4, 0.05] + [0.01] * 22
    assert_only(adapter, tmp_path, user_log(losses, model=None), "RUN-MEMORISED")


@pytest.mark.clause("LEARN-8")
def test_a_run_that_slows_by_half(adapter, tmp_path):
    """Step time 0.1 s (+-10%) for 15 iterations, then 0.2 s: throughput halves from iteration 16 to the end."""
    steps = steady_steps(15) + [0.2 * (1 + 0.1 * math.sin(3.1 * i)) for i in range(15)]
    events = metrics_log(healthy_losses(30), steps)
    f = assert_only(adapter, tmp_path, events, "RUN-SLOWDOWN")
    assert isinstance(f["line"], int) and f["line"] >= line_of(events, event="metrics", iteration=8), (
        f"expected the finding at a metrics line after the first quarter, got {f['line']}")


@pytest.mark.clause("LEARN-8")
def test_a_slow_warm_up_is_not_a_slowdown(adapter, tmp_path):
    """The first event of the segment takes 10 times longer (allocations, cold cache): left out of the series."""
    steps = [1.0] + steady_steps(29)
    got = adapter.check_run(path=write(tmp_path, metrics_log(healthy_losses(30), steps)))
    assert got == [], f"expected no finding for a slow first step only, got {got}"


@pytest.mark.clause("LEARN-3", "LEARN-5")
def test_a_resumed_run_counts_each_iteration_once(adapter, tmp_path):
    """Killed (no run_end) after iteration 20, resumed from the checkpoint at 15: 16..20 are logged twice."""
    events = metrics_log(healthy_losses(30))
    cut = line_of(events, event="epoch_end", iteration=20)  # the kill comes right after pass 1 ends
    t = events[cut - 1]["time"] + 60
    replay = line_of(events, event="metrics", iteration=16) - 1
    resumed = [run_start(t, SMALL, resume={"iteration": 15, "pass": 1, "checkpoint": "ckpt_15.pt"}),
               {"event": "epoch_start", "time": t, "pass": 1, "iteration": 15}]
    resumed += [{**e, "time": e["time"] + t} for e in events[replay:] if e["event"] != "checkpoint" or e["iteration"] > 20]
    got = learning_codes(adapter, write(tmp_path, events[:cut] + resumed))
    assert got == [], f"expected no learning finding on a healthy run killed and resumed once, got {got}"


@pytest.mark.clause("LEARN-2")
@pytest.mark.requires("training")
def test_the_trainers_metrics_events_are_json_with_null_for_nan(adapter, tmp_path):
    """A tiny run with a learning rate of 1e30 (when the trainer takes ``lr``): its metrics, if it writes any,
    are JSON lines with an int iteration and a number-or-null loss, and the last iteration has one."""
    from realdex_conformance import synth

    root = tmp_path / "data"
    synth.write_root(root, "realdex-segment", objects=("driller",), segments_per_object=1, frames_per_segment=(24, 24),
                     points=64, seed=0)
    config = {"batch_size": 8, "passes": 2, "ckpt_every": None, "drop_last": False, "seed": 0, "num_points": 64,
              "lr": 1e30}
    try:
        log = adapter.train(root=str(root), out=str(tmp_path / "run"), config=config)
    except (TypeError, ValueError, KeyError):  # a trainer without an lr key: train as it would
        config.pop("lr")
        log = adapter.train(root=str(root), out=str(tmp_path / "run2"), config=config)
    text = open(log, encoding="utf-8").read()
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]  # NaN would not parse as strict JSON
    for token in ("NaN", "Infinity"):
        assert token not in text, f"expected non-finite values written as null (LEARN-2), found {token} in {log}"
    metrics = [r for r in rows if r.get("event") == "metrics"]
    if not metrics:
        pytest.skip("the trainer writes no metrics events (LEARN-1: they are optional)")
    for m in metrics:
        assert isinstance(m.get("iteration"), int), f"expected an int iteration in {m}"
        assert m.get("loss") is None or isinstance(m["loss"], (int, float)), f"expected a number or null loss in {m}"
    end = next(r for r in reversed(rows) if r.get("event") == "run_end")
    assert metrics[-1]["iteration"] == end["iteration"], (
        f"expected a metrics event at the segment's last iteration {end['iteration']}, the last is at "
        f"{metrics[-1]['iteration']}")


@pytest.mark.clause("LEARN-8")
def test_a_halved_throughput_logged_as_samples_per_second_only(adapter, tmp_path):
    """A trainer that logs samples per second and no step time: 100/s for 15 iterations, then 50/s."""
    events = metrics_log(healthy_losses(30), steady_steps(15) + [0.2] * 15)
    for e in events:
        e.pop("step_time", None)
    assert_only(adapter, tmp_path, events, "RUN-SLOWDOWN")


@pytest.mark.clause("LEARN-7")
def test_eight_samples_in_batches_of_four_memorised_without_a_parameter_count(adapter, tmp_path):
    """8 samples, batch 4, no model size: 8 x 28 x 100 = 22,400 <= 75,644, the reference model's parameters."""
    p = plan(num_samples=8, batch_size=4, passes=125, ckpt_every=500)
    losses = [1.2, 0.4, 0.05] + [0.01] * 22
    events = metrics_log(losses, the_plan=p, every=10, model=None, per_pass=2, ckpt_every=500, counts={"converted": 8})
    assert "RUN-MEMORISED" in learning_codes(adapter, write(tmp_path, events)), "expected RUN-MEMORISED"


@pytest.mark.clause("LEARN-4")
def test_a_non_finite_loss_at_the_last_event_is_a_finding(adapter, tmp_path):
    """The loss overflows at the very last interval: a checker that leaves out the run's last events misses it."""
    events = metrics_log(healthy_losses(29) + [None])
    f = assert_only(adapter, tmp_path, events, "RUN-LOSS-NONFINITE")
    assert f["line"] == line_of(events, event="metrics", iteration=30), f"expected the line of iteration 30, got {f}"
