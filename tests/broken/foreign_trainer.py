"""A broken foreign trainer: ``tests.foreign.plain_trainer`` with RealDex's loader mistake put in.

Its batches keep each pass's last partial batch whatever ``drop_last`` says, while its plan (and
so its run log's plan) follows ``drop_last``: the suite must see it through the log alone.
"""
from __future__ import annotations

from unittest import mock

from tests.foreign import plain_trainer
from tests.foreign.plain_trainer_adapter import PlainTrainerAdapter

_batches = plain_trainer.pass_batches


def _keeps_last(n, batch_size, drop_last, seed, pass_index):
    return _batches(n, batch_size, False, seed, pass_index)


class KeepsLastBatch(PlainTrainerAdapter):
    name = "broken-plain-trainer-keeps-last-batch"

    def train(self, root, out, config):
        with mock.patch.object(plain_trainer, "pass_batches", _keeps_last):
            return super().train(root, out, config)


KEEPS_LAST_BATCH = KeepsLastBatch()
