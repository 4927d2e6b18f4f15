"""The implementer's snapshots and the benchmarks' options (spec chapter 12: REPORT-15, REPORT-17),
piece by piece, and pytest-benchmark's own options; ``tests/test_implementer_ci.py`` runs them end to end."""
from __future__ import annotations

import json

import numpy as np
import pytest

import realdex_spec
from realdex_conformance import implsnapshots, perf
from realdex_conformance.collect import SUITE_DIR
from realdex_conformance.test_sample import fixed_segment
from realdex_ref.adapter import ReferenceAdapter
from tests.throwaway import run_pytest, write_package

EVERY_SNAPSHOT = ["batch-plans.json", "canonical-form/converted.json", "canonical-form/realdex-frame.json",
                  "canonical-form/realdex-segment.json", "check-verdicts.json", "root-inventory.json", "run-plans.json"]


@pytest.fixture(scope="module")
def produced() -> dict:
    return implsnapshots.produce(ReferenceAdapter())


@pytest.mark.clause("REPORT-17")
def test_the_reference_produces_every_snapshot_as_stable_text(produced):
    assert sorted(produced) == EVERY_SNAPSHOT, f"expected a snapshot per fixed input, found {sorted(produced)}"
    again = implsnapshots.produce(ReferenceAdapter())
    changed = [n for n in produced if implsnapshots.text(produced[n]) != implsnapshots.text(again[n])]
    assert not changed, f"expected the same text from two productions, these differ: {changed}"
    leaks = [n for n in produced if "realdex-snapshots-" in implsnapshots.text(produced[n])]
    assert not leaks, f"expected no temporary path in any snapshot (written as <root>), found one in {leaks}"
    text = implsnapshots.text(produced["run-plans.json"])
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n", "expected sorted keys and two-space indents"


@pytest.mark.clause("REPORT-17")
def test_the_canonical_form_snapshot_holds_the_kits_fixed_sample(produced):
    want = fixed_segment()[0]["hand_transl"]
    for layout in ("realdex-segment", "realdex-frame", "converted"):
        doc = produced[f"canonical-form/{layout}.json"]
        got = np.array(doc["samples"][0][0]["hand_transl"])
        assert np.allclose(got, want, rtol=1e-5), f"expected the fixed sample's hand_transl {want} in the {layout} snapshot, found {got}"
    frame = produced["canonical-form/realdex-frame.json"]
    assert frame["files"] == 3 and len(frame["samples"]) == 3, f"expected 3 one-frame files of the 3-frame segment, found {frame['files']}"


@pytest.mark.clause("REPORT-17")
def test_only_the_capabilities_declared_are_snapshotted():
    class Planner(ReferenceAdapter):
        capabilities = frozenset({"planning"})

    assert sorted(implsnapshots.produce(Planner())) == ["run-plans.json"], "expected only the run plans of a planner"


@pytest.mark.clause("REPORT-17")
def test_compare_sees_changes_beyond_the_tolerance_and_names_missing_files(tmp_path, produced):
    docs = {n: produced[n] for n in ("run-plans.json", "batch-plans.json")}
    written = implsnapshots.update(tmp_path, docs)
    assert written.written == sorted(docs), f"expected both written, found {written.written}"
    assert implsnapshots.update(tmp_path, docs).written == [], "expected an unchanged snapshot not to be written again"
    same = implsnapshots.compare(tmp_path, docs)
    assert not same.differs and same.same == sorted(docs), f"expected both to match, found {same.to_json()}"
    plans = json.loads(json.dumps(docs["run-plans.json"]))
    plans["eight-samples"]["iterations"] += 1
    near = json.loads(json.dumps(docs["batch-plans.json"]))
    (tmp_path / "batch-plans.json").unlink()
    found = implsnapshots.compare(tmp_path, {"run-plans.json": plans, "batch-plans.json": near})
    assert found.changed == ["run-plans.json"] and found.missing == ["batch-plans.json"], f"found {found.to_json()}"
    diff = found.diffs["run-plans.json"]
    assert f'-    "iterations": {plans["eight-samples"]["iterations"] - 1},' in diff and \
        f'+    "iterations": {plans["eight-samples"]["iterations"]},' in diff, f"expected a unified diff of the count, found:\n{diff}"
    lines = "\n".join(implsnapshots.describe(found))
    assert "--conformance-snapshots-update" in lines, f"expected the way to accept the change, found:\n{lines}"


@pytest.mark.clause("REPORT-17")
def test_a_stored_snapshot_no_longer_produced_is_a_difference(tmp_path, produced):
    implsnapshots.update(tmp_path, {n: produced[n] for n in ("run-plans.json", "canonical-form/converted.json")})
    found = implsnapshots.compare(tmp_path, {"run-plans.json": produced["run-plans.json"]})
    assert found.differs and found.stale == ["canonical-form/converted.json"], (
        f"expected the converted layout's snapshot, no longer produced, to be named stale, found {found.to_json()}"
    )
    lines = "\n".join(implsnapshots.describe(found))
    assert "no longer produced" in lines and "canonical-form/converted.json" in lines, f"found:\n{lines}"


@pytest.mark.clause("REPORT-17")
def test_a_float_within_the_tolerance_is_the_same(tmp_path):
    implsnapshots.update(tmp_path, {"x.json": {"v": 1.0}})
    assert not implsnapshots.compare(tmp_path, {"x.json": {"v": 1.0 + 1e-7}}).differs, "expected 1e-7 relative to match"
    assert implsnapshots.compare(tmp_path, {"x.json": {"v": 1.001}}).changed == ["x.json"], "expected 1e-3 relative to differ"


@pytest.mark.clause("REPORT-12", "REPORT-17")
@pytest.mark.parametrize("inside", [SUITE_DIR / "golden", SUITE_DIR, realdex_spec.SPEC_DIR])
def test_a_snapshot_folder_inside_the_kit_is_refused(inside):
    with pytest.raises(implsnapshots.SnapshotDirError) as info:
        implsnapshots.check_dir(inside)
    assert "inside the kit" in str(info.value) and "own repository" in str(info.value), f"found: {info.value}"


def _project(tmp_path):
    write_package(tmp_path, "theirpkg", "from realdex_ref.adapter import ReferenceAdapter\nADAPTER = ReferenceAdapter()\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    return ("--pyargs", "realdex_conformance.test_performance", "--impl=theirpkg", "-c", "pytest.ini", "--rootdir", str(tmp_path))


@pytest.mark.clause("REPORT-17")
def test_the_options_are_refused_clearly(tmp_path):
    base = _project(tmp_path)
    proc, _ = run_pytest(tmp_path, *base, "--conformance-snapshots-update")
    assert proc.returncode == 4 and "needs --conformance-snapshots=DIR" in proc.stderr, f"found {proc.returncode}: {proc.stderr[-1500:]}"
    proc, _ = run_pytest(tmp_path, *base, f"--conformance-snapshots={SUITE_DIR / 'golden'}")
    assert proc.returncode == 4 and "inside the kit" in proc.stderr, f"found {proc.returncode}: {proc.stderr[-1500:]}"


@pytest.mark.clause("REPORT-17")
def test_a_missing_snapshot_fails_the_run_and_its_report_says_so(tmp_path):
    proc, doc = run_pytest(tmp_path, *_project(tmp_path), "--conformance-snapshots=snaps")
    assert proc.returncode == 1 and doc is not None, f"expected exit 1 for snapshots absent from snaps/:\n{proc.stdout[-2000:]}"
    assert doc["exit_status"] == 1 and sorted(doc["snapshots"]["missing"]) == EVERY_SNAPSHOT, (
        f"expected every snapshot missing and exit_status 1 in the report, found {doc['exit_status']}, {doc['snapshots']}"
    )
    skipped = {t["outcome"] for t in doc["tests"]}
    assert skipped == {"skipped"}, f"expected the benchmarks skipped without --conformance-benchmarks, found {skipped}"


@pytest.mark.clause("REPORT-15")
def test_without_pytest_benchmark_the_benchmarks_skip_naming_the_extra(tmp_path):
    proc, doc = run_pytest(tmp_path, *_project(tmp_path), "--conformance-benchmarks", "-p", "no:benchmark")
    assert doc is not None, f"expected a report:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
    reasons = {t["message"] for t in doc["tests"] if t["outcome"] == "skipped"}
    assert len(doc["tests"]) == 9 and reasons == {f"Skipped: {perf.NO_BENCHMARK}"}, (
        f"expected the 9 benchmarks skipped because pytest-benchmark is off, found {reasons}"
    )
    assert "realdex-conformance[bench]" in perf.NO_BENCHMARK, "expected the reason to name the bench extra"
    assert doc.get("benchmarks") == [], f"expected no figures, found {doc.get('benchmarks')}"


@pytest.mark.clause("REPORT-15")
def test_benchmark_save_and_compare_work_as_pytest_benchmark_users_expect(tmp_path):
    base = (*_project(tmp_path), "--conformance-benchmarks", "-k", "read_throughput and segment",
            f"--benchmark-storage=file://{tmp_path / 'storage'}", "--benchmark-min-rounds=3", "--benchmark-max-time=0.1")
    saved, doc = run_pytest(tmp_path, *base, "--benchmark-save=base")
    stored = list((tmp_path / "storage").rglob("0001_base.json"))
    assert saved.returncode == 0 and stored, f"expected a stored run 0001_base.json:\n{saved.stdout[-2000:]}"
    names = [b["name"] for b in json.loads(stored[0].read_text())["benchmarks"]]
    assert names == ["test_read_throughput_against_bare_np_load[realdex-segment]"], f"expected the one benchmark stored, found {names}"
    assert doc["benchmarks"][0]["rounds"] >= 3, f"expected the report's figures from pytest-benchmark's rounds: {doc['benchmarks']}"
    compared, _ = run_pytest(tmp_path, *base, "--benchmark-compare=0001", "--benchmark-compare-fail=median:1000%")
    assert compared.returncode == 0 and "0001_base" in compared.stdout, (
        f"expected a comparison with 0001_base that passes a 1000% threshold:\n{compared.stdout[-2000:]}{compared.stderr[-1000:]}"
    )
