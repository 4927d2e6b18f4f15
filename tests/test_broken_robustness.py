"""The suite rejects each broken reader of chapter 13 on the SAFE clause it breaks, on the right cases, and passes the reference."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.kit import SuiteRun, run_suite

MODULE = "conformance/test_robustness.py"
REFUSED = "test_malformed_file_is_refused_naming_file_and_key"
# broken adapter -> (clauses it must fail on, clauses it must not fail on, tests that must fail)
ALL = {"SAFE-1", "SAFE-2", "SAFE-3", "SAFE-4", "SAFE-5", "SAFE-11", "SAFE-12", "SAFE-13", "SAFE-14"}
EXPECTED = {
    "LEAKS_LIBRARY_ERRORS": ({"SAFE-1", "SAFE-4", "SAFE-11"}, {"SAFE-2", "SAFE-3"}, [
        f"{REFUSED}[zip-member-crc-mismatch]", f"{REFUSED}[file-pickle-payload]", f"{REFUSED}[npy-data-truncated]",
        "test_announced_size_is_refused_before_memory_is_set_aside[npy-header-shape-lies]",
        "test_bomb_is_refused_within_bounded_memory[zip-deflate-bomb]"]),
    "UNPICKLES": ({"SAFE-3", "SAFE-5"}, {"SAFE-2"}, [
        "test_pickle_payload_is_never_run[file-pickle-payload]", "test_pickle_payload_is_never_run[pickle-object-array-payload]",
        "test_pickle_payload_is_never_run[pickle-object-array-of-str]"]),
    "CACHES_BESIDE_THE_FILE": ({"SAFE-5"}, ALL - {"SAFE-5"}, [
        "test_reading_detecting_and_checking_write_nothing[value-qpos-nan]"]),
    "REFUSES_NAN": ({"SAFE-2"}, ALL - {"SAFE-2"}, [
        "test_unbelievable_values_read_and_are_found[value-hand-poses-minus-inf]"]),
    # believing the directory, it also believes its count of members: zip-many-empty-members fails SAFE-11 too
    "TRUSTS_THE_DIRECTORY": ({"SAFE-12"}, ALL - {"SAFE-1", "SAFE-11", "SAFE-12"}, [
        "test_two_readings_of_one_file_are_refused[zip-member-alias]",
        "test_two_readings_of_one_file_are_refused[zip-directory-swallows-members]"]),
    "WALKS_LIKE_OS_WALK": ({"SAFE-13"}, ALL - {"SAFE-1", "SAFE-13"}, [
        "test_root_walk_reports_what_it_does_not_enter[root-linked-folder-is-read]",
        "test_root_walk_reports_what_it_does_not_enter[root-folder-linked-twice]"]),
    "PARSES_LOGS_WITH_JSON_LOADS": ({"SAFE-14"}, ALL - {"SAFE-14"}, [
        "test_hostile_run_log_is_refused_or_judged_in_bounded_memory[log-nested-100000-deep]",
        "test_hostile_run_log_is_refused_or_judged_in_bounded_memory[log-integer-5001-digits]"]),
}


# readers whose one fault is in one part of the reading: only the tests of that part and of SAFE-1 run
# (the whole module runs for the others, which shows that one fault fails no other clause)
ONLY = {"TRUSTS_THE_DIRECTORY": "two_readings or malformed_file or bomb",
        "WALKS_LIKE_OS_WALK": "root",
        "PARSES_LOGS_WITH_JSON_LOADS": "hostile_run_log or bomb"}


@pytest.fixture(scope="module")
def runs() -> dict[str, SuiteRun]:
    """The broken readers' runs, two at a time; a reader that blocks on a named pipe waits out a 3 s limit."""
    def one(name: str) -> SuiteRun:
        select = ("-k", ONLY[name]) if name in ONLY else ()
        return run_suite(f"tests.broken.robustness:{name}", MODULE, extra=("--conformance-timeout=3", *select),
                         timeout=300)

    with ThreadPoolExecutor(2) as pool:
        return dict(zip(EXPECTED, pool.map(one, EXPECTED)))


@pytest.mark.timeout(400)
@pytest.mark.parametrize("name", list(EXPECTED))
def test_suite_rejects_broken_reader_on_its_clause(runs: dict[str, SuiteRun], name: str) -> None:
    run = runs[name]
    must, must_not, tests = EXPECTED[name]
    assert run.returncode == 1, f"{name}: expected the run to finish with failures (status 1), got {run.returncode}:\n{run.describe()}"
    failed = run.failed_clauses()
    assert must <= failed, f"{name}: expected failures on {sorted(must)}, found them on {sorted(failed)}:\n{run.describe()}"
    assert not failed & must_not, f"{name}: expected no failure on {sorted(failed & must_not)}:\n{run.describe()}"
    failed_ids = {t["nodeid"].split("::")[-1] for t in run.failed()}
    missing = [t for t in tests if t not in failed_ids]
    assert not missing, f"{name}: expected these tests to fail, they did not: {missing}\n{run.describe()}"


@pytest.mark.timeout(200)
def test_suite_passes_the_reference() -> None:
    run = run_suite("realdex_ref", MODULE)
    assert run.returncode == 0 and len(run.passed()) > 150, f"the reference must pass {MODULE}:\n{run.describe()}"
