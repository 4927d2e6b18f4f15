"""The suite rejects each broken adapter of chapters 9 and 10 on the clause it breaks, and passes the reference."""
from __future__ import annotations

import pytest

from tests.kit import assert_rejected, run_suite

PLANNING, RUNLOG = "conformance/test_planning.py", "conformance/test_runlog.py"

# (broken adapter, conformance module, the clauses it must fail on)
CASES = [
    ("tests.broken.planning:FLOOR_FOR_CEIL", PLANNING, {"PLAN-2"}),
    ("tests.broken.planning:FINAL_COUNTED_TWICE", PLANNING, {"PLAN-6"}),
    ("tests.broken.planning:PASSES_MIXED", PLANNING, {"PLAN-4"}),
    ("tests.broken.planning:IGNORES_WRONG_LAYOUT", RUNLOG, {"RUNLOG-7"}),
    ("tests.broken.planning:IGNORES_EMPTY_PASS", RUNLOG, {"RUNLOG-8"}),
    ("tests.broken.planning:IGNORES_RESUMED_FINISHED", RUNLOG, {"RUNLOG-9"}),
    ("tests.broken.planning:IGNORES_PASS_JUMP", RUNLOG, {"RUNLOG-10"}),
    ("tests.broken.planning:TRUSTS_ONLY_LOG_LINES", RUNLOG, {"RUNLOG-9", "RUNLOG-13"}),
    ("tests.broken.planning:COMPARES_LOGGED_PASSES", RUNLOG, {"RUNLOG-2", "RUNLOG-15"}),
    # max_iterations with gradient accumulation: samples_seen in the wrong unit (issue 12)
    ("tests.broken.planning:CUT_PASS_IN_ITERATIONS", PLANNING, {"PLAN-8"}),
    ("tests.broken.planning:SAMPLES_FROM_GLOBAL_BATCH", PLANNING, {"PLAN-8"}),
    ("tests.broken.planning:VERDICT_PLANS_CUT_PASS_IN_ITERATIONS", RUNLOG, {"RUNLOG-14", "RUNLOG-15"}),
    # run logs of several segments: one part of the log judged as the whole run (issue 12)
    ("tests.broken.planning:WALL_TIME_SPANS_PAUSES", RUNLOG, {"RUNLOG-12"}),
    ("tests.broken.planning:WALL_TIME_OF_LAST_SEGMENT", RUNLOG, {"RUNLOG-12"}),
    ("tests.broken.planning:STOP_CHECKPOINTS_EXTRA", RUNLOG, {"RUNLOG-13"}),
    ("tests.broken.planning:EMPTY_PASS_OF_LAST_SEGMENT", RUNLOG, {"RUNLOG-8"}),
    ("tests.broken.planning:EMPTY_PASS_BY_TOTALS", RUNLOG, {"RUNLOG-8"}),
    ("tests.broken.planning:LOSES_THE_MESSAGE", RUNLOG, {"RUNLOG-17"}),  # found by mutation testing
    ("tests.broken.planning:LOSES_THE_LINE", RUNLOG, {"RUNLOG-6"}),  # found by mutation testing
]


@pytest.mark.parametrize("impl, module, clauses", CASES, ids=[c[0].split(":")[1].lower() for c in CASES])
def test_suite_rejects_broken_adapter(impl, module, clauses):
    assert_rejected(impl, (module,), clauses)


@pytest.mark.parametrize("module", [PLANNING, RUNLOG])
def test_suite_passes_the_reference(module):
    run = run_suite("realdex_ref", module)
    assert run.returncode == 0 and run.passed(), f"the reference must pass {module}:\n{run.describe()}"
