"""Broken trainers for chapter 11; the suite must reject each on the clause it breaks.

Each is the reference trainer with one real mistake put back: RealDex's loader ignoring the
plan's drop_last, RealDex's resume that takes an epoch counter for the pass, and a checkpoint
written straight to its final name.
"""
from __future__ import annotations

from pathlib import Path
from unittest import mock

from realdex_ref import checkpoint
from realdex_ref.adapter import ReferenceAdapter


class IgnoresDropLast(ReferenceAdapter):
    """Its loader keeps the last partial batch whatever the configuration says (and so plans with it)."""

    name = "broken-ignores-drop-last"

    def train(self, root, out, config):
        return super().train(root, out, {**config, "drop_last": False})


class ResumesEpochCounterAsPass(ReferenceAdapter):
    """Resumes at the pass given by an epoch counter of step_epoch iterations, as the RealDex loop did."""

    name = "broken-resumes-epoch-counter-as-pass"
    STEP_EPOCH = 2

    def resume(self, out):
        state = checkpoint.load(checkpoint.latest(out))
        counter = state["iteration"] // self.STEP_EPOCH  # "epoch" 3 after 6 iterations ...
        per_pass = state["plan"]["iterations_per_epoch"]
        state["pass"], state["position"] = counter, 0  # ... taken for pass 3
        state["iteration"] = min(counter * per_pass, state["plan"]["iterations"])
        checkpoint.save({k: v for k, v in state.items() if k != "format"}, out)
        return super().resume(out)


def _save_in_place(state, folder):
    """torch.save straight to the final name, then the pointer overwritten in place: a kill mid-write tears both."""
    import torch

    path = Path(folder) / checkpoint.checkpoint_name(int(state["iteration"]))
    torch.save({"format": checkpoint.FORMAT, **state}, path)
    (Path(folder) / checkpoint.LATEST).write_text(path.name + "\n", encoding="utf-8")
    return path


class WritesCheckpointInPlace(ReferenceAdapter):
    """Writes each checkpoint and the latest pointer directly under their final names."""

    name = "broken-writes-checkpoint-in-place"

    def train(self, root, out, config):
        with mock.patch.object(checkpoint, "save", _save_in_place):
            return super().train(root, out, config)

    def resume(self, out):
        with mock.patch.object(checkpoint, "save", _save_in_place):
            return super().resume(out)


IGNORES_DROP_LAST = IgnoresDropLast()
RESUMES_EPOCH_COUNTER_AS_PASS = ResumesEpochCounterAsPass()
WRITES_CHECKPOINT_IN_PLACE = WritesCheckpointInPlace()
