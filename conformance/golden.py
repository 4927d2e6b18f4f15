"""The kit's golden files: fixed results the suite compares an implementation against.

They are part of the kit, shipped inside the package (``golden/<module>/<test>.json``), and a
run against an implementation only ever reads them: ``--snapshot-update`` (syrupy's), a broken
implementation or a partial run cannot change or delete them. Only the kit's own developers
rewrite them, from the reference, in a checkout, with ``--conformance-update-golden``; the
change is then reviewed like any change of the spec (CONTRIBUTING.md).

Numbers are stored rounded to 6 significant digits and compared with a relative tolerance
of 1e-5 (``TOLERANCE``), so float noise between implementations and platforms never fails a
test, and a changed value always does.
"""
from __future__ import annotations

import difflib
import json
import math
from pathlib import Path
from typing import Any

import pytest

from realdex_conformance.collect import SUITE_DIR
from realdex_conformance.snapshots import plain

GOLDEN_DIR = SUITE_DIR / "golden"
REFERENCE = "realdex_ref"
TOLERANCE = dict(rel_tol=1e-5, abs_tol=1e-9)
_UPDATE_KEY = pytest.StashKey[bool]()


def configure(config: pytest.Config, impl: str | None) -> None:
    """Refuse --conformance-update-golden outside a checkout of the kit run against the reference."""
    update = bool(config.getoption("conformance_update_golden", default=False))
    if update:
        checkout = (SUITE_DIR.parent / ".git").exists()
        if not checkout or (impl or "").split(":")[0] != REFERENCE:
            raise pytest.UsageError(
                "--conformance-update-golden rewrites the kit's own golden files: only in a git checkout of the kit, "
                f"against the reference (--impl={REFERENCE}); this run is "
                + ("not in a checkout" if not checkout else f"against {impl!r}")
                + ". The files of an installed kit are never changed by a run."
            )
    config.stash[_UPDATE_KEY] = update


def _same(expected: Any, found: Any) -> bool:
    if isinstance(expected, bool) or isinstance(found, bool):
        return expected is found or expected == found and type(expected) is type(found)
    if isinstance(expected, (int, float)) and isinstance(found, (int, float)):
        if isinstance(expected, float) and math.isnan(expected):
            return isinstance(found, float) and math.isnan(found)
        return math.isclose(expected, found, **TOLERANCE)
    if isinstance(expected, dict) and isinstance(found, dict):
        return expected.keys() == found.keys() and all(_same(expected[k], found[k]) for k in expected)
    if isinstance(expected, list) and isinstance(found, list):
        return len(expected) == len(found) and all(_same(e, f) for e, f in zip(expected, found))
    return expected == found


def _text(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


class Golden:
    """``golden.check(data, what)`` compares ``data`` with this test's golden file."""

    def __init__(self, request: pytest.FixtureRequest) -> None:
        module = Path(str(request.node.path)).stem
        self.path = GOLDEN_DIR / module / f"{request.node.name}.json"
        self.update = request.config.stash.get(_UPDATE_KEY, False)

    def check(self, data: Any, what: str) -> None:
        found = plain(data, digits=None)
        if self.update:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(_text(plain(data)), encoding="utf-8")
            return
        try:
            stored = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            pytest.fail(f"expected the kit's golden file {self.path} for {what}; it is missing (an incomplete install "
                        "of the kit: reinstall it)")
        expected = json.loads(stored)
        if _same(expected, found):
            return
        diff = "".join(difflib.unified_diff(
            stored.splitlines(keepends=True), _text(plain(data)).splitlines(keepends=True),
            fromfile=f"expected ({self.path.relative_to(SUITE_DIR)})", tofile="found", n=2,
        ))
        lines = diff.splitlines()
        shown = "\n".join(lines[:60]) + (f"\n... and {len(lines) - 60} more lines" if len(lines) > 60 else "")
        raise AssertionError(f"expected {what} to equal the kit's golden file (numbers within a relative "
                             f"{TOLERANCE['rel_tol']:g}); it differs:\n{shown}")


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Golden:
    """This test's golden file (``conformance/golden/<module>/<test id>.json``), read-only."""
    return Golden(request)
