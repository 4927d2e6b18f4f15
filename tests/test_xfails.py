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
    (project / "xfails.txt").write_text("test_fails  # known\ntest_renamed_long_ago  # was a known failure\n")
    proc, report = run_pytest(project, "test_theirs.py", "--impl=theirpkg", "--xfails-file=xfails.txt", "--strict-xfails")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 4, f"expected a usage error (exit 4) for the stale entry, found {proc.returncode}:\n{out[-2000:]}"
    assert "xfails.txt:2: 'test_renamed_long_ago'" in out, f"expected the stale entry named with its line, found:\n{out[-2000:]}"
    assert "xfails.txt:1" not in out, "expected the matching entry not to be called stale"


@pytest.mark.clause("REPORT-8")
def test_a_stale_entry_is_a_warning_without_strict(project):
    (project / "xfails.txt").write_text("test_fails  # known\ntest_renamed_long_ago  # was a known failure\n")
    proc, report = run_pytest(project, "test_theirs.py", "--impl=theirpkg", "--xfails-file=xfails.txt")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"expected a passing run (the failure is known), found {proc.returncode}:\n{out[-2000:]}"
    assert report["xfails"]["stale"] == ["test_renamed_long_ago"], f"expected one stale entry, found {report['xfails']}"
    assert "matches no collected test: it is stale" in out, f"expected a pytest warning for the stale entry:\n{out[-2000:]}"


@pytest.mark.clause("REPORT-8")
def test_strict_fails_a_known_failure_that_passes(project):
    (project / "xfails.txt").write_text("test_fails  # known\ntest_passes[converted]  # thought broken\n")
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
