"""Broken adapters for chapters 9 and 10 (planning, run log); the suite must reject each on the clause it breaks."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from unittest import mock

from realdex_ref import checkrun, planning
from realdex_ref.adapter import ReferenceAdapter


class FloorForCeil(ReferenceAdapter):
    """Counts batches per pass with floor even when the last partial batch is kept (drop_last false)."""

    name = "broken-floor-for-ceil"

    def plan_run(self, num_samples, batch_size, passes=None, max_iterations=None, drop_last=False, **kw):
        plan = super().plan_run(num_samples, batch_size, passes, max_iterations, drop_last=True, **kw)
        plan["drop_last"] = drop_last
        return plan


class FinalCountedTwice(ReferenceAdapter):
    """Adds the final checkpoint to the periodic ones even when it is the last periodic one."""

    name = "broken-final-counted-twice"

    def plan_run(self, *args, **kw):
        plan = super().plan_run(*args, **kw)
        plan["checkpoints"] = plan["periodic_checkpoints"] + 1
        return plan


class PassesMixedWithIterations(ReferenceAdapter):
    """Reads a maximum of iterations as a number of passes (the units mixed)."""

    name = "broken-passes-mixed-with-iterations"

    def plan_run(self, num_samples, batch_size, passes=None, max_iterations=None, **kw):
        if max_iterations is not None:
            passes, max_iterations = max_iterations if passes is None else min(passes, max_iterations), None
        return super().plan_run(num_samples, batch_size, passes, max_iterations, **kw)


class Ignores(ReferenceAdapter):
    """A run checker blind to one finding code: the suite must notice the cause it then misses."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.name = f"broken-ignores-{code.lower()}"

    def check_run(self, path):
        return [f for f in super().check_run(path) if f["code"] != self.code]


FLOOR_FOR_CEIL = FloorForCeil()
FINAL_COUNTED_TWICE = FinalCountedTwice()
PASSES_MIXED = PassesMixedWithIterations()
IGNORES_WRONG_LAYOUT = Ignores("RUN-WRONG-LAYOUT")
IGNORES_EMPTY_PASS = Ignores("RUN-EMPTY-PASS")
IGNORES_RESUMED_FINISHED = Ignores("RUN-RESUMED-FINISHED")
IGNORES_PASS_JUMP = Ignores("RUN-PASS-JUMP")


class TrustsOnlyLogLines(ReferenceAdapter):
    """Judges checkpoints and resumes by log lines alone: a finished run resumed again (already-complete)
    is 'resumed finished', a checkpoint resumed from but never logged is 'missing', and checkpoints redone
    after a resume from an earlier one are 'extra'."""

    name = "broken-trusts-only-log-lines"

    def check_run(self, path):
        from realdex_ref.runlog import read_log

        findings = list(super().check_run(path))
        events = read_log(path)
        plan = next(e for e in reversed(events) if e["event"] == "run_start")["plan"]
        every, total = plan.get("ckpt_every"), plan.get("iterations", 30)
        resumes = [e["resume"] for e in events if e["event"] == "run_start" and isinstance(e.get("resume"), dict)]
        if any(r.get("iteration", 0) >= total for r in resumes):
            findings.append({"code": "RUN-RESUMED-FINISHED", "clause": "RUNLOG-9", "message": "resumed", "line": None})
        logged = [e["iteration"] for e in events if e["event"] == "checkpoint"]
        if every and any(i not in logged for i in range(every, total + 1, every)):
            findings.append({"code": "RUN-CKPT-MISSING", "clause": "RUNLOG-13", "message": "missing", "line": None})
        if len(logged) != len(set(logged)):
            findings.append({"code": "RUN-CKPT-EXTRA", "clause": "RUNLOG-13", "message": "twice", "line": None})
        return findings


TRUSTS_ONLY_LOG_LINES = TrustsOnlyLogLines()


class ComparesLoggedPasses(ReferenceAdapter):
    """Holds a logged plan's `passes` to the passes begun even when max_iterations cuts the run: a trainer that logs
    the input (null, or the passes asked for) gets RUN-PLAN-MISMATCH for a plan it followed exactly."""

    name = "broken-compares-logged-passes"

    def check_run(self, path):
        findings = super().check_run(path)
        log = Path(path) / "run.jsonl" if Path(path).is_dir() else Path(path)
        starts = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if '"run_start"' in line]
        logged = starts[-1]["plan"]
        begun = planning.plan_run(**planning.plan_inputs(logged), refuse_empty=False).as_dict()["passes"]
        if logged.get("passes") != begun and not any(f["code"] == "RUN-PLAN-MISMATCH" for f in findings):
            findings.append({"code": "RUN-PLAN-MISMATCH", "line": None,
                             "message": f"the logged plan has passes={logged.get('passes')!r}, its inputs give {begun}"})
        return findings


COMPARES_LOGGED_PASSES = ComparesLoggedPasses()


class CutPassInIterations(ReferenceAdapter):
    """Counts the samples of a pass cut short by max_iterations as one batch per iteration: the units
    mixed (an iteration taken for a batch), so gradient accumulation drops out of samples_seen."""

    name = "broken-cut-pass-in-iterations"

    def plan_run(self, *args, **kw):
        plan = super().plan_run(*args, **kw)
        whole, cut = divmod(plan["iterations"], plan["iterations_per_epoch"] or 1)
        plan["samples_seen"] = whole * plan["samples_per_epoch"] + cut * plan["batch_size"] * plan["world_size"]
        return plan


class SamplesFromGlobalBatch(ReferenceAdapter):
    """Under max_iterations, counts samples_seen as iterations x the global batch (grad_accum x batch x ranks):
    every iteration taken for a full accumulation, the short last iteration and batch of each pass forgotten."""

    name = "broken-samples-from-global-batch"

    def plan_run(self, *args, **kw):
        plan = super().plan_run(*args, **kw)
        if plan["max_iterations"] is not None:
            plan["samples_seen"] = plan["iterations"] * plan["grad_accum"] * plan["batch_size"] * plan["world_size"]
        return plan


CUT_PASS_IN_ITERATIONS = CutPassInIterations()
SAMPLES_FROM_GLOBAL_BATCH = SamplesFromGlobalBatch()


# --- run logs of several segments (issue 12): each checker judges one part of the log as the whole run ------

class _PatchedCheck(ReferenceAdapter):
    """The reference's verdict with one of its checks (``checkrun.<CHECK>``) replaced by ``patched``."""

    CHECK = ""

    def patched(self, original, *args):
        raise NotImplementedError

    def check_run(self, path):
        original = getattr(checkrun, self.CHECK)
        with mock.patch.object(checkrun, self.CHECK, lambda *args: self.patched(original, *args)):
            return super().check_run(path)


class WallTimeSpansPauses(_PatchedCheck):
    """Takes the run's wall time as its last event's time minus its first: the pause between an interruption and
    its resume counts as training, so segments far too fast for the plan pass as a run of a day."""

    name = "broken-wall-time-spans-pauses"
    CHECK = "_check_time"

    def patched(self, original, v, plan, segments, claims_done):
        return original(v, plan, [[e for seg in segments for e in seg]], claims_done)


class WallTimeOfLastSegment(_PatchedCheck):
    """Takes the last segment's time for the run's: a run resumed once is judged on its second half alone."""

    name = "broken-wall-time-of-last-segment"
    CHECK = "_check_time"

    def patched(self, original, v, plan, segments, claims_done):
        return original(v, plan, segments[-1:], claims_done)


class StopCheckpointsExtra(_PatchedCheck):
    """Holds every checkpoint to the plan's periodic and final ones: the checkpoint an interrupted segment saves
    where it stopped (TRAIN-9) is reported as extra, as if the segment's end said nothing."""

    name = "broken-stop-checkpoints-extra"
    CHECK = "_check_checkpoints"

    def patched(self, original, v, plan, events, claims_done):
        blind = [{**e, "status": "success"} if e["event"] == "run_end" else e for e in events]
        return original(v, plan, blind, claims_done)


class EmptyPassOfLastSegment(_PatchedCheck):
    """Looks for empty passes in the last segment only, the one that ended the run."""

    name = "broken-empty-pass-of-last-segment"
    CHECK = "_check_empty"

    def patched(self, original, v, plan, events, line):
        last = max(i for i, e in enumerate(events) if e["event"] == "run_start")
        return original(v, plan, events[last:], line)


class EmptyPassByTotals(_PatchedCheck):
    """Reports an empty pass only when the run as a whole drew no batch: one empty pass among full ones is lost."""

    name = "broken-empty-pass-by-totals"
    CHECK = "_check_empty"

    def patched(self, original, v, plan, events, line):
        drawn = sum(e.get("batches") or 0 for e in events if e["event"] == "epoch_end")
        return original(v, plan, events if drawn == 0 else [], line)


WALL_TIME_SPANS_PAUSES = WallTimeSpansPauses()
WALL_TIME_OF_LAST_SEGMENT = WallTimeOfLastSegment()
STOP_CHECKPOINTS_EXTRA = StopCheckpointsExtra()
EMPTY_PASS_OF_LAST_SEGMENT = EmptyPassOfLastSegment()
EMPTY_PASS_BY_TOTALS = EmptyPassByTotals()


class VerdictPlansCutPassInIterations(ReferenceAdapter):
    """The reference's verdict over the planner of ``CutPassInIterations``: a run cut by max_iterations under
    gradient accumulation that drew what its plan says is held to a plan with too few samples."""

    name = "broken-verdict-plans-cut-pass-in-iterations"

    def check_run(self, path):
        original = planning.plan_run

        def plan_run(*args, **kw):
            plan = original(*args, **kw)
            whole, cut = divmod(plan.iterations, plan.iterations_per_epoch or 1)
            return dataclasses.replace(plan, samples_seen=whole * plan.samples_per_epoch
                                       + cut * plan.batch_size * plan.world_size)

        with mock.patch.object(planning, "plan_run", plan_run):
            return super().check_run(path)


VERDICT_PLANS_CUT_PASS_IN_ITERATIONS = VerdictPlansCutPassInIterations()


class LosesTheMessage(ReferenceAdapter):
    """Adds a finding the way `v.add(code, line)` does when the message argument is forgotten: the line number
    lands where the message goes, and the line is lost (found by mutation testing)."""

    name = "broken-loses-the-message"

    def check_run(self, path):
        return [dict(f, message=f["line"], line=None) if f["code"] == "RUN-PASS-JUMP" else f
                for f in super().check_run(path)]


LOSES_THE_MESSAGE = LosesTheMessage()


class LosesTheLine(ReferenceAdapter):
    """Reports the wrong layout without the line of the run_start that records it (found by mutation testing)."""

    name = "broken-loses-the-line"

    def check_run(self, path):
        return [dict(f, line=None) if f["code"] == "RUN-WRONG-LAYOUT" else f for f in super().check_run(path)]


LOSES_THE_LINE = LosesTheLine()
