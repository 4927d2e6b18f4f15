"""The suite rejects each broken trainer of chapter 11 on the clause it breaks.

(The reference passing conformance/test_training.py is the conformance job's to show.)
"""
from __future__ import annotations

import pytest

from tests.kit import assert_rejected

MODULE = "conformance/test_training.py"
# (broken adapter, the clauses it must fail on, -k expression choosing the tests that can see it)
CASES = [
    ("tests.broken.training:IGNORES_DROP_LAST", {"TRAIN-1", "TRAIN-3"}, "zero_batch or planned_batches"),
    ("tests.broken.training:RESUMES_EPOCH_COUNTER_AS_PASS", {"TRAIN-7"}, "resume"),
    ("tests.broken.training:WRITES_CHECKPOINT_IN_PLACE", {"TRAIN-6"}, "rename"),
]


@pytest.mark.parametrize("impl, clauses, select", CASES, ids=[c[0].split(":")[1].lower() for c in CASES])
def test_suite_rejects_broken_trainer(impl, clauses, select):
    assert_rejected(impl, (MODULE,), clauses, extra=("-k", select))

