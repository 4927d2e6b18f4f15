"""Broken adapters for chapter 7 (batching); the suite must reject each on the clause it breaks."""
from __future__ import annotations

import re

from realdex_ref import batching
from realdex_ref.adapter import ReferenceAdapter


class PadsSilently(ReferenceAdapter):
    """Fills each rank's short last batch by repeating its first indices, while the plan states no padding."""

    name = "broken-pads-silently"

    def epoch_batches(self, num_samples, batch_size, world_size, rank, drop_last, seed, epoch, shuffle):
        batches = super().epoch_batches(num_samples, batch_size, world_size, rank, drop_last, seed, epoch, shuffle)
        if batches and len(batches[-1]) < batch_size:
            mine = [i for b in batches for i in b]
            batches[-1] = batches[-1] + (mine * batch_size)[: batch_size - len(batches[-1])]
        return batches


class RanksOverlap(ReferenceAdapter):
    """Every rank takes the first samples_per_rank indices of the order: the rank offset is forgotten."""

    name = "broken-ranks-overlap"

    def epoch_batches(self, num_samples, batch_size, world_size, rank, drop_last, seed, epoch, shuffle):
        return super().epoch_batches(num_samples, batch_size, world_size, 0, drop_last, seed, epoch, shuffle)


class CeilPlanFloorBatches(ReferenceAdapter):
    """Reports ceil(samples_per_rank / B) batches even with drop_last, while yielding floor of them."""

    name = "broken-ceil-plan-floor-batches"

    def batch_plan(self, num_samples, batch_size, world_size=1, drop_last=False):
        plan = batching.batch_plan(num_samples, batch_size, world_size, drop_last).as_dict()
        plan["batches_per_epoch"] = -(-plan["samples_per_rank"] // batch_size)
        return plan


class AcceptsZeroMinimum(ReferenceAdapter):
    """Takes min_batches=0 at its word: a plan of zero batches per epoch passes the check."""

    name = "broken-accepts-zero-minimum"

    def check_plan(self, num_samples, batch_size, world_size, drop_last, min_batches=1):
        if min_batches <= 0:
            return None
        return super().check_plan(num_samples, batch_size, world_size, drop_last, min_batches)


class GivesNoSamplesNeeded(ReferenceAdapter):
    """Refuses with the numbers and the smaller batch size, but never says how many samples the plan needs."""

    name = "broken-gives-no-samples-needed"

    def check_plan(self, num_samples, batch_size, world_size, drop_last, min_batches=1):
        try:
            super().check_plan(num_samples, batch_size, world_size, drop_last, min_batches)
        except batching.PlanError as exc:
            kept = [fix for fix in str(exc).split("; ") if "more data" not in fix]
            raise batching.PlanError("; ".join(kept)) from None


PADS_SILENTLY = PadsSilently()
RANKS_OVERLAP = RanksOverlap()
CEIL_PLAN_FLOOR_BATCHES = CeilPlanFloorBatches()
ACCEPTS_ZERO_MINIMUM = AcceptsZeroMinimum()
GIVES_NO_SAMPLES_NEEDED = GivesNoSamplesNeeded()


class ResumesAnyPlan(ReferenceAdapter):
    """The loader's load_state_dict takes the saved epoch and position and trusts they belong to its own plan:
    a state saved under another seed, shuffle or batch size resumes in silence (found by mutation testing)."""

    name = "broken-resumes-any-plan"

    def make_loader(self, *args, **kwargs):
        ld = super().make_loader(*args, **kwargs)

        def load_state_dict(state: dict) -> None:
            ld.sampler.epoch, ld.sampler.batches_done = int(state["epoch"]), int(state["batches_done"])
            ld.dataset.set_epoch(ld.sampler.epoch)
            ld.taken = ld.sampler.batches_done

        ld.load_state_dict = load_state_dict
        return ld


RESUMES_ANY_PLAN = ResumesAnyPlan()


class ProposesBatchSizeOne(ReferenceAdapter):
    """A refusal proposes batch size 1, which always gives the most batches, not the largest that gives the
    minimum (found by mutation testing)."""

    name = "broken-proposes-batch-size-one"

    def check_plan(self, num_samples, batch_size, world_size, drop_last, min_batches=1):
        try:
            return super().check_plan(num_samples, batch_size, world_size, drop_last, min_batches)
        except batching.PlanError as exc:
            raise batching.PlanError(re.sub(r"use batch size \d+ or smaller \(on the command line: --batch-size \d+\)",
                                            "use batch size 1 (on the command line: --batch-size 1)", str(exc))) from None


PROPOSES_BATCH_SIZE_ONE = ProposesBatchSizeOne()



def _random_points(cloud, k, start):
    import numpy as np

    return np.random.default_rng([len(cloud), int(start)]).choice(len(cloud), size=k, replace=False)


class FpsIsRandom(ReferenceAdapter):
    """Asked for farthest-point sampling, draws the points at random from a generator seeded by the cloud: points
    of the cloud, the same every epoch, but not the farthest ones (found by mutation testing)."""

    name = "broken-fps-is-random"

    def make_dataset(self, *args, **kwargs):
        from realdex_ref import loader

        loader.farthest_points = _random_points  # the suite's process serves this one adapter
        return super().make_dataset(*args, **kwargs)


FPS_IS_RANDOM = FpsIsRandom()


class KeepsCountAcrossEpochs(ReferenceAdapter):
    """set_epoch moves to the new epoch but keeps the count of batches taken: a state saved in the second epoch a
    loader iterates counts the first epoch's batches too (found by mutation testing)."""

    name = "broken-keeps-count-across-epochs"

    def make_loader(self, *args, **kwargs):
        ld = super().make_loader(*args, **kwargs)

        def set_epoch(epoch: int) -> None:
            ld.sampler.set_epoch(epoch)
            ld.dataset.set_epoch(epoch)

        ld.set_epoch = set_epoch
        return ld


class FpsStartFromThePath(ReferenceAdapter):
    """Draws the fps start point from (seed, cloud, the root's path): the same cloud under another folder gives
    other points (found by mutation testing)."""

    name = "broken-fps-start-from-the-path"

    def make_dataset(self, *args, **kwargs):
        import zlib

        import numpy as np
        from realdex_ref import loader

        def start(ds, c, size):
            return int(np.random.default_rng([ds.seed, c, zlib.crc32(str(ds.root).encode())]).integers(size))

        loader.RealDexDataset._fps_start = start  # the suite's process serves this one adapter
        return super().make_dataset(*args, **kwargs)


KEEPS_COUNT_ACROSS_EPOCHS = KeepsCountAcrossEpochs()
FPS_START_FROM_THE_PATH = FpsStartFromThePath()


class HidesTheOtherLayout(ReferenceAdapter):
    """The loader refuses a zero-batch plan with every fix but the one that was the user's: the root's other layout,
    which holds the data (the loader checks the plan as ``check_plan`` does, without the root)."""

    name = "broken-hides-the-other-layout"

    def make_loader(self, dataset, *args, **kwargs):
        from unittest import mock

        check = batching.check_plan

        def without_the_root(plan, min_batches=1, *, other_layouts=None):
            return check(plan, min_batches)  # what the refusal would have pointed at is left out

        with mock.patch.object(batching, "check_plan", without_the_root):
            return super().make_loader(dataset, *args, **kwargs)


HIDES_THE_OTHER_LAYOUT = HidesTheOtherLayout()
