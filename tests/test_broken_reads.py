"""The suite rejects each broken adapter of reads on the clause it breaks, and passes the reference on the same tests:
caches that serve a file as it was (LAYOUT-12, ROOT-12) or hand out the arrays they keep (LAYOUT-12, ROOT-14,
LOADER-11), manifests checked only in part (ROOT-7), a loader state that counts the batches its workers fetched ahead
(LOADER-7)."""
from __future__ import annotations

import pytest

from tests.kit import assert_rejected, run_suite

LAYOUTS, ROOTS, LOADER = "conformance/test_layouts.py", "conformance/test_dataroot.py", "conformance/test_loader.py"
TRIAGE = ("--hypothesis-profile=realdex-triage",)

# (broken adapter, conformance modules, -k selection of the tests that show the break, the clauses it must fail on);
# a selection that matches nothing fails the test for want of its clauses
CASES = [
    ("tests.broken.reads:CACHES_FILE_BY_PATH", (LAYOUTS,), "rewritten_with", {"LAYOUT-12"}),
    ("tests.broken.reads:STAMPS_SIZE_AND_TIME", (ROOTS,), "changed_between", {"ROOT-12"}),
    ("tests.broken.reads:CACHES_DATASET_BY_PATH", (LOADER,), "made_again", {"ROOT-12"}),
    ("tests.broken.reads:SHARES_CACHED_ARRAYS", (LAYOUTS, ROOTS), "are_the_callers", {"LAYOUT-12", "ROOT-14"}),
    ("tests.broken.reads:CHECKS_MANIFEST_TOTAL", (ROOTS,), "manifest", {"ROOT-7"}),
    ("tests.broken.reads:CHECKS_MANIFEST_LAYOUTS", (ROOTS,), "manifest", {"ROOT-7"}),
    ("tests.broken.reads:MEMOISES_BATCHES", (LOADER,), "are_the_callers", {"LOADER-11"}),
    ("tests.broken.reads:COUNTS_FETCHED_BATCHES", (LOADER,), "resume", {"LOADER-7"}),
]
SELECTED = " or ".join(sorted({c[2] for c in CASES}))


@pytest.mark.parametrize("impl, modules, select, clauses", CASES, ids=[c[0].split(":")[1].lower() for c in CASES])
def test_suite_rejects_broken_adapter(impl, modules, select, clauses):
    assert_rejected(impl, modules, clauses, extra=TRIAGE + ("-k", select))


def test_suite_passes_the_reference_on_those_tests():
    run = run_suite("realdex_ref", LAYOUTS, ROOTS, LOADER, extra=("-k", SELECTED))
    assert run.returncode == 0 and len(run.passed()) >= 15 and not run.failed(), (
        f"the reference must pass the tests that reject the broken readers ({SELECTED}):\n{run.describe()}")
