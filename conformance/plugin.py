"""pytest plugin of the RealDex conformance suite (entry point ``pytest11: realdex_conformance.plugin``).

It is loaded in every pytest run of an environment where the kit is installed, and does
nothing there until asked: with no ``--impl`` (or ``REALDEX_IMPL``) it adds no header line,
loads no Hypothesis profile, forces no seed and writes no report. Asked, it loads and checks
the adapter once per session, names it in the header, skips tests of undeclared capabilities,
insists that every conformance test names the spec clauses it checks, gives the suite's
Hypothesis tests the kit's profile (``profiles``), keeps every adapter call and every test
within a time limit (``watchdog``), applies the implementer's known failures
(``--xfails-file``), and ends the run with the spec coverage, the conformance levels, the
report and its Markdown summary (spec chapter 12), serial or under pytest-xdist (``record``).
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import is_hypothesis_test

import realdex_spec
from realdex_conformance import contract, features, levels, profiles, record, rootreader, xfails
from realdex_conformance import golden as golden_files
from realdex_conformance import report as report_mod
from realdex_conformance.golden import golden  # noqa: F401 (fixture)
from realdex_conformance.collect import pytest_collect_directory, pytest_pycollect_makemodule  # noqa: F401 (hooks)
from realdex_conformance.record import clause_ids, is_reported, is_suite_item
from realdex_conformance.watchdog import GuardedAdapter, Watchdog

IMPL_ENV = "REALDEX_IMPL"

# ---------------------------------------------------------------- the implementer's CI (issue 17)
# benchmarks through the adapter (chapter 15) and the implementer's snapshots: their options and
# hooks are in ``ciplugin``; the report takes its fields (report 2.2) in pytest_sessionfinish below
pytest_plugins = ["realdex_conformance.ciplugin"]

_ADAPTER_KEY = pytest.StashKey[Any]()
_WATCHDOG_KEY = pytest.StashKey[Watchdog]()
_COLLECTED_KEY = pytest.StashKey[record.Collected]()
_RESULTS_KEY = pytest.StashKey[record.Results]()
_XFAILS_KEY = pytest.StashKey[list]()
_DESELECTED_KEY = pytest.StashKey[list]()
_END_KEY = pytest.StashKey[dict]()
_SHOWN = 20  # failures whose rerun command is printed at the end; the report has them all


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("realdex", "RealDex conformance (inactive unless --impl or $REALDEX_IMPL names an adapter)")
    group.addoption(
        "--impl", default=None, metavar="PKG",
        help=f"implementation under test: 'module' or 'module:attribute' naming its adapter (fallback: ${IMPL_ENV})",
    )
    group.addoption(
        "--impl-option", dest="impl_options", action="append", default=[], metavar="KEY=VALUE",
        help="a setting for the adapter, handed to its configure(options) at session start (repeatable; spec chapter 4, "
        "ADAPTER-8): for example --impl-option config=train.yaml --impl-option step_epoch=True",
    )
    group.addoption(
        "--conformance-report", default=None, metavar="FILE",
        help="write a JSON report of the conformance run (spec chapter 12; form: spec/report.schema.json)",
    )
    group.addoption(
        "--conformance-summary", default=None, metavar="FILE",
        help="write a Markdown summary of the run: levels and one row per spec chapter, with badges",
    )
    group.addoption(
        "--conformance-levels", action="store_true", default=False,
        help="print the spec coverage and the levels even for a partial run (a full run always prints them)",
    )
    group.addoption(
        "--require-level", default=None, metavar="LEVEL",
        help="fail the run (exit status 1) unless this conformance level is reached: reader, loader, planner or trainer",
    )
    group.addoption(
        "--xfails-file", default=None, metavar="FILE",
        help="known failures of the implementation: lines 'TEST-ID  # reason' (spec chapter 12)",
    )
    group.addoption(
        "--strict-xfails", action="store_true", default=False,
        help="a known-failure entry that matches no collected test stops the run, and a known failure that passes fails",
    )
    group.addoption(
        "--conformance-timeout", type=float, default=60.0, metavar="SECONDS",
        help="time limit of each call of an adapter member, in every Hypothesis example (spec chapter 13): "
        "a hanging implementation fails that test, naming the member; 0 turns it off (default 60)",
    )
    group.addoption(
        "--conformance-test-timeout", type=float, default=600.0, metavar="SECONDS",
        help="time limit of each conformance test, all its calls and examples together; 0 turns it off (default 600)",
    )
    group.addoption(
        "--conformance-seed", dest="realdex_seed", default=None, type=int, metavar="N",
        help="Hypothesis seed of the suite's tests (default: --hypothesis-seed, else one chosen per run and printed)",
    )
    group.addoption(
        "--conformance-update-golden", action="store_true", default=False,
        help="for the kit's developers: rewrite the kit's golden files from the reference (refused elsewhere)",
    )


def impl_spec(config: pytest.Config) -> str | None:
    return config.getoption("impl", default=None) or os.environ.get(IMPL_ENV) or None


def impl_options(config: pytest.Config) -> dict[str, str]:
    """The ``--impl-option KEY=VALUE`` pairs of the run, as a mapping."""
    return contract.parse_options(list(config.getoption("impl_options", default=None) or []))


def active(config: pytest.Config) -> bool:
    return impl_spec(config) is not None


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "clause(*ids): the specification clauses this test checks")
    config.addinivalue_line("markers", "requires(*capabilities): adapter capabilities this test needs")
    config.addinivalue_line("markers", "feature(*names): optional features (spec chapter 4) this test needs")
    if not active(config):
        return
    required = config.getoption("require_level")
    names = [level.name for level in levels.levels()]
    if required and required not in names:
        raise pytest.UsageError(f"--require-level={required}: no such level; the levels are {', '.join(names)}")
    path = config.getoption("xfails_file")
    if path:
        try:
            config.stash[_XFAILS_KEY] = xfails.load(path)
        except xfails.XfailsError as exc:
            raise pytest.UsageError(str(exc)) from None
    spec = impl_spec(config)
    try:
        adapter = contract.load_adapter(spec)
        contract.configure(adapter, impl_options(config), spec)
    except contract.AdapterError as exc:
        raise pytest.UsageError(str(exc)) from None
    problems = contract.check_adapter(adapter)
    if problems:
        raise pytest.UsageError(
            f"the adapter {spec!r} cannot be put under test (spec chapter 4):\n  - " + "\n  - ".join(problems)
        )
    features.configure(adapter)
    watchdog = Watchdog(config.getoption("conformance_timeout"), config.getoption("conformance_test_timeout"))
    config.stash[_WATCHDOG_KEY] = watchdog
    guarded: Any = GuardedAdapter(adapter, watchdog)
    if rootreader.needs_shim(adapter):
        guarded = rootreader.RootFileReader(guarded, rootreader.workdir())
    config.stash[_ADAPTER_KEY] = guarded
    config.stash[_RESULTS_KEY] = record.Results()
    config.stash[_COLLECTED_KEY] = record.Collected()
    config.stash[_DESELECTED_KEY] = []
    profiles.choose_seed(config)  # here, so that xdist's workers receive it with the options
    golden_files.configure(config, spec)
    if not _is_worker(config):
        config.pluginmanager.register(_Recorder(config), "realdex-conformance-recorder")


def pytest_report_header(config: pytest.Config) -> list[str]:
    adapter = config.stash.get(_ADAPTER_KEY, None)
    if adapter is None:
        return []
    caps = ", ".join(sorted(adapter.capabilities)) or "none"
    hyp = profiles.describe(config)
    seed = f"seed {hyp['seed']}" if hyp["seed"] is not None else "derandomized"
    return [
        f"realdex conformance: spec {realdex_spec.VERSION}; implementation under test: {adapter.name} {adapter.version} "
        f"(targets spec {adapter.spec_version}; from {impl_spec(config)})",
        f"capabilities: {caps}",
        *([f"not supported (declared by the adapter): {', '.join(sorted(features.declared(adapter)))}"]
          if features.declared(adapter) else []),
        f"hypothesis (the suite's tests): profile {hyp['profile']}, {seed}",
    ]


@pytest.hookimpl(tryfirst=True)  # known failures are matched before -k/-m deselect anything
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    suite = [item for item in items if is_suite_item(item)]
    if not active(config):
        if suite:
            raise pytest.UsageError(
                f"the conformance suite needs an implementation: pass --impl=PKG (or set {IMPL_ENV}); "
                "for the reference, --impl=realdex_ref"
            )
        return
    known = realdex_spec.clauses()
    errors: list[str] = []
    for item in items:
        if not is_reported(item):
            continue
        ids = clause_ids(item)
        if not ids:
            errors.append(f"{item.nodeid}: names no clause (add @pytest.mark.clause('ID'))")
        for cid in ids:
            if cid not in known:
                errors.append(f"{item.nodeid}: names clause {cid!r}, which the spec does not have")
    if errors:
        raise pytest.UsageError("conformance tests must name existing spec clauses:\n  - " + "\n  - ".join(errors))
    for item in suite:
        test = getattr(item, "obj", None)
        if test is not None and is_hypothesis_test(test):
            try:
                profiles.apply(test, config)
            except ValueError as exc:
                raise pytest.UsageError(str(exc)) from None
    _apply_xfails(config, items)


def pytest_deselected(items: list[pytest.Item]) -> None:
    if items and active(items[0].config):
        items[0].config.stash[_DESELECTED_KEY].extend(i.nodeid for i in items if is_suite_item(i))


def _apply_xfails(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the implementer's known failures; report (or, under --strict-xfails, refuse) stale entries."""
    entries = config.stash.get(_XFAILS_KEY, None)
    if entries is None:
        return
    path = config.getoption("xfails_file")
    strict = bool(config.getoption("strict_xfails"))
    by_id = {i.nodeid: i for i in items if is_reported(i)}
    for nodeid, entry in xfails.match(entries, {n: record.stable_id(i) for n, i in by_id.items()}).items():
        by_id[nodeid].add_marker(
            pytest.mark.xfail(reason=f"known failure ({entry.where(path)}): {entry.reason}", strict=strict)
        )
    stale = xfails.stale(entries)
    if stale and strict:
        raise pytest.UsageError(
            f"--strict-xfails: {len(stale)} known-failure entr{'y' if len(stale) == 1 else 'ies'} of {path} "
            "match no collected test (stale: remove them, or fix the test id):\n  - "
            + "\n  - ".join(f"{e.where(path)}: {e.fragment!r}" for e in stale)
        )
    if not _is_worker(config):  # the workers of a distributed run would each warn
        for entry in stale:
            warnings.warn(pytest.PytestWarning(
                f"known-failure entry {entry.where(path)} {entry.fragment!r} matches no collected test: "
                "it is stale; remove it or fix the test id"
            ))


def pytest_collection_finish(session: pytest.Session) -> None:
    config = session.config
    if not active(config):
        return
    config.stash[_COLLECTED_KEY] = record.collected(session.items, len(config.stash[_DESELECTED_KEY]), config)


# ---------------------------------------------------------------- running a test
@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Any:
    watchdog = _watchdog_for(item)
    if watchdog is not None:
        adapter = item.config.stash[_ADAPTER_KEY]
        for mark in item.iter_markers("requires"):
            for cap in mark.args:
                require(adapter, cap)
        for mark in item.iter_markers("feature"):
            features.need(adapter, *mark.args)
        watchdog.begin()
        watchdog.resume()
    try:
        return (yield)
    finally:
        if watchdog is not None:
            watchdog.pause()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    return (yield from _under_watchdog(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    return (yield from _under_watchdog(item))


def _under_watchdog(item: pytest.Item) -> Any:
    watchdog = _watchdog_for(item)
    if watchdog is not None:
        watchdog.resume()
    try:
        return (yield)
    finally:
        if watchdog is not None:
            watchdog.pause()


def _watchdog_for(item: pytest.Item) -> Watchdog | None:
    return item.config.stash.get(_WATCHDOG_KEY, None) if is_suite_item(item) else None


def require(adapter: Any, capability: str) -> None:
    """Skip the running test unless the adapter declares ``capability``."""
    if capability not in contract.CAPABILITIES:
        raise ValueError(f"the kit asks for capability {capability!r}, which chapter 4 does not define")
    caps = set(adapter.capabilities)
    if capability.startswith("read:") and rootreader.needs_shim(adapter):
        return  # its files are read through roots of their own (spec chapter 4)
    if capability not in caps:
        pytest.skip(f"{adapter.name} does not declare capability {capability!r}")


@pytest.fixture(scope="session")
def adapter(pytestconfig: pytest.Config) -> Any:
    """The adapter of the implementation under test, loaded and checked at session start; its
    members are called under the time limits of ``--conformance-timeout``."""
    found = pytestconfig.stash.get(_ADAPTER_KEY, None)
    if found is None:
        pytest.fail(f"no implementation under test: pass --impl=PKG or set {IMPL_ENV}")
    return found


@pytest.fixture(scope="session")
def implementation(pytestconfig: pytest.Config) -> tuple[str, dict[str, str]]:
    """How another process loads the implementation under test: its ``--impl`` and its options."""
    spec = impl_spec(pytestconfig)
    if spec is None:
        pytest.fail(f"no implementation under test: pass --impl=PKG or set {IMPL_ENV}")
    return spec, impl_options(pytestconfig)


@pytest.fixture(scope="session")
def long_recordings(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A root of per-frame recordings of hundreds of frames, written once per session
    (``synth.write_long_recordings``; tests read it, never change it), and what it holds: the samples
    written, in the order ROOT-5 gives the root's files (``in_root_order``)::

        long/driller_0/0.npz … 299.npz; long/mug_0/0.npz … 11.npz; long/mug_1/0.npz … 46.npz
    """
    from realdex_conformance import rawfiles, synth  # numpy and scipy, only when a test asks for the root

    root = tmp_path_factory.mktemp("long")
    written = synth.write_long_recordings(root)
    of_path = {Path(f["path"]): s for f, s in zip(written["files"], written["samples"])}
    return root, {**written, "in_root_order": [of_path[p] for p in rawfiles.root_order(of_path, root)]}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    report = yield
    if active(item.config) and is_reported(item):
        info = record.payload(item)
        if report.failed:
            info["reproduce"] = _reproduction(item, report)
        report.realdex = info  # travels with the report to xdist's controller
    return report


class _Recorder:
    """Registered for an active run, where the report is written (not in xdist's workers): it
    folds every test report, and takes over what each worker collected."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.config.stash[_RESULTS_KEY].add(report)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        self.config.stash[_COLLECTED_KEY].merge((getattr(node, "workeroutput", None) or {}).get("realdex", {}))


def _reproduction(item: pytest.Item, report: pytest.TestReport) -> dict:
    """The one-line command that reruns just this test, with its Hypothesis seed and blob (REPORT-4).

    The kit's profile and seed are named for the suite's tests, which they apply to; for any
    other test only what the user gave (--hypothesis-profile, --hypothesis-seed)."""
    config = item.config
    hypothesis = is_hypothesis_test(getattr(item, "obj", None))
    hyp = profiles.describe(config)
    if is_suite_item(item):
        profile, seed = hyp["profile"], hyp["seed"]
    else:
        profile = config.getoption("hypothesis_profile", default=None)
        seed = config.getoption("hypothesis_seed", default=None)
        seed = int(seed) if seed is not None and str(seed).isdigit() else seed
    if not hypothesis:
        profile = seed = None
    command = report_mod.reproduce_command(
        nodeid=item.nodeid, path=item.path, invocation_dir=config.invocation_params.dir, impl=impl_spec(config),
        profile=profile, seed=seed,
    )
    return {
        "command": command,
        "seed": seed,
        "blob": report_mod.hypothesis_blob(str(report.longrepr)) if hypothesis else None,
    }


# ---------------------------------------------------------------- the end of the run
def _tests(config: pytest.Config) -> list[dict]:
    return config.stash[_RESULTS_KEY].with_unrun(config.stash[_COLLECTED_KEY])


def _known_failures(config: pytest.Config) -> dict | None:
    entries = config.stash.get(_XFAILS_KEY, None)
    if entries is None:
        return None
    for entry in entries:  # matched again here: under xdist, the workers matched them
        entry.matched = []
    xfails.match(entries, [t["id"] for t in config.stash[_COLLECTED_KEY].tests.values()])
    return {
        "file": str(config.getoption("xfails_file")),
        "strict": bool(config.getoption("strict_xfails")),
        "entries": [{"fragment": e.fragment, "reason": e.reason, "line": e.line, "matched": e.matched} for e in entries],
        "stale": [e.fragment for e in xfails.stale(entries)],
    }


@pytest.hookimpl(tryfirst=True)  # before the terminal summary, which reads the exit status and the levels
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if not active(config):
        return
    shim = config.stash.get(_ADAPTER_KEY, None)
    if isinstance(shim, rootreader.RootFileReader):
        shim.remove_workdir()
    if _is_worker(config):
        config.workeroutput["realdex"] = config.stash[_COLLECTED_KEY].to_json()
        return
    tests = _tests(config)
    partial = record.partial_reasons(config.stash[_COLLECTED_KEY], tests)
    computed = levels.compute(tests)
    required = config.getoption("require_level")
    if required:
        (level,) = [lv for lv in computed if lv["name"] == required]
        if level["status"] != "reached" and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
    config.stash[_END_KEY] = {"tests": tests, "partial": partial, "levels": computed}
    path, summary = config.getoption("conformance_report"), config.getoption("conformance_summary")
    if not (path or summary):
        return
    document = report_mod.build(
        tests=tests, adapter=config.stash[_ADAPTER_KEY], impl=impl_spec(config),
        exit_status=int(session.exitstatus), command=list(config.invocation_params.args),
        hypothesis=profiles.describe(config), xfails=_known_failures(config), partial=partial,
        workers=int(getattr(config.option, "numprocesses", 0) or 0) if getattr(config.option, "dist", "no") != "no" else 0,
    )
    from realdex_conformance import ciplugin  # imported by pytest as a plugin, so not at the top

    document.update(ciplugin.report_fields(config))  # the implementer's CI (issue 17)
    if path:
        report_mod.write(path, document)
    if summary:
        Path(summary).write_text(report_mod.markdown(document), encoding="utf-8")


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    end = config.stash.get(_END_KEY, None)
    if end is None or not end["tests"]:
        return
    tests, partial, computed = end["tests"], end["partial"], end["levels"]
    write = terminalreporter.write_line
    if not config.stash[_COLLECTED_KEY].suite and not config.getoption("conformance_levels"):
        pass  # tests of the user's own that name clauses: their record is in the report, if asked for
    elif partial and not config.getoption("conformance_levels"):
        terminalreporter.section("RealDex conformance")
        ran = sum(1 for t in tests if t["outcome"] != record.NOT_RUN)
        write(f"a partial run ({'; '.join(partial)}): {ran} conformance tests ran. Coverage and levels are those of "
              "a full run of the suite; --conformance-levels shows them for this run.")
    else:
        _coverage_and_levels(terminalreporter, tests, computed, partial)
    required = config.getoption("require_level")
    if required:
        (level,) = [lv for lv in computed if lv["name"] == required]
        if level["status"] != "reached":
            terminalreporter.section("RealDex: required level not reached")
            write(f"--require-level={required}: {levels.describe(level)}")
    failures = [t for t in tests if "reproduce" in t]
    if failures:
        terminalreporter.section("RealDex: rerun one failure")
        for test in failures[:_SHOWN]:
            write(f"{test['id']} {test['clauses']}:")
            write(f"  {test['reproduce']['command']}")
            if test["reproduce"].get("blob"):
                write(f"  or add {test['reproduce']['blob']} to the test")
        if len(failures) > _SHOWN:
            write(f"... and {len(failures) - _SHOWN} more (all are in --conformance-report)")
    _summarise_xfails(terminalreporter, config, tests)
    _summarise_not_supported(terminalreporter, tests)


def _summarise_not_supported(terminalreporter: Any, tests: list[dict]) -> None:
    """One line per feature the adapter does not support: its reason and how many tests it left untested."""
    by_feature: dict[str, int] = {}
    reasons: dict[str, str] = {}
    for test in tests:
        if test["outcome"] == levels.NOT_SUPPORTED:
            feature = test.get("feature") or "?"
            by_feature[feature] = by_feature.get(feature, 0) + 1
            reasons.setdefault(feature, features.reason_in(test.get("message", "")) or "?")
    if not by_feature:
        return
    terminalreporter.section("RealDex: not supported (declared by the adapter; neither passed nor failed)")
    for feature, count in sorted(by_feature.items()):
        terminalreporter.write_line(f"{feature}: {count} test{'s' if count != 1 else ''} not run ({reasons.get(feature, '?')})")


def _coverage_and_levels(terminalreporter: Any, tests: list[dict], computed: list[dict], partial: list[str]) -> None:
    write = terminalreporter.write_line
    known = realdex_spec.clauses()
    checked = {cid for t in tests for cid in t["clauses"]}
    missing = [c for c in known.values() if c.id not in checked]
    terminalreporter.section("RealDex spec coverage")
    if partial:
        write(f"(a partial run: {'; '.join(partial)})")
    write(f"{len(known) - len(missing)} of {len(known)} clauses are checked by the collected tests")
    for clause in missing if not partial else [c for c in missing if c.level in levels.GATING][:10]:
        write(f"  not checked: {clause.id} ({clause.level}, {clause.chapter})")
    terminalreporter.section("RealDex conformance levels")
    for level in computed:
        write(levels.describe(level))


def _summarise_xfails(terminalreporter: Any, config: pytest.Config, tests: list[dict]) -> None:
    known = _known_failures(config)
    if known is None:
        return
    xpassed = [t["id"] for t in tests if t["outcome"] == "xpassed"]
    terminalreporter.section("RealDex known failures")
    terminalreporter.write_line(
        f"{len(known['entries'])} entries in {known['file']}; {len(known['entries']) - len(known['stale'])} match collected tests"
    )
    for entry in known["entries"]:
        if not entry["matched"]:
            terminalreporter.write_line(f"  stale: {known['file']}:{entry['line']} {entry['fragment']!r} matches no collected test")
    for test_id in xpassed:
        terminalreporter.write_line(f"  passed although listed as a known failure (remove its entry): {test_id}")
