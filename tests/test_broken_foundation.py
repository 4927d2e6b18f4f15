"""The suite rejects each broken adapter of chapters 1 to 3 on the clause it breaks, and passes the reference.

Broken runs use the Hypothesis profile ``realdex-triage`` (no shrinking): the verdict is what
matters here, and shrinking every failing property would take minutes.
"""
from __future__ import annotations

import pytest

from tests.kit import assert_rejected, run_suite

SAMPLE, LAYOUTS, EQUIV = "conformance/test_sample.py", "conformance/test_layouts.py", "conformance/test_equivalence.py"
TRIAGE = ("--hypothesis-profile=realdex-triage",)

# (broken adapter, conformance modules, -k selection of the tests that show the break, the clauses it must fail on);
# the selection keeps each run short, and a selection that matches nothing fails the test for want of its clauses
CASES = [
    ("tests.broken.foundation:READS_ONE_LAYOUT", (LAYOUTS,), "", {"LAYOUT-4", "LAYOUT-5", "LAYOUT-6"}),
    # the property may draw only self-inverse rotations; the 14 realistic per-frame files never are
    ("tests.broken.foundation:TRANSPOSES_MATRIX", (SAMPLE, LAYOUTS), "matrix or matrices or orientation_encoding",
     {"SAMPLE-3", "LAYOUT-4"}),
    ("tests.broken.foundation:ZEROES_ROTATION", (SAMPLE, EQUIV), "matri", {"SAMPLE-3", "EQUIV-5"}),
    ("tests.broken.foundation:WRITES_FLOAT16", (LAYOUTS, EQUIV), "float32_precision or write_then_read", {"LAYOUT-9", "EQUIV-1"}),
    ("tests.broken.foundation:SWAPS_QUATERNION_ORDER", (LAYOUTS, EQUIV), "matri or orientation_encoding", {"LAYOUT-4", "EQUIV-5"}),
    ("tests.broken.foundation:SAYS_NOTHING_DROPPED", (EQUIV,), "drops or conversion", {"EQUIV-3", "EQUIV-4"}),
    ("tests.broken.foundation:INVENTS_OBJECT_POSE", (SAMPLE, EQUIV), "absent or conversion or invented", {"SAMPLE-4", "EQUIV-3", "EQUIV-4"}),
    # the open points decided (spec/appendix-decisions.md)
    ("tests.broken.foundation:REFUSES_EXTRA_KEYS", (LAYOUTS,), "beyond_the_layout", {"LAYOUT-1"}),
    ("tests.broken.foundation:REFUSES_PLACEHOLDER_MATRIX", (LAYOUTS,), "nan_matrix", {"LAYOUT-10"}),
    ("tests.broken.foundation:PASSES_HAND_SIDE_THROUGH", (LAYOUTS,), "other_than_right", {"LAYOUT-7"}),
    ("tests.broken.foundation:VALIDATOR_CHECKS_JOINT_LIMITS", (SAMPLE,), "validator", {"SAMPLE-6"}),
    ("tests.broken.foundation:WRITES_BYTES_HAND_SIDES", (EQUIV,), "another_reader", {"LAYOUT-9"}),
    # issue 12: a recording of hundreds of frames converted into a segment
    ("tests.broken.foundation:CONVERTS_IN_LISTING_ORDER", (EQUIV,), "frame_order", {"EQUIV-3"}),
]


@pytest.mark.parametrize("impl, modules, select, clauses", CASES, ids=[c[0].split(":")[1].lower() for c in CASES])
def test_suite_rejects_broken_adapter(impl, modules, select, clauses):
    assert_rejected(impl, tuple(modules), clauses, extra=TRIAGE + (("-k", select) if select else ()))


def test_suite_passes_the_reference():
    run = run_suite("realdex_ref", SAMPLE, LAYOUTS, EQUIV)
    assert run.returncode == 0 and run.passed() and not run.failed(), f"the reference must pass chapters 1 to 3:\n{run.describe()}"
