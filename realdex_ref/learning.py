"""Learning progress and resource use (spec chapter 14): findings over a run log's ``metrics`` events.

The rules are stated in ``spec/14-learning.md`` with their numbers; this module only follows
them. Every rule reads the loss or step-time series the log's ``metrics`` events make (one value
per iteration, the last logged when a resumed segment logs an iteration again) and says, for
each finding, whether the log could measure it at all: a log without ``metrics`` events gets no
finding of this chapter, and ``Learning.measured`` says so.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import median
from typing import Any

# code -> clause of chapter 14 that defines it
CODES = {
    "RUN-LOSS-NONFINITE": "LEARN-4",
    "RUN-NO-LEARNING": "LEARN-5",
    "RUN-DIVERGED": "LEARN-6",
    "RUN-MEMORISED": "LEARN-7",
    "RUN-SLOWDOWN": "LEARN-8",
}

MIN_SERIES = 20  # values a trend or throughput rule needs: quarters of 5, whose smallest exact p (1/252) is below ALPHA
ALPHA = 0.01  # one-sided significance level of the rank tests
NOISE_SIGMAS = 3  # no learning: a fall of the median from head to tail of at most this many noise deviations ...
COLLAPSE = 0.25  # memorisation: the end of the loss series at most this fraction of its first value
CAPACITY_FACTOR = 100  # memorisation: parameters at least this many times the values the targets hold
POSE_VALUES = 28  # values of one sample's target, the hand pose (chapter 1)
DEFAULT_PARAMETERS = 75_644  # without a logged parameter count: the reference's grasp model, a small one
SLOWDOWN = 1.5  # a sustained step time at least this many times the early one: throughput down by a third
WINDOW_FRACTION = 0.10  # "sustained": a window of at least this fraction of the step-time series ...
MIN_WINDOW = 5  # ... and at least this many values


@dataclass
class Learning:
    """What the ``metrics`` events of one log show: the series, the findings and what could not be measured."""

    metrics_events: int = 0
    losses: list[tuple[int, float | None, int]] = field(default_factory=list)  # (iteration, loss or None, line)
    step_times: list[tuple[int, float, int]] = field(default_factory=list)  # (iteration, seconds, line)
    findings: list[tuple[str, str, int | None]] = field(default_factory=list)  # (code, message, line)
    measured: dict[str, str] = field(default_factory=dict)  # finding code -> "measured" or why it was not
    figures: dict[str, Any] = field(default_factory=dict)  # the numbers the rules compared

    def as_dict(self) -> dict[str, Any]:
        return {"metrics_events": self.metrics_events, "measured": self.measured, "figures": self.figures}


def _number(value: Any) -> float | None:
    """A finite float, or None for null, NaN, infinities and anything that is not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def series(events: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """The ``metrics`` events with an int ``iteration``, one per iteration (the last logged), by iteration."""
    metrics = [e for e in events if e.get("event") == "metrics"]
    by_iteration: dict[int, dict[str, Any]] = {}
    for e in metrics:
        it = e.get("iteration")
        if isinstance(it, int) and not isinstance(it, bool):
            by_iteration[it] = e
    return [by_iteration[i] for i in sorted(by_iteration)], len(metrics)


def _quarters(values: list[float]) -> list[list[float]]:
    q = len(values) // 4
    return [values[:q], values[q:2 * q], values[2 * q:3 * q], values[len(values) - q:]]


def _less(a: list[float], b: list[float]) -> float:
    """One-sided Mann-Whitney p-value that values of ``a`` tend to be below those of ``b`` (1.0 when all tie)."""
    from scipy.stats import mannwhitneyu

    if len(set(a) | set(b)) == 1:
        return 1.0
    return float(mannwhitneyu(a, b, alternative="less").pvalue)


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    pos = (len(s) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def _capacity(start: dict[str, Any], plan: dict[str, Any]) -> tuple[bool | None, str]:
    """(is the dataset far smaller than the model?, how that was decided) -- LEARN-7 (a)."""
    samples = plan.get("num_samples")
    model = start.get("model")
    params = model.get("parameters") if isinstance(model, dict) else None
    if isinstance(params, int) and not isinstance(params, bool) and params > 0 and isinstance(samples, int):
        values = samples * POSE_VALUES
        return (CAPACITY_FACTOR * values <= params,
                f"{samples:,} sample(s) x {POSE_VALUES} pose values = {values:,} values against {params:,} "
                f"model parameters ({params / max(values, 1):,.1f} parameters per value)")
    world, batch = plan.get("world_size") or 1, plan.get("batch_size")
    if isinstance(samples, int) and isinstance(batch, int):
        values = samples * POSE_VALUES
        return (samples <= batch * world or CAPACITY_FACTOR * values <= DEFAULT_PARAMETERS,
                f"no parameter count logged; {samples:,} sample(s) against one step's {batch * world:,} "
                f"(batch x world size), and {values:,} pose values against the {DEFAULT_PARAMETERS:,} parameters "
                "of the reference's small grasp model")
    return None, "neither a parameter count nor the plan's samples and batch size are logged"


def assess(events: list[dict[str, Any]], plan: dict[str, Any], start: dict[str, Any]) -> Learning:
    """Apply the rules of chapter 14 to the events of a run log; ``start``: the last ``run_start``."""
    rows, count = series(events)
    out = Learning(metrics_events=count)
    if not count:
        out.measured = {code: "not measurable: the log has no metrics events" for code in CODES}
        return out
    for e in rows:
        if "loss" in e:  # null is a loss that was not finite (LEARN-2); a missing one is no value at all
            raw = e["loss"]
            parts = e.get("parts") if isinstance(e.get("parts"), dict) else {}
            bad = _number(raw) is None or any(_number(v) is None for v in parts.values())
            out.losses.append((e["iteration"], None if bad else float(raw), e["line"]))
    # throughput: the step time; a log that gives only samples per second, its inverse (the same ratios)
    key = "step_time" if any(_number(e.get("step_time")) for e in rows) else "samples_per_second"
    for e in rows:
        st = _number(e.get(key))
        if st is not None and st > 0:
            out.step_times.append((e["iteration"], st if key == "step_time" else 1 / st, e["line"]))
    _nonfinite(out)
    _trend(out, plan, start)
    _slowdown(out, events, plan)
    return out


def _nonfinite(out: Learning) -> None:
    out.measured["RUN-LOSS-NONFINITE"] = "measured"
    bad = [(it, line) for it, loss, line in out.losses if loss is None]
    out.figures["nonfinite_losses"] = len(bad)
    if bad:
        it, line = bad[0]
        out.findings.append((
            "RUN-LOSS-NONFINITE",
            f"{len(bad)} of {len(out.losses)} metrics event(s) log a loss (or a part of it) that is not a finite "
            f"number, the first at iteration {it:,}: the run trained on NaN or infinite values and its weights are "
            "lost. Fix: lower the learning rate, check the data for NaN (realdex validate), clip gradients, and "
            "resume from a checkpoint before that iteration", line))


def _trend(out: Learning, plan: dict[str, Any], start: dict[str, Any]) -> None:
    finite = [(it, loss, line) for it, loss, line in out.losses if loss is not None]
    values = [loss for _, loss, _ in finite]
    n = len(values)
    out.figures.update(losses=n, first_loss=values[0] if values else None, last_loss=values[-1] if values else None)
    short = f"not measurable: {n} finite loss value(s), the rule needs at least {MIN_SERIES}"
    if n >= MIN_SERIES:
        head, *middle, tail = _quarters(values)
        p_fall = _less(tail, head)
        # the loss's own noise, from the steps between neighbours (a trend hardly moves their median):
        # for independent noise of deviation s, |x[i+1] - x[i]| has median 0.6745 * sqrt(2) * s
        noise = median(abs(b - a) for a, b in zip(values, values[1:])) / (0.6745 * math.sqrt(2))
        fall = median(head) - median(tail)
        best = min((head, *middle), key=median)
        p_rise = _less(best, tail)
        rose = p_rise < ALPHA and _pct(tail, 0.25) > _pct(best, 0.75)
        out.figures.update(head_median=median(head), tail_median=median(tail), best_quarter_median=median(best),
                           p_decrease=p_fall, p_increase=p_rise, noise=noise)
        out.measured["RUN-DIVERGED"] = out.measured["RUN-NO-LEARNING"] = "measured"
        tail_line = finite[n - len(tail)][2]
        if rose:
            out.findings.append((
                "RUN-DIVERGED",
                f"the loss rose: the last quarter of the run's {n} loss values (median {median(tail):.4g}, from "
                f"iteration {finite[n - len(tail)][0]:,}) lies above its best earlier quarter (median "
                f"{median(best):.4g}), one-sided rank test p = {p_rise:.2g} < {ALPHA}, and their interquartile "
                "ranges do not overlap. Fix: lower the learning rate or add a schedule that decays it, clip "
                "gradients, and resume from the checkpoint where the loss was lowest", tail_line))
        elif p_fall >= ALPHA and fall <= NOISE_SIGMAS * noise:
            out.findings.append((
                "RUN-NO-LEARNING",
                f"the loss did not go down: the last quarter of the run's {n} loss values (median "
                f"{median(tail):.4g}) is not lower than the first quarter (median {median(head):.4g}): one-sided "
                f"rank test p = {p_fall:.2g}, not below {ALPHA}, and a fall of {fall:.3g}, not above "
                f"{NOISE_SIGMAS} times the loss's noise ({noise:.3g}). Fix: check that the optimizer steps the model's "
                "parameters and that the learning rate is not zero, and that the targets are not constant "
                "(zeroed rotations, realdex validate)", tail_line))
    else:
        out.measured["RUN-DIVERGED"] = out.measured["RUN-NO-LEARNING"] = short
    _memorised(out, finite, plan, start)


def _memorised(out: Learning, finite: list[tuple[int, float, int]], plan: dict[str, Any], start: dict[str, Any]) -> None:
    values = [loss for _, loss, _ in finite]
    if len(values) < 4:
        out.measured["RUN-MEMORISED"] = f"not measurable: {len(values)} finite loss value(s), the rule needs at least 4"
        return
    if values[0] <= 0 or min(values) < 0:
        out.measured["RUN-MEMORISED"] = "not measurable: a loss that is not positive has no zero to collapse to"
        return
    small, how = _capacity(start, plan)
    out.figures["capacity"] = how
    if small is None:
        out.measured["RUN-MEMORISED"] = f"not measurable: {how}"
        return
    out.measured["RUN-MEMORISED"] = "measured"
    tail = _quarters(values)[3]
    ratio = median(tail) / values[0]
    out.figures["collapse_ratio"] = ratio
    if small and ratio <= COLLAPSE:
        it, _, line = next(r for r in finite if r[1] <= COLLAPSE * values[0])
        per_pass = plan.get("iterations_per_epoch") or 0
        when = f", in pass {(it - 1) // per_pass + 1:,} of {plan.get('passes') or '?'}" if per_pass else ""
        out.findings.append((
            "RUN-MEMORISED",
            f"the model memorised its training set: the loss fell from {values[0]:.4g} to a median of "
            f"{median(tail):.4g} over the last quarter ({ratio:.1%} of its first value, at most {COLLAPSE:.0%} is a "
            f"collapse), first below a quarter at iteration {it:,}{when}, on a dataset far smaller than the model "
            f"({how}). A training loss this low says nothing about grasps it has not seen. Fix: train on the "
            "root's full data (realdex inspect: another layout may hold far more), or convert it (realdex convert)",
            line))


def _slowdown(out: Learning, events: list[dict[str, Any]], plan: dict[str, Any]) -> None:
    """Each segment against its own early steps: a resume may land on another machine or process
    whose speed differs from the first segment's, which is no slowdown of a running process."""
    firsts = set()  # the first metrics event of each segment carries its warm-up: not a steady step
    starts_at: list[int] = []
    seen_start = False
    for e in events:
        if e.get("event") == "run_start":
            seen_start = True
            starts_at.append(e["line"])
        elif e.get("event") == "metrics" and seen_start:
            firsts.add(e["line"])
            seen_start = False
    segments: dict[int, list[tuple]] = {}
    for it, step, line in out.step_times:
        if line not in firsts:
            segments.setdefault(sum(1 for s0 in starts_at if s0 < line), []).append((it, step, line))
    longest = max((len(v) for v in segments.values()), default=0)
    if longest < MIN_SERIES:
        out.measured["RUN-SLOWDOWN"] = (f"not measurable: {longest} step time(s) in the longest segment after its "
                                        f"first, the rule needs at least {MIN_SERIES}")
        return
    out.measured["RUN-SLOWDOWN"] = "measured"
    for steps in segments.values():
        if len(steps) >= MIN_SERIES and _slowdown_in(out, steps, plan):
            return


def _slowdown_in(out: Learning, steps: list[tuple], plan: dict[str, Any]) -> bool:
    n = len(steps)
    values = [s for _, s, _ in steps]
    early = median(_quarters(values)[0])
    w = max(MIN_WINDOW, math.ceil(WINDOW_FRACTION * n))
    out.figures.update(early_step_time=early, window=w)
    # windows after the first quarter, started every fifth of a window: a stretch of 1.2 windows is always inside one
    starts = list(range(n // 4, n - w + 1, max(1, w // 5)))
    medians = [median(values[i:i + w]) for i in starts]
    if not medians:
        return False
    out.figures["slowest_window_step_time"] = max(medians)
    slow = [i for i, m in zip(starts, medians) if m >= SLOWDOWN * early]
    if slow:
        first = slow[0]
        it0, it1 = steps[first][0], steps[first + w - 1][0]
        planned = plan.get("step_time")
        vs_plan = f"; the plan's step time is {planned:.4g} s" if isinstance(planned, (int, float)) else ""
        out.findings.append((
            "RUN-SLOWDOWN",
            f"the run slowed down: from iteration {it0:,} to {it1:,} ({w} metrics events) the median step took "
            f"{median(values[first:first + w]):.4g} s, {median(values[first:first + w]) / early:.2f} times the "
            f"{early:.4g} s of its segment's first quarter (at least {SLOWDOWN} times, sustained, is a finding){vs_plan}. "
            "Throughput fell: look for data loading that cannot keep up (more num_workers, data on a local disk), "
            "a throttled or shared device, or memory swapping", steps[first][2]))
    return bool(slow)
