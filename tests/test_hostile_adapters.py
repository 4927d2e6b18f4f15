"""The suite against misbehaving implementations (SAFE-10): clear failures, and the run always finishes.

Each hostile adapter runs three tests of conformance/test_layouts.py in a subprocess, one per
member (detect_layout, read_file, write_samples), under a short --conformance-timeout.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.kit import SuiteRun, run_suite

SELECT = ("test_layout_is_detected_from_content_not_name and segment-at-driller_3 "
          "or test_realistic_segment_reads_frame_by_frame or test_writer_keeps_float64_or_float32_precision and converted")
DETECT, READ, WRITE = "test_layout_is_detected", "test_realistic_segment", "test_writer_keeps"
TIMEOUT = "did not return within 5 s (--conformance-timeout)"
SLOW_TEST = "the test ran past its limit of 15 s (--conformance-test-timeout)"

# adapter -> {test: words its failure message must hold (None: the test passes)}
EXPECTED = {
    "hostile_raises": {DETECT: "RuntimeError: internal failure in detect_layout", READ: "SystemExit: 3", WRITE: "Unprintable"},
    "hostile_hangs": {DETECT: TIMEOUT, READ: TIMEOUT, WRITE: None},
    "hostile_types": {DETECT: "expected 'realdex-segment', found 2", READ: "expected a list of samples, found tuple",
                      WRITE: "expected a dict {'files': [paths], 'dropped': [names]}, found NoneType"},
    # its members return at once; the kit's own checks of their enormous results either finish with a
    # short message or, on a slow machine, run out the test's time: either is a clear failure
    "hostile_enormous": {DETECT: (SLOW_TEST, "expected 'realdex-segment', found 'realdex-segment realdex-segment"),
                         READ: "expected 120 samples, found 1999920", WRITE: (SLOW_TEST, "write_samples(converted)")},
}


@pytest.fixture(scope="module")
def runs() -> dict[str, SuiteRun]:
    """The four runs side by side: most of each is waiting on a time limit."""
    def one(name: str) -> SuiteRun:
        return run_suite(f"tests.broken.{name}:ADAPTER", "conformance/test_layouts.py",
                         extra=("--conformance-timeout=5", "--conformance-test-timeout=15", "-k", SELECT), timeout=300)

    with ThreadPoolExecutor(len(EXPECTED)) as pool:
        return dict(zip(EXPECTED, pool.map(one, EXPECTED)))


@pytest.mark.timeout(400)
@pytest.mark.parametrize("name", list(EXPECTED))
def test_hostile_adapter_is_reported_and_the_run_finishes(runs: dict[str, SuiteRun], name: str) -> None:
    run = runs[name]
    # exit status 1: tests failed; 2 (interrupted), 3 (internal error) or 4 (usage) would mean the kit broke
    assert run.returncode == 1, f"{name}: expected the run to finish with failures (status 1), got {run.returncode}:\n{run.output[-3000:]}"
    assert len(run.tests) == 3, f"{name}: expected 3 tests in the report, found {len(run.tests)}:\n{run.describe()}"
    for test in run.tests:
        (which,) = [k for k in EXPECTED[name] if k in test["nodeid"]]
        words = EXPECTED[name][which]
        if words is None:
            assert test["outcome"] == "passed", f"{name}: expected {test['nodeid']} to pass, found {test['outcome']}: {test['message'][:500]}"
            continue
        assert test["outcome"] == "failed", f"{name}: expected {test['nodeid']} to fail, found {test['outcome']}"
        choices = words if isinstance(words, tuple) else (words,)
        assert any(w in test["message"] for w in choices), (
            f"{name}: {test['nodeid']}: expected the failure to say one of {choices!r}, found {test['message'][:500]!r}")
        assert len(test["message"]) < 5000, f"{name}: {test['nodeid']}: a failure message of {len(test['message'])} characters is not clear"


@pytest.mark.timeout(300)
def test_a_hang_inside_a_hypothesis_property_ends_that_test_and_the_run_finishes():
    # run_suite's own time limit (120 s) fails this test if the run does not finish
    run = run_suite("tests.broken.hostile_hangs:ON_LARGE_EPOCHS", "conformance/test_batching.py",
                    extra=("--conformance-timeout=3", "-k", "test_batch_sizes or test_user_case_8"), timeout=120)
    outcomes = {t["id"]: t for t in run.tests}
    hung = outcomes.get("test_batching.py::test_batch_sizes")
    assert hung is not None and hung["outcome"] == "failed", f"expected test_batch_sizes to fail on the hang:\n{run.describe()}"
    assert "adapter member epoch_batches() did not return within 3 s" in hung["message"], (
        f"expected the failure to name the member and the limit, found {hung['message']!r}"
    )
    others = [t for t in run.tests if t is not hung]
    assert others and all(t["outcome"] == "passed" for t in others), (
        f"expected the tests after the hang to run and pass, found {[(t['id'], t['outcome']) for t in others]}"
    )
