"""Mutation testing of the reference implementation, scored by the conformance suite.

Run through ``scripts/mutation.sh`` (see CONTRIBUTING.md, "Mutation testing"). For each module of
``realdex_ref`` that the suite speaks for, this makes a scratch copy of the checkout under
``OUT/work/MODULE``, runs mutmut there with the conformance chapter(s) that speak for the module as the
test command (through the reference adapter: ``--impl=realdex_ref``), and writes what came of every
mutant: ``OUT/MODULE.json`` (every mutant: status, line, the changed line before and after, seconds),
``OUT/report.json`` and ``OUT/report.md`` (the score per module and the survivors by file and line).

Why mutmut (3.x) and not cosmic-ray: mutmut forks a test process per mutant from one that has already
imported everything and runs only the tests that reach the mutated function (about 4 mutants a second
on batching, 378 mutants in 70 s on this 2-core machine); cosmic-ray starts a fresh pytest per mutant
(about 11 s a mutant here: 697 mutants of batching would take two hours) and rewrites the source file
in place, so a run that is stopped leaves a mutant in the working tree.

A sample (``--sample N``) is a seeded random subset of each module's mutants, so a budgeted run is
reproducible with one command: the same seed, the same source and the same mutmut give the same
mutants. Hypothesis runs with a fixed seed (``--hypothesis-seed``) and a fresh example database in each
scratch copy.
"""
from __future__ import annotations

import argparse
import ast
import difflib
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# module of realdex_ref -> the conformance chapters that speak for it (the adapter methods that call
# into the module are exercised there); mutmut then runs, for each mutant, only the tests of these
# chapters that reach the mutated function
CHAPTERS: dict[str, list[str]] = {
    "layouts": ["test_layouts.py", "test_equivalence.py", "test_sample.py", "test_robustness.py"],
    "dataroot": ["test_dataroot.py", "test_robustness.py"],
    "datachecks": ["test_datachecks.py", "test_robustness.py"],
    "batching": ["test_batching.py", "test_loader.py"],
    "loader": ["test_loader.py"],
    "planning": ["test_planning.py", "test_batching.py", "test_runlog.py", "test_training.py"],
    "checkrun": ["test_runlog.py", "test_learning.py", "test_robustness.py"],
    "trainer": ["test_training.py", "test_learning.py"],
}

# mutmut's exit codes, by its own table where it is importable
def _status_table() -> dict[int | None, str]:
    try:
        from mutmut.__main__ import status_by_exit_code  # type: ignore
        return dict(status_by_exit_code)
    except Exception:  # pragma: no cover - an older or newer mutmut
        return {None: "not checked", 0: "survived", 1: "killed", 33: "no tests", 34: "skipped",
                35: "suspicious", 36: "timeout", -24: "timeout", 24: "timeout", 152: "timeout"}


FRESH_PLUGIN = '''"""Loaded by scripts/mutation.py: each test session starts with an empty in-memory walk index."""
import sys


def pytest_sessionstart(session):
    adapter = sys.modules.get("realdex_ref.adapter")
    if adapter is not None and hasattr(adapter, "_INDEX"):
        adapter._INDEX = type(adapter._INDEX)()
'''


def _pyproject_with_mutmut(text: str, module: str, seed: int, timeout_multiplier: float) -> str:
    others = sorted(f"realdex_ref/{p.name}" for p in (ROOT / "realdex_ref").glob("*.py") if p.stem != module)
    chapters = [f"conformance/{c}" for c in CHAPTERS[module]]
    section = "\n".join([
        "",
        "[tool.mutmut]",
        'source_paths = ["realdex_ref/"]',
        f"do_not_mutate = {json.dumps(others + ['realdex_ref/cli/*'])}",
        f"pytest_add_cli_args_test_selection = {json.dumps(chapters)}",
        "pytest_add_cli_args = " + json.dumps([
            "--impl=realdex_ref", "-p", "no:cacheprovider", "--hypothesis-profile=realdex-triage",
            f"--hypothesis-seed={seed}", "-p", "_mutation_fresh",
        ]),
        'also_copy = ["spec"]',
        f"timeout_multiplier = {timeout_multiplier}",
        "",
    ])
    if "[tool.mutmut]" in text:
        raise SystemExit("pyproject.toml already has a [tool.mutmut] section; this script writes its own")
    return text + section


def _prepare(work: Path, module: str, seed: int, timeout_multiplier: float) -> None:
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", ".hypothesis", "*.pyc")
    for name in ("realdex_ref", "spec"):
        shutil.copytree(ROOT / name, work / name, ignore=ignore)
    # the suite is not copied: mutmut runs pytest in work/mutants, and the plugin gives the kit's
    # Hypothesis profile, seed and health checks only to the installed kit's own files (a copy of
    # conformance/ would be "someone else's tests", run with Hypothesis' defaults), so both
    # work/conformance and work/mutants/conformance are links to this checkout's conformance/
    (work / "conformance").symlink_to(ROOT / "conformance", target_is_directory=True)
    (work / "mutants").mkdir()
    # mutmut forks every mutant's run from a process that ran the clean tests in-process: what the reference
    # keeps in memory between calls (the adapter's walk index: file summaries, fps picks) would be served to the
    # mutant from the clean run, and a mutant of the code that computes it would survive unseen
    (work / "mutants" / "_mutation_fresh.py").write_text(FRESH_PLUGIN)
    (work / "mutants" / "conformance").symlink_to(ROOT / "conformance", target_is_directory=True)
    text = (ROOT / "pyproject.toml").read_text()
    (work / "pyproject.toml").write_text(_pyproject_with_mutmut(text, module, seed, timeout_multiplier))


def _mutmut(work: Path, names: list[str], budget: float | None, log: Path) -> int:
    exe = Path(sys.executable).parent / "mutmut"
    cmd = [str(exe), "run", "--max-children", "1", *names]
    if budget is not None:
        # SIGINT: mutmut stops its workers and keeps what it has (the rest stays "not checked")
        cmd = ["timeout", "-s", "INT", "-k", "30", str(int(budget)), *cmd]
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    with log.open("a") as f:
        f.write(f"$ {' '.join(cmd)}\n")
        f.flush()
        return subprocess.run(cmd, cwd=work, stdout=f, stderr=subprocess.STDOUT, env=env).returncode


def _meta(work: Path, module: str) -> dict:
    path = work / "mutants" / "realdex_ref" / f"{module}.py.meta"
    if not path.exists():
        raise SystemExit(f"mutmut wrote no results for {module} ({path} is missing); see {work}/mutmut.log")
    return json.loads(path.read_text())


def _where(work: Path, module: str) -> dict[str, dict]:
    """Each mutant's line in the source file and the changed line before and after."""
    mutated = (work / "mutants" / "realdex_ref" / f"{module}.py").read_text().splitlines()
    spans = json.loads((work / "mutants" / "realdex_ref" / f"{module}.py.spans").read_text())["spans"]
    source = (ROOT / "realdex_ref" / f"{module}.py").read_text()
    starts: dict[str, tuple[int, int]] = {}  # mangled function name -> its lines in the source
    src_lines = source.splitlines()

    def visit(node: ast.AST, cls: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                key = f"x\u01c1{cls}\u01c1{child.name}" if cls else f"x_{child.name}"
                starts.setdefault(key, (child.lineno, child.end_lineno or child.lineno))
            elif isinstance(child, ast.ClassDef) and cls is None:
                visit(child, child.name)

    visit(ast.parse(source), None)
    out: dict[str, dict] = {}
    for key, (a, b) in spans.items():
        func, _, n = key.rpartition("__mutmut_")
        if n == "orig":
            continue
        orig = spans.get(f"{func}__mutmut_orig")
        if not orig:
            continue
        old = [line.replace(f"{func}__mutmut_orig", func) for line in mutated[orig[0] - 1:orig[1]]]
        new = [line.replace(f"{func}__mutmut_{n}", func) for line in mutated[a - 1:b]]
        line, before, after = None, "", ""
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
            if op != "equal":
                before = "\n".join(old[i1:i2]).strip()
                after = "\n".join(new[j1:j2]).strip()
                line = _source_line(src_lines, starts.get(func), old, i1)
                break
        out[f"realdex_ref.{module}.{key}"] = {"line": line, "before": before, "after": after,
                                              "function": func}
    return out


def _source_line(src: list[str], span: tuple[int, int] | None, old: list[str], i: int) -> int | None:
    """The source line of ``old[i]`` (mutmut's copy of the function, which may differ from the source
    in blank lines and layout): the line of the function with the same text nearest to where it would
    be counted from the "def", else that count."""
    if span is None:
        return None
    first, last = span
    guess = first + i
    if i < len(old):
        want = old[i].strip()
        hits = [n for n in range(first, last + 1) if src[n - 1].strip() == want]
        if hits:
            return min(hits, key=lambda n: abs(n - guess))
    return guess


def run_module(module: str, out: Path, sample: int | None, seed: int, budget: float | None,
               timeout_multiplier: float) -> dict:
    work = out / "work" / module
    _prepare(work, module, seed, timeout_multiplier)
    log = work / "mutmut.log"
    t0 = time.monotonic()
    names: list[str] = []
    if sample is not None:
        # generate the mutants and gather which tests reach which function, and nothing more: a
        # pattern that names no mutant stops mutmut after its stats (which the next run reuses)
        _mutmut(work, [f"realdex_ref.{module}.__no_such_mutant__"], None, log)
        every = sorted(_meta(work, module)["exit_code_by_key"])
        names = sorted(random.Random(f"{seed}:{module}").sample(every, min(sample, len(every))))
    left = None if budget is None else max(1.0, budget - (time.monotonic() - t0))
    rc = _mutmut(work, names, left, log)
    wall = time.monotonic() - t0
    meta = _meta(work, module)
    status_of = _status_table()
    where = _where(work, module)
    chosen = names or sorted(meta["exit_code_by_key"])
    mutants = []
    for name in chosen:
        code = meta["exit_code_by_key"].get(name)
        w = where.get(name, {})
        mutants.append({
            "name": name, "status": status_of.get(code, f"exit code {code}"), "exit_code": code,
            "file": f"realdex_ref/{module}.py", "line": w.get("line"), "function": w.get("function"),
            "before": w.get("before"), "after": w.get("after"),
            "seconds": meta.get("durations_by_key", {}).get(name),
        })
    counts: dict[str, int] = {}
    for m in mutants:
        counts[m["status"]] = counts.get(m["status"], 0) + 1
    total_generated = len(meta["exit_code_by_key"])
    checked = [m for m in mutants if m["status"] != "not checked"]
    killed = counts.get("killed", 0) + counts.get("timeout", 0)  # a mutant that hangs the suite is caught
    secs = [m["seconds"] for m in mutants if m["seconds"]]
    result = {
        "module": module, "chapters": CHAPTERS[module], "generated": total_generated,
        "sample": len(mutants) if names else None, "seed": seed, "counts": counts,
        "checked": len(checked), "killed_or_timeout": killed,
        "score": round(killed / len(checked), 4) if checked else None,
        "wall_seconds": round(wall, 1), "mean_seconds_per_mutant": round(sum(secs) / len(secs), 3) if secs else None,
        "mutmut_exit_status": rc, "mutants": mutants,
    }
    (out / f"{module}.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    return result


def write_report(out: Path, results: list[dict]) -> None:
    summary = [{k: v for k, v in r.items() if k != "mutants"} for r in results]
    (out / "report.json").write_text(json.dumps({
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                 text=True).stdout.strip(),
        "modules": summary}, indent=1, ensure_ascii=False) + "\n")
    lines = ["# Mutation report", "",
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; killed counts a timed-out mutant too; "
             "score = (killed + timeout) / checked; \"no tests\": no test of the module's chapters reaches the "
             "mutated function.", "",
             "| module | generated | sample | checked | killed | timeout | survived | no tests | not checked | score | s/mutant | wall s |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        c = r["counts"]
        score = "-" if r["score"] is None else f"{100 * r['score']:.1f}%"
        lines.append(f"| {r['module']} | {r['generated']} | {r['sample'] or 'all'} | {r['checked']} | "
                     f"{c.get('killed', 0)} | {c.get('timeout', 0)} | {c.get('survived', 0)} | "
                     f"{c.get('no tests', 0)} | {c.get('not checked', 0)} | {score} | "
                     f"{r['mean_seconds_per_mutant']} | {r['wall_seconds']} |")
    lines += ["", "## Survivors by file and line", ""]
    for r in results:
        rest = [m for m in r["mutants"] if m["status"] not in ("killed", "timeout", "not checked")]
        if not rest:
            continue
        lines.append(f"### realdex_ref/{r['module']}.py")
        lines.append("")
        for m in sorted(rest, key=lambda m: (m["line"] or 0, m["name"])):
            before = (m["before"] or "").replace("`", "'")
            after = (m["after"] or "").replace("`", "'")
            lines.append(f"- line {m['line']} ({m['status']}) `{m['name'].rsplit('.', 1)[-1]}`: "
                         f"`{before}` -> `{after}`")
        lines.append("")
    (out / "report.md").write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("modules", nargs="*", default=list(CHAPTERS), help=f"of {', '.join(CHAPTERS)} (default: all)")
    p.add_argument("--out", default=os.environ.get("REALDEX_MUTATION_OUT", "mutation-out"))
    p.add_argument("--sample", type=int, default=None, help="per module, a seeded random subset of this many mutants")
    p.add_argument("--seed", type=int, default=0, help="of the sample and of Hypothesis (default 0)")
    p.add_argument("--budget", type=float, default=None, help="seconds of wall time per module (the rest: not checked)")
    p.add_argument("--timeout-multiplier", type=float, default=5.0,
                   help="a mutant's tests get (their clean time + 1 s) x this x 2 CPU seconds (default 5)")
    a = p.parse_args(argv)
    unknown = [m for m in a.modules if m not in CHAPTERS]
    if unknown:
        p.error(f"unknown module(s) {unknown}; the suite speaks for {list(CHAPTERS)}")
    out = Path(a.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for module in a.modules:
        print(f"mutation: {module} (chapters {', '.join(CHAPTERS[module])})", flush=True)
        r = run_module(module, out, a.sample, a.seed, a.budget, a.timeout_multiplier)
        results.append(r)
        score = "-" if r["score"] is None else f"{100 * r['score']:.1f}%"
        print(f"mutation: {module}: {r['counts']} score {score} in {r['wall_seconds']} s", flush=True)
        # keep the earlier modules' figures if a later one is stopped
        done = {x["module"]: x for x in results}
        for f in out.glob("*.json"):
            if f.stem in CHAPTERS and f.stem not in done:
                done[f.stem] = json.loads(f.read_text())
        write_report(out, [done[m] for m in CHAPTERS if m in done])
    print(f"mutation: report in {out}/report.md", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
