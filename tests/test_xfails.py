"""Known failures owned by the implementer (spec chapter 12: REPORT-7, REPORT-8)."""
from __future__ import annotations

import textwrap

import pytest

from realdex_conformance import xfails
from tests.throwaway import run_pytest, write_package

MODULE = textwrap.dedent(
    """
    import pytest

    @pytest.mark.clause("ADAPTER-1")
    def test_fails(adapter):
        assert False, "fails on purpose"

    @pytest.mark.clause("ADAPTER-1")
    @pytest.mark.parametrize("layout", ["realdex-frame", "converted"])
    def test_passes(adapter, layout):
        assert adapter.name == "theirpkg"
    """
)


@pytest.fixture
def project(tmp_path):
    write_package(tmp_path)
    (tmp_path / "test_theirs.py").write_text(MODULE, encoding="utf-8")
    return tmp_path


@pytest.mark.clause("REPORT-7")
def test_entries_are_fragments_with_reasons(tmp_path):
    path = tmp_path / "xfails.txt"
    path.write_text("# comment\n\ntest_a.py::test_b[x]  # why it fails\n  test_c # reason with # inside\n")
    found = [(e.fragment, e.reason, e.line) for e in xfails.load(path)]
    expected = [("test_a.py::test_b[x]", "why it fails", 3), ("test_c", "reason with # inside", 4)]
    assert found == expected, f"expected {expected}, found {found}"


@pytest.mark.clause("REPORT-7")
def test_every_entry_without_a_reason_is_named_with_its_line(tmp_path):
    path = tmp_path / "xfails.txt"
    path.write_text("test_a  # fine\ntest_b\ntest_c  #   \n  # only a comment\n #x\n")
    with pytest.raises(xfails.XfailsError) as err:
        xfails.load(path)
    message = str(err.value)
    for where in (f"{path}:2", f"{path}:3"):
        assert where in message, f"expected {where} named as malformed, found:\n{message}"
    assert f"{path}:1" not in message and f"{path}:4" not in message, f"expected only lines 2 and 3 named, found:\n{message}"


@pytest.mark.clause("REPORT-7")
def test_a_malformed_file_stops_the_run_before_any_test(project):
    (project / "xfails.txt").write_text("test_fails\n")
    proc, _ = run_pytest(project, "test_theirs.py", "--impl=theirpkg", "--xfails-file=xfails.txt")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 4, f"expected a usage error (exit 4), found exit {proc.returncode}:\n{out[-2000:]}"
    assert "xfails.txt:1" in out and "has no reason" in out, f"expected the line named and why, found:\n{out[-2000:]}"


@pytest.mark.clause("REPORT-8")
def test_strict_refuses_a_stale_entry_before_any_test(project):
    (project / "xfails.txt").write_text("test_theirs.py::test_fails  # known\ntest_theirs.py::test_renamed_long_ago  # was a known failure\n")
    proc, report = run_pytest(project, "test_theirs.py", "--impl=theirpkg", "--xfails-file=xfails.txt", "--strict-xfails")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 4, f"expected a usage error (exit 4) for the stale entry, found {proc.returncode}:\n{out[-2000:]}"
    assert "xfails.txt:2: 'test_theirs.py::test_renamed_long_ago'" in out, f"expected the stale entry named with its line, found:\n{out[-2000:]}"
    assert "xfails.txt:1" not in out, "expected the matching entry not to be called stale"


@pytest.mark.clause("REPORT-8")
def test_a_stale_entry_is_a_warning_without_strict(project):
    (project / "xfails.txt").write_text("test_theirs.py::test_fails  # known\ntest_theirs.py::test_renamed_long_ago  # was a known failure\n")
    proc, report = run_pytest(project, "test_theirs.py", "--impl=theirpkg", "--xfails-file=xfails.txt")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"expected a passing run (the failure is known), found {proc.returncode}:\n{out[-2000:]}"
    assert report["xfails"]["stale"] == ["test_theirs.py::test_renamed_long_ago"], f"expected one stale entry, found {report['xfails']}"
    assert "matches no collected test: it is stale" in out, f"expected a pytest warning for the stale entry:\n{out[-2000:]}"


@pytest.mark.clause("REPORT-8")
def test_strict_fails_a_known_failure_that_passes(project):
    (project / "xfails.txt").write_text("test_theirs.py::test_fails  # known\ntest_theirs.py::test_passes[converted]  # thought broken\n")
    proc, report = run_pytest(project, "test_theirs.py", "--impl=theirpkg", "--xfails-file=xfails.txt", "--strict-xfails")
    outcomes = {t["nodeid"]: t["outcome"] for t in report["tests"]}
    expected = {
        "test_theirs.py::test_fails": "xfailed",
        "test_theirs.py::test_passes[realdex-frame]": "passed",
        "test_theirs.py::test_passes[converted]": "failed",
    }
    assert outcomes == expected, f"expected {expected}, found {outcomes}"
    assert proc.returncode == 1, f"expected exit 1, found {proc.returncode}"
    failed = report["tests"][2]
    assert "XPASS(strict)" in failed["message"] and "reproduce" in failed, f"expected a strict XPASS with a command: {failed}"


# ---------------------------------------------------------------- stable ids and exact matching
def _entries(*lines: str) -> list[xfails.Entry]:
    return [xfails.Entry(xfails.normalise(line), "why", n) for n, line in enumerate(lines, start=1)]


@pytest.mark.clause("REPORT-7")
def test_an_entry_matches_whole_ids_never_a_neighbour():
    ids = ["test_batching.py::test_plan[user-8]", "test_batching.py::test_plan[keep-last]",
           "test_batching.py::test_plan_counts", "test_loader.py::test_items[converted]", "test_loader.py::test_items[frame]"]
    cases = {
        "user-8": [],  # a fragment is not an id
        "test_batching.py::test_plan[user-8]": ["test_batching.py::test_plan[user-8]"],
        "test_batching.py::test_plan": ["test_batching.py::test_plan[user-8]", "test_batching.py::test_plan[keep-last]"],
        "conformance/test_batching.py::test_plan_counts": ["test_batching.py::test_plan_counts"],
        "realdex_conformance/test_batching.py::test_plan_counts": ["test_batching.py::test_plan_counts"],
        "test_loader.py::*[converted]": ["test_loader.py::test_items[converted]"],
        "test_loader.py::test_items[conv*]": ["test_loader.py::test_items[converted]"],
        "test_batching.py::test_pla": [],
    }
    for line, want in cases.items():
        (entry,) = _entries(line)
        got = [i for i in ids if entry.matches(i)]
        assert got == want, f"expected entry {line!r} to match {want}, it matched {got}"


def _suite_ids(proc_out: str) -> list[str]:
    return [line.split(" ", 1)[0] for line in proc_out.splitlines() if "::" in line]


@pytest.mark.clause("REPORT-3", "REPORT-7")
def test_the_same_entry_matches_however_the_suite_is_invoked(tmp_path):
    from tests.kit import REPO
    from tests.throwaway import run_pytest as run_in

    entry = "test_planning.py::test_the_users_table[keep-last]  # listed on purpose: it passes\n"
    (tmp_path / "xfails.txt").write_text(entry)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    runs = {
        "a checkout's folder": (tmp_path, (str(REPO / "conformance" / "test_planning.py"), "-c", "pytest.ini")),
        "--pyargs, the whole module": (tmp_path, ("--pyargs", "realdex_conformance.test_planning", "-c", "pytest.ini")),
        "--pyargs, another rootdir": (tmp_path, ("--pyargs", "realdex_conformance", "-c", "pytest.ini", "-k", "users_table")),
    }
    for how, (cwd, args) in runs.items():
        proc, report = run_in(cwd, *args, "--impl=realdex_ref", f"--xfails-file={tmp_path / 'xfails.txt'}",
                              "-k", "users_table")
        assert report is not None, f"{how}: expected a report, found:\n{(proc.stdout + proc.stderr)[-2000:]}"
        listed = {t["id"]: t["outcome"] for t in report["tests"] if t["outcome"] != "not run"}
        want = {"test_planning.py::test_the_users_table[keep-last]": "xpassed",
                "test_planning.py::test_the_users_table[drop-last]": "passed"}
        assert listed == want, f"{how}: expected the entry to match just its test ({want}), found {listed}"
        assert report["xfails"]["stale"] == [], f"{how}: expected the entry not stale, found {report['xfails']}"


@pytest.mark.clause("REPORT-7")
def test_the_spec_examples_name_tests_of_the_suite():
    import re
    import subprocess
    import sys

    from tests.kit import REPO

    text = (REPO / "spec" / "12-report.md").read_text()
    section = text[text.index("## Known failures"):text.index("## A guest")]
    examples = [line.strip().split("  #")[0] for line in section.splitlines() if re.match(r"^    test_\w+\.py::", line)]
    assert len(examples) >= 2, f"expected examples of entries in chapter 12, found {examples}"
    proc = subprocess.run([sys.executable, "-m", "pytest", "conformance", "--collect-only", "-q", "--impl=realdex_ref",
                           "-p", "no:cacheprovider"], cwd=REPO, capture_output=True, text=True, timeout=300)
    ids = [i.removeprefix("conformance/") for i in _suite_ids(proc.stdout)]
    for example in examples:
        (entry,) = _entries(example)
        assert any(entry.matches(i) for i in ids), f"expected the spec's example {example!r} to match a test of the suite"
