"""The suite rejects each broken adapter of the second red team (``tests/broken/redteam2.py``, issue 12) on its clause.

Trainers, the run log they write, and readers of hostile files (chapters 10, 11, 13). Each run selects, with
``-k``, the tests that can see its bug (training runs are the cost: the two-process tests are never selected)
and uses the Hypothesis profile ``realdex-triage``. Cases marked "new" were passed by the suite before this
round added the conformance case that now rejects them.
"""
from __future__ import annotations

import pytest

from tests.kit import assert_rejected, run_suite

TRAINING, ROBUSTNESS = "conformance/test_training.py", "conformance/test_robustness.py"
TRIAGE = ("--hypothesis-profile=realdex-triage",)
RESUME = "resume_ends_with_the_same_weights"

# (broken adapter, conformance modules, -k selection of the tests that show the break, the clauses it must fail on)
CASES = [
    # training (chapter 11)
    ("IGNORES_SEED", (TRAINING,), "another_seed", {"TRAIN-14"}),  # new
    ("NOISE_SEEDED_BY_STEPS_OF_THIS_PROCESS", (TRAINING,), RESUME, {"TRAIN-7"}),
    ("FRESH_OPTIMISER_ON_RESUME", (TRAINING,), RESUME, {"TRAIN-7"}),
    ("RESUME_REPEATS_THE_CHECKPOINTED_ITERATION", (TRAINING,), "resume_continues", {"TRAIN-7"}),
    ("RESUME_REDRAWS_THE_PASS_FROM_ITS_START", (TRAINING,), RESUME, {"TRAIN-7"}),
    ("CHECKPOINT_BEFORE_THE_STEP", (TRAINING,), RESUME, {"TRAIN-7"}),
    ("REFUSES_ONLY_A_FOLDER_WITH_A_LOG", (TRAINING,), "checkpoints_alone", {"TRAIN-10"}),  # new
    ("FINAL_CHECKPOINT_ONLY_AT_A_PASS_END", (TRAINING,), "cut_by_max_iterations", {"TRAIN-4", "RUNLOG-4"}),  # new
    ("CHECKPOINT_STAGED_IN_TMP", (TRAINING,), "published_by_rename", {"TRAIN-6"}),
    ("RESUME_REFUSES_ONLY_MORE_SAMPLES", (TRAINING,), "over_other_data", {"TRAIN-11"}),  # new
    # the run log the trainer writes (chapter 10, through chapter 11's runs)
    ("INTERRUPTED_LOGGED_COMPLETED", (TRAINING,), "interruption_saves", {"TRAIN-9"}),
    ("ALREADY_COMPLETE_LOGGED_COMPLETED", (TRAINING,), "finished_run_does_nothing", {"TRAIN-8"}),
    ("EPOCH_END_BEFORE_THE_LAST_STEP", (TRAINING,), "iterations_done", {"RUNLOG-3"}),  # new
    ("SAMPLES_SEEN_COUNTS_PADDING", (TRAINING,), "planned_batches", {"TRAIN-3"}),
    ("BUFFERS_THE_RUN_LOG", (TRAINING,), "on_disk_when", {"RUNLOG-1"}),  # new
    ("REWRITES_THE_LOG_ON_RESUME", (TRAINING,), "appends_to_the_log or resume_continues", {"RUNLOG-1", "TRAIN-7"}),
    # hostile files (chapter 13)
    ("ALLOCATES_THE_DECLARED_SHAPE", (ROBUSTNESS,), "announced_size", {"SAFE-4"}),
    ("CHECKS_NO_DECLARED_SIZE", (ROBUSTNESS,), "bomb", {"SAFE-11"}),
    ("NO_RATIO_CHECK", (ROBUSTNESS,), "bomb", {"SAFE-11"}),
    ("NO_MEMBER_COUNT_LIMIT", (ROBUSTNESS,), "bomb", {"SAFE-11"}),  # new
    ("SKIPS_FOLDER_LINKS_QUIETLY", (ROBUSTNESS,), "walk_reports", {"SAFE-13"}),
]


@pytest.mark.parametrize("name, modules, select, clauses", CASES, ids=[c[0].lower() for c in CASES])
def test_suite_rejects_broken_adapter(name, modules, select, clauses):
    assert_rejected(f"tests.broken.redteam2:{name}", modules, clauses, extra=TRIAGE + ("-k", select))


NEW = ("another_seed or checkpoints_alone or cut_by_max_iterations or iterations_done or on_disk_when or "
       "appends_to_the_log or over_other_data or bomb")


@pytest.mark.parametrize("impl", ["realdex_ref", "tests.foreign.plain_trainer_adapter"], ids=["reference", "foreign-trainer"])
def test_right_implementations_pass_the_second_red_teams_cases(impl):
    modules = (TRAINING, ROBUSTNESS) if impl == "realdex_ref" else (TRAINING,)
    run = run_suite(impl, *modules, extra=("-k", NEW))
    assert run.returncode == 0 and len(run.passed()) >= 5 and not run.failed(), (
        f"{impl} must pass the second red team's conformance cases:\n{run.describe()}")
