"""The suite rejects each broken adapter of chapters 5 to 8 on the clause it breaks, and passes the reference."""
from __future__ import annotations

import pytest

from tests.kit import assert_rejected, run_suite

# (broken adapter, conformance module, the clauses it must fail on)
CASES = [
    ("tests.broken.batching:PADS_SILENTLY", "conformance/test_batching.py", {"BATCH-3"}),
    ("tests.broken.batching:RANKS_OVERLAP", "conformance/test_batching.py", {"BATCH-3", "BATCH-6"}),
    ("tests.broken.batching:CEIL_PLAN_FLOOR_BATCHES", "conformance/test_batching.py", {"BATCH-1", "BATCH-2"}),
    ("tests.broken.dataroot:READS_FIRST_LAYOUT", "conformance/test_dataroot.py", {"ROOT-3", "ROOT-9"}),
    ("tests.broken.dataroot:IGNORES_SMALL_CLOUDS", "conformance/test_datachecks.py", {"CHECK-1"}),
    # the open points decided (spec/appendix-decisions.md)
    ("tests.broken.batching:ACCEPTS_ZERO_MINIMUM", "conformance/test_batching.py", {"BATCH-8"}),
    ("tests.broken.batching:GIVES_NO_SAMPLES_NEEDED", "conformance/test_batching.py", {"BATCH-8"}),
    ("tests.broken.dataroot:SORTS_NATURALLY", "conformance/test_dataroot.py", {"ROOT-5"}),
    ("tests.broken.dataroot:OBJECT_IS_THE_FOLDER", "conformance/test_dataroot.py", {"ROOT-2"}),
    ("tests.broken.dataroot:REFUSES_NAMES_NOT_UTF8", "conformance/test_dataroot.py", {"ROOT-1"}),
    ("tests.broken.dataroot:CACHES_BY_PATH", "conformance/test_dataroot.py", {"ROOT-12"}),
    # issue 12: folders of many files, the converted layout in the loader
    ("tests.broken.dataroot:SORTS_PATHS_AS_STRINGS", "conformance/test_dataroot.py", {"ROOT-5"}),
    ("tests.broken.loader_clouds:PAIRS_FIRST_CLOUD", "conformance/test_loader.py", {"LOADER-3"}),
    # found by mutation testing (docs/mutation.md)
    ("tests.broken.batching:RESUMES_ANY_PLAN", "conformance/test_loader.py", {"LOADER-12"}),
    ("tests.broken.batching:PROPOSES_BATCH_SIZE_ONE", "conformance/test_batching.py", {"BATCH-8"}),
    ("tests.broken.dataroot:COUNTS_LIMITS_OF_THE_LAST_FILE", "conformance/test_datachecks.py", {"CHECK-4", "CHECK-8"}),
    ("tests.broken.dataroot:SKIPS_AN_UNREADABLE_MANIFEST", "conformance/test_dataroot.py", {"ROOT-7"}),
    ("tests.broken.batching:FPS_IS_RANDOM", "conformance/test_loader.py", {"LOADER-3"}),
    ("tests.broken.batching:KEEPS_COUNT_ACROSS_EPOCHS", "conformance/test_loader.py", {"LOADER-7"}),
    ("tests.broken.batching:FPS_START_FROM_THE_PATH", "conformance/test_loader.py", {"LOADER-3"}),
    ("tests.broken.batching:HIDES_THE_OTHER_LAYOUT", "conformance/test_loader.py", {"LOADER-8", "BATCH-8"}),
]


@pytest.mark.parametrize("impl, module, clauses", CASES, ids=[c[0].split(":")[1].lower() for c in CASES])
def test_suite_rejects_broken_adapter(impl, module, clauses):
    assert_rejected(impl, (module,), clauses)


@pytest.mark.parametrize("module", sorted({c[1] for c in CASES}))
def test_suite_passes_the_reference(module):
    run = run_suite("realdex_ref", module)
    assert run.returncode == 0 and run.passed(), f"the reference must pass {module}:\n{run.describe()}"
