"""Using the kit from another project (spec chapter 12, REPORT-9).

An implementer's project is a directory outside the kit with their own package and their own
pytest configuration; only the installed kit is on the path. The whole suite must run there:

    <tmp>/
        pytest.ini      their configuration (empty), so the kit's pyproject.toml is not read
        theirpkg/       their implementation; the module is its own adapter, declaring nothing
"""
from __future__ import annotations

import fnmatch
import tomllib

import pytest

from tests.kit import REPO
from tests.throwaway import run_pytest, write_package

SUITE = REPO / "conformance"


@pytest.mark.clause("REPORT-9")
def test_the_whole_suite_runs_from_another_project(tmp_path):
    write_package(tmp_path)
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    proc, doc = run_pytest(tmp_path, "--pyargs", "realdex_conformance", "--impl=theirpkg", "-c", "pytest.ini", "--rootdir", str(tmp_path))
    out = proc.stdout + proc.stderr
    assert doc is not None, f"expected a report from the outside run, found:\n{out[-3000:]}"
    assert f"rootdir: {tmp_path}" in out, f"expected their directory as rootdir, found:\n{out[:1500]}"
    modules = {p.name for p in SUITE.glob("test_*.py")}
    ran = {t["nodeid"].split("::")[0].rsplit("/", 1)[-1] for t in doc["tests"]}
    assert modules <= ran, f"expected tests of every conformance module, missing {sorted(modules - ran)}"
    # an implementation that declares no capability passes or skips every test; an error here
    # is a fixture or file the suite needs from outside the installed kit
    bad = [(t["nodeid"], t["outcome"], t["message"]) for t in doc["tests"] if t["outcome"] not in ("passed", "skipped")]
    assert not bad, f"expected every test to pass or skip for an adapter that declares nothing, found {bad[:10]}"


@pytest.mark.clause("REPORT-9")
def test_every_golden_file_is_package_data():
    globs = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["realdex_conformance"]
    stored = [p.relative_to(SUITE).as_posix() for p in (SUITE / "golden").rglob("*") if p.is_file()]
    assert stored, f"expected the kit's golden files under {SUITE / 'golden'}"
    missing = [p for p in stored if not any(fnmatch.fnmatch(p, g) for g in globs)]
    assert not missing, f"expected every golden file to be shipped (package-data globs {globs}), not shipped: {missing}"


@pytest.mark.clause("REPORT-9")
def test_every_golden_file_has_its_test():
    """A golden file is named for the test that reads it; one whose test is gone is dead weight."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "pytest", "conformance", "--collect-only", "-q", "--impl=realdex_ref",
                           "-p", "no:cacheprovider"], cwd=REPO, capture_output=True, text=True, timeout=300)
    ids = {line.split(" ")[0].removeprefix("conformance/") for line in proc.stdout.splitlines() if "::" in line}
    for path in (SUITE / "golden").rglob("*.json"):
        test_id = f"{path.parent.name}.py::{path.stem}"
        assert test_id in ids, f"expected a test {test_id} for the golden file {path.relative_to(REPO)}, found none"
