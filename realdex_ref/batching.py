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
