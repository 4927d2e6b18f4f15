"""Broken adapters for chapters 9 and 10 (planning, run log); the suite must reject each on the clause it breaks."""
from __future__ import annotations

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
