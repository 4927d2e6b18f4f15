"""Broken adapters for chapter 13 (hostile input); the suite must reject each on the clause it breaks.

Each reads a file the way a hurried implementation would, then hands over to the reference, so
that only the one fault differs from a conforming reader.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from realdex_ref.adapter import ReferenceAdapter


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
