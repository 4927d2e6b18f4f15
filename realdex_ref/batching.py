"""The batch plan (spec chapter 7): how many batches an epoch has, per rank, and what is dropped or padded.

Semantics are those of PyTorch's ``DistributedSampler`` feeding a ``DataLoader``, with one
``drop_last`` for both: without it each rank gets ceil(N / W) samples (the last ones padded by
repeating the first indices) and ceil(per_rank / B) batches; with it each rank gets
floor(N / W) samples and floor(per_rank / B) batches.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from realdex_ref.errors import PlanError


@dataclass(frozen=True)
class BatchPlan:
    num_samples: int
    batch_size: int
    world_size: int
    drop_last: bool
    samples_per_rank: int
    batches_per_epoch: int  # per rank; every rank has the same number
    dropped_per_epoch: int  # samples of the dataset no rank sees in an epoch
    padded_per_epoch: int  # repeated samples added so that ranks are even

    def as_dict(self) -> dict:
        return asdict(self)


def batch_plan(num_samples: int, batch_size: int, world_size: int = 1, drop_last: bool = False) -> BatchPlan:
    for name, value, least in (("num_samples", num_samples, 0), ("batch_size", batch_size, 1), ("world_size", world_size, 1)):
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            raise PlanError(f"{name} must be an int >= {least}, found {value!r}")
    n, b, w = num_samples, batch_size, world_size
    if drop_last:
        per_rank = n // w
        batches = per_rank // b
        seen = batches * b * w
        return BatchPlan(n, b, w, True, per_rank, batches, n - seen, 0)
    per_rank = -(-n // w)
    batches = -(-per_rank // b)
    return BatchPlan(n, b, w, False, per_rank, batches, 0, per_rank * w - n)


def check_plan(plan: BatchPlan, min_batches: int = 1) -> BatchPlan:
    """Refuse a batch plan with fewer than ``min_batches`` batches per epoch; return it otherwise.

    The message gives the numbers and every fix, because an empty epoch trains nothing and
    no later step says so (the loop simply runs zero times).
    """
    if plan.batches_per_epoch >= min_batches:
        return plan
    n, b, w = plan.num_samples, plan.batch_size, plan.world_size
    per_rank = plan.samples_per_rank
    fixes = []
    if per_rank > 0:
        fixes.append(f"a batch size of at most {per_rank} (--batch-size {per_rank})")
    if plan.drop_last:
        kept = batch_plan(n, b, w, drop_last=False).batches_per_epoch
        fixes.append(f"drop_last=False, which keeps the partial batch ({kept} batch(es) per epoch)")
    fixes.append(f"more data: at least {b * w * min_batches} samples")
    fixes.append("another layout under the data root, if it holds more samples (realdex inspect ROOT)")
    raise PlanError(
        f"the batch plan has {plan.batches_per_epoch} batch(es) per epoch, at least {min_batches} needed: "
        f"num_samples={n}, batch_size={b}, world_size={w}, drop_last={plan.drop_last} "
        f"gives {per_rank} sample(s) per rank, {'floor' if plan.drop_last else 'ceil'}({per_rank} / {b}) = "
        f"{plan.batches_per_epoch}. Every epoch would be empty and the run would end at once. "
        "Fixes: " + "; ".join(fixes) + "."
    )
