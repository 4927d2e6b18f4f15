"""The conformance report, levels and reproductions (spec chapter 12), tested from outside."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import realdex_spec
from realdex_conformance import levels, report
from realdex_spec import Clause
from tests.throwaway import run_pytest, write_package

TABLE = [levels.Level("reader", ("SAMPLE",)), levels.Level("loader", ("SAMPLE", "BATCH"))]
CLAUSES = {
    cid: Clause(cid, level, "text", chapter)
    for cid, level, chapter in [
        ("SAMPLE-1", "MUST", "01-sample.md"), ("SAMPLE-2", "SHOULD", "01-sample.md"),
        ("SAMPLE-3", "MUST NOT", "01-sample.md"), ("BATCH-1", "MUST", "07-batching.md"),
    ]
}


def t(outcome: str, *clauses: str) -> dict:
    return {"nodeid": f"x::{outcome}-{'-'.join(clauses)}", "outcome": outcome, "clauses": list(clauses)}


def statuses(tests: list[dict]) -> dict[str, str]:
    return {lv["name"]: lv["status"] for lv in levels.compute(tests, CLAUSES, TABLE)}


@pytest.mark.clause("REPORT-5")
@pytest.mark.parametrize(
    "tests, expected",
    [
        # every MUST of SAMPLE passes; a failing SHOULD does not gate; BATCH has no test
        ([t("passed", "SAMPLE-1"), t("passed", "SAMPLE-3"), t("failed", "SAMPLE-2")],
         {"reader": "reached", "loader": "not assessed"}),
        # a skip (undeclared capability) keeps the level from being reached, and the one below
        ([t("passed", "SAMPLE-1"), t("skipped", "SAMPLE-3"), t("passed", "BATCH-1")],
         {"reader": "not reached", "loader": "not reached"}),
        # one passing and one failing test of the same clause: the clause fails
        ([t("passed", "SAMPLE-1"), t("failed", "SAMPLE-1"), t("passed", "BATCH-1")],
         {"reader": "not reached", "loader": "not reached"}),
        # a known failure does not pass, whether it failed or passed
        ([t("passed", "SAMPLE-1"), t("xpassed", "SAMPLE-3"), t("passed", "BATCH-1")],
         {"reader": "not reached", "loader": "not reached"}),
        ([t("passed", "SAMPLE-1", "SAMPLE-3"), t("passed", "BATCH-1")], {"reader": "reached", "loader": "reached"}),
        # a MUST clause no test names does not gate (the kit's coverage line reports it)
        ([t("passed", "SAMPLE-1"), t("passed", "BATCH-1")], {"reader": "reached", "loader": "reached"}),
    ],
)
def test_levels_follow_the_rule_of_chapter_12(tests, expected):
    assert statuses(tests) == expected, f"expected {expected} for {[(x['outcome'], x['clauses']) for x in tests]}"


@pytest.mark.clause("REPORT-5")
def test_a_level_names_what_blocks_it():
    found = levels.compute([t("failed", "SAMPLE-1"), t("skipped", "SAMPLE-3")], CLAUSES, TABLE)[0]
    expected = [{"clause": "SAMPLE-1", "status": "failing"}, {"clause": "SAMPLE-3", "status": "not passed"}]
    assert found["blocking"] == expected, f"expected {expected}, found {found['blocking']}"
    line = levels.describe(found)
    assert line == "reader: not reached (SAMPLE-1 failing, SAMPLE-3 not passed)", f"found {line!r}"


BROKEN = textwrap.dedent(
    '''
    """Broken on purpose: claims the version 'v' for every layout but 'converted'."""
    name = "brokenpkg"
    version = "1.0"
    spec_version = "1.0.0-draft"
    capabilities = frozenset()

    def version_for(layout):
        return "v" if layout != "converted" else ""
    '''
)
CHECKS = textwrap.dedent(
    """
    import pytest

    @pytest.mark.clause("ADAPTER-1")
    @pytest.mark.parametrize("layout", ["realdex-segment", "converted"])
    def test_version_is_given_for(adapter, layout):
        assert adapter.version_for(layout), f"expected a version for {layout}, found {adapter.version_for(layout)!r}"
    """
)


@pytest.mark.clause("REPORT-4")
def test_a_broken_adapter_gets_one_working_command_per_failure(tmp_path):
    write_package(tmp_path, "brokenpkg", BROKEN)
    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / "test_theirs.py").write_text(CHECKS, encoding="utf-8")
    proc, doc = run_pytest(tmp_path, "checks", "--impl=brokenpkg")
    failed = [x for x in doc["tests"] if x["outcome"] == "failed"]
    assert [x["nodeid"] for x in failed] == ["checks/test_theirs.py::test_version_is_given_for[converted]"], (
        f"expected the converted case to fail, found {doc['tests']}"
    )
    command = failed[0]["reproduce"]["command"]
    assert "--impl=brokenpkg" in command and "'checks/test_theirs.py::test_version_is_given_for[converted]'" in command, (
        f"expected the test named by its path and the implementation, found {command!r}"
    )
    assert command in proc.stdout, "expected the command printed at the end of the run"
    rerun = subprocess.run(command + " -p no:cacheprovider", shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    tail = rerun.stdout.strip().splitlines()[-1]
    assert rerun.returncode == 1 and " 1 failed in " in tail and "passed" not in tail, (
        f"expected {command!r} to run just the failing case and fail, found exit {rerun.returncode}: {tail}"
    )


@pytest.mark.clause("REPORT-6")
def test_the_summary_can_be_printed_from_a_stored_report(tmp_path):
    write_package(tmp_path)
    (tmp_path / "test_theirs.py").write_text(
        "import pytest\n@pytest.mark.clause('ADAPTER-1')\ndef test_name(adapter):\n    assert adapter.name\n", encoding="utf-8"
    )
    proc, doc = run_pytest(tmp_path, "test_theirs.py", "--impl=theirpkg", "--conformance-summary=summary.md")
    assert proc.returncode == 0, proc.stdout[-2000:]
    printed = subprocess.run(
        [sys.executable, "-m", "realdex_conformance.report", str(tmp_path / "report.json")], capture_output=True, text=True, timeout=60
    )
    written = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert printed.returncode == 0 and printed.stdout == written, (
        f"expected the printed summary to equal the one the run wrote, found:\n{printed.stdout}\n{printed.stderr}"
    )
    total = sum(1 for c in realdex_spec.clauses().values() if c.chapter == "04-adapter.md")
    assert f"| 04-adapter.md | {total} | 1 | 1 | 0 | ![ADAPTER 1/1 pass](https://img.shields.io/badge/ADAPTER-1%2F1%20pass-brightgreen) |" in written, (
        f"expected the ADAPTER row with 1 of 1 checked clauses passing and a green badge, found:\n{written}"
    )
    assert doc["xfails"] is None and doc["implementation"]["name"] == "theirpkg", f"found {doc['xfails']}, {doc['implementation']}"


@pytest.mark.clause("REPORT-6")
def test_badge_text_is_escaped_for_shields():
    assert report._badge("RUN-LOG_x", "3/4 pass", "red") == (
        "![RUN-LOG_x 3/4 pass](https://img.shields.io/badge/RUN--LOG__x-3%2F4%20pass-red)"
    ), "expected '-' and '_' doubled and the rest URL-quoted"


@pytest.mark.clause("REPORT-6")
@pytest.mark.parametrize(
    "tests, color",
    [
        ([t("passed", "SAMPLE-1"), t("passed", "SAMPLE-3")], "brightgreen"),
        # a SHOULD clause skipped (a feature not declared) leaves the chapter green
        ([t("passed", "SAMPLE-1"), t("passed", "SAMPLE-3"), t("skipped", "SAMPLE-2")], "brightgreen"),
        # a MUST clause skipped or a known failure: yellow
        ([t("passed", "SAMPLE-1"), t("skipped", "SAMPLE-3")], "yellow"),
        ([t("passed", "SAMPLE-1"), t("xfailed", "SAMPLE-3")], "yellow"),
        # any failure: red
        ([t("passed", "SAMPLE-1"), t("failed", "SAMPLE-2")], "red"),
        # nothing ran, or only optional clauses that were skipped: grey
        ([t("not run", "SAMPLE-1")], "lightgrey"),
        ([t("skipped", "SAMPLE-2")], "lightgrey"),
    ],
    ids=["all-pass", "should-skipped", "must-skipped", "must-known-failure", "failing", "not-run", "only-should-skipped"],
)
def test_a_chapter_badge_is_yellow_only_for_a_must_clause_not_passed(tests, color):
    (row,) = [r for r in report.chapter_rows(tests, CLAUSES) if r["prefix"] == "SAMPLE"]
    assert report.badge_color(row) == color, f"expected a {color} badge for {[(x['outcome'], x['clauses']) for x in tests]}, found {report.badge_color(row)} ({row})"


@pytest.mark.clause("REPORT-13")
def test_a_level_with_tests_collected_but_not_run_says_so():
    tests = [t("passed", "SAMPLE-1"), t("passed", "SAMPLE-3"), t("not run", "BATCH-1")]
    loader = next(lv for lv in levels.compute(tests, CLAUSES, TABLE) if lv["name"] == "loader")
    assert loader["status"] == "not assessed" and loader["chapters_not_run"] == ["BATCH"], f"found {loader}"
    assert "the tests of BATCH were collected but did not run" in levels.describe(loader), levels.describe(loader)
