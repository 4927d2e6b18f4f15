"""A hostile implementation whose members return enormous outputs: clear, short failures, no memory blow-up."""
from __future__ import annotations

from realdex_ref.adapter import ReferenceAdapter

HUGE = 2_000_000


class Enormous(ReferenceAdapter):
    name = "hostile-enormous"

    def detect_layout(self, path):
        return "realdex-segment " * HUGE  # 32 MB of layout name

    def read_file(self, path):
        samples = super().read_file(path)
        return samples * (HUGE // max(len(samples), 1))  # millions of samples (references, cheap to make)

    def write_samples(self, samples, dest, layout):
        result = super().write_samples(samples, dest, layout)
        return {"files": result["files"] * HUGE, "dropped": result["dropped"]}


ADAPTER = Enormous()
