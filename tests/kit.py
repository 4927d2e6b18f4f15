"""Run the conformance suite in a subprocess, as a user would, and read back what it found.

The kit's tests of itself use this to show that a broken adapter is rejected on the clause
it breaks, and that the reference passes.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass
class SuiteRun:
    returncode: int
    output: str
    tests: list[dict] = field(default_factory=list)
    document: dict = field(default_factory=dict)

    def failed(self) -> list[dict]:
        return [t for t in self.tests if t["outcome"] in ("failed", "error")]

    def failed_clauses(self) -> set[str]:
        return {c for t in self.failed() for c in t["clauses"]}

    def passed(self) -> list[dict]:
        return [t for t in self.tests if t["outcome"] == "passed"]

    def describe(self) -> str:
        lines = [f"exit status {self.returncode}"]
        lines += [f"  {t['outcome']}: {t['nodeid']} {t['clauses']}: {t['message'][:300]}" for t in self.failed()]
        if not self.tests:
            lines.append(self.output[-3000:])
        return "\n".join(lines)


def run_suite(impl: str, *targets: str, extra: tuple[str, ...] = (), timeout: float = 600,
              pythonpath: tuple[str, ...] = ()) -> SuiteRun:
    """Run ``pytest TARGETS --impl=IMPL`` from the repository root; ``targets`` default to the whole suite."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        cmd = [
            sys.executable, "-m", "pytest", *(targets or ("conformance",)), f"--impl={impl}",
            "-q", "-p", "no:cacheprovider", "--benchmark-disable", f"--conformance-report={report}", *extra,
        ]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join((*pythonpath, str(REPO)))}
        env.pop("REALDEX_IMPL", None)
        proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
        document = json.loads(report.read_text()) if report.exists() else {}
        return SuiteRun(proc.returncode, proc.stdout + proc.stderr, document.get("tests", []), document)


def assert_rejected(impl: str, modules: tuple[str, ...], clauses: set[str], extra: tuple[str, ...] = ()) -> SuiteRun:
    """Run ``modules`` against ``impl`` and assert the run fails, on at least every clause in ``clauses``."""
    run = run_suite(impl, *modules, extra=extra)
    where = ", ".join(modules)
    assert run.returncode != 0, f"{impl} must fail {where}, but the run passed:\n{run.describe()}"
    missed = clauses - run.failed_clauses()
    assert not missed, f"{impl} must fail on {sorted(missed)}; it failed on {sorted(run.failed_clauses())}:\n{run.describe()}"
    return run
