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


def check_plan(plan: BatchPlan, min_batches: int = 1, *, other_layouts: dict[str, int] | None = None) -> BatchPlan:
    """Refuse ``plan`` (PlanError) when it gives fewer than ``min_batches`` batches per epoch.

    ``other_layouts`` maps the layouts of the data root that were not chosen to their sample
    counts, so that the message can point at the one that would give a usable plan.
    Returns the plan when it is accepted. Zero batches per epoch is refused whatever ``min_batches``
    says (BATCH-8): a minimum of 0 asks for nothing beyond that.
    """
    min_batches = max(min_batches, 1)
    if plan.batches_per_epoch >= min_batches:
        return plan
    n, b, w = plan.num_samples, plan.batch_size, plan.world_size
    head = (
        f"the batch plan gives {plan.batches_per_epoch} batch(es) per epoch per rank, "
        f"fewer than the minimum of {min_batches}: {n} sample(s), batch size {b}, world size {w}, "
        f"drop_last={plan.drop_last}"
    )
    if plan.drop_last and plan.batches_per_epoch == 0:
        head += f" (floor({n} / {w}) = {plan.samples_per_rank} sample(s) per rank, floor({plan.samples_per_rank} / {b}) = 0 batches)"
    fixes: list[str] = []
    best_b = _largest_batch_size(n, w, plan.drop_last, min_batches, b)
    if best_b:
        fixes.append(f"use batch size {best_b} or smaller (on the command line: --batch-size {best_b})")
    if plan.drop_last:
        alt = batch_plan(n, b, w, False)
        if alt.batches_per_epoch >= min_batches:
            fixes.append(f"set drop_last=False ({alt.batches_per_epoch} batch(es) per epoch, the last one short; "
                         "on the command line: --no-drop-last)")
    need = _samples_needed(b, w, plan.drop_last, min_batches)
    fixes.append(f"use more data: this plan needs at least {need} sample(s), the data has {n}")
    for layout, count in sorted((other_layouts or {}).items(), key=lambda kv: -kv[1]):
        alt = batch_plan(count, b, w, plan.drop_last)
        if alt.batches_per_epoch >= min_batches:
            fixes.append(
                f"read the root's other layout {layout!r} ({count} samples, {alt.batches_per_epoch} batches per epoch): "
                f"layout={layout!r} (on the command line: --layout {layout})"
            )
    raise PlanError(head + ". Fixes: " + "; ".join(fixes) + ".")


def _largest_batch_size(n: int, w: int, drop_last: bool, min_batches: int, below: int) -> int:
    """The largest batch size under ``below`` that gives ``min_batches`` batches, or 0 when none does."""
    per_rank = n // w if drop_last else -(-n // w)
    if per_rank < min_batches:
        return 0
    # floor(per_rank / b) >= m  <=>  b <= per_rank // m ; ceil(per_rank / b) >= m  <=> b <= (per_rank - 1) // (m - 1)
    if drop_last or min_batches == 1:
        b = per_rank // min_batches
    else:
        b = (per_rank - 1) // (min_batches - 1)
    return min(b, below - 1)


def _samples_needed(b: int, w: int, drop_last: bool, min_batches: int) -> int:
    """The fewest samples that give ``min_batches`` batches per rank."""
    if drop_last:
        return min_batches * b * w
    return (min_batches - 1) * b * w + 1  # ceil(ceil(n / w) / b) >= m  <=>  n > (m - 1) * b * w


def epoch_order(num_samples: int, world_size: int, rank: int, drop_last: bool, seed: int, epoch: int, shuffle: bool) -> list[int]:
    """The sample indices rank ``rank`` gets in ``epoch``, in order: those of ``DistributedSampler``.

    The permutation is torch's ``randperm`` seeded with ``seed + epoch`` (as DistributedSampler
    does), so that one can be swapped for the other (BATCH-11).
    """
    plan = batch_plan(num_samples, 1, world_size, drop_last)
    if not 0 <= rank < world_size:
        raise PlanError(f"rank must be in 0 … {world_size - 1} for world size {world_size}, found {rank!r}")
    if shuffle:
        import torch  # only the shuffled order needs it

        g = torch.Generator()
        g.manual_seed(seed + epoch)
        order = torch.randperm(num_samples, generator=g).tolist()
    else:
        order = list(range(num_samples))
    total = plan.samples_per_rank * world_size
    if total > len(order) and order:
        order = (order * -(-total // len(order)))[:total]
    else:
        order = order[:total]
    return order[rank:total:world_size]


def epoch_batches(
    num_samples: int, batch_size: int, world_size: int, rank: int, drop_last: bool, seed: int, epoch: int, shuffle: bool
) -> list[list[int]]:
    """The batches of ``rank`` in ``epoch`` (chapter 7), exactly ``batch_plan(...).batches_per_epoch`` of them."""
    plan = batch_plan(num_samples, batch_size, world_size, drop_last)
    order = epoch_order(num_samples, world_size, rank, drop_last, seed, epoch, shuffle)
    return [order[i * batch_size : (i + 1) * batch_size] for i in range(plan.batches_per_epoch)]


class EpochSampler:
    """A batch sampler for ``DataLoader(batch_sampler=...)``: the batches of one rank, epoch by epoch.

    ``set_epoch(e)`` chooses the epoch (a new order when shuffling). ``state_dict()`` holds the
    epoch and the number of batches already taken in it, so that a resumed run continues with
    the very next batch. With ``with_epoch=True`` each index is yielded as ``(epoch, index)``,
    for a dataset that draws per-item randomness from the epoch even in worker processes.
    """

    def __init__(
        self,
        num_samples: int,
        batch_size: int,
        world_size: int = 1,
        rank: int = 0,
        drop_last: bool = False,
        seed: int = 0,
        shuffle: bool = True,
        *,
        with_epoch: bool = False,
    ) -> None:
        self.plan = batch_plan(num_samples, batch_size, world_size, drop_last)
        if not 0 <= rank < world_size:
            raise PlanError(f"rank must be in 0 … {world_size - 1} for world size {world_size}, found {rank!r}")
        self.rank, self.seed, self.shuffle, self.with_epoch = rank, seed, shuffle, with_epoch
        self.epoch = 0
        self.batches_done = 0  # batches of the current epoch already yielded (or restored)

    def set_epoch(self, epoch: int) -> None:
        if epoch != self.epoch:
            self.epoch, self.batches_done = epoch, 0

    def __len__(self) -> int:
        return self.plan.batches_per_epoch

    def batches(self) -> list[list[int]]:
        p = self.plan
        return epoch_batches(p.num_samples, p.batch_size, p.world_size, self.rank, p.drop_last, self.seed, self.epoch, self.shuffle)

    def __iter__(self):
        batches = self.batches()
        start = self.batches_done
        for k in range(start, len(batches)):
            self.batches_done = k + 1
            yield [(self.epoch, i) for i in batches[k]] if self.with_epoch else batches[k]
        # a finished epoch starts again from its first batch unless set_epoch moves on
        self.batches_done = 0

    def state_dict(self, batches_done: int | None = None) -> dict:
        """The position: epoch and batches taken in it (pass ``batches_done`` when a consumer counts them)."""
        p = self.plan
        return {
            "epoch": self.epoch,
            "batches_done": self.batches_done if batches_done is None else batches_done,
            "seed": self.seed,
            "shuffle": self.shuffle,
            **{k: getattr(p, k) for k in ("num_samples", "batch_size", "world_size", "drop_last")},
            "rank": self.rank,
        }

    def load_state_dict(self, state: dict) -> None:
        p = self.plan
        mine = {"num_samples": p.num_samples, "batch_size": p.batch_size, "world_size": p.world_size,
                "drop_last": p.drop_last, "seed": self.seed, "shuffle": self.shuffle, "rank": self.rank}
        differ = [f"{k}: saved {state[k]!r}, now {v!r}" for k, v in mine.items() if k in state and state[k] != v]
        if differ:
            raise PlanError(
                "cannot resume the sampler: the saved position belongs to another plan (" + "; ".join(differ)
                + "). Resume with the same data, batch size, world size, drop_last, seed and shuffle, or start the epoch afresh."
            )
        self.epoch = int(state["epoch"])
        self.batches_done = int(state["batches_done"])
