"""A broken adapter for the kit's tests of the conformance diff and of the implementer's snapshots
(REPORT-16, REPORT-17): the reference with the hand position read in millimetres.

A units mix-up of the kind chapter 1 exists for: every file reads, counts are right, and each
``hand_transl`` is a thousand times too large. The suite must reject it on the clauses of the
canonical sample (SAMPLE-n), and its snapshot of the canonical form must differ from the reference's.
"""
from __future__ import annotations

import numpy as np

from realdex_ref.adapter import ReferenceAdapter


class Millimetres(ReferenceAdapter):
    name = "broken-hand-transl-in-millimetres"

    def read_file(self, path):
        samples = super().read_file(path)
        for s in samples:
            s["hand_transl"] = np.asarray(s["hand_transl"]) * 1000.0
        return samples


ADAPTER = Millimetres()
