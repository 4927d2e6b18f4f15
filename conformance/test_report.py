"""Chapter 12: the report, the levels, known failures and reproductions, for this implementation.

The clauses of chapter 12 bind the kit. They are checked here, against the implementation
under test, by one inner run of the kit: a small test module with one test that passes, one
Hypothesis test that fails, one known failure, one listed test that passes, and a stale
known-failure entry, run from a directory outside the kit with only the installed packages.

    <tmp>/
        test_inner.py   the four tests below (INNER)
        xfails.txt      three entries (XFAILS): one fails, one passes, one matches nothing
        report.json     written by --conformance-report
        summary.md      written by --conformance-summary
"""
from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import pytest

import realdex_spec
from realdex_conformance import levels, report

INNER = textwrap.dedent(
    """
    import pytest
    from hypothesis import given, settings, strategies as st

    @pytest.mark.clause("ADAPTER-1")
    def test_passes(adapter):
        assert adapter.name

    @pytest.mark.clause("ADAPTER-5")
    @given(n=st.integers(500, 1000))  # every example fails: the run's outcome is certain
    @settings(print_blob=True)  # a test of the user's: the kit's settings are not applied to it
    def test_fails_for_large_numbers(adapter, n):
        assert n < 500, f"expected n < 500, got {n}"

    @pytest.mark.clause("ADAPTER-2")
    def test_is_a_known_failure(adapter):
        assert False, "fails on purpose"

    @pytest.mark.clause("ADAPTER-3")
    def test_is_listed_but_passes(adapter):
        pass

    class _Declares:  # the adapter as if it declared one feature unsupported (ADAPTER-7)
        unsupported = {"loader:state": "declared unsupported by the inner run"}

    @pytest.mark.clause("ADAPTER-7")
    def test_needs_a_feature_not_supported(adapter):
        from realdex_conformance import features
        features.need(_Declares(), "loader:state")
        assert False, "a test of a feature not supported must not run on"
    """
)
XFAILS = (
    "# known failures of the inner run\n"
    "test_inner.py::test_is_a_known_failure  # fails on purpose\n"
    "test_inner.py::test_is_listed_but_passes  # listed on purpose, passes\n"
    "test_that_does_not_exist  # stale on purpose\n"
)
SEED = 20261201  # the user's seed: the inner run's tests are not the suite's, and keep Hypothesis' seeding
EXPECTED = {
    "test_inner.py::test_passes": "passed",
    "test_inner.py::test_fails_for_large_numbers": "failed",
    "test_inner.py::test_is_a_known_failure": "xfailed",
    "test_inner.py::test_is_listed_but_passes": "xpassed",
    "test_inner.py::test_needs_a_feature_not_supported": "not supported",
}


def _child_env(config: pytest.Config) -> dict:
    """The parent's import path, so that the child finds the same adapter (installed or local)."""
    paths = [str(config.invocation_params.dir)] + [p for p in sys.path if p]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(dict.fromkeys(paths))}
    env.pop("REALDEX_IMPL", None)
    env.pop("CI", None)  # the inner run uses the default profile whatever the outer one is
    return env


def _run(args: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def _copy(inner: dict, name: str) -> Path:
    """A fresh directory beside the inner run's with its two input files only (no report, no example database)."""
    where = inner["dir"].parent / f"{inner['dir'].name}-{name}"
    where.mkdir()
    for kept in ("test_inner.py", "xfails.txt"):
        shutil.copy2(inner["dir"] / kept, where / kept)
    return where


# The tests below that need child runs of their own get them through ``inner["later"]``: each child run
# (or short sequence of them) starts as soon as the inner run has ended, in its own directory, beside the
# others, and the test waits for its result. Child runs are mostly interpreter start-up, so running them
# side by side takes about half the time on two cores. Only the runs of the tests selected are started.
LATER: dict[str, Callable[[dict], object]] = {}


def later(test_name: str):
    def register(job: Callable[[dict], object]) -> Callable[[dict], object]:
        LATER[test_name] = job
        return job
    return register


def _result(inner: dict, test_name: str):
    return inner["later"][test_name].result()


@pytest.fixture(scope="module")
def inner(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config, adapter, request: pytest.FixtureRequest) -> dict:
    from realdex_conformance.plugin import impl_spec

    where = tmp_path_factory.mktemp("inner-run")
    (where / "test_inner.py").write_text(INNER, encoding="utf-8")
    (where / "xfails.txt").write_text(XFAILS, encoding="utf-8")
    env = _child_env(pytestconfig)
    proc = _run(
        [sys.executable, "-m", "pytest", "test_inner.py", f"--impl={impl_spec(pytestconfig)}", "-p", "no:cacheprovider",
         "--conformance-report=report.json", "--conformance-summary=summary.md", "--xfails-file=xfails.txt",
         f"--hypothesis-seed={SEED}", "--conformance-levels"],
        where, env,
    )
    out = proc.stdout + proc.stderr
    assert (where / "report.json").exists(), f"expected the inner run to write report.json; it printed:\n{out[-3000:]}"
    found = {
        "dir": where, "env": env, "proc": proc, "out": out, "impl": impl_spec(pytestconfig),
        "doc": json.loads((where / "report.json").read_text(encoding="utf-8")),
        "summary": (where / "summary.md").read_text(encoding="utf-8"),
    }
    selected = {item.originalname for item in request.session.items if item.module is request.module}
    pool = ThreadPoolExecutor(max_workers=max(2, min(4, os.cpu_count() or 2)), thread_name_prefix="report-child")
    found["later"] = {name: pool.submit(job, found) for name, job in LATER.items() if name in selected}
    yield found
    pool.shutdown(wait=True, cancel_futures=True)


def _test(inner: dict, nodeid: str) -> dict:
    found = [t for t in inner["doc"]["tests"] if t["nodeid"] == nodeid]
    assert len(found) == 1, f"expected one entry for {nodeid} in the report, found {len(found)}: {inner['doc']['tests']}"
    return found[0]


@pytest.mark.clause("REPORT-1")
def test_report_validates_against_its_schema(inner):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(report.SCHEMA_PATH.read_text(encoding="utf-8"))
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(inner["doc"]), key=str)
    assert not errors, f"expected the report to validate against {report.SCHEMA_PATH.name}, found: {[e.message for e in errors[:5]]}"
    assert inner["doc"]["report_version"] == report.REPORT_VERSION, (
        f"expected report_version {report.REPORT_VERSION!r}, found {inner['doc']['report_version']!r}"
    )


@pytest.mark.clause("REPORT-2")
def test_report_identifies_implementation_kit_and_platform(inner, adapter, pytestconfig):
    from realdex_conformance.plugin import impl_spec

    doc = inner["doc"]
    expected = {
        "name": adapter.name, "version": adapter.version, "spec_version": adapter.spec_version,
        "capabilities": sorted(adapter.capabilities), "impl": impl_spec(pytestconfig),
    }
    assert doc["implementation"] == expected, f"expected implementation {expected}, found {doc['implementation']}"
    assert doc["spec_version"] == realdex_spec.VERSION, f"expected spec {realdex_spec.VERSION}, found {doc['spec_version']}"
    assert doc["kit"]["version"], f"expected the kit's version, found {doc['kit']}"
    for key in ("python", "numpy", "pytest", "hypothesis"):
        assert doc["platform"].get(key), f"expected the {key} version in the report's platform, found {doc['platform']}"
    torch_version = report.platform_info()["torch"]  # None where PyTorch is not installed
    assert doc["platform"]["torch"] == torch_version, f"expected torch {torch_version!r} in the report, found {doc['platform']}"
    assert doc["hypothesis"]["profile"] and doc["hypothesis"]["seed"] == SEED, (
        f"expected the Hypothesis profile and the run's seed {SEED}, found {doc['hypothesis']}"
    )


@pytest.mark.clause("REPORT-3")
def test_report_gives_every_test_with_outcome_clauses_and_duration(inner):
    found = {t["nodeid"]: t["outcome"] for t in inner["doc"]["tests"]}
    assert found == EXPECTED, f"expected outcomes {EXPECTED}, found {found}"
    for nodeid in EXPECTED:
        test = _test(inner, nodeid)
        assert test["clauses"] and test["duration"] >= 0, f"expected clauses and a duration, found {test}"
        if test["outcome"] != "passed":
            assert test["message"] and "\n" not in test["message"], f"expected a one-line message, found {test['message']!r}"
    assert _test(inner, "test_inner.py::test_fails_for_large_numbers")["message"].startswith("AssertionError: expected n < 500"), (
        "expected the failure's own message"
    )


@later("test_a_failure_comes_with_a_command_that_reruns_just_it")
def _rerun_the_failure(inner: dict) -> tuple[subprocess.CompletedProcess, list]:
    """The printed command of the failed test, run in a directory without the inner run's example database."""
    test = next(t for t in inner["doc"]["tests"] if t["nodeid"] == "test_inner.py::test_fails_for_large_numbers")
    if not test.get("reproduce"):
        return None, []  # the test says what is missing
    where = _copy(inner, "rerun")
    rerun = _run(shlex.split(test["reproduce"]["command"]) + ["-p", "no:cacheprovider", "--conformance-report=rerun.json"],
                 where, inner["env"])
    report_file = where / "rerun.json"
    redo = json.loads(report_file.read_text(encoding="utf-8"))["tests"] if report_file.exists() else []
    return rerun, redo


@pytest.mark.clause("REPORT-4")
def test_a_failure_comes_with_a_command_that_reruns_just_it(inner):
    test = _test(inner, "test_inner.py::test_fails_for_large_numbers")
    repro = test.get("reproduce")
    assert repro, f"expected a reproduction for a failed test, found {test}"
    assert repro["seed"] == inner["doc"]["hypothesis"]["seed"], f"expected the run's seed, found {repro}"
    assert repro["blob"] and repro["blob"].startswith("@reproduce_failure("), f"expected the Hypothesis blob, found {repro}"
    assert repro["command"] in inner["out"], "expected the command to be printed at the end of the run"
    for other in EXPECTED:
        if other != test["nodeid"]:
            assert "reproduce" not in _test(inner, other), f"expected no reproduction for {other}, which did not fail"
    # without the example database the inner run left, the command alone must find the failure again
    rerun, redo = _result(inner, "test_a_failure_comes_with_a_command_that_reruns_just_it")
    assert [(t["nodeid"], t["outcome"]) for t in redo] == [(test["nodeid"], "failed")], (
        f"expected {repro['command']!r} to rerun just {test['nodeid']} and fail again, found {redo}:\n{rerun and rerun.stdout[-2000:]}"
    )
    assert redo[0]["message"] == test["message"], f"expected the same failure, found {redo[0]['message']!r}"


@pytest.mark.clause("REPORT-5")
def test_levels_are_printed_and_reported(inner):
    names = [level.name for level in levels.levels()]
    assert names == ["reader", "loader", "planner", "trainer"], f"expected the four levels of chapter 12, found {names}"
    found = {level["name"]: level["status"] for level in inner["doc"]["levels"]}
    # the inner run has tests of chapter 4 only: no level's chapters were collected
    assert found == {name: "not assessed" for name in names}, f"expected every level not assessed, found {found}"
    assert "RealDex conformance levels" in inner["out"] and "reader: not assessed" in inner["out"], (
        f"expected the levels at the end of the run, found:\n{inner['out'][-2000:]}"
    )


@pytest.mark.clause("REPORT-6")
def test_summary_has_a_row_with_a_badge_per_chapter(inner):
    rows = [line for line in inner["summary"].splitlines() if line.startswith("| ") and ".md |" in line]
    chapters = sorted({c.chapter for c in realdex_spec.clauses().values()})
    assert [r.split(" | ")[0].lstrip("| ") for r in rows] == chapters, f"expected one row per chapter {chapters}, found {rows}"
    adapter_row = next(r for r in rows if r.startswith("| 04-adapter.md"))
    # four ADAPTER clauses checked; ADAPTER-1 passes, ADAPTER-5 fails, ADAPTER-2/3 are known failures
    assert " | 4 | 1 | 1 | ![ADAPTER 1/4 pass](https://img.shields.io/badge/ADAPTER-1%2F4%20pass-red) |" in adapter_row, (
        f"expected 4 checked, 1 passed, 1 failing and a red badge, found {adapter_row}"
    )


@pytest.mark.clause("REPORT-7")
def test_a_known_failure_is_expected_to_fail_with_its_reason(inner):
    test = _test(inner, "test_inner.py::test_is_a_known_failure")
    assert test["outcome"] == "xfailed" and "fails on purpose" in test["message"] and "xfails.txt:2" in test["message"], (
        f"expected an expected failure naming the entry (xfails.txt:2) and its reason, found {test}"
    )
    assert inner["proc"].returncode == 1, f"expected exit 1 (one real failure), found {inner['proc'].returncode}"


@pytest.mark.clause("REPORT-8")
def test_a_stale_entry_and_a_passing_known_failure_are_reported(inner):
    assert inner["doc"]["xfails"]["stale"] == ["test_that_does_not_exist"], (
        f"expected the one stale entry, found {inner['doc']['xfails']['stale']}"
    )
    assert "stale: xfails.txt:4 'test_that_does_not_exist'" in inner["out"], "expected the stale entry named at the end"
    assert _test(inner, "test_inner.py::test_is_listed_but_passes")["outcome"] == "xpassed", "expected xpassed"
    assert "(remove its entry): test_inner.py::test_is_listed_but_passes" in inner["out"], "expected the passing entry named"


@pytest.mark.clause("REPORT-9")
def test_the_kit_runs_from_a_directory_outside_it(inner):
    assert f"rootdir: {inner['dir']}" in inner["out"], (
        f"expected the inner run's rootdir to be its own directory {inner['dir']}, found:\n{inner['out'][:1500]}"
    )
    assert "fixture 'adapter' not found" not in inner["out"], "expected the kit's fixtures without any conftest"


PLAIN = textwrap.dedent(
    """
    import json, os
    from pathlib import Path
    from hypothesis import core, given, settings, strategies as st

    @given(st.integers())
    def test_records_its_settings(n):
        s = settings.default
        Path("settings.json").write_text(json.dumps({
            "max_examples": s.max_examples, "deadline": str(s.deadline), "print_blob": s.print_blob,
            "database": type(s.database).__name__, "forced_seed": core.global_force_seed}))
    """
)


@later("test_without_impl_a_run_is_as_without_the_kit")
def _plain_runs(inner: dict) -> dict:
    """A plain Hypothesis test run with the kit installed and with it disabled, each in a directory of its own."""
    runs = {}
    for name, extra in (("with the kit", []), ("without it", ["-p", "no:realdex_conformance.plugin"])):
        where = inner["dir"].parent / f"{inner['dir'].name}-plain-{len(runs)}"
        where.mkdir()
        (where / "test_plain.py").write_text(PLAIN, encoding="utf-8")
        proc = _run([sys.executable, "-m", "pytest", "test_plain.py", "-p", "no:cacheprovider", *extra], where, inner["env"])
        runs[name] = (proc, where / "settings.json")
    return runs


@pytest.mark.clause("REPORT-10")
def test_without_impl_a_run_is_as_without_the_kit(inner):
    seen = {}
    for name, (proc, settings_file) in _result(inner, "test_without_impl_a_run_is_as_without_the_kit").items():
        assert proc.returncode == 0, f"{name}: expected the plain test to pass, found:\n{proc.stdout[-1500:]}"
        header = [line for line in proc.stdout.splitlines()[:10] if "realdex" in line.lower() and not line.startswith("plugins:")]
        seen[name] = (json.loads(settings_file.read_text()), header)
    assert seen["with the kit"] == seen["without it"], (
        f"expected the same Hypothesis settings and header with and without the kit, found {seen}"
    )


@later("test_two_workers_report_what_one_process_reports")
def _two_workers(inner: dict) -> tuple[subprocess.CompletedProcess, Path] | None:
    """The inner run's command again, with two xdist workers, in a directory of its own."""
    from importlib.util import find_spec

    if not find_spec("xdist"):
        return None
    where = _copy(inner, "n2")
    args = [a for a in inner["proc"].args if not a.startswith("--conformance-report")]  # the inner run's command
    return _run([*args, "--conformance-report=report-n2.json", "-n", "2"], where, inner["env"]), where / "report-n2.json"


@pytest.mark.clause("REPORT-11")
def test_two_workers_report_what_one_process_reports(inner):
    pytest.importorskip("xdist", reason="REPORT-11 is checked where pytest-xdist is installed")
    proc, report_file = _result(inner, "test_two_workers_report_what_one_process_reports")
    assert report_file.exists(), f"expected the run with -n 2 to write its report; it printed:\n{proc.stdout[-2000:]}{proc.stderr[-1000:]}"
    spread = json.loads(report_file.read_text(encoding="utf-8"))

    def same(doc: dict) -> dict:
        return {"tests": sorted((t["id"], t["outcome"], tuple(t["clauses"]), t["message"]) for t in doc["tests"]),
                **{k: doc[k] for k in ("summary", "levels", "chapters", "xfails", "exit_status")}}
    serial = same(inner["doc"])
    for key, value in same(spread).items():
        assert value == serial[key], f"expected -n 2 to report the {key} of a serial run:\nserial {serial[key]}\n-n 2   {value}"
    assert spread["run"]["workers"] == 2 and proc.returncode == inner["proc"].returncode, (
        f"expected 2 workers and the serial exit status {inner['proc'].returncode}, found {spread['run']}, {proc.returncode}"
    )


def _golden_files() -> dict:
    from realdex_conformance import golden

    return {p.relative_to(golden.GOLDEN_DIR).as_posix(): p.read_bytes() for p in golden.GOLDEN_DIR.rglob("*.json")}


@later("test_a_run_never_changes_the_golden_files")
def _snapshot_update_run(inner: dict) -> tuple[dict, dict]:
    """The golden files before and after a run of two planning tests with --snapshot-update."""
    from importlib.util import find_spec

    before = _golden_files()
    update = ["--snapshot-update"] if find_spec("syrupy") else []
    _run([sys.executable, "-m", "pytest", "--pyargs", "realdex_conformance.test_planning", "-k", "users_table or eight",
          f"--impl={inner['impl']}", "-p", "no:cacheprovider", *update], _copy(inner, "golden"), inner["env"])
    return before, _golden_files()


@pytest.mark.clause("REPORT-12")
def test_a_run_never_changes_the_golden_files(inner):
    before, after = _result(inner, "test_a_run_never_changes_the_golden_files")
    changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    assert before and not changed, f"expected the kit's golden files unchanged by a run against the implementation, found changed {changed}"


@pytest.mark.clause("REPORT-13")
def test_a_partial_run_is_called_so_in_the_report(inner):
    run = inner["doc"]["run"]
    assert run["complete"] is False and "the suite was not collected" in run["partial"], (
        f"expected the inner run (tests outside the suite) to be reported partial, with the reason, found {run}"
    )


@pytest.mark.clause("REPORT-14")
def test_a_feature_not_supported_is_reported_so_never_passed_nor_failed(inner):
    test = _test(inner, "test_inner.py::test_needs_a_feature_not_supported")
    assert (test["outcome"], test.get("feature")) == ("not supported", "loader:state"), (
        f"expected outcome 'not supported' with its feature, found {test['outcome']!r}, {test.get('feature')!r}")
    assert "declared unsupported by the inner run" in test["message"], f"expected the reason in the message, found {test['message']!r}"
    assert inner["doc"]["summary"]["not supported"] == 1, f"expected one test not supported, found {inner['doc']['summary']}"
    line = "loader:state: 1 test not run (declared unsupported by the inner run)"
    assert line in inner["out"], f"expected the terminal summary line {line!r}; the run printed:\n{inner['out'][-2000:]}"
    row = next(r for r in inner["doc"]["chapters"] if r["prefix"] == "ADAPTER")
    assert row["not_supported"] == 1, f"expected ADAPTER-7 counted not supported in its chapter row, found {row}"


# ---------------------------------------------------------------- the implementer's CI (REPORT-15..17)
def _inner_json(where: Path, name: str) -> dict:
    return json.loads((where / name).read_text(encoding="utf-8"))


@later("test_benchmark_figures_are_in_the_report_for_each_benchmark_that_ran")
def _benchmark_runs(inner: dict) -> tuple[Path, subprocess.CompletedProcess, subprocess.CompletedProcess]:
    """Two benchmarks of chapter 15 run without and with --conformance-benchmarks."""
    where = _copy(inner, "bench")
    base = [sys.executable, "-m", "pytest", "--pyargs", "realdex_conformance.test_performance", f"--impl={inner['impl']}",
            "-p", "no:cacheprovider", "-k", "read_throughput and (segment or converted)"]
    unasked = _run(base + ["--conformance-report=unasked.json"], where, inner["env"])
    asked = _run(base + ["--conformance-benchmarks", "--benchmark-disable", "--conformance-report=asked.json"], where, inner["env"])
    return where, unasked, asked


@pytest.mark.clause("REPORT-15")
def test_benchmark_figures_are_in_the_report_for_each_benchmark_that_ran(inner):
    from realdex_conformance import perf

    where, unasked, asked = _result(inner, "test_benchmark_figures_are_in_the_report_for_each_benchmark_that_ran")
    doc = _inner_json(where, "unasked.json")
    outcomes = {(t["outcome"], t["message"].removeprefix("Skipped: ")) for t in doc["tests"]}
    assert outcomes <= {("skipped", perf.NOT_ASKED)} and doc["benchmarks"] == [], (
        f"expected every benchmark skipped without --conformance-benchmarks and no figures, found {outcomes}, "
        f"{doc['benchmarks']}:\n{unasked.stdout[-2000:]}"
    )
    doc = _inner_json(where, "asked.json")
    ran = sorted(t["id"] for t in doc["tests"] if t["outcome"] == "passed")
    entries = doc["benchmarks"]
    assert sorted(e["id"] for e in entries) == ran, (
        f"expected figures for each benchmark that passed {ran}, found {[e['id'] for e in entries]}:\n{asked.stdout[-2000:]}"
    )
    for entry in entries:
        assert entry["clauses"] == ["PERF-1"] and entry["rounds"] == 1 and entry["median_s"] > 0, (
            f"expected PERF-1, one round under --benchmark-disable and a median, found {entry}"
        )
        assert entry["figures"]["bare_np_load_s"] > 0 and entry["figures"]["throughput_vs_bare"] > 0, (
            f"expected the ratio to a bare np.load, found {entry['figures']}"
        )
    skipped = {t["message"] for t in doc["tests"] if t["outcome"] == "skipped"}
    assert all("does not declare" in m or "bench" in m for m in skipped), f"expected skips for capabilities or the bench extra: {skipped}"


@pytest.mark.clause("REPORT-16")
def test_the_diff_of_two_reports_names_what_changed_and_gates_on_it(inner):
    import copy

    where = inner["dir"]
    head = copy.deepcopy(inner["doc"])
    for test in head["tests"]:
        if test["id"] == "test_inner.py::test_passes":
            test.update(outcome="failed", message="AssertionError: now it fails")
        if test["id"] == "test_inner.py::test_is_listed_but_passes":
            test.update(outcome="not supported", message="declares no such thing")
    (where / "head.json").write_text(json.dumps(head), encoding="utf-8")
    cli = [sys.executable, "-m", "realdex_conformance.report", "diff", "report.json"]
    md = _run(cli + ["head.json"], where, inner["env"])
    assert md.returncode == 1, f"expected exit status 1 for a test newly failing, found {md.returncode}: {md.stdout}{md.stderr}"
    for shown in ("### Newly failing clauses (1)", "| ADAPTER-1 | MUST |", "`test_inner.py::test_passes`",
                  "### Newly not supported tests (1)", "`test_inner.py::test_is_listed_but_passes`"):
        assert shown in md.stdout, f"expected {shown!r} in the Markdown diff, found:\n{md.stdout}"
    js = _run(cli + ["head.json", "--format", "json"], where, inner["env"])
    diff = json.loads(js.stdout)
    assert [t["id"] for t in diff["tests"]["newly_failing"]] == ["test_inner.py::test_passes"], f"found {diff['tests']}"
    same = _run(cli + ["report.json"], where, inner["env"])
    assert same.returncode == 0 and "No regression" in same.stdout, f"expected a report against itself to pass: {same.stdout}{same.stderr}"


def _kit_golden_digest() -> str:
    import hashlib

    from realdex_conformance.golden import GOLDEN_DIR

    files = sorted(p for p in GOLDEN_DIR.rglob("*") if p.is_file())
    return hashlib.sha256(b"".join(p.as_posix().encode() + p.read_bytes() for p in files)).hexdigest()


@later("test_the_implementers_snapshots_are_written_compared_and_kept_outside_the_kit")
def _snapshot_runs(inner: dict) -> dict:
    """Three runs with --conformance-snapshots: one that writes them, one that compares them unchanged, and one
    after the first snapshot written was edited by hand; with the kit's golden files digested before and after."""
    where, before = _copy(inner, "snaps"), _kit_golden_digest()
    run = [sys.executable, "-m", "pytest", "test_inner.py", "-k", "test_passes", f"--impl={inner['impl']}",
           "-p", "no:cacheprovider", "--conformance-snapshots=snaps", "--conformance-report=snaps.json"]
    updated = _run(run + ["--conformance-snapshots-update"], where, inner["env"])
    written = _inner_json(where, "snaps.json")["snapshots"]["written"] if (where / "snaps.json").exists() else []
    compared = _run(run, where, inner["env"])
    target = where / "snaps" / (written[0] if written else "gone.json")
    target.parent.mkdir(parents=True, exist_ok=True)
    stored = json.loads(target.read_text(encoding="utf-8")) if written else {}
    target.write_text(json.dumps({**stored, "edited by hand": True}, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    changed = _run(run, where, inner["env"])
    return {"updated": updated, "written": written, "compared": compared, "changed": changed,
            "golden_before": before, "golden_after": _kit_golden_digest()}


@pytest.mark.clause("REPORT-17")
def test_the_implementers_snapshots_are_written_compared_and_kept_outside_the_kit(inner, adapter):
    from realdex_conformance.contract import LAYOUTS
    from realdex_conformance.golden import GOLDEN_DIR

    runs = _result(inner, "test_the_implementers_snapshots_are_written_compared_and_kept_outside_the_kit")
    updated, written, compared, changed = (runs[k] for k in ("updated", "written", "compared", "changed"))
    caps = set(adapter.capabilities)
    want = sorted([f"canonical-form/{layout}.json" for layout in LAYOUTS if f"read:{layout}" in caps]
                  + [name for name, cap in (("batch-plans.json", "batching"), ("run-plans.json", "planning"),
                                            ("root-inventory.json", "root"), ("check-verdicts.json", "checks")) if cap in caps])
    assert updated.returncode == 0 and written == want, (
        f"expected the snapshots of the declared capabilities {want} written, found {written}:\n{updated.stdout[-2000:]}"
    )
    assert compared.returncode == 0, f"expected the unchanged snapshots to match:\n{compared.stdout[-2000:]}"
    shown = f"--- stored/{want[0]}" if want else "no longer produced"
    assert changed.returncode == 1 and shown in changed.stdout, (
        f"expected exit status 1 and {shown!r} for a snapshot edited by hand, found {changed.returncode}:\n{changed.stdout[-2000:]}"
    )
    assert runs["golden_after"] == runs["golden_before"], f"expected the kit's golden files in {GOLDEN_DIR} untouched by the snapshot runs"
