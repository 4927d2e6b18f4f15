"""Throwaway implementations and test modules, written into a temporary directory, for the
kit's tests of chapter 12 (reports, known failures, use from another project).

They stand for an implementer's own project: nothing here depends on the state of the
conformance modules, which change as chapters land.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ADAPTER = textwrap.dedent(
    '''
    """A throwaway implementation that declares no capability."""
    name = "theirpkg"
    version = "0.0.1"
    spec_version = "1.0.0-draft"
    capabilities = frozenset()
    '''
)


def write_package(root: Path, name: str = "theirpkg", source: str = ADAPTER) -> Path:
    """A package ``name`` under ``root`` whose module is its own adapter (no ADAPTER attribute)."""
    pkg = root / name
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text(source, encoding="utf-8")
    return pkg


def run_pytest(cwd: Path, *args: str, timeout: float = 300) -> tuple[subprocess.CompletedProcess, dict | None]:
    """``python -m pytest ARGS --conformance-report=report.json`` in ``cwd``; the report, if written."""
    report = cwd / "report.json"
    report.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("REALDEX_IMPL", "CI", "PYTHONPATH")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args, f"--conformance-report={report}"],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
    )
    return proc, (json.loads(report.read_text(encoding="utf-8")) if report.exists() else None)
