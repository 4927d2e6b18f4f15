"""The conformance record under pytest-xdist (REPORT-11): ``-n 2`` reports what a serial run reports.

The same modules run twice against a broken planner (so that the record has failures, skips
and passes, and the levels are not all reached), once in one process and once in two workers;
the reports must agree on everything but timings, dates and the command line.
"""
from __future__ import annotations

import pytest

from tests.kit import run_suite

pytest.importorskip("xdist", reason="pytest-xdist is part of the kit's test extra")

MODULES = ("conformance/test_planning.py", "conformance/test_adapter.py", "conformance/test_sample.py")
IMPL = "tests.broken.planning:FLOOR_FOR_CEIL"
# the kit's seed is chosen per run; fixed here so that both runs draw the same examples
SAME = ("--conformance-seed=12345", "--conformance-levels")


def _comparable(doc: dict) -> dict:
    tests = sorted((t["id"], t["outcome"], tuple(t["clauses"]), t["message"], "reproduce" in t) for t in doc["tests"])
    return {"tests": tests, "summary": doc["summary"], "levels": doc["levels"], "chapters": doc["chapters"],
            "xfails": doc["xfails"], "complete": doc["run"]["complete"], "partial": doc["run"]["partial"],
            "hypothesis": doc["hypothesis"], "exit_status": doc["exit_status"]}


@pytest.mark.clause("REPORT-11")
def test_two_workers_report_what_one_process_reports():
    serial = run_suite(IMPL, *MODULES, extra=SAME)
    spread = run_suite(IMPL, *MODULES, extra=(*SAME, "-n", "2"))
    assert serial.tests and serial.failed(), f"expected the serial run to record failures, found:\n{serial.describe()}"
    assert spread.document["run"]["workers"] == 2, f"expected the report to say 2 workers, found {spread.document['run']}"
    a, b = _comparable(serial.document), _comparable(spread.document)
    for key in a:
        assert a[key] == b[key], f"expected -n 2 to report the same {key} as a serial run:\nserial: {a[key]}\n-n 2:   {b[key]}"
    assert spread.returncode == serial.returncode == 1, (
        f"expected both runs to fail (exit 1), found serial {serial.returncode}, -n 2 {spread.returncode}"
    )
    assert "RealDex conformance levels" in spread.output, f"expected the levels printed by the controller:\n{spread.output[-2000:]}"
