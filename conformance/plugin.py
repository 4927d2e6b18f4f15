"""pytest plugin of the RealDex conformance suite (entry point ``pytest11: conformance.plugin``).

It adds ``--impl``, loads and checks the adapter once per session, names it in the header,
skips tests of undeclared capabilities, insists that every conformance test names the spec
clauses it checks, registers the Hypothesis profiles and ends the run with the spec coverage.
It also applies the implementer's known failures (``--xfails-file``), computes the conformance
levels and writes the report and its Markdown summary (spec chapter 12).
"""
from __future__ import annotations

import os
import random
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, is_hypothesis_test, settings

import realdex_spec
from realdex_conformance import contract, levels, xfails
from realdex_conformance import report as report_mod
from realdex_conformance.collect import SUITE_DIR, pytest_collect_directory, pytest_pycollect_makemodule  # noqa: F401 (hooks)

IMPL_ENV = "REALDEX_IMPL"

# Profiles: the default is quick enough for every commit; "certify" is for certification runs.
# print_blob: every failure carries its @reproduce_failure blob, which the report keeps (REPORT-4).
_COMMON = dict(
    deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.register_profile("realdex", max_examples=15, **_COMMON)
settings.register_profile("realdex-ci", parent=settings.get_profile("ci"), max_examples=15, **_COMMON)
settings.register_profile("realdex-certify", max_examples=300, **_COMMON)
# "triage": a quick verdict on a broken implementation; failures are reported as found, not
# shrunk to a minimal example (shrinking a failing property can take minutes per test)
settings.register_profile(
    "realdex-triage", max_examples=15, phases=[Phase.explicit, Phase.reuse, Phase.generate], **_COMMON
)

_ADAPTER_KEY = pytest.StashKey[Any]()
_COVERED_KEY = pytest.StashKey[dict]()
_RESULTS_KEY = pytest.StashKey[dict]()
_XFAILS_KEY = pytest.StashKey[list]()
_SHOWN = 20  # failures whose rerun command is printed at the end; the report has them all


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("realdex", "RealDex conformance")
    group.addoption(
        "--impl",
        default=None,
        metavar="PKG",
        help=f"implementation under test: 'module' or 'module:attribute' naming its adapter (fallback: ${IMPL_ENV})",
    )
    group.addoption(
        "--conformance-report",
        default=None,
        metavar="FILE",
        help="write a JSON report of the conformance run (spec chapter 12; form: spec/report.schema.json)",
    )
    group.addoption(
        "--conformance-summary",
        default=None,
        metavar="FILE",
        help="write a Markdown summary of the run: levels and one row per spec chapter, with badges",
    )
    group.addoption(
        "--xfails-file",
        default=None,
        metavar="FILE",
        help="known failures of the implementation: lines 'TEST-ID-FRAGMENT  # reason' (spec chapter 12)",
    )
    group.addoption(
        "--strict-xfails",
        action="store_true",
        default=False,
        help="a known-failure entry that matches no test stops the run, and a known failure that passes fails",
    )
    group.addoption(
        "--conformance-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="time limit of each conformance test (spec chapter 13, SAFE-10): a hanging implementation fails "
        "that test alone; 0 turns it off (default 60)",
    )


def impl_spec(config: pytest.Config) -> str | None:
    return config.getoption("impl", default=None) or os.environ.get(IMPL_ENV) or None


@pytest.hookimpl(tryfirst=True)  # before Hypothesis' own pytest_configure reads --hypothesis-seed
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "clause(*ids): the specification clauses this test checks")
    config.addinivalue_line("markers", "requires(*capabilities): adapter capabilities this test needs")
    if config.getoption("hypothesis_profile", default=None) is None:
        settings.load_profile("realdex-ci" if os.environ.get("CI") else "realdex")
    # A seed chosen here, not by Hypothesis, is known: a failure can be rerun with it (REPORT-4).
    if hasattr(config.option, "hypothesis_seed") and config.option.hypothesis_seed is None:
        config.option.hypothesis_seed = str(random.SystemRandom().randrange(2**32))
    path = config.getoption("xfails_file", default=None)
    if path:
        try:
            config.stash[_XFAILS_KEY] = xfails.load(path)
        except xfails.XfailsError as exc:
            raise pytest.UsageError(str(exc)) from None
    spec = impl_spec(config)
    if spec:
        try:
            adapter = contract.load_adapter(spec)
        except contract.AdapterError as exc:
            raise pytest.UsageError(str(exc)) from None
        problems = contract.check_adapter(adapter)
        if problems:
            raise pytest.UsageError(
                f"the adapter {spec!r} cannot be put under test (spec chapter 4):\n  - " + "\n  - ".join(problems)
            )
        config.stash[_ADAPTER_KEY] = adapter


def pytest_report_header(config: pytest.Config) -> list[str]:
    adapter = config.stash.get(_ADAPTER_KEY, None)
    head = f"realdex conformance: spec {realdex_spec.VERSION}"
    if adapter is None:
        return [f"{head}; implementation under test: none (pass --impl=PKG or set {IMPL_ENV})"]
    caps = ", ".join(sorted(adapter.capabilities)) or "none"
    hyp = hypothesis_run(config)
    seed = f"seed {hyp['seed']}" if hyp["seed"] is not None else "derandomized"
    return [
        f"{head}; implementation under test: {adapter.name} {adapter.version} "
        f"(targets spec {adapter.spec_version}; from {impl_spec(config)})",
        f"capabilities: {caps}",
        f"hypothesis: profile {hyp['profile']}, {seed}",
    ]


def hypothesis_run(config: pytest.Config) -> dict:
    """The Hypothesis profile and seed of this run; the seed is None when it plays no part."""
    current = settings()
    seed = config.getoption("hypothesis_seed", default=None)
    return {
        "profile": settings.get_current_profile_name(),
        "seed": None if current.derandomize or seed is None else int(seed) if str(seed).isdigit() else seed,
        "derandomize": bool(current.derandomize),
        "max_examples": current.max_examples,
    }


def is_conformance_item(item: pytest.Item) -> bool:
    return SUITE_DIR in Path(str(item.path)).resolve().parents


def is_reported(item: pytest.Item) -> bool:
    """Tests that belong to the conformance record: the suite's, and any other that names a clause."""
    return is_conformance_item(item) or item.get_closest_marker("clause") is not None


def clause_ids(item: pytest.Item) -> list[str]:
    ids: list[str] = []
    for mark in item.iter_markers("clause"):
        ids.extend(mark.args)
    return list(dict.fromkeys(ids))


@pytest.hookimpl(tryfirst=True)  # known failures are matched before -k/-m deselect anything
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    known = realdex_spec.clauses()
    errors: list[str] = []
    has_suite = False
    for item in items:
        if not is_reported(item):
            continue
        has_suite = has_suite or is_conformance_item(item)
        ids = clause_ids(item)
        if not ids:
            errors.append(f"{item.nodeid}: names no clause (add @pytest.mark.clause('ID'))")
        for cid in ids:
            if cid not in known:
                errors.append(f"{item.nodeid}: names clause {cid!r}, which the spec does not have")
    if errors:
        raise pytest.UsageError("conformance tests must name existing spec clauses:\n  - " + "\n  - ".join(errors))
    if has_suite and config.stash.get(_ADAPTER_KEY, None) is None:
        raise pytest.UsageError(
            f"the conformance suite needs an implementation: pass --impl=PKG (or set {IMPL_ENV}); "
            "for the reference, --impl=realdex_ref"
        )
    _apply_xfails(config, items)
    _apply_timeout(config, items)


def _apply_timeout(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A time limit on every conformance test without its own (pytest-timeout's marker, SAFE-10).

    The signal method fails the test that hangs and lets the session go on; the thread method
    would end the whole run.
    """
    seconds = config.getoption("conformance_timeout", default=0.0) or 0.0
    if seconds <= 0:
        return
    for item in items:
        if is_conformance_item(item) and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(seconds, method="signal"))


def _apply_xfails(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the implementer's known failures; report (or, under --strict-xfails, refuse) stale entries."""
    entries = config.stash.get(_XFAILS_KEY, None)
    if entries is None:
        return
    path = config.getoption("xfails_file")
    strict = bool(config.getoption("strict_xfails"))
    by_id = {i.nodeid: i for i in items}
    for nodeid, entry in xfails.match(entries, by_id).items():
        by_id[nodeid].add_marker(
            pytest.mark.xfail(reason=f"known failure ({entry.where(path)}): {entry.reason}", strict=strict)
        )
    stale = xfails.stale(entries)
    if stale and strict:
        raise pytest.UsageError(
            f"--strict-xfails: {len(stale)} known-failure entr{'y' if len(stale) == 1 else 'ies'} of {path} "
            "match no collected test (stale: remove them, or fix the fragment):\n  - "
            + "\n  - ".join(f"{e.where(path)}: {e.fragment!r}" for e in stale)
        )
    for entry in stale:
        warnings.warn(pytest.PytestWarning(
            f"known-failure entry {entry.where(path)} {entry.fragment!r} matches no collected test: "
            "it is stale; remove it or fix the fragment"
        ))


def pytest_collection_finish(session: pytest.Session) -> None:
    covered: dict[str, list[str]] = {}
    for item in session.items:
        if is_reported(item):
            for cid in clause_ids(item):
                covered.setdefault(cid, []).append(item.nodeid)
    session.config.stash[_COVERED_KEY] = covered


def pytest_runtest_setup(item: pytest.Item) -> None:
    if not is_conformance_item(item):
        return
    adapter = item.config.stash.get(_ADAPTER_KEY, None)
    for mark in item.iter_markers("requires"):
        for cap in mark.args:
            require(adapter, cap)


def require(adapter: Any, capability: str) -> None:
    """Skip the running test unless the adapter declares ``capability``."""
    if capability not in contract.CAPABILITIES:
        raise ValueError(f"the kit asks for capability {capability!r}, which chapter 4 does not define")
    if capability not in set(adapter.capabilities):
        pytest.skip(f"{adapter.name} does not declare capability {capability!r}")


@pytest.fixture(scope="session")
def adapter(pytestconfig: pytest.Config) -> Any:
    """The adapter of the implementation under test, loaded and checked at session start."""
    found = pytestconfig.stash.get(_ADAPTER_KEY, None)
    if found is None:
        pytest.fail(f"no implementation under test: pass --impl=PKG or set {IMPL_ENV}")
    return found


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    covered = config.stash.get(_COVERED_KEY, None)
    if covered:
        known = realdex_spec.clauses()
        missing = [c for c in known.values() if c.id not in covered]
        terminalreporter.section("RealDex spec coverage")
        terminalreporter.write_line(f"{len(known) - len(missing)} of {len(known)} clauses are checked by the collected tests")
        for clause in missing:
            terminalreporter.write_line(f"  not checked: {clause.id} ({clause.level}, {clause.chapter})")
    tests = _tests(config)
    if tests and config.stash.get(_ADAPTER_KEY, None) is not None:
        terminalreporter.section("RealDex conformance levels")
        for level in levels.compute(tests):
            terminalreporter.write_line(levels.describe(level))
    failures = [t for t in tests if "reproduce" in t]
    if failures:
        terminalreporter.section("RealDex: rerun one failure")
        for test in failures[:_SHOWN]:
            terminalreporter.write_line(f"{test['nodeid']} {test['clauses']}:")
            terminalreporter.write_line(f"  {test['reproduce']['command']}")
            if test["reproduce"].get("blob"):
                terminalreporter.write_line(f"  or add {test['reproduce']['blob']} to the test")
        if len(failures) > _SHOWN:
            terminalreporter.write_line(f"... and {len(failures) - _SHOWN} more (all are in --conformance-report)")
    _summarise_xfails(terminalreporter, config, tests)



def _summarise_xfails(terminalreporter: Any, config: pytest.Config, tests: list[dict]) -> None:
    entries = config.stash.get(_XFAILS_KEY, None)
    if entries is None:
        return
    path = config.getoption("xfails_file")
    stale = xfails.stale(entries)
    xpassed = [t["nodeid"] for t in tests if t["outcome"] == "xpassed"]
    terminalreporter.section("RealDex known failures")
    terminalreporter.write_line(
        f"{len(entries)} entries in {path}; {len(entries) - len(stale)} match collected tests"
    )
    for entry in stale:
        terminalreporter.write_line(f"  stale: {entry.where(path)} {entry.fragment!r} matches no collected test")
    for nodeid in xpassed:
        terminalreporter.write_line(f"  passed although listed as a known failure (remove its entry): {nodeid}")


def _tests(config: pytest.Config) -> list[dict]:
    return list(config.stash.get(_RESULTS_KEY, {}).values())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    report = yield
    if is_reported(item):
        results = item.config.stash.setdefault(_RESULTS_KEY, {})
        entry = results.setdefault(
            item.nodeid, {"nodeid": item.nodeid, "clauses": clause_ids(item), "outcome": "passed", "duration": 0.0, "message": ""}
        )
        entry["duration"] += report.duration
        _record_outcome(entry, report)
        if entry["outcome"] in ("failed", "error") and "reproduce" not in entry:
            entry["reproduce"] = _reproduction(item, report)
    return report


def _record_outcome(entry: dict, report: pytest.TestReport) -> None:
    """Fold the set-up, call and tear-down reports into one outcome; the first failure wins."""
    if entry["outcome"] in ("failed", "error"):
        return
    wasxfail = getattr(report, "wasxfail", None)
    if report.failed:
        entry["outcome"] = "failed" if report.when == "call" else "error"
        entry["message"] = _short(report)
    elif report.skipped and wasxfail is not None:
        entry["outcome"], entry["message"] = "xfailed", wasxfail
    elif report.skipped and entry["outcome"] == "passed":
        entry["outcome"], entry["message"] = "skipped", _short(report)
    elif report.passed and report.when == "call" and wasxfail is not None:
        entry["outcome"] = "xpassed"
        entry["message"] = f"passed although listed as a known failure; remove its entry ({wasxfail})"


def _reproduction(item: pytest.Item, report: pytest.TestReport) -> dict:
    """The one-line command that reruns just this test, with its Hypothesis seed and blob (REPORT-4)."""
    config = item.config
    hypothesis = is_hypothesis_test(getattr(item, "obj", None))
    hyp = hypothesis_run(config)
    command = report_mod.reproduce_command(
        nodeid=item.nodeid, path=item.path, invocation_dir=config.invocation_params.dir, impl=impl_spec(config),
        profile=hyp["profile"] if hypothesis else None, seed=hyp["seed"] if hypothesis else None,
    )
    return {
        "command": command,
        "seed": hyp["seed"] if hypothesis else None,
        "blob": report_mod.hypothesis_blob(str(report.longrepr)) if hypothesis else None,
    }


def _short(report: pytest.TestReport) -> str:
    """One line: the skip reason, or the first line of the failure's message."""
    if report.skipped and isinstance(report.longrepr, tuple):
        text = str(report.longrepr[2])
    else:
        crash = getattr(report.longrepr, "reprcrash", None)
        text = crash.message if crash is not None else str(report.longrepr)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0][:1000] if lines else ""


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    path = config.getoption("conformance_report", default=None)
    summary = config.getoption("conformance_summary", default=None)
    if not (path or summary):
        return
    entries = config.stash.get(_XFAILS_KEY, None)
    known = None
    if entries is not None:
        known = {
            "file": str(config.getoption("xfails_file")),
            "strict": bool(config.getoption("strict_xfails")),
            "entries": [
                {"fragment": e.fragment, "reason": e.reason, "line": e.line, "matched": e.matched} for e in entries
            ],
            "stale": [e.fragment for e in xfails.stale(entries)],
        }
    document = report_mod.build(
        tests=_tests(config), adapter=config.stash.get(_ADAPTER_KEY, None), impl=impl_spec(config),
        exit_status=int(exitstatus), command=list(config.invocation_params.args),
        hypothesis=hypothesis_run(config), xfails=known,
    )
    if path:
        report_mod.write(path, document)
    if summary:
        Path(summary).write_text(report_mod.markdown(document), encoding="utf-8")
