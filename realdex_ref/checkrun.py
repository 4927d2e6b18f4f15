"""The run verdict (spec chapter 10): a run log read against its plan, every departure a finding.

It works on logs written by any trainer: it trusts the plan's logged inputs but recomputes its
counts (chapter 9), and reads only the events and fields chapter 10 defines.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from realdex_ref import batching, learning, planning
from realdex_ref.errors import PlanError
from realdex_ref.runlog import STOP_REASONS, LogError, read_log

# code -> clause of chapter 10 that defines it
CODES = {
    "RUN-WRONG-LAYOUT": "RUNLOG-7",
    "RUN-EMPTY-PASS": "RUNLOG-8",
    "RUN-RESUMED-FINISHED": "RUNLOG-9",
    "RUN-PASS-JUMP": "RUNLOG-10",
    "RUN-ENDED-EARLY": "RUNLOG-11",
    "RUN-NOT-FINISHED": "RUNLOG-11",
    "RUN-NO-END": "RUNLOG-11",
    "RUN-TOO-FAST": "RUNLOG-12",
    "RUN-CKPT-MISSING": "RUNLOG-13",
    "RUN-CKPT-EXTRA": "RUNLOG-13",
    "RUN-SAMPLES-MISMATCH": "RUNLOG-14",
    "RUN-PLAN-MISMATCH": "RUNLOG-15",
    **learning.CODES,  # learning progress and resource use, over metrics events (chapter 14)
}
_COUNTS = ("batches_per_epoch", "iterations_per_epoch", "passes", "iterations", "periodic_checkpoints",
           "checkpoints", "samples_seen")


@dataclass
class Verdict:
    path: str
    plan: dict[str, Any]
    findings: list[dict[str, Any]] = field(default_factory=list)
    iteration: int | None = None  # iterations completed at the end of the log
    wall_seconds: float = 0.0
    segments: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    learning: learning.Learning | None = None

    @property
    def clean(self) -> bool:
        return not self.findings

    def add(self, code: str, message: str, line: int | None = None) -> None:
        self.findings.append({"code": code, "clause": CODES[code], "message": message, "line": line})

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "clean": self.clean, "findings": self.findings, "iteration": self.iteration,
                "planned_iterations": self.plan["iterations"], "wall_seconds": self.wall_seconds,
                "segments": self.segments, "plan": self.plan,
                "learning": self.learning.as_dict() if self.learning else None}


def _segments(events: list[dict[str, Any]], path: Path) -> list[list[dict[str, Any]]]:
    if events[0]["event"] != "run_start":
        raise LogError(f"expected the log to begin with run_start, found {events[0]['event']!r}",
                       path=path, key=f"line {events[0]['line']}")
    segments: list[list[dict[str, Any]]] = []
    for e in events:
        if e["event"] == "run_start":
            segments.append([])
        segments[-1].append(e)
    return segments


def _plan(start: dict[str, Any], path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(plan recomputed from the logged inputs, plan as logged)."""
    logged = start.get("plan")
    where = f"line {start['line']}"
    if not isinstance(logged, dict):
        raise LogError(f"expected run_start to carry a 'plan' mapping (RUNLOG-2), found {logged!r}", path=path, key=where)
    inputs = planning.plan_inputs(logged)
    missing = [k for k in ("num_samples", "batch_size") if k not in inputs]
    if missing or not ({"passes", "max_iterations"} & inputs.keys()):
        raise LogError(
            "expected run_start's plan to carry its inputs num_samples, batch_size and passes or max_iterations "
            f"(RUNLOG-2); missing: {', '.join(missing) or 'passes/max_iterations'}", path=path, key=where)
    try:
        plan = planning.plan_run(**inputs, refuse_empty=False).as_dict()
    except (PlanError, TypeError, ValueError, OverflowError, ZeroDivisionError) as exc:
        raise LogError(f"the logged plan's inputs are not a plan: {exc}", path=path, key=where) from None
    return plan, logged


def verdict(path: str | Path) -> Verdict:
    """Read the run log at ``path`` and judge it; ``LogError`` (a ValueError) when it cannot be read."""
    path = Path(path)
    events = read_log(path)
    segments = _segments(events, path)
    plan, logged = _plan(segments[-1][0], path)
    v = Verdict(str(path), plan, segments=len(segments), events=events)
    first_line = segments[0][0]["line"]

    for key in _COUNTS:
        if key == "passes" and logged.get("max_iterations") is not None:
            continue  # the input (null, or the passes asked for) or the passes begun: the same plan (RUNLOG-2)
        if key in logged and logged[key] != plan[key]:
            v.add("RUN-PLAN-MISMATCH", f"the logged plan has {key}={logged[key]!r}, but its inputs give "
                  f"{plan[key]!r}; the trainer's plan arithmetic differs from chapter 9", segments[-1][0]["line"])

    try:
        _check_layout(v, segments)
        _check_empty(v, plan, events, first_line)
        _check_resumes(v, plan, segments)
        _check_passes(v, plan, segments)
        reason, claims_done = _check_end(v, plan, segments)
        _check_time(v, plan, segments, claims_done)
        _check_checkpoints(v, plan, events, claims_done)
        _check_samples(v, plan, events, claims_done)
        v.learning = learning.assess(events, plan, segments[-1][0])
    except (TypeError, AttributeError, KeyError, ValueError, ZeroDivisionError, OverflowError) as exc:
        # a hostile log whose fields have types or values no trainer writes: refused, naming the file
        raise LogError(f"expected the fields chapter 10 defines, with their types; a field holds something else "
                       f"({type(exc).__name__}: {str(exc)[:200]})", path=path) from None
    for code, message, line in v.learning.findings:
        v.add(code, message, line)
    return v


def check_run(path: str | Path) -> list[dict[str, Any]]:
    """The findings of the verdict on the run log at ``path`` (the adapter's ``runlog`` member)."""
    return verdict(path).findings


def _check_layout(v: Verdict, segments: list[list[dict[str, Any]]]) -> None:
    for seg in segments:
        start = seg[0]
        ds = start.get("dataset")
        if not isinstance(ds, dict) or not isinstance(ds.get("counts") or {}, dict):
            continue  # a log of a trainer that records no dataset: nothing to compare
        layout, counts = ds.get("layout"), ds.get("counts") or {}
        trained = ds.get("samples", counts.get(layout) if isinstance(layout, str) else None)
        if not isinstance(trained, int):
            continue
        others = {k: n for k, n in counts.items() if k != layout and isinstance(n, int) and n > trained}
        if others:
            best = max(others, key=others.get)
            v.add("RUN-WRONG-LAYOUT",
                  f"the run trained on {trained:,} sample(s) of layout {layout!r} while {others[best]:,} sample(s) "
                  f"in layout {best!r} sit under {ds.get('root', 'the same root')}; fix: train on {best!r} "
                  f"(the loader must read that layout) or convert it to {layout!r} (realdex convert)", start["line"])
            return  # every segment of a run reads the same root: once is enough


def _check_empty(v: Verdict, plan: dict[str, Any], events: list[dict[str, Any]], line: int) -> None:
    empty = [e for e in events if e["event"] == "epoch_end" and e.get("batches") == 0]
    if plan["batches_per_epoch"] and not empty:
        return
    why = ""
    try:
        batching.check_plan(batching.batch_plan(plan["num_samples"], plan["batch_size"], plan["world_size"],
                                                plan["drop_last"]))
    except PlanError as exc:
        why = f" {exc}"
    ends = sum(1 for e in events if e["event"] == "epoch_end")
    what = f"{len(empty)} of {ends} logged pass(es) had 0 batches" if empty else "the plan has 0 batches per pass"
    if empty and not why:  # the plan has batches: this pass's loader gave none, wherever in the run it fell
        shown = ", ".join(f"{e.get('pass')} (line {e['line']})" for e in empty[:8])
        why = (f" pass(es) {shown}, where the plan has {plan['batches_per_epoch']:,} batch(es) per pass; the loader "
               "yielded nothing for them (an iterator used up by an earlier pass, a loader state restored at the end "
               "of a pass on resume). Fix: make a fresh iterator each pass and restore only a position inside a pass.")
    v.add("RUN-EMPTY-PASS", what + (":" + why if why else "."), empty[0]["line"] if empty else line)


def _check_resumes(v: Verdict, plan: dict[str, Any], segments: list[list[dict[str, Any]]]) -> None:
    for seg in segments:
        start = seg[0]
        resume = start.get("resume")
        if not isinstance(resume, dict) or not isinstance(resume.get("iteration"), int):
            continue
        if _says_already_complete(seg):
            continue  # a finished run resumed again (a kill after run_end) that did nothing and said so
        if resume["iteration"] >= plan["iterations"] and plan["iterations"] > 0:
            v.add("RUN-RESUMED-FINISHED",
                  f"this segment resumed from {resume.get('checkpoint', 'a checkpoint')} at iteration "
                  f"{resume['iteration']:,}, at or past the plan's last iteration {plan['iterations']:,}: the run "
                  "was already finished and the loop had nothing to do; fix: start in a fresh run folder, or raise "
                  "the passes to train further", start["line"])


def _says_already_complete(seg: list[dict[str, Any]]) -> bool:
    """A segment of run_start and run_end alone, whose reason is ``already-complete`` (TRAIN-8)."""
    ends = [e for e in seg if e["event"] == "run_end"]
    return bool(ends) and ends[-1].get("reason") == "already-complete" and \
        all(e["event"] in ("run_start", "run_end") for e in seg)


def _step_epoch(config: Any) -> int | None:
    """RealDex's ``freq.step_epoch``, nested or dotted, to name an epoch counter in a finding."""
    if not isinstance(config, dict):
        return None
    freq = config.get("freq")
    value = freq.get("step_epoch") if isinstance(freq, dict) else config.get("freq.step_epoch")
    return value if isinstance(value, int) and value > 0 else None


def _allowed_pass(iteration: int, per_pass: int) -> int:
    """The highest pass index consistent with ``iteration`` completed iterations (RUNLOG-10)."""
    return -(-iteration // per_pass)


def _check_passes(v: Verdict, plan: dict[str, Any], segments: list[list[dict[str, Any]]]) -> None:
    per_pass = plan["iterations_per_epoch"]
    last_pass: int | None = None
    for seg in segments:
        start = seg[0]
        resume = start.get("resume")
        step_epoch = _step_epoch(start.get("config"))
        if per_pass and isinstance(resume, dict) and isinstance(resume.get("pass"), int) \
                and isinstance(resume.get("iteration"), int):
            p, it = resume["pass"], resume["iteration"]
            if p > _allowed_pass(it, per_pass):
                hint = ""
                if step_epoch and it // step_epoch == p:
                    hint = f" It equals iteration // step_epoch ({it:,} // {step_epoch}): an epoch counter used as a pass."
                v.add("RUN-PASS-JUMP",
                      f"the segment resumed at pass {p} from iteration {it:,}, but {it:,} iterations are "
                      f"{it / per_pass:.2f} passes of {per_pass} iterations, so the pass is at most "
                      f"{_allowed_pass(it, per_pass)}.{hint} Fix: resume at pass = iteration // {per_pass}.",
                      start["line"])
        for e in seg:
            if e["event"] != "epoch_start" or not isinstance(e.get("pass"), int):
                continue
            p, it = e["pass"], e.get("iteration")
            if last_pass is not None and p > last_pass + 1:
                v.add("RUN-PASS-JUMP", f"pass {p} follows pass {last_pass}: {p - last_pass - 1} pass(es) skipped "
                      "(a pass index must count passes over the data, one at a time)", e["line"])
            elif per_pass and isinstance(it, int) and p > _allowed_pass(it, per_pass):
                v.add("RUN-PASS-JUMP", f"pass {p} starts after {it:,} iterations, which are only "
                      f"{it / per_pass:.2f} passes of {per_pass} iterations (the pass index counts something "
                      "else, such as an epoch counter)", e["line"])
            last_pass = p


def _check_end(v: Verdict, plan: dict[str, Any], segments: list[list[dict[str, Any]]]) -> tuple[str | None, bool]:
    last = segments[-1]
    iterations = [e["iteration"] for e in last if isinstance(e.get("iteration"), int)]
    ends = [e for e in last if e["event"] == "run_end"]
    if not ends:
        v.iteration = max(iterations, default=None)
        v.add("RUN-NO-END", "the last segment has no run_end: the run is still going, or died without a word "
              f"(last event at line {last[-1]['line']}); a trainer logs run_end with a reason even on error",
              last[-1]["line"])
        return None, False
    end = ends[-1]
    reason = end.get("reason")
    reached = end.get("iteration") if isinstance(end.get("iteration"), int) else max(iterations, default=0)
    v.iteration = reached
    allows_early = STOP_REASONS.get(reason, ("", False))[1]
    if reached < plan["iterations"]:
        if allows_early:
            v.add("RUN-NOT-FINISHED", f"the run stopped at iteration {reached:,} of {plan['iterations']:,} "
                  f"for the reason {reason!r}; resume it to finish the plan", end["line"])
            return reason, False
        v.add("RUN-ENDED-EARLY",
              f"the run ended at iteration {reached:,} of {plan['iterations']:,} planned "
              f"({reached / plan['iterations']:.1%}) with reason {reason!r}, which claims it is done; look for an "
              "empty loader, a resume past the end or a pass counter in the wrong unit", end["line"])
    return reason, not allows_early


def _check_time(v: Verdict, plan: dict[str, Any], segments: list[list[dict[str, Any]]], claims_done: bool) -> None:
    v.wall_seconds = sum(seg[-1]["time"] - seg[0]["time"] for seg in segments)
    low = plan.get("expected_seconds_low")
    if claims_done and low is not None and v.wall_seconds < low:
        v.add("RUN-TOO-FAST",
              f"the run claims to be done after {v.wall_seconds:,.1f} s, below the model's lower bound of "
              f"{low:,.1f} s (expected {plan['expected_seconds']:,.1f} s for {plan['iterations']:,} iterations at "
              f"{plan['step_time']:.4g} s each); it cannot have done the planned work", segments[-1][-1]["line"])


def _summary(iterations: list[int]) -> str:
    shown = ", ".join(f"{i:,}" for i in iterations[:8])
    return shown + (f" and {len(iterations) - 8} more" if len(iterations) > 8 else "")


def _check_checkpoints(v: Verdict, plan: dict[str, Any], events: list[dict[str, Any]], claims_done: bool) -> None:
    """Counted, not listed: a plan may have 10^15 periodic checkpoints, the log only what it holds."""
    reached = v.iteration or 0
    every = plan["ckpt_every"]
    last = min(reached, plan["iterations"])
    periodic = last // every if every and every > 0 and last > 0 else 0

    def is_periodic(i: int) -> bool:
        return periodic > 0 and 0 < i <= last and i % every == 0

    special = set()  # iterations planned beside the periodic ones: the final one
    if claims_done and not is_periodic(reached):
        special.add(reached)
    # a segment that stops early may save where it stopped (TRAIN-9): that checkpoint is not extra, and
    # its absence is no finding (RUNLOG-13 plans only the periodic and final ones; a crash saves nothing)
    stopped = set()
    for e in events:
        if e["event"] == "run_end" and e.get("status") == "aborted" and isinstance(e.get("iteration"), int) \
                and not is_periodic(e["iteration"]) and e["iteration"] not in special:
            stopped.add(e["iteration"])
    ckpts = [e for e in events if e["event"] == "checkpoint" and isinstance(e.get("iteration"), int)]
    logged: Counter = Counter()
    for e in events:  # a segment resumed from iteration R redoes what came after R: those are logged anew
        resume = e.get("resume") if e["event"] == "run_start" else None
        if isinstance(resume, dict) and isinstance(resume.get("iteration"), int):
            for i in [i for i in logged if i > resume["iteration"]]:
                del logged[i]
        elif e["event"] == "checkpoint" and isinstance(e.get("iteration"), int):
            logged[e["iteration"]] += 1
    # a segment resumed from a checkpoint proves it was published, even when a kill came between
    # its rename and its log line: it is not missing
    planned = lambda i: is_periodic(i) or i in special or i in stopped  # noqa: E731
    for e in events:
        resume = e.get("resume") if e["event"] == "run_start" else None
        at = resume.get("iteration") if isinstance(resume, dict) else None
        if isinstance(at, int) and at not in logged and planned(at):
            logged[at] = 1
    extra = sorted(i for i, n in logged.items() for _ in range(n - 1 if planned(i) else n))
    missing_count = periodic + len(special) - sum(1 for i in logged if is_periodic(i) or i in special)
    if missing_count > 0:
        missing: list[int] = []
        k = 1
        while len(missing) < 8 and k <= periodic:  # at most len(logged) + 8 steps
            if k * every not in logged:
                missing.append(k * every)
            k += 1
        missing = sorted(missing + [i for i in special if i not in logged])[:8]
        shown = ", ".join(f"{i:,}" for i in missing) + (f" and {missing_count - len(missing)} more"
                                                         if missing_count > len(missing) else "")
        v.add("RUN-CKPT-MISSING", f"{missing_count} planned checkpoint(s) not logged, at iteration(s) "
              f"{shown} (one every {every} iterations and a final one)" if every else
              f"the final checkpoint at iteration {missing[0]:,} was not logged", None)
    if extra:
        line = next(e["line"] for e in ckpts if e["iteration"] == extra[0])
        v.add("RUN-CKPT-EXTRA", f"{len(extra)} checkpoint(s) the plan does not have, or written twice, at "
              f"iteration(s) {_summary(extra)}", line)


def _check_samples(v: Verdict, plan: dict[str, Any], events: list[dict[str, Any]], claims_done: bool) -> None:
    if not claims_done:
        return
    per_pass: dict[Any, int] = {}
    for e in events:  # a pass logged again after a resume counts once, as last logged
        if e["event"] == "epoch_end" and isinstance(e.get("samples_seen"), int):
            per_pass[e.get("pass")] = e["samples_seen"]
    seen = sum(per_pass.values())
    if seen != plan["samples_seen"]:
        v.add("RUN-SAMPLES-MISMATCH", f"the passes logged drew {seen:,} sample(s), the plan {plan['samples_seen']:,} "
              f"({plan['passes']} pass(es) of {plan['samples_per_epoch']:,})", None)
