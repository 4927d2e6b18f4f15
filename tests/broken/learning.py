"""Broken run checkers for chapter 14: each is blind to one finding over metrics events; the suite must notice."""
from __future__ import annotations

from tests.broken.planning import Ignores

IGNORES_NONFINITE = Ignores("RUN-LOSS-NONFINITE")
IGNORES_NO_LEARNING = Ignores("RUN-NO-LEARNING")
IGNORES_DIVERGED = Ignores("RUN-DIVERGED")
IGNORES_MEMORISED = Ignores("RUN-MEMORISED")
IGNORES_SLOWDOWN = Ignores("RUN-SLOWDOWN")
