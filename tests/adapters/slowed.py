"""The reference, deliberately slowed: ``read_file`` reads each file ``SLOWDOWN`` times and keeps the
last reading, so its answers are the reference's and only the read benchmarks (PERF-1) change.

For the kit's tests of the conformance diff (REPORT-16): a report of this adapter against one of
the reference names the slowed benchmarks, and nothing else. ``REALDEX_SLOWDOWN`` sets the factor.
"""
from __future__ import annotations

import os

from realdex_ref.adapter import ReferenceAdapter

SLOWDOWN = int(os.environ.get("REALDEX_SLOWDOWN", "4"))


class Slowed(ReferenceAdapter):
    name = "realdex_ref-slowed"

    def read_file(self, path):
        for _ in range(SLOWDOWN - 1):
            super().read_file(path)
        return super().read_file(path)


ADAPTER = Slowed()
