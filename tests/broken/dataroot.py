"""Broken adapters for chapters 5 and 6; the suite must reject each on the clause it breaks."""
from __future__ import annotations

import os
import re
from pathlib import Path
from unittest import mock

from realdex_ref import dataroot, errors, layouts
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


def _natural(source: str) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", source)]


class SortsNaturally(ReferenceAdapter):
    """Reads a root's files in "natural" order (2.npz before 10.npz), not in the order of their paths' parts."""

    name = "broken-sorts-naturally"

    def read_root(self, root, layout=None):
        return sorted(super().read_root(root, layout), key=lambda s: _natural(str(s["source"])))  # stable: frames keep their order


_walk = dataroot._walk


def _walk_in_pathlib_order(root, problems):
    # the walk's paths, then sorted as pathlib sorts them: part by part, code point throughout
    return [str(p) for p in sorted(map(Path, _walk(root, problems)))]


class SortsPathsAsStrings(ReferenceAdapter):
    """Reads a root's files in the order ``sorted(root.rglob("*.npz"))`` gives, code point throughout: a recording's
    frames come 0, 1, 10, 100, 101 … 2 (the order ROOT-5 fixed until kit 0.2.0)."""

    name = "broken-sorts-paths-as-strings"

    def read_root(self, root, layout=None):
        with mock.patch.object(dataroot, "_walk", _walk_in_pathlib_order):
            return super().read_root(root, layout)


class ObjectIsTheFolder(ReferenceAdapter):
    """Counts every recording folder as an object of its own (driller_0, driller_12 ...), the recording number kept."""

    name = "broken-object-is-the-folder"

    def inspect_root(self, root):
        with mock.patch.object(layouts, "_object_name", lambda path, layout: Path(path).parent.name):
            return super().inspect_root(root)


class RefusesNamesNotUtf8(ReferenceAdapter):
    """Refuses a root holding a file whose name is not UTF-8, whatever the file holds."""

    name = "broken-refuses-names-not-utf8"

    def _refuse(self, root):
        for folder, _, files in os.walk(root):
            for name in files:
                try:
                    name.encode("utf-8")
                except UnicodeEncodeError:
                    raise errors.UnsafeFileError("expected a UTF-8 file name", path=Path(folder) / name) from None

    def inspect_root(self, root):
        self._refuse(root)
        return super().inspect_root(root)

    def read_root(self, root, layout=None):
        self._refuse(root)
        return super().read_root(root, layout)




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
SORTS_NATURALLY = SortsNaturally()
SORTS_PATHS_AS_STRINGS = SortsPathsAsStrings()
OBJECT_IS_THE_FOLDER = ObjectIsTheFolder()
REFUSES_NAMES_NOT_UTF8 = RefusesNamesNotUtf8()


CACHES_BY_PATH = CachesByPath()


class CountsLimitsOfTheLastFile(ReferenceAdapter):
    """Sums a recording's joints out of limits with `limits.get(None, 0)`: each file's count replaces the one
    before, so a recording of one-frame files reports only its last file's frames (found by mutation testing)."""

    name = "broken-counts-limits-of-the-last-file"

    def check_root(self, root, num_points=1024):
        from realdex_ref import datachecks

        add = datachecks._Checker.add

        def forgetful_add(checker, s):
            before = {u: (checker.limits.get(u), checker.limit_frames.get(u)) for u in [s["unit"]]}
            add(checker, s)
            if "limits" in s and before[s["unit"]][0] is not None:
                checker.limits[s["unit"]] = [a - b for a, b in zip(checker.limits[s["unit"]], before[s["unit"]][0])]
                checker.limit_frames[s["unit"]] = s["limit_frames"]

        with mock.patch.object(datachecks._Checker, "add", forgetful_add):
            return super().check_root(root, num_points)


COUNTS_LIMITS_OF_THE_LAST_FILE = CountsLimitsOfTheLastFile()


class SkipsAnUnreadableManifest(ReferenceAdapter):
    """Treats a manifest it cannot parse (not JSON, not an object, a table that is not one) as no manifest:
    the counts it was meant to guard go unchecked in silence (found by mutation testing)."""

    name = "broken-skips-an-unreadable-manifest"

    def inspect_root(self, root):
        inv = dict(super().inspect_root(root))
        inv["problems"] = [p for p in inv["problems"] if not (
            p["code"] == "INVALID_MANIFEST" and ("cannot be read" in p["message"] or "object of counts" in p["message"]))]
        return inv


SKIPS_AN_UNREADABLE_MANIFEST = SkipsAnUnreadableManifest()
