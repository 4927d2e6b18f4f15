"""The adapter of the foreign trainer ``tests.foreign.plain_trainer``: capabilities ``training`` and
``runlog``, the run verdict delegated to the reference's (``realdex_ref.checkrun``).

Run the suite's training clauses on it with
``pytest conformance/test_training.py --impl=tests.foreign.plain_trainer_adapter``.
"""
from __future__ import annotations

from typing import Any

import realdex_spec
from tests.foreign import plain_trainer


class PlainTrainerAdapter:
    name = "plain-pytorch-trainer"
    version = "0.1.0"
    spec_version = realdex_spec.VERSION
    capabilities = frozenset({"training", "runlog"})

    def train(self, root: str, out: str, config: dict[str, Any]) -> str:
        return str(plain_trainer.train(root, out, config))

    def resume(self, out: str) -> str:
        return str(plain_trainer.resume(out))

    def checkpoint_weights(self, path: str) -> dict[str, Any]:
        import torch

        return {k: v.numpy() for k, v in torch.load(path, map_location="cpu", weights_only=True)["model"].items()}

    def check_run(self, path: str) -> list[dict[str, Any]]:
        from realdex_ref import checkrun

        return checkrun.check_run(path)


ADAPTER = PlainTrainerAdapter()
