"""The implementer's CI loop, end to end (spec chapter 12: REPORT-15, REPORT-16, REPORT-17).

An implementer's project outside the kit, with only the installed kit importable, runs
``scripts/implementer-ci.sh`` (what ``examples/ci/github-actions.yml`` calls) three times: the
reference as the base, with its benchmarks and its snapshots written; a deliberately slowed
variant; a deliberately broken one::

    <tmp>/
        slowpkg/__init__.py      tests/adapters/slowed.py: read_file reads each file 4 times
        brokenpkg/__init__.py    tests/broken/units.py: hand_transl in millimetres
        snaps/                   the implementer's snapshots, written from the reference
        ref/ slow/ broken/       each run's report.json, summary.md, suite.log, and diff.md against ref/
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from realdex_conformance import report
from tests.kit import REPO
from tests.throwaway import write_package

SCRIPT = REPO / "scripts" / "implementer-ci.sh"
WORKFLOW = REPO / "examples" / "ci" / "github-actions.yml"
SEGMENT_READ = "test_performance.py::test_read_throughput_against_bare_np_load[realdex-segment]"
# the fixed sample's canonical form (SAMPLE-1..3) and one benchmark: a partial run, kept short
SELECT = ("-k", "test_canonical_form_of_a_fixed_sample or (read_throughput and segment)",
          "--benchmark-min-rounds=3", "--benchmark-max-time=0.2", "--benchmark-warmup=off")


def _ci(project: Path, impl: str, out: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("REALDEX_IMPL", "CI")}
    env.update(PYTHON=sys.executable, PYTHONPATH=str(project), REALDEX_SLOWDOWN="4")  # PYTHONPATH: their `pip install .`
    return subprocess.run(["bash", str(SCRIPT), "--impl", impl, "--out", out, *args, "--", *SELECT],
                          cwd=project, env=env, capture_output=True, text=True, timeout=900)


def _golden_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted((REPO / "conformance" / "golden").rglob("*")):
        if path.is_file():
            digest.update(path.as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


def _said(proc: subprocess.CompletedProcess) -> str:
    return f"exit {proc.returncode}\nstdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-2000:]}"


@pytest.fixture(scope="module")
def loop(tmp_path_factory) -> dict:
    project = tmp_path_factory.mktemp("theirproject")
    write_package(project, "slowpkg", (REPO / "tests" / "adapters" / "slowed.py").read_text(encoding="utf-8"))
    write_package(project, "brokenpkg", (REPO / "tests" / "broken" / "units.py").read_text(encoding="utf-8"))
    golden_before = _golden_digest()
    ref = _ci(project, "realdex_ref", "ref", "--benchmarks", "--snapshots", "snaps", "--update-snapshots")
    slow = _ci(project, "slowpkg", "slow", "--benchmarks", "--base", "ref/report.json", "--threshold", "100%")
    broken = _ci(project, "brokenpkg", "broken", "--snapshots", "snaps", "--base", "ref/report.json")
    return {"project": project, "ref": ref, "slow": slow, "broken": broken, "golden_before": golden_before,
            "golden_after": _golden_digest()}


def _report(loop: dict, run: str) -> dict:
    path = loop["project"] / run / "report.json"
    assert path.is_file(), f"expected {path} from the {run} run; found none:\n{_said(loop[run])}"
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.clause("REPORT-15")
def test_the_reference_run_records_its_benchmark_and_writes_snapshots(loop):
    assert loop["ref"].returncode == 0, f"expected the reference's run to pass:\n{_said(loop['ref'])}"
    doc = _report(loop, "ref")
    ids = [b["id"] for b in doc.get("benchmarks", [])]
    assert ids == [SEGMENT_READ], f"expected the one selected benchmark {SEGMENT_READ} in the report, found {ids}"
    (bench,) = doc["benchmarks"]
    assert bench["rounds"] >= 3 and bench["median_s"] > 0 and bench["figures"]["throughput_vs_bare"] > 0, (
        f"expected a median over at least 3 rounds and a ratio to np.load, found {bench}"
    )
    snaps = sorted(p.relative_to(loop["project"] / "snaps").as_posix() for p in (loop["project"] / "snaps").rglob("*.json"))
    assert "canonical-form/realdex-segment.json" in snaps and "run-plans.json" in snaps, (
        f"expected the reference's snapshots in the project's snaps/, found {snaps}"
    )


@pytest.mark.clause("REPORT-16")
def test_the_slowed_variant_fails_the_diff_naming_its_benchmark(loop):
    slow = loop["slow"]
    diff_md = (loop["project"] / "slow" / "diff.md").read_text(encoding="utf-8")
    assert slow.returncode == 1, f"expected exit status 1 for a benchmark 4 times slower:\n{_said(slow)}"
    assert f"`{SEGMENT_READ}`" in diff_md and "(slower)" in diff_md, (
        f"expected the Markdown diff to name the slowed benchmark {SEGMENT_READ} as slower, found:\n{diff_md}"
    )
    assert "Newly failing" not in diff_md, f"expected no failing test or clause for a variant that is only slow:\n{diff_md}"
    diff = json.loads((loop["project"] / "slow" / "diff.json").read_text(encoding="utf-8"))
    (moved,) = diff["benchmarks"]["slower"]
    assert moved["ratio"] > 2.0, f"expected the median more than twice the reference's (4 reads per file), found {moved}"


@pytest.mark.clause("REPORT-16")
def test_the_broken_variant_fails_the_diff_naming_its_clauses(loop):
    broken = loop["broken"]
    diff_md = (loop["project"] / "broken" / "diff.md").read_text(encoding="utf-8")
    assert broken.returncode == 1, f"expected exit status 1 for the broken variant:\n{_said(broken)}"
    assert "**Regression** (exit status 1)" in diff_md and "### Newly failing clauses" in diff_md, (
        f"expected a regression with newly failing clauses in the Markdown diff, found:\n{diff_md}"
    )
    for clause in ("SAMPLE-1", "SAMPLE-2", "SAMPLE-3"):
        assert f"| {clause} | MUST | 01-sample.md | passed | failing |" in diff_md, (
            f"expected {clause} named newly failing (the canonical form in millimetres), found:\n{diff_md}"
        )
    same = subprocess.run([sys.executable, "-m", "realdex_conformance.report", "diff", "ref/report.json", "ref/report.json"],
                          cwd=loop["project"], capture_output=True, text=True, timeout=120)
    assert same.returncode == 0, f"expected the reference's report against itself to pass the gate: {_said(same)}"


@pytest.mark.clause("REPORT-17")
def test_the_broken_variants_snapshots_differ_in_a_readable_text_diff(loop):
    doc = _report(loop, "broken")
    snaps = doc.get("snapshots") or {}
    assert snaps.get("mode") == "compare" and "canonical-form/realdex-segment.json" in snaps.get("changed", []), (
        f"expected the canonical form of the segment file to differ from the reference's snapshot, found {snaps}"
    )
    assert "run-plans.json" in snaps["same"], f"expected the plans, which read no file, unchanged: {snaps}"
    log = (loop["project"] / "broken" / "suite.log").read_text(encoding="utf-8")
    assert "--- stored/canonical-form/realdex-segment.json" in log and "+++ produced/canonical-form/realdex-segment.json" in log, (
        f"expected a unified diff of the segment's canonical form in the run's output, found:\n{log[-4000:]}"
    )
    # the reference's hand position of the fixed sample, in metres; the broken variant's, in millimetres
    ref = json.loads((loop["project"] / "snaps" / "canonical-form" / "realdex-segment.json").read_text(encoding="utf-8"))
    metres = ref["samples"][0][0]["hand_transl"][0]
    assert 0.5 < metres < 1.5, f"expected the reference's snapshot in metres near RealDex's 0.96 m, found {metres}"
    assert f"-          {metres}" in log and f"+          {round(metres * 1000, 3)}" in log, (
        f"expected the diff to show {metres} m becoming {metres * 1000:.3f}, found:\n{log[-4000:]}"
    )
    diff_md = (loop["project"] / "broken" / "diff.md").read_text(encoding="utf-8")
    assert "snapshots differ" in diff_md, f"expected the job's diff to say that snapshots differ, found:\n{diff_md}"


@pytest.mark.clause("REPORT-1", "REPORT-15", "REPORT-17")
@pytest.mark.parametrize("run", ["ref", "slow", "broken"])
def test_each_report_validates_against_the_schema(loop, run):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(report.SCHEMA_PATH.read_text(encoding="utf-8"))
    errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(_report(loop, run))]
    assert not errors, f"expected the {run} report to validate against report.schema.json, found {errors[:5]}"


@pytest.mark.clause("REPORT-16")
def test_the_workflow_calls_the_script_with_options_it_takes():
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    runs = "\n".join(step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"])
    calls = [line for line in runs.splitlines() if "implementer-ci.sh" in line]
    assert len(calls) == 2, f"expected the script called for the base and for the change, found {calls}"
    script = SCRIPT.read_text(encoding="utf-8")
    used = {word for line in runs.splitlines() for word in line.replace("=", " ").split() if word.startswith("--")}
    missing = [opt for opt in used if opt not in ("--body-file", "--edit-last") and f"        {opt})" not in script
               and f"        {opt}) " not in script]
    assert not missing, f"expected every option the workflow passes to be one the script takes, not taken: {missing}"


@pytest.mark.clause("REPORT-12", "REPORT-17")
def test_no_run_touched_the_kits_golden_files(loop):
    assert loop["golden_before"] == loop["golden_after"], "expected the kit's golden files unchanged by the implementer's runs"
