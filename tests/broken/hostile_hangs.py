"""A hostile implementation whose members never return: each test that calls one must fail on the time limit alone."""
from __future__ import annotations

import time

from realdex_ref.adapter import ReferenceAdapter


class Hangs(ReferenceAdapter):
    name = "hostile-hangs"

    def detect_layout(self, path):
        time.sleep(3600)  # blocked on I/O that never comes

    def read_file(self, path):
        while True:  # a pure-Python endless loop
            pass


ADAPTER = Hangs()
