"""Broken adapters for chapters 5 and 6; the suite must reject each on the clause it breaks."""
from __future__ import annotations

from realdex_ref import dataroot
from realdex_ref.adapter import ReferenceAdapter


class ReadsFirstLayout(ReferenceAdapter):
    """Reads the first layout it finds and ignores the others in silence: the user's "Loaded 8 training samples"."""

    name = "broken-reads-first-layout"

    def read_root(self, root, layout=None):
        if layout is None:
            layout = next(iter(dataroot.inspect_root(root).layouts), None)
        return dataroot.read_root(root, layout)


class IgnoresSmallClouds(ReferenceAdapter):
    """Checks everything but the size of the clouds: an 8-point placeholder passes."""

    name = "broken-ignores-small-clouds"

    def check_root(self, root, num_points=1024):
        return [f for f in super().check_root(root, num_points) if f["code"] != "CLOUD_TOO_SMALL"]




class CachesByPath(ReferenceAdapter):
    """Remembers each root's inventory and samples by its path, and serves them however the files changed."""

    name = "broken-caches-by-path"

    def __init__(self) -> None:
        self.seen: dict[tuple, object] = {}

    def inspect_root(self, root):
        key = ("inspect", str(root))
        if key not in self.seen:
            self.seen[key] = super().inspect_root(root)
        return self.seen[key]

    def read_root(self, root, layout=None):
        key = ("read", str(root), layout)
        if key not in self.seen:
            self.seen[key] = super().read_root(root, layout)
        return self.seen[key]


READS_FIRST_LAYOUT = ReadsFirstLayout()
IGNORES_SMALL_CLOUDS = IgnoresSmallClouds()
CACHES_BY_PATH = CachesByPath()
