"""Readers that differ from the reference only in what the spec leaves to them, or in one
defect put in on purpose: the suite must pass the first kind and name the defect of the second.
"""
from __future__ import annotations

import os
import time

import numpy as np

from realdex_ref.adapter import ReferenceAdapter

_READ = ("read:realdex-segment", "read:realdex-frame", "read:converted")


def _unfold(rotvec):
    """The same rotation named by a vector of angle 2*pi - theta about the opposite axis."""
    if rotvec is None:
        return None
    angle = float(np.linalg.norm(rotvec))
    return rotvec if angle < 1e-6 else -rotvec / angle * (2 * np.pi - angle)


class RootOnly(ReferenceAdapter):
    """The reference with no per-file reader: its files are read through roots of their own."""

    name = "root-only"
    capabilities = frozenset(c for c in ReferenceAdapter.capabilities if c not in _READ)


class RootOnlyWithoutColours(RootOnly):
    """Does not load colours, and says so: no failure."""

    name = "root-only-without-colours"
    unsupported = {"field:object_colors": "the training loader never uses colours"}

    def read_root(self, root, layout=None):
        return [{**s, "object_colors": None} for s in super().read_root(root, layout)]


class DropsColoursSilently(RootOnly):
    """Does not load colours and does not say so: the samples it reads lack a field the files hold."""

    name = "drops-colours-silently"

    def read_root(self, root, layout=None):
        return [{**s, "object_colors": None} for s in super().read_root(root, layout)]


class WrongColoursUndeclared(RootOnlyWithoutColours):
    """Declares it does not carry colours, then returns wrong ones: carrying a field wrong still fails."""

    name = "wrong-colours"

    def read_root(self, root, layout=None):
        return [{**s, "object_colors": None if s.get("object_colors") is None else 1.0 - s["object_colors"]}
                for s in ReferenceAdapter.read_root(self, root, layout)]


class PassesRotationsThrough(ReferenceAdapter):
    """Returns every rotation vector unfolded (angle above pi): the same rotations, another name."""

    name = "passes-rotations-through"

    def read_file(self, path):
        return [{**s, "hand_orient": _unfold(s["hand_orient"]), "object_orient": _unfold(s.get("object_orient"))}
                for s in super().read_file(path)]

    def read_root(self, root, layout=None):
        return [{**s, "hand_orient": _unfold(s["hand_orient"]), "object_orient": _unfold(s.get("object_orient"))}
                for s in super().read_root(root, layout)]



def _read_only(samples):
    """The samples with every array flagged read-only (``writeable=False``), so that they may be shared."""
    for s in samples:
        for value in s.values():
            if isinstance(value, np.ndarray):
                value.flags.writeable = False
    return samples


class ServesReadOnlyCache(ReferenceAdapter):
    """Keeps each file's samples under its full stamp (size, modification and change times, inode), trusts no stamp
    younger than 2 s (a rewrite within the timestamp resolution keeps it), and hands out the very arrays it keeps,
    read-only: a caller's change in place is refused, so sharing is safe (LAYOUT-12, ROOT-14)."""

    name = "serves-read-only-cache"

    def __init__(self) -> None:
        self.kept: dict[tuple, list] = {}

    def read_file(self, path):
        try:
            st = os.stat(path)
        except OSError:  # no file to stamp: the reader says why, in its own words
            return _read_only(super().read_file(path))
        key = (os.path.realpath(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
        if key in self.kept:
            return list(self.kept[key])
        samples = _read_only(super().read_file(path))
        if max(st.st_mtime_ns, st.st_ctime_ns) < time.time_ns() - 2_000_000_000:
            self.kept[key] = samples
        return list(samples)

    def read_root(self, root, layout=None):
        return _read_only(super().read_root(root, layout))


ROOT_ONLY = RootOnly()
ROOT_ONLY_WITHOUT_COLOURS = RootOnlyWithoutColours()
DROPS_COLOURS_SILENTLY = DropsColoursSilently()
WRONG_COLOURS = WrongColoursUndeclared()
PASSES_ROTATIONS_THROUGH = PassesRotationsThrough()
SERVES_READ_ONLY_CACHE = ServesReadOnlyCache()
