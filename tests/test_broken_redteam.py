"""The suite rejects each broken adapter of the red team (``tests/broken/redteam.py``, issue 12) on its clause.

Bugs nobody listed when the suite was written, one per adapter. Each run selects, with ``-k``, the tests
that can see its bug (so that the file stays minutes, not tens of minutes) and uses the Hypothesis profile
``realdex-triage`` (no shrinking: the verdict is what matters). Cases marked "new" were passed by the
suite before the red team added the conformance case that now rejects them.
"""
from __future__ import annotations

import pytest

from tests.kit import assert_rejected, run_suite

SAMPLE, LAYOUTS, EQUIV = "conformance/test_sample.py", "conformance/test_layouts.py", "conformance/test_equivalence.py"
CHECKS, BATCH, LOADER = "conformance/test_datachecks.py", "conformance/test_batching.py", "conformance/test_loader.py"
TRAINING, LEARNING = "conformance/test_training.py", "conformance/test_learning.py"
TRIAGE = ("--hypothesis-profile=realdex-triage",)

# (broken adapter, conformance modules, -k selection of the tests that show the break, the clauses it must fail on)
CASES = [
    # readers and writers (chapters 1 to 3)
    ("DROPS_LAST_FRAME", (LAYOUTS,), "segment_of_t_frames or realistic_segment", {"LAYOUT-3", "LAYOUT-6"}),
    ("SWAPS_FFJ4_FFJ3", (SAMPLE,), "joint_order", {"SAMPLE-2"}),
    ("MJCF_JOINT_ORDER", (SAMPLE,), "joint_order", {"SAMPLE-2"}),
    ("MJCF_FLIPPED_AXES", (SAMPLE,), "joint_order", {"SAMPLE-2"}),
    ("OBJECT_TRANSL_FROM_HAND", (SAMPLE, EQUIV), "world_metres or another_writer", {"SAMPLE-5", "EQUIV-2"}),
    ("READS_AXIS_ANGLE_AS_EULER", (SAMPLE,), "half_turn_is_read_as_the_same", {"SAMPLE-3"}),
    ("FOLDS_WITHOUT_FLIPPING_THE_AXIS", (SAMPLE,), "half_turn_is_read_as_the_same", {"SAMPLE-3"}),
    ("CONVERTED_CLOUD_OFF_BY_ONE", (LAYOUTS,), "its_own_cloud", {"LAYOUT-5"}),  # new
    ("CONTACTS_OF_THE_FIRST_SAMPLE", (LAYOUTS,), "splits_hand_poses or its_own_cloud", {"LAYOUT-5"}),
    ("SCALE_OF_THE_FIRST_SAMPLE", (LAYOUTS,), "its_own_cloud", {"LAYOUT-5"}),  # new
    ("SPLITS_HAND_POSES_QPOS_FIRST", (LAYOUTS,), "splits_hand_poses", {"LAYOUT-5"}),
    ("DROPS_COLOURS", (EQUIV,), "another_writer", {"EQUIV-2"}),
    ("COLOURS_IN_0_TO_255", (SAMPLE,), "samples_read_are_canonical", {"SAMPLE-4"}),
    ("DOWNCASTS_TO_FLOAT32", (SAMPLE,), "samples_read_are_canonical", {"SAMPLE-1"}),
    ("SEGMENT_WRITER_ONE_OBJECT_POSE", (EQUIV,), "write_then_read or another_reader", {"EQUIV-1", "EQUIV-2"}),
    ("WRITES_TRANSPOSED_MATRIX", (EQUIV,), "another", {"EQUIV-2"}),
    # batching and the loader (chapters 7 and 8)
    ("SAME_ORDER_EVERY_EPOCH", (BATCH,), "shuffle_is_reproducible", {"BATCH-7"}),
    ("CONTIGUOUS_RANK_SPLIT", (BATCH,), "without_shuffle", {"BATCH-7"}),
    ("DROPS_SHORT_LAST_BATCH", (BATCH,), "planned_number or every_sample_is_seen or user_case", {"BATCH-2", "BATCH-3", "BATCH-9"}),
    ("REFUSES_THE_MINIMUM_ITSELF", (BATCH,), "below_the_minimum or user_case", {"BATCH-8", "BATCH-9"}),
    ("LOADER_IGNORES_SET_EPOCH", (LOADER,), "follow_the_plan", {"LOADER-5"}),
    ("LOADER_DROPS_SHORT_LAST_BATCH", (LOADER,), "follow_the_plan or cover", {"LOADER-5", "LOADER-9"}),
    ("UNSEEDED_POINT_SAMPLING", (LOADER,), "same_batches", {"LOADER-6"}),
    ("SAMPLES_POINTS_WITH_REPLACEMENT", (LOADER,), "points_of_its_cloud", {"LOADER-3"}),
    ("RESUMES_AT_EPOCH_START", (LOADER,), "resume_continues", {"LOADER-7"}),
    ("IGNORES_LOADER_SEED", (LOADER,), "follow_the_plan", {"LOADER-5"}),
    ("POSE_QPOS_BEFORE_ROTATION", (LOADER,), "points_of_its_cloud", {"LOADER-2"}),
    # data checks (chapter 6)
    ("NON_FINITE_SKIPS_UNTRAINED_FIELDS", (CHECKS,), "non_finite", {"CHECK-2"}),  # new
    ("DUPLICATES_BY_QPOS_ONLY", (CHECKS,), "duplicate", {"CHECK-5"}),  # new
    ("DUPLICATES_WITHIN_FILE_ONLY", (CHECKS,), "duplicate", {"CHECK-5"}),
    ("DUPLICATES_BY_FILE_HASH", (CHECKS,), "duplicate", {"CHECK-5"}),  # new
    ("ZERO_ORIENTATION_ON_ANY_FRAME", (CHECKS,), "zero_orientations", {"CHECK-3"}),
    ("CHECKS_PLACEHOLDERS", (CHECKS,), "placeholders_of_missing", {"CHECK-2", "CHECK-7"}),  # new
    ("MISMATCH_ONLY_OF_REALDEX_FILES", (CHECKS,), "disagreeing", {"CHECK-6"}),  # new
    ("ZERO_CHECK_SKIPS_CONVERTED", (CHECKS,), "zero", {"CHECK-3"}),  # new
    ("CLOUD_TOO_SMALL_AT_EQUAL", (CHECKS,), "smaller_than", {"CHECK-1"}),
    ("JOINT_LIMITS_WITHOUT_SLACK", (CHECKS,), "clean_data", {"CHECK-4"}),
    # training and learning (chapters 11 and 14)
    ("CHECKPOINT_ITERATION_OFF_BY_ONE", (TRAINING,), "checkpoints_hold", {"TRAIN-5"}),
    ("LEARNING_IGNORES_LAST_EVENTS", (LEARNING,), "non_finite or nan", {"LEARN-4"}),  # new
]


@pytest.mark.parametrize("name, modules, select, clauses", CASES, ids=[c[0].lower() for c in CASES])
def test_suite_rejects_broken_adapter(name, modules, select, clauses):
    assert_rejected(f"tests.broken.redteam:{name}", modules, clauses, extra=TRIAGE + ("-k", select))


NEW = ("its_own_cloud or every_field_held or within_a_file or part_of_the_hand_pose or last_event_is or "
       "placeholders_of_missing or disagreeing_sample_counts or zero_hand_rotations_of_a_converted")


def test_suite_passes_the_reference_on_the_red_teams_cases():
    run = run_suite("realdex_ref", LAYOUTS, CHECKS, LEARNING, extra=("-k", NEW))
    assert run.returncode == 0 and len(run.passed()) >= 13 and not run.failed(), (
        f"the reference must pass the red team's conformance cases:\n{run.describe()}")
