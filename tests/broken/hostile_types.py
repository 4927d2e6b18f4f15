"""A hostile implementation whose members return the wrong types: assertion messages, never crashes of the kit."""
from __future__ import annotations

from realdex_ref.adapter import ReferenceAdapter


class WrongTypes(ReferenceAdapter):
    name = "hostile-wrong-types"

    def detect_layout(self, path):
        return 2  # a layout index, not its name

    def read_file(self, path):
        return tuple(super().read_file(path))  # the samples, in the wrong container

    def write_samples(self, samples, dest, layout):
        super().write_samples(samples, dest, layout)
        return None  # wrote, but says nothing


ADAPTER = WrongTypes()
