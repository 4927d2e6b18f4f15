"""A hostile implementation whose members never return: each test that calls one must fail on the time limit alone."""
from __future__ import annotations

import time

# imported now, outside any time limit: the reference imports torch on its first shuffled epoch,
# and a limit that stops an import half-way leaves torch unusable for the rest of the run
import torch  # noqa: F401

from realdex_ref.adapter import ReferenceAdapter


class Hangs(ReferenceAdapter):
    name = "hostile-hangs"

    def detect_layout(self, path):
        time.sleep(3600)  # blocked on I/O that never comes

    def read_file(self, path):
        while True:  # a pure-Python endless loop
            pass


ADAPTER = Hangs()


class HangsOnLargeEpochs(ReferenceAdapter):
    """Correct for small datasets, endless for large ones: Hypothesis meets the hang in the middle
    of a property, then replays and shrinks it; every replay must fail at once, not hang again."""

    name = "hostile-hangs-on-large-epochs"

    def epoch_batches(self, num_samples, batch_size, world_size, rank, drop_last, seed, epoch, shuffle):
        if num_samples > 50:
            time.sleep(3600)
        return super().epoch_batches(num_samples=num_samples, batch_size=batch_size, world_size=world_size, rank=rank,
                                     drop_last=drop_last, seed=seed, epoch=epoch, shuffle=shuffle)


ON_LARGE_EPOCHS = HangsOnLargeEpochs()
