"""Broken adapters for chapter 13 (hostile input); the suite must reject each on the clause it breaks.

Each reads a file the way a hurried implementation would, then hands over to the reference, so
that only the one fault differs from a conforming reader.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from realdex_ref import dataroot, npzio
from realdex_ref.adapter import ReferenceAdapter
from tests.broken.patching import patched as _patched


class LeaksLibraryErrors(ReferenceAdapter):
    """Opens every member with plain ``np.load`` first: a damaged file ends in ``zipfile.BadZipFile``,
    a numpy ``ValueError`` or ``EOFError`` that names no file, and a lying header is allocated."""

    name = "broken-leaks-library-errors"

    @property
    def error_types(self):
        # documents none (ADAPTER-6 is optional): the suite can check only where an error comes from
        raise AttributeError("error_types")

    def read_file(self, path):
        with np.load(path) as npz:
            for key in npz.files:
                npz[key]
        return super().read_file(path)


class Unpickles(ReferenceAdapter):
    """Peeks at every member with ``allow_pickle=True`` ("it's only to look"), then reads properly."""

    name = "broken-unpickles"

    def read_file(self, path):
        try:
            with np.load(path, allow_pickle=True) as npz:
                for key in npz.files:
                    npz[key]
        except Exception:  # the real reading below refuses the file
            pass
        return super().read_file(path)


class CachesBesideTheFile(ReferenceAdapter):
    """Leaves a marker of what it has read beside each file it reads: a reader that writes."""

    name = "broken-caches-beside-the-file"

    def read_file(self, path):
        samples = super().read_file(path)
        Path(f"{os.fspath(path)}.read").write_text(str(len(samples)))
        return samples


class RefusesNaN(ReferenceAdapter):
    """Treats a NaN in the data as a broken file: the checks' finding becomes a reader's error."""

    name = "broken-refuses-nan"

    def read_file(self, path):
        samples = super().read_file(path)
        for s in samples:
            for name, value in s.items():
                if isinstance(value, np.ndarray) and value.dtype.kind == "f" and not np.isfinite(value).all():
                    raise ValueError(f"{path}: {name} holds values that are not finite")
        return samples


LEAKS_LIBRARY_ERRORS = LeaksLibraryErrors()
UNPICKLES = Unpickles()
CACHES_BESIDE_THE_FILE = CachesBesideTheFile()
REFUSES_NAN = RefusesNaN()


class _AnyCount(int):
    """A member count that agrees with any directory: the end record is not cross-checked."""

    def __ne__(self, other):
        return False


def _last_copy_wins(infos, path):
    # as zipfile and numpy do: the key of the last member of a name is the one read
    return {i.filename: i.filename.removesuffix(".npy") for i in infos}


def _old_walk(root, problems):
    # os.walk without followlinks: a folder it cannot list and a linked folder are left out in silence
    found = []
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        found.extend(Path(folder) / n for n in names)
    return sorted(found)


class TrustsTheDirectory(ReferenceAdapter):
    """Reads whatever the central directory lists, one copy per key, as zipfile does: an alias
    member is chosen in silence and a directory that swallowed members is believed."""

    name = "broken-trusts-the-directory"

    def _trusting(self):
        return _patched(npzio, _keys=_last_copy_wins, _end_record=lambda fh, size, path: _AnyCount(0))

    def read_file(self, path):
        with self._trusting():
            return super().read_file(path)

    def detect_layout(self, path):
        with self._trusting():
            return super().detect_layout(path)


class WalksLikeOsWalk(ReferenceAdapter):
    """Walks a root with ``os.walk``: a folder it cannot enter and a folder behind a link are left out in silence."""

    name = "broken-walks-like-os-walk"

    def inspect_root(self, root):
        with _patched(dataroot, _walk=_old_walk):
            return super().inspect_root(root)

    def read_root(self, root, layout=None):
        with _patched(dataroot, _walk=_old_walk):
            return super().read_root(root, layout)

    def check_root(self, root, num_points=1024):
        with _patched(dataroot, _walk=_old_walk):
            return super().check_root(root, num_points)


class ParsesLogsWithJsonLoads(ReferenceAdapter):
    """Looks at each line of a run log with a plain ``json.loads`` first: a nesting of 100,000 or an
    integer of 5,001 digits ends in an error from inside the json module that names no file."""

    name = "broken-parses-logs-with-json-loads"

    def check_run(self, path):
        if Path(path).is_file():  # not even this reader blocks on a named pipe or reads /dev/zero
            for line in Path(path).read_text(encoding="utf-8").splitlines():
                json.loads(line)
        return super().check_run(path)


TRUSTS_THE_DIRECTORY = TrustsTheDirectory()
WALKS_LIKE_OS_WALK = WalksLikeOsWalk()
PARSES_LOGS_WITH_JSON_LOADS = ParsesLogsWithJsonLoads()
