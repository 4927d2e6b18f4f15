"""The adapter of ``tests/foreign/research_loader.py``: what an implementer writes to put a
config-driven research loader under test (spec/appendix-writing-an-adapter.md).

    pytest conformance --impl=tests.foreign.research_adapter
    pytest conformance --impl=tests.foreign.research_adapter --impl-option careful=false
"""
from __future__ import annotations

import realdex_spec
from tests.foreign import research_loader as rl

FORMAT = {"realdex-segment": "segment", "realdex-frame": "segment", "converted": "converted"}


class ResearchAdapter:
    name = "research-loader"
    version = "0.1"
    spec_version = realdex_spec.VERSION
    capabilities = frozenset({"loader"})
    unsupported = {
        "loader:ranks": "one process only",
        "loader:state": "no loader state: an interrupted epoch starts over",
        "loader:fps": "random point sampling only",
    }
    loader_items = {"hand_pose": [(0, "trans"), (0, "rot"), (0, "qpos")], "object_points": (0, "obj_pc"), "index": None}

    def __init__(self) -> None:
        self.careful = True

    def configure(self, options: dict[str, str]) -> None:
        unknown = set(options) - {"careful"}
        if unknown:
            raise ValueError(f"unknown option(s) {sorted(unknown)}; this adapter takes careful=true|false")
        self.careful = options.get("careful", "true").lower() != "false"

    def make_dataset(self, root, layout, num_points, point_sampling, seed):
        if point_sampling != "random":
            raise ValueError(f"point_sampling={point_sampling!r}: only 'random' is supported")
        data = {"root": str(root), "format": FORMAT.get(layout, "segment"), "n_points": num_points, "format_named": layout}
        return rl.GraspDataset({"data": data, "seed": seed, "careful": self.careful})

    def make_loader(self, dataset, batch_size, world_size, rank, drop_last, seed, shuffle, num_workers):
        if world_size != 1:
            raise ValueError("one process only")
        dataset.seed = seed
        train = {"batch_size": batch_size, "drop_last": drop_last, "shuffle": shuffle, "num_workers": num_workers}
        return rl.make_loader(dataset, {"train": train, "careful": self.careful})


ADAPTER = ResearchAdapter()
