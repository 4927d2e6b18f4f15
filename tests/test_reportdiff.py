"""Comparing two conformance reports (spec chapter 12, REPORT-16), on reports built by hand.

Each report is the smallest document ``reportdiff`` reads: a version, tests with stable ids,
outcomes and clauses, levels, chapter rows and benchmarks. The expected lists are read off the
two reports below, not off the module's output.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from realdex_conformance import reportdiff


def _test(tid: str, outcome: str, *clauses: str, message: str = "") -> dict:
    return {"nodeid": f"conformance/{tid}", "id": tid, "outcome": outcome, "clauses": list(clauses), "duration": 0.1,
            "message": message}


def _doc(tests: list[dict], levels: dict[str, str], benchmarks: list[dict] = (), chapters: list[dict] = ()) -> dict:
    return {
        "report_version": "2.1", "created": "2026-12-02T00:00:00+00:00", "spec_version": "1.0.0-draft",
        "implementation": {"name": "theirpkg", "version": "1"}, "kit": {"version": "0.2.0", "commit": None},
        "run": {"complete": True, "partial": []}, "tests": tests,
        "levels": [{"name": n, "status": s} for n, s in levels.items()], "chapters": list(chapters),
        "benchmarks": list(benchmarks),
    }


def _bench(bid: str, median: float, size: str = "small") -> dict:
    return {"id": bid, "clauses": ["PERF-1"], "name": bid, "median_s": median, "rounds": 5, "size": size, "figures": {}}


BASE = _doc(
    [
        _test("test_sample.py::test_a", "passed", "SAMPLE-1"),
        _test("test_sample.py::test_b", "passed", "SAMPLE-2"),
        _test("test_loader.py::test_c", "failed", "LOADER-1", message="boom"),
        _test("test_loader.py::test_d", "passed", "LOADER-2"),
        _test("test_batching.py::test_e", "passed", "BATCH-1"),
        _test("test_batching.py::test_f", "skipped", "BATCH-2"),
        _test("test_planning.py::test_gone", "passed", "PLAN-1"),
    ],
    {"reader": "reached", "loader": "not reached"},
    benchmarks=[_bench("read-seg", 1.0), _bench("read-frame", 2.0), _bench("open", 1.0), _bench("epoch", 1.0, "full")],
    chapters=[{"chapter": "01-sample.md", "clauses": 5, "checked": 2, "passed": 2, "failing": 0, "not_passed": 0, "not_run": 0}],
)
HEAD = _doc(
    [
        _test("test_sample.py::test_a", "passed", "SAMPLE-1"),
        _test("test_sample.py::test_b", "failed", "SAMPLE-2", message="expected metres | found millimetres"),
        _test("test_loader.py::test_c", "passed", "LOADER-1"),
        _test("test_loader.py::test_d", "not supported", "LOADER-2", message="declares no loader"),
        _test("test_batching.py::test_e", "not run", "BATCH-1"),
        _test("test_batching.py::test_f", "some future outcome", "BATCH-2"),
        _test("test_planning.py::test_new", "passed", "PLAN-2"),
    ],
    {"reader": "not reached", "loader": "not reached"},
    benchmarks=[_bench("read-seg", 1.5), _bench("read-frame", 1.0), _bench("open", 1.05), _bench("epoch", 9.0, "small")],
    chapters=[{"chapter": "01-sample.md", "clauses": 5, "checked": 2, "passed": 1, "failing": 1, "not_passed": 0, "not_run": 0}],
)


def _ids(entries: list[dict]) -> list[str]:
    return [e["id"] for e in entries]


@pytest.mark.clause("REPORT-16")
def test_each_change_of_a_test_is_listed_once_in_its_category():
    diff = reportdiff.compare(BASE, HEAD)
    tests = diff["tests"]
    want = {
        "newly_failing": ["test_sample.py::test_b"],
        "newly_passing": ["test_loader.py::test_c", "test_planning.py::test_new"],
        "newly_not_supported": ["test_loader.py::test_d"],
        "newly_not_run": ["test_batching.py::test_e"],
        "other_changes": ["test_batching.py::test_f"],
    }
    found = {k: _ids(tests[k]) for k in want}
    assert found == want, f"expected the tests by category {want}, found {found}"
    assert tests["added"] == ["test_planning.py::test_new"] and tests["removed"] == ["test_planning.py::test_gone"], (
        f"expected test_new only in head and test_gone only in base, found {tests['added']} and {tests['removed']}"
    )
    (future,) = tests["other_changes"]
    assert (future["base"], future["head"]) == ("skipped", "some future outcome"), (
        f"expected an unknown outcome to be carried as its string, found {future}"
    )


@pytest.mark.clause("REPORT-16")
def test_clauses_levels_and_coverage_follow_the_tests():
    diff = reportdiff.compare(BASE, HEAD)
    clauses = {k: _ids(v) for k, v in diff["clauses"].items()}
    # SAMPLE-2 failed; LOADER-1 passed; PLAN-2 is new and passes; BATCH-1 did not run; PLAN-1 is gone
    assert clauses["newly_failing"] == ["SAMPLE-2"], f"expected SAMPLE-2 newly failing, found {clauses}"
    assert clauses["newly_passing"] == ["LOADER-1", "PLAN-2"], f"expected LOADER-1 and PLAN-2 newly passing, found {clauses}"
    assert "BATCH-1" in clauses["newly_not_run"], f"expected BATCH-1 newly not run, found {clauses}"
    assert diff["levels"] == [{"name": "reader", "base": "reached", "head": "not reached"}], (
        f"expected only the reader level to change, found {diff['levels']}"
    )
    cov = diff["coverage"]
    assert cov["newly_checked"] == ["PLAN-2"] and cov["no_longer_checked"] == ["BATCH-1", "PLAN-1"], (
        f"expected PLAN-2 newly checked and BATCH-1 (not run), PLAN-1 (gone) no longer checked, found {cov}"
    )
    assert cov["chapters"] == [{"chapter": "01-sample.md", "passed": [2, 1], "failing": [0, 1]}], (
        f"expected chapter 1's passed 2 -> 1 and failing 0 -> 1, found {cov['chapters']}"
    )


@pytest.mark.clause("REPORT-16")
def test_benchmarks_move_only_beyond_the_threshold_and_only_at_the_same_size():
    bench = reportdiff.compare(BASE, HEAD, threshold=0.10)["benchmarks"]
    assert _ids(bench["slower"]) == ["read-seg"] and bench["slower"][0]["ratio"] == 1.5, (
        f"expected read-seg 1.5 times slower, found {bench['slower']}"
    )
    assert _ids(bench["faster"]) == ["read-frame"], f"expected read-frame faster (2.0 -> 1.0 s), found {bench['faster']}"
    assert _ids(bench["within"]) == ["open"], f"expected open within 10% (1.0 -> 1.05 s), found {bench['within']}"
    assert _ids(bench["not_comparable"]) == ["epoch"], f"expected the full-size and small epochs not compared, found {bench}"
    wide = reportdiff.compare(BASE, HEAD, threshold=0.6)["benchmarks"]
    assert not wide["slower"], f"expected nothing slower than 60%, found {wide['slower']}"


@pytest.mark.clause("REPORT-16")
def test_regression_decides_the_exit_status():
    diff = reportdiff.compare(BASE, HEAD)
    assert diff["regression"] and len(diff["reasons"]) == 4, f"expected 4 reasons (tests, clauses, level, benchmark), found {diff['reasons']}"
    same = reportdiff.compare(BASE, BASE)
    assert not same["regression"] and not same["reasons"], f"expected a report against itself to hold no regression, found {same}"
    better = reportdiff.compare(HEAD, {**HEAD, "tests": [_test("test_sample.py::test_b", "passed", "SAMPLE-2")] + HEAD["tests"][2:]})
    assert not better["tests"]["newly_failing"], f"expected no test newly failing, found {better['tests']['newly_failing']}"


@pytest.mark.clause("REPORT-16")
def test_markdown_names_what_changed_and_escapes_table_cells():
    text = reportdiff.markdown(reportdiff.compare(BASE, HEAD))
    for shown in ("**Regression** (exit status 1)", "### Newly failing clauses (1)", "| SAMPLE-2 |",
                  "### Newly not supported tests (1)", "`test_loader.py::test_d`", "### Levels", "| reader | reached | not reached |",
                  "`read-seg`", "1.50 (slower)", "### Coverage", "expected metres \\| found millimetres"):
        assert shown in text, f"expected {shown!r} in the Markdown diff, found:\n{text}"
    same = reportdiff.markdown(reportdiff.compare(BASE, BASE))
    assert "No regression (exit status 0)." in same and "No test, clause, level or benchmark changed." in same, (
        f"expected a diff of a report with itself to say nothing changed, found:\n{same}"
    )


def _cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "realdex_conformance.report", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


@pytest.mark.clause("REPORT-16")
def test_command_line_exit_statuses_and_formats(tmp_path):
    base, head = tmp_path / "base.json", tmp_path / "head.json"
    base.write_text(json.dumps(BASE), encoding="utf-8")
    head.write_text(json.dumps(HEAD), encoding="utf-8")
    md = _cli("diff", str(base), str(head))
    assert md.returncode == 1 and "Newly failing clauses" in md.stdout, f"expected exit 1 and Markdown, found {md.returncode}:\n{md.stdout}{md.stderr}"
    js = _cli("diff", str(base), str(head), "--format", "json", "--threshold", "60%")
    doc = json.loads(js.stdout)
    assert js.returncode == 1 and doc["threshold"] == 0.6 and not doc["benchmarks"]["slower"], (
        f"expected exit 1, threshold 0.6 and no benchmark slower than 60%, found {js.returncode}: {js.stdout[:500]}"
    )
    same = _cli("diff", str(base), str(base))
    assert same.returncode == 0, f"expected exit 0 for a report against itself, found {same.returncode}: {same.stderr}"


@pytest.mark.clause("REPORT-16")
@pytest.mark.parametrize("args,shown,lines", [
    (("nope.json",), "nope.json", 1),
    (("diff", "nope.json", "head.json"), "nope.json: no such file", 1),
    (("diff", "old.json", "head.json"), "report_version '1.0'", 1),
    (("diff", "notjson.json", "head.json"), "not JSON", 1),
    (("diff", "head.json"), "the following arguments are required: head", None),  # argparse: usage, then the error
    (("diff", "head.json", "head.json", "--threshold", "lots"), "expected a fraction", None),
], ids=["summary-missing", "diff-missing", "old-version", "not-json", "one-file", "bad-threshold"])
def test_command_line_refusals_are_short_and_exit_2(tmp_path, args, shown, lines):
    (tmp_path / "head.json").write_text(json.dumps(HEAD), encoding="utf-8")
    (tmp_path / "old.json").write_text(json.dumps({**HEAD, "report_version": "1.0"}), encoding="utf-8")
    (tmp_path / "notjson.json").write_text("{", encoding="utf-8")
    proc = _cli(*args, cwd=tmp_path)
    assert proc.returncode == 2 and shown in proc.stderr and not proc.stdout, (
        f"expected exit 2 and {shown!r} on stderr, found {proc.returncode}: stdout {proc.stdout!r} stderr {proc.stderr!r}"
    )
    assert "Traceback" not in proc.stderr, f"expected a message, not a traceback: {proc.stderr}"
    if lines is None:  # argparse's usage, then one line with the error
        assert shown in proc.stderr.strip().splitlines()[-1], f"expected the last line to say {shown!r}: {proc.stderr!r}"
    else:
        assert len(proc.stderr.strip().splitlines()) == lines, f"expected {lines} line(s) on stderr, found {proc.stderr!r}"
