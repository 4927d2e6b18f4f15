"""The suite rejects a run checker blind to any one finding of chapter 14, on that finding's clause."""
from __future__ import annotations

import pytest

from tests.kit import assert_rejected

LEARNING = "conformance/test_learning.py"
# the hand-made logs only: the one test that trains is not about the checker
ONLY_LOGS = ("-k", "not trainers_metrics")


@pytest.mark.parametrize("impl,clause", [
    ("tests.broken.learning:IGNORES_NONFINITE", "LEARN-4"),
    ("tests.broken.learning:IGNORES_NO_LEARNING", "LEARN-5"),
    ("tests.broken.learning:IGNORES_DIVERGED", "LEARN-6"),
    ("tests.broken.learning:IGNORES_MEMORISED", "LEARN-7"),
    ("tests.broken.learning:IGNORES_SLOWDOWN", "LEARN-8"),
])
def test_suite_rejects_a_checker_blind_to_one_finding(impl, clause):
    run = assert_rejected(impl, (LEARNING,), {clause}, extra=ONLY_LOGS)
    assert run.passed(), f"expected the tests of the other findings to pass against {impl}:\n{run.describe()}"
