"""pytest plugin of the RealDex conformance suite (entry point ``pytest11: conformance.plugin``).

It adds ``--impl``, loads and checks the adapter once per session, names it in the header,
skips tests of undeclared capabilities, insists that every conformance test names the spec
clauses it checks, registers the Hypothesis profiles and ends the run with the spec coverage.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

import realdex_spec
from conformance import contract

SUITE_DIR = Path(__file__).resolve().parent
IMPL_ENV = "REALDEX_IMPL"

# Profiles: the default is quick enough for every commit; "certify" is for certification runs.
_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("realdex", max_examples=15, **_COMMON)
settings.register_profile("realdex-ci", parent=settings.get_profile("ci"), max_examples=15, **_COMMON)
settings.register_profile("realdex-certify", max_examples=300, **_COMMON)

_ADAPTER_KEY = pytest.StashKey[Any]()
_COVERED_KEY = pytest.StashKey[dict]()
_RESULTS_KEY = pytest.StashKey[dict]()


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
        help="write a JSON report of the conformance run: every test with its outcome and clauses",
    )


def impl_spec(config: pytest.Config) -> str | None:
    return config.getoption("impl", default=None) or os.environ.get(IMPL_ENV) or None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "clause(*ids): the specification clauses this test checks")
    config.addinivalue_line("markers", "requires(*capabilities): adapter capabilities this test needs")
    if config.getoption("hypothesis_profile", default=None) is None:
        settings.load_profile("realdex-ci" if os.environ.get("CI") else "realdex")
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
    return [
        f"{head}; implementation under test: {adapter.name} {adapter.version} "
        f"(targets spec {adapter.spec_version}; from {impl_spec(config)})",
        f"capabilities: {caps}",
    ]


def is_conformance_item(item: pytest.Item) -> bool:
    return SUITE_DIR in Path(str(item.path)).resolve().parents


def clause_ids(item: pytest.Item) -> list[str]:
    ids: list[str] = []
    for mark in item.iter_markers("clause"):
        ids.extend(mark.args)
    return list(dict.fromkeys(ids))


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    known = realdex_spec.clauses()
    errors: list[str] = []
    has_suite = False
    for item in items:
        if not is_conformance_item(item):
            continue
        has_suite = True
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


def pytest_collection_finish(session: pytest.Session) -> None:
    covered: dict[str, list[str]] = {}
    for item in session.items:
        if is_conformance_item(item):
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
    if not covered:
        return
    known = realdex_spec.clauses()
    missing = [c for c in known.values() if c.id not in covered]
    terminalreporter.section("RealDex spec coverage")
    terminalreporter.write_line(f"{len(known) - len(missing)} of {len(known)} clauses are checked by the collected tests")
    for clause in missing:
        terminalreporter.write_line(f"  not checked: {clause.id} ({clause.level}, {clause.chapter})")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    report = yield
    if is_conformance_item(item):
        results = item.config.stash.setdefault(_RESULTS_KEY, {})
        entry = results.setdefault(
            item.nodeid, {"nodeid": item.nodeid, "clauses": clause_ids(item), "outcome": "passed", "duration": 0.0, "message": ""}
        )
        entry["duration"] += report.duration
        if report.failed or (report.skipped and entry["outcome"] == "passed"):
            entry["outcome"] = "failed" if report.failed else "skipped"
            if report.failed and report.when != "call":
                entry["outcome"] = "error"
            entry["message"] = _short(report)
    return report


def _short(report: pytest.TestReport) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2])
    crash = getattr(report.longrepr, "reprcrash", None)
    return crash.message if crash is not None else str(report.longrepr)[-2000:]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = session.config.getoption("conformance_report", default=None)
    if not path:
        return
    adapter = session.config.stash.get(_ADAPTER_KEY, None)
    results = session.config.stash.get(_RESULTS_KEY, {})
    document = {
        "spec_version": realdex_spec.VERSION,
        "implementation": None if adapter is None else {"name": adapter.name, "version": adapter.version},
        "exit_status": int(exitstatus),
        "tests": list(results.values()),
    }
    Path(path).write_text(json.dumps(document, indent=2), encoding="utf-8")
