"""Partial runs, required levels and the kit's golden files (spec chapter 12: REPORT-5, 12, 13)."""
from __future__ import annotations

import hashlib
import importlib.util

import pytest

from realdex_conformance import golden
from tests.kit import run_suite

PLANNING, RUNLOG = "conformance/test_planning.py", "conformance/test_runlog.py"
READER = ("conformance/test_sample.py", "conformance/test_layouts.py", "conformance/test_equivalence.py")
BROKEN_PLANNER = "tests.broken.planning:FLOOR_FOR_CEIL"


@pytest.mark.clause("REPORT-13")
def test_one_test_rerun_ends_in_one_line_not_the_coverage():
    run = run_suite("realdex_ref", f"{PLANNING}::test_eight_samples_make_one_batch_per_pass_and_no_periodic_checkpoint")
    assert run.returncode == 0, f"expected the test to pass:\n{run.describe()}"
    assert "a partial run (" in run.output and "tests selected by node id" in run.output, (
        f"expected one line saying the run is partial and why, found:\n{run.output[-1500:]}"
    )
    assert "not checked:" not in run.output and "RealDex conformance levels" not in run.output, (
        f"expected no coverage list and no levels for a partial run, found:\n{run.output[-3000:]}"
    )
    assert run.document["run"]["complete"] is False and run.document["run"]["partial"], (
        f"expected the report to call the run partial, with reasons, found {run.document['run']}"
    )


@pytest.mark.clause("REPORT-13")
def test_tests_collected_but_not_run_are_named_so_not_missing():
    run = run_suite(BROKEN_PLANNER, PLANNING, RUNLOG, extra=("-x", "--conformance-levels"))
    assert run.returncode == 1, f"expected the run to stop on the first failure (exit 1):\n{run.describe()}"
    unrun = [t for t in run.tests if t["outcome"] == "not run"]
    assert unrun and any(t["id"].startswith("test_runlog.py::") for t in unrun), (
        f"expected the run log's tests in the report as 'not run', found {[(t['id'], t['outcome']) for t in run.tests][:10]}"
    )
    planner = next(level for level in run.document["levels"] if level["name"] == "planner")
    assert "RUNLOG" in planner["chapters_not_run"], f"expected RUNLOG among the chapters collected but not run: {planner}"
    assert "the tests of RUNLOG were collected but did not run" in run.output, (
        f"expected the levels to say the run log's tests did not run, not that none was collected:\n{run.output[-2500:]}"
    )
    assert "-x, --maxfail" in " ".join(run.document["run"]["partial"]), f"expected the reason, found {run.document['run']}"


@pytest.mark.clause("REPORT-5")
def test_require_level_fails_a_run_that_does_not_reach_it():
    passing_but_partial = run_suite("realdex_ref", PLANNING, extra=("--require-level=planner",))
    assert all(t["outcome"] in ("passed", "skipped") for t in passing_but_partial.tests), passing_but_partial.describe()
    assert passing_but_partial.returncode == 1, (
        f"expected exit 1: the planner level is not assessed by chapter 9 alone, found {passing_but_partial.returncode}"
    )
    assert "--require-level=planner: planner: not assessed" in passing_but_partial.output, (
        f"expected the reason printed, found:\n{passing_but_partial.output[-1500:]}"
    )
    reached = run_suite("realdex_ref", *READER, extra=("--require-level=reader",))
    assert reached.returncode == 0, f"expected exit 0: the reference reaches the reader level\n{reached.describe()}"


@pytest.mark.clause("REPORT-5")
def test_an_unknown_level_is_a_usage_error():
    run = run_suite("realdex_ref", PLANNING, extra=("--require-level=writer",))
    assert run.returncode == 4 and "no such level; the levels are reader, loader, planner, trainer" in run.output, (
        f"expected a usage error naming the levels, found exit {run.returncode}:\n{run.output[-1500:]}"
    )


def _digests() -> dict[str, str]:
    return {str(p.relative_to(golden.GOLDEN_DIR)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(golden.GOLDEN_DIR.rglob("*.json"))}


@pytest.mark.clause("REPORT-12")
def test_a_run_against_a_broken_planner_never_touches_the_golden_files():
    before = _digests()
    assert before, f"expected the kit's golden files under {golden.GOLDEN_DIR}"
    update = ("--snapshot-update",) if importlib.util.find_spec("syrupy") else ()  # syrupy's, where installed
    run = run_suite(BROKEN_PLANNER, PLANNING, extra=("-k", "users_table or eight_samples", *update))
    after = _digests()
    assert after == before, f"expected the golden files unchanged, these changed or went: {set(before.items()) ^ set(after.items())}"
    keep_last = [t for t in run.tests if t["id"] == "test_planning.py::test_the_users_table[keep-last]"]
    assert keep_last and keep_last[0]["outcome"] == "failed", (
        f"expected the broken planner to fail the user's table under --snapshot-update too:\n{run.describe()}"
    )


@pytest.mark.clause("REPORT-12")
def test_only_the_kits_developers_rewrite_golden_files():
    run = run_suite(BROKEN_PLANNER, PLANNING, extra=("--conformance-update-golden",))
    assert run.returncode == 4 and "only in a git checkout of the kit, against the reference" in run.output, (
        f"expected --conformance-update-golden refused against another implementation, found exit {run.returncode}:\n"
        f"{run.output[-1500:]}"
    )


@pytest.mark.clause("REPORT-12")
def test_golden_comparison_tolerates_float_noise_and_catches_changes():
    assert golden._same({"a": [1.0, 2]}, {"a": [1.0 + 1e-9, 2]}), "expected float noise of 1e-9 to compare equal"
    assert not golden._same({"a": [1.0, 2]}, {"a": [1.001, 2]}), "expected a change of 1e-3 to be a difference"
    assert not golden._same({"a": 1}, {"a": 1, "b": 2}), "expected an extra key to be a difference"
    assert not golden._same({"a": True}, {"a": 1}), "expected True and 1 to differ"
    assert not golden._same(["x"], ["y"]), "expected different strings to differ"
