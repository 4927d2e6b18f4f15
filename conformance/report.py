"""The conformance report (spec chapter 12): the JSON document, its Markdown summary and the
one-line reproduction of each failure.

The plugin gathers the outcomes; this module turns them into the documents a user keeps.
Run ``python -m realdex_conformance.report REPORT.json`` to print the Markdown summary of a stored report,
``python -m realdex_conformance.report diff BASE.json HEAD.json`` to compare two (``reportdiff``).
"""
from __future__ import annotations

import datetime as _dt
import json
import platform
import re
import shlex
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import quote

import realdex_spec
from realdex_conformance import levels as _levels

REPORT_VERSION = "2.2"
KIT_DISTRIBUTION = "realdex-conformance"
KIT_DIR = Path(__file__).resolve().parents[1]
SCHEMA_PATH = realdex_spec.SPEC_DIR / "report.schema.json"
OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed", _levels.NOT_RUN, _levels.NOT_SUPPORTED)

_BLOB = re.compile(r"@reproduce_failure\([^)]*\)")


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _git(*args: str) -> subprocess.CompletedProcess | None:
    try:
        return subprocess.run(["git", *args], cwd=KIT_DIR, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None


def kit_info() -> dict:
    """The kit's version, and its commit when it runs from a git checkout (null otherwise)."""
    commit = dirty = None
    if (KIT_DIR / ".git").exists():
        head = _git("rev-parse", "HEAD")
        if head is not None and head.returncode == 0:
            commit = head.stdout.strip()
            # only the kit's own folders: an edited kit makes the commit an incomplete description
            diff = _git("status", "--porcelain", "--", "conformance", "spec")
            dirty = None if diff is None or diff.returncode != 0 else bool(diff.stdout.strip())
    return {"name": KIT_DISTRIBUTION, "version": _version(KIT_DISTRIBUTION), "commit": commit, "dirty": dirty}


def platform_info() -> dict:
    return {
        "system": platform.system(),
        "release": platform.release(),
        "machine": platform.machine(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "numpy": _version("numpy"),
        "torch": _version("torch"),
        "pytest": _version("pytest"),
        "hypothesis": _version("hypothesis"),
    }


def _shell_path(path: Path | str, base: Path) -> str:
    """``path`` relative to ``base`` when it lies under it (shorter to paste), else absolute."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path.resolve())


def reproduce_command(
    *, nodeid: str, path: Path | str, invocation_dir: Path, impl: str | None,
    profile: str | None, seed: int | str | None,
) -> str:
    """One shell line that reruns just the test ``nodeid`` from ``invocation_dir``.

    The test is named by its file path (relative to the invocation directory when it lies
    under it) and its name within the file, which does not depend on the rootdir.
    """
    # a venv's python is a symlink: keep its own path, relative when it lies in the directory
    python = Path(sys.executable)
    python_text = str(python.relative_to(invocation_dir)) if python.is_relative_to(invocation_dir) else str(python)
    if "/" not in python_text:
        python_text = "./" + python_text
    name = nodeid.split("::", 1)[1] if "::" in nodeid else ""
    target = _shell_path(path, invocation_dir) + (f"::{name}" if name else "")
    parts = [python_text, "-m", "pytest", target]
    if impl:
        parts.append(f"--impl={impl}")
    if profile:
        parts.append(f"--hypothesis-profile={profile}")
    if seed is not None:
        parts.append(f"--hypothesis-seed={seed}")
    return " ".join(shlex.quote(p) for p in parts)


def hypothesis_blob(longrepr_text: str) -> str | None:
    """The ``@reproduce_failure(...)`` decorator Hypothesis printed for a failure, if any."""
    m = _BLOB.search(longrepr_text)
    return m.group(0) if m else None


def chapter_rows(tests: list[dict], clauses: dict | None = None) -> list[dict]:
    """Per chapter: its clauses, how many the run checked, how many pass, fail, did not pass
    (skipped or known failures; ``gating_not_passed``: those of them that are MUST clauses) and
    did not run."""
    clauses = realdex_spec.clauses() if clauses is None else clauses
    status = _levels.clause_status(tests)
    rows: dict[str, dict] = {}
    for clause in clauses.values():
        row = rows.setdefault(clause.chapter, {
            "chapter": clause.chapter, "prefix": _levels.prefix(clause.id),
            "clauses": 0, "checked": 0, "passed": 0, "failing": 0, "not_passed": 0, "gating_not_passed": 0, "not_run": 0,
            "not_supported": 0,
        })
        row["clauses"] += 1
        state = status.get(clause.id)
        if state == _levels.NOT_RUN:
            row["not_run"] += 1
        elif state == _levels.NOT_SUPPORTED:
            row["not_supported"] += 1
        elif state is not None:
            row["checked"] += 1
            row[{"passed": "passed", "failing": "failing", "not passed": "not_passed"}[state]] += 1
            if state == "not passed" and clause.level in _levels.GATING:
                row["gating_not_passed"] += 1
    return [rows[k] for k in sorted(rows)]


def badge_color(row: dict) -> str:
    """Red: a clause fails. Yellow: a MUST clause was checked and did not pass (skipped, or a
    known failure). Green: every checked clause passes, or those that did not are SHOULD/MAY
    clauses of a feature the implementation does not declare. Grey: nothing passed or failed."""
    if row["failing"]:
        return "red"
    if row["gating_not_passed"]:
        return "yellow"
    if row["passed"]:
        return "brightgreen"
    return "lightgrey"


def build(
    *, tests: list[dict], adapter: Any, impl: str | None, exit_status: int, command: list[str],
    hypothesis: dict, xfails: dict | None, partial: list[str] | None = None, workers: int = 0,
) -> dict:
    """The report document (form: ``spec/report.schema.json``)."""
    summary = {o: 0 for o in OUTCOMES}
    for test in tests:
        summary[test["outcome"]] += 1
    summary["total"] = len(tests)
    implementation = None
    if adapter is not None:
        implementation = {
            "name": adapter.name, "version": adapter.version, "spec_version": adapter.spec_version,
            "capabilities": sorted(adapter.capabilities), "impl": impl,
        }
    return {
        "report_version": REPORT_VERSION,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "command": command,
        "spec_version": realdex_spec.VERSION,
        "implementation": implementation,
        "kit": kit_info(),
        "platform": platform_info(),
        "hypothesis": hypothesis,
        "exit_status": int(exit_status),
        "run": {"complete": not partial, "partial": list(partial or []), "workers": int(workers)},
        "summary": summary,
        "levels": _levels.compute(tests),
        "chapters": chapter_rows(tests),
        "xfails": xfails,
        "tests": tests,
    }


def _badge(label: str, message: str, color: str) -> str:
    def esc(s: str) -> str:  # shields.io static badges: '-' and '_' are doubled
        return quote(s.replace("-", "--").replace("_", "__"), safe="")
    return f"![{label} {message}](https://img.shields.io/badge/{esc(label)}-{esc(message)}-{color})"


def markdown(document: dict) -> str:
    """A Markdown summary of a report: the run, its levels, and one row per chapter with a badge."""
    impl = document.get("implementation") or {}
    lines = [
        f"# RealDex conformance: {impl.get('name', '?')} {impl.get('version', '')}".rstrip(),
        "",
        f"Spec {document['spec_version']}, kit {document['kit'].get('version')}"
        + (f" ({document['kit']['commit'][:12]})" if document["kit"].get("commit") else "")
        + f", {document['created']}, Python {document['platform']['python']}.",
        "",
    ]
    partial = (document.get("run") or {}).get("partial") or []
    if partial:
        lines += [f"A partial run ({'; '.join(partial)}): the levels below are those of the tests that ran.", ""]
    lines += [
        "| level | status |",
        "|---|---|",
    ]
    colors = {"reached": "brightgreen", "not reached": "red", "not assessed": "lightgrey"}
    for level in document["levels"]:
        lines.append(f"| {level['name']} | {_badge(level['name'], level['status'], colors[level['status']])} |")
    missing = sorted({f for level in document["levels"] for f in level.get("not_supported", [])})
    if missing:
        lines += ["", "Not tested, as the implementation does not support them (spec chapter 4): "
                  + ", ".join(f"`{f}`" for f in missing) + "."]
    lines += ["", "| chapter | clauses | checked | passed | failing | badge |", "|---|---|---|---|---|---|"]
    for row in document["chapters"]:
        color = badge_color(row)
        message = f"{row['passed']}/{row['checked']} pass" if row["checked"] else "not checked"
        badge = _badge(row["prefix"], message, color)
        lines.append(
            f"| {row['chapter']} | {row['clauses']} | {row['checked']} | {row['passed']} | {row['failing']} | {badge} |"
        )
    return "\n".join(lines) + "\n"


def write(path: Path | str, document: dict) -> None:
    Path(path).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


USAGE = (
    "usage: python -m realdex_conformance.report REPORT.json            (prints its Markdown summary)\n"
    "       python -m realdex_conformance.report diff BASE.json HEAD.json [--format md|json] [--threshold 10%]"
)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "diff":
        from realdex_conformance import reportdiff

        return reportdiff.main(args[1:])
    if len(args) != 1 or args[0].startswith("-"):
        print(USAGE, file=sys.stderr)
        return 2
    try:
        document = json.loads(Path(args[0]).read_text(encoding="utf-8"))
        text = markdown(document)
    except OSError as exc:
        print(f"{args[0]}: cannot read it: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except (ValueError, KeyError, TypeError) as exc:
        print(f"{args[0]}: not a conformance report (--conformance-report writes one): {type(exc).__name__}: {exc}",
              file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
