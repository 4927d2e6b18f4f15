"""A hostile implementation whose members raise: the suite must fail those tests and finish (SAFE-10)."""
from __future__ import annotations

import sys

from realdex_ref.adapter import ReferenceAdapter


class Unprintable(Exception):
    """An error whose message cannot even be formed: str() itself raises."""

    def __str__(self) -> str:
        raise RuntimeError("the error's own message is broken")


class Raises(ReferenceAdapter):
    name = "hostile-raises"

    def detect_layout(self, path):
        raise RuntimeError("internal failure in detect_layout")

    def read_file(self, path):
        sys.exit(3)  # a library that calls sys.exit on bad input

    def write_samples(self, samples, dest, layout):
        raise Unprintable()


ADAPTER = Raises()
