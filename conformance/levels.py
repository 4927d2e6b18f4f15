"""Conformance levels (spec chapter 12): which levels a run reaches, from the clauses that pass.

The levels and their chapters are read from the table of ``12-report.md``, so that the spec is
the one place that defines them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

import realdex_spec

GATING = ("MUST", "MUST NOT")
_ROW = re.compile(r"^\|\s*`([a-z][a-z-]*)`\s*\|\s*([A-Z][A-Z, ]*?)\s*\|")
FAILING = ("failed", "error")


@dataclass(frozen=True)
class Level:
    name: str
    prefixes: tuple[str, ...]  # every chapter prefix of this level, those of the levels above included


def levels() -> list[Level]:
    """The levels of chapter 12, in order; each carries its own chapters and those above it."""
    text = (realdex_spec.SPEC_DIR / "12-report.md").read_text(encoding="utf-8")
    found: list[Level] = []
    prefixes: tuple[str, ...] = ()
    for line in text.splitlines():
        m = _ROW.match(line)
        if m:
            prefixes += tuple(p.strip() for p in m.group(2).split(",") if p.strip())
            found.append(Level(m.group(1), prefixes))
    if not found:
        raise ValueError("12-report.md has no table of levels (rows like '| `reader` | SAMPLE, LAYOUT | ... |')")
    return found


def prefix(clause_id: str) -> str:
    return clause_id.rsplit("-", 1)[0]


NOT_RUN = "not run"
NOT_SUPPORTED = "not supported"
UNTESTED = (NOT_RUN, NOT_SUPPORTED)


def clause_status(tests: Iterable[dict]) -> dict[str, str]:
    """Per clause named by ``tests``: 'passed' (every test passed), 'failing' (one failed
    or errored), 'not passed' (skipped, or a known failure whether it failed or passed),
    'not supported' (every test that ran was of a feature the adapter does not support) or
    'not run' (its tests were collected, but the run ended before any of them ran). A test
    of a feature not supported neither passes nor blocks a clause that other tests check."""
    outcomes: dict[str, list[str]] = {}
    for test in tests:
        for cid in test["clauses"]:
            outcomes.setdefault(cid, []).append(test["outcome"])
    status = {}
    for cid, seen in outcomes.items():
        tested = [o for o in seen if o != NOT_SUPPORTED]
        ran = [o for o in tested if o != NOT_RUN]
        if all(o == NOT_RUN for o in seen):
            status[cid] = NOT_RUN
        elif not ran:
            status[cid] = NOT_SUPPORTED
        else:
            status[cid] = _tested_status(tested, ran)
    return status


def _tested_status(seen: list[str], ran: list[str]) -> str:
    if any(o in FAILING for o in ran):
        return "failing"
    if len(ran) == len(seen) and all(o == "passed" for o in ran):
        return "passed"
    return "not passed"


def not_supported(tests: Iterable[dict], prefixes: Iterable[str]) -> list[str]:
    """The features not supported by tests of the chapters ``prefixes``, sorted."""
    wanted = set(prefixes)
    return sorted({t.get("feature") or "?" for t in tests if t["outcome"] == NOT_SUPPORTED
                   and any(prefix(c) in wanted for c in t["clauses"])})


def compute(tests: list[dict], clauses: dict | None = None, table: list[Level] | None = None) -> list[dict]:
    """Each level with ``status`` ('reached', 'not reached', 'not assessed') and the reasons."""
    clauses = realdex_spec.clauses() if clauses is None else clauses
    table = levels() if table is None else table
    status = clause_status(tests)
    tested_prefixes = {prefix(cid) for cid, state in status.items() if state not in UNTESTED}
    collected_prefixes = {prefix(cid) for cid in status}
    result: list[dict] = []
    above_reached = True
    for level in table:
        required = sorted(
            (c.id for c in clauses.values() if prefix(c.id) in level.prefixes and c.level in GATING and c.id in status),
            key=_natural,
        )
        untested = [p for p in level.prefixes if p not in tested_prefixes]
        unrun = [p for p in untested if any(prefix(c) == p and st == NOT_RUN for c, st in status.items())]
        unsupported_only = [p for p in untested if p in collected_prefixes and p not in unrun]
        blocking = [{"clause": cid, "status": status[cid]} for cid in required if status[cid] not in ("passed", NOT_SUPPORTED)]
        if untested:
            verdict = "not assessed"
        elif above_reached and not blocking:
            verdict = "reached"
        else:
            verdict = "not reached"
        result.append({
            "name": level.name,
            "chapters": list(level.prefixes),
            "status": verdict,
            "clauses_required": len(required),
            "blocking": blocking,
            "chapters_without_tests": untested,
            "chapters_not_run": unrun,
            "chapters_not_supported": unsupported_only,
            "clauses_not_supported": sum(1 for cid in required if status[cid] == NOT_SUPPORTED),
            "not_supported": not_supported(tests, level.prefixes),
        })
        above_reached = verdict == "reached"
    return result


def describe(level: dict) -> str:
    """One line for the end of the run."""
    name, verdict = level["name"], level["status"]
    missing = level.get("not_supported") or []
    if verdict == "reached":
        tail = f"; not tested, as not supported: {', '.join(missing)}" if missing else ""
        passing = level["clauses_required"] - level.get("clauses_not_supported", 0)
        return f"{name}: reached ({passing} MUST clauses pass{tail})"
    if verdict == "not assessed":
        unrun = level.get("chapters_not_run", [])
        only = level.get("chapters_not_supported", [])
        never = [p for p in level["chapters_without_tests"] if p not in unrun and p not in only]
        parts = ([f"no test collected for {', '.join(never)}"] if never else []) + (
            [f"the tests of {', '.join(unrun)} were collected but did not run"] if unrun else []) + (
            [f"every test of {', '.join(only)} was of a feature not supported ({', '.join(missing)})"] if only else [])
        return f"{name}: not assessed ({'; '.join(parts)})"
    why = ", ".join(f"{b['clause']} {b['status']}" for b in level["blocking"][:8])
    more = len(level["blocking"]) - 8
    if not why:
        why = "a level above it is not reached"
    return f"{name}: not reached ({why}{f', and {more} more' if more > 0 else ''})"


def _natural(cid: str) -> tuple[str, int]:
    head, _, num = cid.rpartition("-")
    return head, int(num) if num.isdigit() else 0
