"""Broken adapters for chapters 9 and 10 (planning, run log); the suite must reject each on the clause it breaks."""
from __future__ import annotations

import json
from pathlib import Path

from realdex_ref import planning
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


class LosesTheMessage(ReferenceAdapter):
    """Adds a finding the way `v.add(code, line)` does when the message argument is forgotten: the line number
    lands where the message goes, and the line is lost (found by mutation testing)."""

    name = "broken-loses-the-message"

    def check_run(self, path):
        return [dict(f, message=f["line"], line=None) if f["code"] == "RUN-PASS-JUMP" else f
                for f in super().check_run(path)]


LOSES_THE_MESSAGE = LosesTheMessage()
