"""The reference's adapter (spec chapter 4): what the conformance suite calls.

Each member delegates to the module of its subject; this file only wires them together. Walks of
data roots go through a walk index (ROOT-11) held in memory for the adapter's life: reading through
the adapter writes nothing anywhere (SAFE-5), and the suite's throwaway roots would fill a cache.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import realdex_spec
from realdex_ref import batching, checkrun, datachecks, dataroot, errors, layouts, planning
from realdex_ref import sample as sample_module
from realdex_ref.index import MemoryIndex

_INDEX = MemoryIndex()


class ReferenceAdapter:
    name = "realdex_ref"
    spec_version = realdex_spec.VERSION
    error_types = (errors.RealDexError,)  # every refusal of input is one of these (ADAPTER-6)
    capabilities = frozenset(
        {
            "read:realdex-segment",
            "read:realdex-frame",
            "read:converted",
            "write:realdex-segment",
            "write:realdex-frame",
            "write:converted",
            "validate",
            "batching",
            "root",
            "checks",
            "loader",
            "planning",
            "runlog",
            "training",
            "training:distributed",
        }
    )

    @property
    def version(self) -> str:
        from realdex_ref import __version__

        return __version__

    # chapter 1: the canonical sample
    def validate_sample(self, sample: dict[str, Any]) -> None:
        sample_module.validate_sample(sample)

    # chapters 2 and 3: layouts
    def detect_layout(self, path: str | Path) -> str:
        return layouts.detect_layout(path)

    def read_file(self, path: str | Path) -> list[dict[str, Any]]:
        return layouts.read_file(path)

    def write_samples(self, samples: list[dict[str, Any]], dest: str | Path, layout: str) -> dict[str, Any]:
        return layouts.write_samples(samples, dest, layout).as_dict()

    # chapter 5: data roots
    def inspect_root(self, root: str | Path) -> dict[str, Any]:
        return dataroot.inspect_root(root, index=_INDEX).as_dict()

    def read_root(self, root: str | Path, layout: str | None = None) -> list[dict[str, Any]]:
        return dataroot.read_root(root, layout, index=_INDEX)

    # chapter 6: data checks
    def check_root(self, root: str | Path, num_points: int = 1024) -> list[dict[str, Any]]:
        return [p.as_dict() for p in datachecks.check_root(root, num_points, index=_INDEX)]

    # chapter 8: the loader (torch is imported only when a loader is asked for)
    def make_dataset(self, root: str | Path, layout: str | None = None, num_points: int = 1024,
                     point_sampling: str = "random", seed: int = 0) -> Any:
        from realdex_ref import loader

        return loader.RealDexDataset(root, layout=layout, num_points=num_points, point_sampling=point_sampling, seed=seed,
                                     index=_INDEX)

    def make_loader(self, dataset: Any, batch_size: int, world_size: int = 1, rank: int = 0, drop_last: bool = False,
                    seed: int = 0, shuffle: bool = True, num_workers: int = 0) -> Any:
        from realdex_ref import loader

        return loader.make_loader(dataset, batch_size, world_size=world_size, rank=rank, drop_last=drop_last, seed=seed,
                                  shuffle=shuffle, num_workers=num_workers)

    # chapter 7: batching
    def batch_plan(self, num_samples: int, batch_size: int, world_size: int = 1, drop_last: bool = False) -> dict:
        return batching.batch_plan(num_samples, batch_size, world_size, drop_last).as_dict()

    def epoch_batches(
        self, num_samples: int, batch_size: int, world_size: int, rank: int, drop_last: bool, seed: int, epoch: int, shuffle: bool
    ) -> list[list[int]]:
        return batching.epoch_batches(num_samples, batch_size, world_size, rank, drop_last, seed, epoch, shuffle)

    def check_plan(self, num_samples: int, batch_size: int, world_size: int, drop_last: bool, min_batches: int = 1) -> None:
        batching.check_plan(batching.batch_plan(num_samples, batch_size, world_size, drop_last), min_batches)

    # chapter 9: planning
    def plan_run(self, num_samples: int, batch_size: int, passes: int | None = None, max_iterations: int | None = None,
                 drop_last: bool = False, world_size: int = 1, grad_accum: int = 1, ckpt_every: int | None = None,
                 step_time: float | None = None, startup_time: float = 0.0, save_time: float = 0.0,
                 eval_every: int | None = None, eval_time: float = 0.0, band: float = planning.DEFAULT_BAND,
                 step_epoch: int | None = None) -> dict:
        plan = planning.plan_run(num_samples, batch_size, passes, max_iterations, drop_last, world_size, grad_accum,
                                 ckpt_every, step_time, startup_time, save_time, eval_every, eval_time, band)
        warning = planning.epoch_counter_warning(plan, step_epoch)  # PLAN-13
        return {**plan.as_dict(), "warnings": [warning] if warning else []}

    def steady_step_time(self, durations: list[float], warmup: int = planning.DEFAULT_WARMUP) -> float:
        return planning.steady_step_time(durations, warmup)

    def read_config(self, path: str | Path) -> dict[str, Any]:
        return planning.read_config(path)

    # chapter 10: run log
    def check_run(self, path: str | Path) -> list[dict[str, Any]]:
        return checkrun.check_run(path)

    # chapter 11: training
    def train(self, root: str | Path, out: str | Path, config: dict[str, Any]) -> str:
        from realdex_ref import trainer

        return str(trainer.train(root, out, config))

    def resume(self, out: str | Path) -> str:
        from realdex_ref import trainer

        return str(trainer.train(None, out, resume=True))

    def train_distributed(self, root: str | Path, out: str | Path, config: dict[str, Any], world_size: int) -> str:
        from realdex_ref import trainer

        return str(trainer.train_distributed(root, out, config, world_size))

    def checkpoint_weights(self, path: str | Path) -> dict[str, Any]:
        from realdex_ref import checkpoint

        return {name: t.numpy() for name, t in checkpoint.load(path)["model"].items()}


ADAPTER = ReferenceAdapter()
