"""Comparing two conformance reports (spec chapter 12, REPORT-16): what a pull request changed.

``python -m realdex_conformance.report diff BASE.json HEAD.json [--format md|json] [--threshold 10%]``

Tests are matched by their stable id, clauses by their id, levels by name and benchmarks by
their test's stable id. Outcomes are compared as strings: an outcome this module has never heard
of is reported as a change like any other. Exit status: 0 no regression, 1 a regression (a test
or clause newly failing, a level no longer reached, a benchmark slower by more than the
threshold), 2 the reports could not be compared.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import realdex_spec
from realdex_conformance import levels as _levels

FAILING_TESTS = ("failed", "error")
NOT_SUPPORTED = "not supported"
NOT_RUN = _levels.NOT_RUN
ABSENT = "absent"  # the test, clause or level is not in that report
DEFAULT_THRESHOLD = 0.10
_MESSAGE = 160  # characters of a test's message shown in a table


class ReportError(ValueError):
    """A file that is not a report this module can compare; the message is one line naming it."""


def load(path: str | Path) -> dict:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"{path}: no such file (write one with pytest --impl=PKG --conformance-report={path})") from None
    except OSError as exc:
        raise ReportError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ReportError(f"{path}: not JSON ({exc}); expected a report written by --conformance-report") from None
    version = document.get("report_version") if isinstance(document, dict) else None
    if not isinstance(version, str) or version.split(".")[0] != "2":
        raise ReportError(f"{path}: report_version {version!r}; this kit compares reports of major version 2")
    if not isinstance(document.get("tests"), list):
        raise ReportError(f"{path}: no list of tests; expected a report written by --conformance-report")
    return document


def parse_threshold(text: str) -> float:
    """``10%`` or ``0.1``: the relative change of a benchmark's median that counts as moved."""
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a fraction (0.1) or a percentage (10%), found {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a threshold above 0, found {text!r}")
    return value


def _identity(document: dict) -> dict:
    impl = document.get("implementation") or {}
    kit = document.get("kit") or {}
    return {"implementation": impl.get("name"), "version": impl.get("version"), "kit": kit.get("version"),
            "commit": kit.get("commit"), "created": document.get("created"), "spec_version": document.get("spec_version"),
            "complete": (document.get("run") or {}).get("complete")}


def _tests(document: dict) -> dict[str, dict]:
    return {t["id"] if t.get("id") else t.get("nodeid"): t for t in document["tests"] if isinstance(t, dict)}


def _category(before: str, after: str, failing: tuple[str, ...], passing: str) -> str | None:
    """Which list a change of outcome belongs to; None when there is no change."""
    if before == after:
        return None
    if after in failing and before not in failing:
        return "newly_failing"
    if after == passing:
        return "newly_passing"
    if after == NOT_SUPPORTED:
        return "newly_not_supported"
    if after == NOT_RUN:
        return "newly_not_run"
    return "other_changes"


CATEGORIES = ("newly_failing", "newly_passing", "newly_not_supported", "newly_not_run", "other_changes")


def _test_changes(base: dict, head: dict) -> dict:
    b, h = _tests(base), _tests(head)
    found: dict[str, list] = {c: [] for c in CATEGORIES}
    for tid in sorted(h):  # a test only in base is listed as removed, and nowhere else
        before = b.get(tid, {}).get("outcome", ABSENT)
        after = h.get(tid, {}).get("outcome", ABSENT)
        category = _category(str(before), str(after), FAILING_TESTS, "passed")
        if category is None:
            continue
        found[category].append({"id": tid, "clauses": list(h[tid].get("clauses", [])), "base": before, "head": after,
                                "message": h[tid].get("message", "")})
    found["added"] = sorted(set(h) - set(b))
    found["removed"] = sorted(set(b) - set(h))
    return found


def _clause_changes(base: dict, head: dict) -> dict:
    b, h = _levels.clause_status(base["tests"]), _levels.clause_status(head["tests"])
    known = realdex_spec.clauses()
    found: dict[str, list] = {c: [] for c in CATEGORIES}
    for cid in sorted(h):  # a clause no test of head names is in the coverage's no_longer_checked
        category = _category(b.get(cid, ABSENT), h.get(cid, ABSENT), ("failing",), "passed")
        if category is None:
            continue
        clause = known.get(cid)
        found[category].append({"id": cid, "level": clause.level if clause else None,
                                "chapter": clause.chapter if clause else None, "base": b.get(cid, ABSENT),
                                "head": h.get(cid, ABSENT)})
    return found


def _level_changes(base: dict, head: dict) -> list[dict]:
    b = {lv["name"]: lv.get("status") for lv in base.get("levels") or []}
    h = {lv["name"]: lv.get("status") for lv in head.get("levels") or []}
    names = [lv["name"] for lv in head.get("levels") or []] + [n for n in b if n not in h]
    return [{"name": n, "base": b.get(n, ABSENT), "head": h.get(n, ABSENT)} for n in names if b.get(n, ABSENT) != h.get(n, ABSENT)]


_COUNTS = ("clauses", "checked", "passed", "failing", "not_passed", "not_run")


def _coverage_changes(base: dict, head: dict) -> dict:
    def checked(doc: dict) -> set[str]:
        return {c for t in doc["tests"] if t.get("outcome") != NOT_RUN for c in t.get("clauses", [])}

    b_rows = {r["chapter"]: r for r in base.get("chapters") or []}
    h_rows = {r["chapter"]: r for r in head.get("chapters") or []}
    chapters = []
    for chapter in sorted(set(b_rows) | set(h_rows)):
        br, hr = b_rows.get(chapter, {}), h_rows.get(chapter, {})
        moved = {k: [br.get(k), hr.get(k)] for k in _COUNTS if br.get(k) != hr.get(k)}
        if moved:
            chapters.append({"chapter": chapter, **moved})
    return {"newly_checked": sorted(checked(head) - checked(base)),
            "no_longer_checked": sorted(checked(base) - checked(head)), "chapters": chapters}


def _benchmark_changes(base: dict, head: dict, threshold: float) -> dict:
    b = {x["id"]: x for x in base.get("benchmarks") or []}
    h = {x["id"]: x for x in head.get("benchmarks") or []}
    found: dict[str, list] = {"slower": [], "faster": [], "within": [], "not_comparable": []}
    for bid in sorted(set(b) & set(h)):
        before, after = b[bid], h[bid]
        entry = {"id": bid, "name": after.get("name"), "base_median_s": before.get("median_s"),
                 "head_median_s": after.get("median_s")}
        if before.get("size") != after.get("size") or not before.get("median_s") or after.get("median_s") is None:
            found["not_comparable"].append({**entry, "why": f"sizes {before.get('size')} and {after.get('size')}"
                                            if before.get("size") != after.get("size") else "no median"})
            continue
        ratio = after["median_s"] / before["median_s"]
        entry["ratio"] = round(ratio, 4)
        found["slower" if ratio > 1 + threshold else "faster" if ratio < 1 - threshold else "within"].append(entry)
    found["added"] = sorted(set(h) - set(b))
    found["removed"] = sorted(set(b) - set(h))
    return found


def compare(base: dict, head: dict, threshold: float = DEFAULT_THRESHOLD) -> dict:
    """The changes from ``base`` to ``head`` and whether they hold a regression (the exit status)."""
    tests = _test_changes(base, head)
    clauses = _clause_changes(base, head)
    levels = _level_changes(base, head)
    benchmarks = _benchmark_changes(base, head, threshold)
    reasons = []
    if tests["newly_failing"]:
        reasons.append(f"{len(tests['newly_failing'])} tests newly failing")
    if clauses["newly_failing"]:
        reasons.append(f"{len(clauses['newly_failing'])} clauses newly failing")
    lost = [lv["name"] for lv in levels if lv["base"] == "reached"]
    if lost:
        reasons.append(f"level{'s' if len(lost) > 1 else ''} no longer reached: {', '.join(lost)}")
    if benchmarks["slower"]:
        reasons.append(f"{len(benchmarks['slower'])} benchmarks slower by more than {threshold:.0%}")
    return {
        "base": _identity(base), "head": _identity(head), "threshold": threshold,
        "regression": bool(reasons), "reasons": reasons,
        "tests": tests, "clauses": clauses, "levels": levels,
        "coverage": _coverage_changes(base, head), "benchmarks": benchmarks,
    }


# ---------------------------------------------------------------- Markdown
def _cell(text: Any) -> str:
    text = " ".join(str(text).split())
    if len(text) > _MESSAGE:
        text = text[: _MESSAGE - 1] + "…"
    return text.replace("|", "\\|")


def _who(ident: dict) -> str:
    name = f"{ident.get('implementation') or '?'} {ident.get('version') or ''}".strip()
    commit = f" ({ident['commit'][:12]})" if ident.get("commit") else ""
    return f"{name}, kit {ident.get('kit')}{commit}"


_TITLES = {
    "newly_failing": "Newly failing", "newly_passing": "Newly passing", "newly_not_supported": "Newly not supported",
    "newly_not_run": "Newly not run", "other_changes": "Other changes of outcome",
}


def markdown(diff: dict) -> str:
    lines = ["## RealDex conformance: changes", "",
             f"Base: {_who(diff['base'])}. Head: {_who(diff['head'])}.", ""]
    if diff["regression"]:
        lines += [f"**Regression** (exit status 1): {'; '.join(diff['reasons'])}.", ""]
    else:
        lines += ["No regression (exit status 0).", ""]
    for category in CATEGORIES:
        found = diff["clauses"][category]
        if found:
            lines += [f"### {_TITLES[category]} clauses ({len(found)})", "", "| clause | level | chapter | base | head |",
                      "|---|---|---|---|---|"]
            lines += [f"| {c['id']} | {c['level'] or '?'} | {c['chapter'] or '?'} | {c['base']} | {c['head']} |" for c in found]
            lines.append("")
    for category in CATEGORIES:
        found = diff["tests"][category]
        if found:
            lines += [f"### {_TITLES[category]} tests ({len(found)})", "", "| test | clauses | base | head | message |",
                      "|---|---|---|---|---|"]
            lines += [f"| `{_cell(t['id'])}` | {', '.join(t['clauses'])} | {t['base']} | {t['head']} | {_cell(t['message'])} |"
                      for t in found]
            lines.append("")
    if diff["levels"]:
        lines += ["### Levels", "", "| level | base | head |", "|---|---|---|"]
        lines += [f"| {lv['name']} | {lv['base']} | {lv['head']} |" for lv in diff["levels"]]
        lines.append("")
    bench = diff["benchmarks"]
    moved = bench["slower"] + bench["faster"]
    if moved or bench["not_comparable"]:
        lines += [f"### Benchmarks that moved by more than {diff['threshold']:.0%}", "",
                  "| benchmark | base median (s) | head median (s) | head / base |", "|---|---|---|---|"]
        for b in moved:
            word = "slower" if b in bench["slower"] else "faster"
            lines.append(f"| `{_cell(b['id'])}` ({_cell(b['name'])}) | {b['base_median_s']:.4g} | {b['head_median_s']:.4g} | "
                         f"{b['ratio']:.2f} ({word}) |")
        for b in bench["not_comparable"]:
            lines.append(f"| `{_cell(b['id'])}` | {b['base_median_s']} | {b['head_median_s']} | not comparable: {b['why']} |")
        lines.append("")
    cov = diff["coverage"]
    if cov["newly_checked"] or cov["no_longer_checked"] or cov["chapters"]:
        lines += ["### Coverage", ""]
        if cov["newly_checked"]:
            lines.append(f"- newly checked: {', '.join(cov['newly_checked'])}")
        if cov["no_longer_checked"]:
            lines.append(f"- no longer checked: {', '.join(cov['no_longer_checked'])}")
        for row in cov["chapters"]:
            moved_counts = ", ".join(f"{k} {v[0]} → {v[1]}" for k, v in row.items() if k != "chapter")
            lines.append(f"- {row['chapter']}: {moved_counts}")
        lines.append("")
    added, removed = diff["tests"]["added"], diff["tests"]["removed"]
    if added or removed:
        lines.append(f"{len(added)} tests only in head, {len(removed)} only in base.")
        lines.append("")
    if len(lines) and not any(diff["tests"][c] or diff["clauses"][c] for c in CATEGORIES) and not diff["levels"] and not moved:
        lines += ["No test, clause, level or benchmark changed.", ""]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m realdex_conformance.report diff",
        description="Compare two conformance reports. Exit status: 0 no regression, 1 a regression "
        "(a test or clause newly failing, a level no longer reached, a benchmark slower than the threshold), "
        "2 the reports could not be compared.",
    )
    parser.add_argument("base", help="the report of the base (for example the main branch)")
    parser.add_argument("head", help="the report of the change (for example the pull request)")
    parser.add_argument("--format", choices=("md", "json"), default="md", help="Markdown (default) or JSON on stdout")
    parser.add_argument("--threshold", type=parse_threshold, default=DEFAULT_THRESHOLD, metavar="T",
                        help="relative change of a benchmark's median that counts: 0.1 or 10%% (default 10%%)")
    args = parser.parse_args(argv)
    try:
        base, head = load(args.base), load(args.head)
    except ReportError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        diff = compare(base, head, args.threshold)
    except (KeyError, TypeError, AttributeError) as exc:
        print(f"{args.base}, {args.head}: a report lacks what --conformance-report writes ({type(exc).__name__}: {exc})",
              file=sys.stderr)
        return 2
    try:
        if args.format == "json":
            sys.stdout.write(json.dumps(diff, indent=2) + "\n")
        else:
            sys.stdout.write(markdown(diff))
        sys.stdout.flush()
    except BrokenPipeError:  # a closed pipe (| head) ends the program quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 1 if diff["regression"] else 0
