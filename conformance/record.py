"""The conformance record of a run: which tests were collected, what became of each, and whether
the run was the whole suite.

Tests are collected and run where pytest runs them: in this process, or in the workers of
pytest-xdist (``-n N``). The facts are gathered there and travel to the process that writes
the report: each test report carries ``report.realdex`` (its stable id, clauses and, when it
failed, the rerun command), and each worker hands over what it collected in its
``workeroutput``. The report, the summary, the coverage and the levels of a distributed run
are therefore those of a serial run.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from realdex_conformance import features
from realdex_conformance.collect import SUITE_DIR, in_suite

NOT_RUN = "not run"


def is_suite_item(item: pytest.Item) -> bool:
    return in_suite(Path(str(item.path)))


def is_reported(item: pytest.Item) -> bool:
    """Tests that belong to the conformance record: the suite's, and any other that names a clause."""
    return is_suite_item(item) or item.get_closest_marker("clause") is not None


def clause_ids(item: pytest.Item) -> list[str]:
    ids: list[str] = []
    for mark in item.iter_markers("clause"):
        ids.extend(mark.args)
    return list(dict.fromkeys(ids))


def stable_id(item: pytest.Item) -> str:
    """``test_batching.py::test_x[case]`` for a test of the suite, however the suite was invoked
    (a checkout's folder, ``--pyargs``, another rootdir); the node id for any other test."""
    if not is_suite_item(item):
        return item.nodeid
    name = item.nodeid.split("::", 1)[1] if "::" in item.nodeid else item.name
    return f"{Path(str(item.path)).resolve().relative_to(SUITE_DIR).as_posix()}::{name}"


def suite_modules() -> set[str]:
    return {p.name for p in SUITE_DIR.glob("test_*.py")}


@dataclass
class Collected:
    """What one process collected: the reported tests and why the collection is not the whole suite."""

    tests: dict[str, dict] = field(default_factory=dict)  # nodeid -> {"id", "clauses"}
    partial: list[str] = field(default_factory=list)
    suite: bool = False  # at least one test of the suite was collected

    def to_json(self) -> dict:
        return {"tests": self.tests, "partial": self.partial, "suite": self.suite}

    def merge(self, other: dict) -> None:
        for nodeid, info in other.get("tests", {}).items():
            self.tests.setdefault(nodeid, info)
        self.partial = list(dict.fromkeys(self.partial + list(other.get("partial", []))))
        self.suite = self.suite or bool(other.get("suite"))


def collected(items: list[pytest.Item], deselected: int, config: pytest.Config) -> Collected:
    found = Collected()
    modules: set[str] = set()
    for item in items:
        if not is_reported(item):
            continue
        found.tests[item.nodeid] = {"id": stable_id(item), "clauses": clause_ids(item)}
        if is_suite_item(item):
            found.suite = True
            modules.add(Path(str(item.path)).name)
    missing = suite_modules() - modules
    if missing and found.suite:
        found.partial.append(f"{len(missing)} of {len(suite_modules())} modules of the suite not collected")
    if deselected:
        found.partial.append(f"{deselected} tests of the suite deselected (-k, -m, --deselect, --lf)")
    if any("::" in str(arg) for arg in config.args):
        found.partial.append("tests selected by node id")
    return found


def payload(item: pytest.Item) -> dict:
    return {"id": stable_id(item), "clauses": clause_ids(item)}


@dataclass
class Results:
    """The outcome of every reported test, folded from its set-up, call and tear-down reports."""

    tests: dict[str, dict] = field(default_factory=dict)

    def add(self, report: pytest.TestReport) -> None:
        info = getattr(report, "realdex", None)
        if not isinstance(info, dict):
            return
        entry = self.tests.setdefault(report.nodeid, {
            "nodeid": report.nodeid, "id": info["id"], "clauses": list(info["clauses"]),
            "outcome": "passed", "duration": 0.0, "message": "",
        })
        entry["duration"] += float(report.duration or 0.0)
        _fold(entry, report)
        if entry["outcome"] in ("failed", "error") and "reproduce" not in entry and info.get("reproduce"):
            entry["reproduce"] = info["reproduce"]

    def with_unrun(self, found: Collected) -> list[dict]:
        """Every reported test: those that ran, then those collected that never ran (``not run``)."""
        tests = list(self.tests.values())
        for nodeid, info in found.tests.items():
            if nodeid not in self.tests:
                tests.append({"nodeid": nodeid, "id": info["id"], "clauses": list(info["clauses"]),
                              "outcome": NOT_RUN, "duration": 0.0, "message": "collected, but the run ended before it"})
        return tests


def _fold(entry: dict, report: pytest.TestReport) -> None:
    """One outcome from the phases' reports; the first failure wins."""
    if entry["outcome"] in ("failed", "error"):
        return
    wasxfail = getattr(report, "wasxfail", None)
    if report.failed:
        entry["outcome"] = "failed" if report.when == "call" else "error"
        entry["message"] = short(report)
    elif report.skipped and wasxfail is not None:
        entry["outcome"], entry["message"] = "xfailed", wasxfail
    elif report.skipped and entry["outcome"] == "passed":
        message = short(report)
        feature = features.from_message(message)
        entry["outcome"], entry["message"] = ("skipped", message) if feature is None else (features.OUTCOME, message)
        if feature is not None:
            entry["feature"] = feature
    elif report.passed and report.when == "call" and wasxfail is not None:
        entry["outcome"] = "xpassed"
        entry["message"] = f"passed although listed as a known failure; remove its entry ({wasxfail})"


def short(report: Any) -> str:
    """One line: the skip reason, or the first line of the failure's message."""
    if report.skipped and isinstance(report.longrepr, tuple):
        text = str(report.longrepr[2])
    else:
        crash = getattr(report.longrepr, "reprcrash", None)
        text = crash.message if crash is not None else str(report.longrepr)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0][:1000] if lines else ""


def partial_reasons(found: Collected, tests: list[dict]) -> list[str]:
    """Why this run is not the whole suite, run to its end; empty for a full run."""
    reasons = list(found.partial)
    if not found.suite:
        reasons.insert(0, "the suite was not collected")
    unrun = sum(1 for t in tests if t["outcome"] == NOT_RUN)
    if unrun:
        reasons.append(f"{unrun} collected tests did not run (-x, --maxfail or an interruption)")
    return reasons
