"""Implementations written as other people write them (tests/foreign): the suite fits them with
no false failure, names the defects put in them on their clauses, and reports what they do not
support as *not supported* (spec chapter 4, ADAPTER-7..9; chapter 12, REPORT-14)."""
from __future__ import annotations

import re

import pytest

from tests.kit import REPO, run_suite

RESEARCH = "tests.foreign.research_adapter"
DECLARED = {"loader:ranks", "loader:state", "loader:fps"}
TRIAGE = ("--hypothesis-profile=realdex-triage",)  # failures as found, not shrunk: minutes saved per failing property
READERS = ("conformance/test_layouts.py", "conformance/test_sample.py", "conformance/test_equivalence.py")


def outcomes(run, outcome: str) -> list[dict]:
    return [t for t in run.tests if t["outcome"] == outcome]


@pytest.fixture(scope="module")
def careful():
    return run_suite(RESEARCH, "conformance/test_loader.py", "conformance/test_adapter.py")


@pytest.fixture(scope="module")
def careless():
    return run_suite(RESEARCH, "conformance/test_loader.py", extra=("--impl-option", "careful=false", *TRIAGE))


def test_the_adapter_of_a_research_loader_is_short():
    lines = [line for line in (REPO / "tests/foreign/research_adapter.py").read_text().splitlines() if line.strip()]
    assert len(lines) <= 60, f"expected an adapter of at most 60 lines for a config-driven research loader, found {len(lines)}"


def test_research_loader_passes_with_no_false_failure(careful):
    assert careful.returncode == 0 and not careful.failed(), (
        f"expected the careful research loader to pass every test it is given, found:\n{careful.describe()}")
    assert len(careful.passed()) >= 10, f"expected most loader tests to run and pass, found {len(careful.passed())} passed"


def test_what_it_does_not_support_is_reported_not_supported_with_the_reason(careful):
    skipped = outcomes(careful, "not supported")
    features = {t.get("feature") for t in skipped}
    assert features == DECLARED, f"expected tests not supported for exactly {sorted(DECLARED)}, found {sorted(map(str, features))}"
    plain = [t["id"] for t in outcomes(careful, "skipped") if "does not declare capability" not in t["message"]]
    assert not plain, f"expected skips only for capabilities it does not declare, found {plain}"
    assert "loader:state: 6 tests not run (no loader state: an interrupted epoch starts over)" in careful.output, (
        f"expected the terminal summary to give each feature, its count and its reason; found:\n{careful.output[-2000:]}")
    row = next(r for r in careful.document["chapters"] if r["prefix"] == "LOADER")
    assert row["not_supported"] == 3 and row["failing"] == 0, (
        f"expected LOADER-7, LOADER-9 and LOADER-12 (tested only through features not supported) counted not supported, found {row}")
    assert careful.document["summary"]["not supported"] == len(skipped), f"summary: {careful.document['summary']}"


def test_research_loader_defects_fail_each_on_its_clause(careless):
    assert careless.returncode == 1, f"expected the careless research loader to fail:\n{careless.describe()}"
    want = {"LOADER-1", "LOADER-8", "BATCH-8", "BATCH-9", "LOADER-10"}
    assert careless.failed_clauses() == want, (
        f"expected failures on exactly {sorted(want)} (mixed root read in silence, zero-batch epochs, a cloud per frame), "
        f"found {sorted(careless.failed_clauses())}:\n{careless.describe()}")


def test_a_cloud_copied_per_frame_fails_the_memory_clause_with_the_figures(careless):
    (memory,) = [t for t in careless.failed() if "LOADER-10" in t["clauses"]]
    found = re.search(r"raised the resident memory by ([\d.]+) MiB at its peak", memory["message"])
    assert found and float(found.group(1)) > 90, (
        f"expected the resident memory of the per-frame copies (about 96 MiB of float32 clouds) in the message, found "
        f"{memory['message'][:400]!r}")
    assert "1.6 MiB of arrays" in memory["message"], f"expected the unique array bytes in the message: {memory['message'][:400]!r}"


def test_appendix_shows_the_adapter_as_it_is():
    text = (REPO / "spec/appendix-writing-an-adapter.md").read_text()
    shown = text.split("```python\n", 1)[1].rsplit("```", 1)[0]
    assert shown == (REPO / "tests/foreign/research_adapter.py").read_text(), (
        "expected spec/appendix-writing-an-adapter.md to show tests/foreign/research_adapter.py as it is; rewrite its last section")


# ---------------------------------------------------------------- readers


def test_a_reader_of_whole_roots_is_held_to_the_per_file_clauses():
    run = run_suite("tests.foreign.variants:ROOT_ONLY", *READERS)
    assert run.returncode == 0 and not run.failed(), f"the reference read through one-file roots must pass:\n{run.describe()}"
    ran = {c for t in run.passed() for c in t["clauses"]}
    assert {"LAYOUT-1", "LAYOUT-2", "LAYOUT-3", "LAYOUT-7", "SAMPLE-3", "EQUIV-2"} <= ran, (
        f"expected the per-file clauses checked through roots, found only {sorted(ran)}")


def test_a_field_declared_not_carried_is_no_failure():
    run = run_suite("tests.foreign.variants:ROOT_ONLY_WITHOUT_COLOURS", *READERS)
    assert run.returncode == 0 and not run.failed(), f"not carrying a declared field must not fail:\n{run.describe()}"


@pytest.mark.parametrize("impl", ["DROPS_COLOURS_SILENTLY", "WRONG_COLOURS"])
def test_a_field_dropped_in_silence_or_carried_wrong_fails(impl):
    run = run_suite(f"tests.foreign.variants:{impl}", "conformance/test_layouts.py", "conformance/test_equivalence.py",
                    extra=TRIAGE)
    assert run.returncode == 1 and {"LAYOUT-3", "EQUIV-2"} <= run.failed_clauses(), (
        f"{impl}: expected failures on LAYOUT-3 and EQUIV-2 (the colours read are not the file's), found "
        f"{sorted(run.failed_clauses())}:\n{run.describe()}")


def test_a_rotation_passed_through_unfolded_is_the_same_rotation():
    run = run_suite("tests.foreign.variants:PASSES_ROTATIONS_THROUGH", *READERS, extra=TRIAGE)
    assert run.failed_clauses() == {"SAMPLE-8"}, (
        f"expected only the SHOULD of folding (SAMPLE-8) to fail for unfolded rotation vectors, found "
        f"{sorted(run.failed_clauses())}:\n{run.describe()}")
    status = {lv["name"]: lv["status"] for lv in run.document["levels"]}
    assert status["reader"] == "reached", f"a SHOULD never gates a level; levels: {status}"


# ---------------------------------------------------------------- the contract's new members


@pytest.mark.parametrize("extra, words", [
    (("--impl-option", "careful=false"), ["configure(options)", "ADAPTER-8"]),
    (("--impl-option", "no-equals-sign"), ["KEY=VALUE"]),
])
def test_options_an_adapter_cannot_take_stop_the_run(extra, words):
    impl = "realdex_ref" if "careful=false" in extra else RESEARCH
    run = run_suite(impl, "conformance/test_adapter.py", extra=extra)
    assert run.returncode == 4 and all(w in run.output for w in words), (
        f"expected a usage error naming {words}, found exit status {run.returncode}:\n{run.output[-1500:]}")


def test_an_unknown_feature_or_item_path_is_refused_at_session_start(tmp_path):
    (tmp_path / "odd_adapter.py").write_text(
        "from realdex_ref.adapter import ReferenceAdapter\n"
        "class Odd(ReferenceAdapter):\n"
        "    unsupported = {'loader:teleport': 'typo', 'loader:state': ''}\n"
        "    loader_items = {'hand_pose': 3.5}\n"
        "ADAPTER = Odd()\n")
    run = run_suite("odd_adapter", "conformance/test_adapter.py", pythonpath=(str(tmp_path),))
    for words in ("unknown feature 'loader:teleport'", "feature 'loader:state' in 'unsupported' needs a reason",
                  "'loader_items' needs a path for 'object_points'", "ADAPTER-9"):
        assert words in run.output, f"expected the refusal to say {words!r}; found:\n{run.output[-2000:]}"
    assert run.returncode == 4, f"expected a usage error (exit status 4), found {run.returncode}"


def test_not_supported_never_counts_as_passed_in_the_levels():
    from realdex_conformance import levels

    tests = [{"clauses": ["LOADER-7"], "outcome": "not supported", "feature": "loader:state"},
             {"clauses": ["LOADER-5"], "outcome": "not supported", "feature": "loader:ranks"},
             {"clauses": ["LOADER-5"], "outcome": "passed"},
             {"clauses": ["LOADER-6"], "outcome": "failed"}]
    status = levels.clause_status(tests)
    assert status == {"LOADER-7": "not supported", "LOADER-5": "passed", "LOADER-6": "failing"}, (
        f"expected a clause tested only through unsupported features 'not supported', one also tested otherwise judged "
        f"by that test, found {status}")
    assert levels.clause_status([{"clauses": ["LOADER-7"], "outcome": "not supported"},
                                 {"clauses": ["LOADER-7"], "outcome": "skipped"}]) == {"LOADER-7": "not passed"}


def test_samples_in_another_order_are_said_to_be_in_another_order():
    import numpy as np

    from realdex_conformance import assertions, synth

    samples = synth.make_segment("driller", 4, 6, np.random.default_rng(5), contacts=True)
    fields = list(assertions.FIELDS)
    with pytest.raises(AssertionError) as info:
        assertions.assert_same_samples(samples, samples[::-1], fields, "read_root of a root of 4 frames")
    message = str(info.value)
    assert "the same samples in another order" in message and "sample 0 is expected sample 3" in message, (
        f"expected the message to say the samples are the same in another order, and where each is; found {message!r}")
    changed = [dict(s) for s in samples]
    changed[2]["qpos"] = changed[2]["qpos"] + 0.5
    with pytest.raises(AssertionError) as info:
        assertions.assert_same_samples(samples, changed, fields, "read_root of a root of 4 frames")
    assert "another order" not in str(info.value) and "qpos" in str(info.value), (
        f"expected a changed sample to be named as different, not as moved; found {str(info.value)[:300]!r}")


def test_a_reader_that_shares_read_only_arrays_is_no_failure():
    # a cache that hands out the arrays it keeps, read-only: a right way to share (LAYOUT-12, ROOT-14), and the kit's own
    # comparisons must not trip on read-only arrays (scipy refuses a read-only buffer)
    run = run_suite("tests.foreign.variants:SERVES_READ_ONLY_CACHE", *READERS, "conformance/test_dataroot.py", extra=TRIAGE)
    assert run.returncode == 0 and not run.failed(), f"a reader of read-only arrays must pass:\n{run.describe()}"
    ran = {c for t in run.passed() for c in t["clauses"]}
    assert {"LAYOUT-12", "ROOT-14"} <= ran, f"expected LAYOUT-12 and ROOT-14 checked and passed, found {sorted(ran)}"
