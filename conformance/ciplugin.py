"""The plugin's part for an implementer's CI: the options and hooks of the benchmarks (chapter 15,
REPORT-15) and of the implementer's snapshots (REPORT-17). Loaded by ``plugin`` (its
``pytest_plugins``); inert, like it, until a run names an implementation.

The benchmarks' figures are gathered from the test reports where the report is written (the
controller of an xdist run); the snapshots are produced there too, at the end of the run,
through the guarded adapter, and never change a test's outcome: a difference in compare mode
makes the exit status 1.
"""
from __future__ import annotations

from typing import Any

import pytest

from realdex_conformance import implsnapshots, perf

_BENCHMARKS_KEY = pytest.StashKey[list]()
_SNAPSHOT_DIR_KEY = pytest.StashKey[Any]()
_SNAPSHOTS_KEY = pytest.StashKey[Any]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("realdex")
    group.addoption(
        "--conformance-benchmarks", action="store_true", default=False,
        help="run the benchmarks of spec chapter 15 through the adapter (needs pytest-benchmark: the kit's bench extra); "
        "their figures go into --conformance-report",
    )
    group.addoption(
        "--conformance-benchmark-size", choices=perf.SIZES, default="small",
        help="size of the benchmarks' roots: small (about a tenth, the default) or full (the 14,380-frame roots)",
    )
    group.addoption(
        "--conformance-snapshots", default=None, metavar="DIR",
        help="compare what the implementation produces on the kit's fixed inputs with the snapshots in DIR, a folder of "
        "your own repository (exit status 1 and a diff when they differ; spec chapter 12)",
    )
    group.addoption(
        "--conformance-snapshots-update", action="store_true", default=False,
        help="with --conformance-snapshots: (re)write the snapshots in DIR instead of comparing",
    )


def _active(config: pytest.Config) -> bool:
    from realdex_conformance.plugin import active

    return active(config) and not hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    folder = config.getoption("conformance_snapshots", default=None)
    if not _active(config):
        return
    if config.getoption("conformance_snapshots_update", default=False) and not folder:
        raise pytest.UsageError("--conformance-snapshots-update needs --conformance-snapshots=DIR: the folder to write")
    config.stash[_BENCHMARKS_KEY] = []
    config.pluginmanager.register(_Benchmarks(config), "realdex-conformance-benchmarks")
    if folder:
        try:
            config.stash[_SNAPSHOT_DIR_KEY] = implsnapshots.check_dir(folder)
        except implsnapshots.SnapshotDirError as exc:
            raise pytest.UsageError(str(exc)) from None


class _Benchmarks:
    """Registered where the report is written: gathers the figures each benchmark test carries."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call":
            self.config.stash[_BENCHMARKS_KEY].extend(perf.entries(getattr(report, "user_properties", None) or []))


@pytest.hookimpl(tryfirst=True)  # before plugin's pytest_sessionfinish, which writes the report and its exit status
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    folder = config.stash.get(_SNAPSHOT_DIR_KEY, None)
    if folder is None or not _active(config) or exitstatus == pytest.ExitCode.INTERRUPTED:
        return
    from realdex_conformance.plugin import _ADAPTER_KEY, _WATCHDOG_KEY

    adapter, watchdog = config.stash[_ADAPTER_KEY], config.stash[_WATCHDOG_KEY]
    watchdog.begin()
    watchdog.resume()
    errors: list[str] = []
    try:
        documents = implsnapshots.produce(adapter)
    except BaseException as exc:  # a hang stopped by the watchdog, or a crash of the kit's own inputs
        if isinstance(exc, KeyboardInterrupt):
            raise
        documents, errors = {}, [f"{type(exc).__name__}: {exc}"]
    finally:
        watchdog.pause()
    if config.getoption("conformance_snapshots_update"):
        outcome = implsnapshots.update(folder, documents)
    else:
        outcome = implsnapshots.compare(folder, documents)
    outcome.errors.extend(errors)
    config.stash[_SNAPSHOTS_KEY] = outcome
    if (outcome.errors or (outcome.mode == "compare" and outcome.differs)) and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def report_fields(config: pytest.Config) -> dict:
    """The report's fields of this part (report 2.2): ``benchmarks`` and ``snapshots``."""
    outcome = config.stash.get(_SNAPSHOTS_KEY, None)
    benchmarks = sorted(config.stash.get(_BENCHMARKS_KEY, []), key=lambda b: b["id"])
    return {"benchmarks": benchmarks, "snapshots": outcome.to_json() if outcome is not None else None}


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if not _active(config):
        return
    benchmarks = report_fields(config)["benchmarks"]
    if benchmarks:
        terminalreporter.section("RealDex benchmarks (spec chapter 15)")
        for entry in benchmarks:
            ratios = {k: v for k, v in entry["figures"].items() if "_vs_" in k or k.startswith("times_")}
            terminalreporter.write_line(f"{entry['id']}: median {entry['median_s']:.4g} s ({entry['rounds']} rounds, "
                                        f"{entry['size']})" + "".join(f", {k}={v:.3g}" for k, v in ratios.items()))
    outcome = config.stash.get(_SNAPSHOTS_KEY, None)
    if outcome is not None:
        terminalreporter.section("RealDex: the implementation's snapshots")
        for line in implsnapshots.describe(outcome):
            terminalreporter.write_line(line)
