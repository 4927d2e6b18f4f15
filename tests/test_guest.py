"""The kit as a guest in someone else's test run (the good-citizen rules of chapter 12).

An unrelated project with its own ``conformance/`` package and its own Hypothesis tests,
in the environment where the kit is installed:

    <tmp>/
        pytest.ini            their configuration (empty)
        conformance/          THEIR package, not the kit
            __init__.py       OWNER = "guest"
            test_own.py       a plain test, a Hypothesis test that records the settings it ran
                              under, and a Hypothesis test that fails (its example is saved)
        theirpkg/             an adapter that declares nothing, for the runs that name the kit

Without ``--impl`` the plugin must be invisible: the same profile, seed behaviour, example
database and header as with the plugin disabled (``-p no:realdex_conformance.plugin``).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.throwaway import write_package

PLUGIN = "realdex_conformance.plugin"  # the pytest11 entry point's name
OWN_TESTS = textwrap.dedent(
    """
    import json, os
    from pathlib import Path
    from hypothesis import core, given, settings, strategies as st
    import conformance

    def test_own_package_is_theirs():
        assert conformance.OWNER == "guest", f"expected their own conformance package, found {conformance.__file__}"

    @given(st.integers())
    def test_records_its_settings(n):
        s = settings.default
        Path(os.environ["GUEST_OUT"]).write_text(json.dumps({
            "profile": getattr(settings, "get_current_profile_name", lambda: settings._current_profile)(),
            "max_examples": s.max_examples,
            "deadline": str(s.deadline), "database": type(s.database).__name__, "print_blob": s.print_blob,
            "forced_seed": core.global_force_seed,
        }))

    @given(st.integers(0, 10**6))
    def test_fails_and_is_saved(n):
        assert n < 1000
    """
)


@pytest.fixture
def guest(tmp_path: Path) -> Path:
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    own = tmp_path / "conformance"
    own.mkdir()
    (own / "__init__.py").write_text('OWNER = "guest"\n', encoding="utf-8")
    (own / "test_own.py").write_text(OWN_TESTS, encoding="utf-8")
    write_package(tmp_path)
    return tmp_path


def _run(cwd: Path, *args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("REALDEX_IMPL", "PYTHONPATH", "CI")}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "pytest", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


def _observe(cwd: Path, *args: str) -> dict:
    """Run their tests; what Hypothesis ran under, what it saved, and what pytest printed."""
    out = cwd / "settings.json"
    db = cwd / ".hypothesis"
    proc = _run(cwd, "conformance", "-p", "no:cacheprovider", *args, env_extra={"GUEST_OUT": str(out)})
    text = proc.stdout + proc.stderr
    seen = json.loads(out.read_text()) if out.exists() else None
    saved = sorted(p.relative_to(db).parts[0] for p in db.rglob("*") if p.is_file()) if db.exists() else []
    # pytest's own "plugins:" line lists installed distributions; the kit adds no line of its own
    header = [line for line in text.splitlines()[:12] if "realdex" in line.lower() and not line.startswith("plugins:")]
    out.unlink(missing_ok=True)
    import shutil
    shutil.rmtree(db, ignore_errors=True)
    return {"status": proc.returncode, "settings": seen, "database_written": bool(saved), "header": header, "text": text}


@pytest.mark.clause("REPORT-10")
@pytest.mark.parametrize("options", [(), ("--hypothesis-seed=7",), ("--hypothesis-profile=ci",)],
                         ids=["defaults", "their-seed", "their-profile"])
def test_without_impl_the_plugin_changes_nothing(guest: Path, options: tuple[str, ...]) -> None:
    with_kit = _observe(guest, *options)
    without = _observe(guest, *options, "-p", f"no:{PLUGIN}")
    assert without["settings"] is not None, f"expected their Hypothesis test to run, found:\n{without['text'][-2000:]}"
    assert with_kit["status"] == without["status"] == 1, (
        f"expected their run to fail on their failing test alone (exit 1) with and without the kit, found "
        f"{with_kit['status']} and {without['status']}:\n{with_kit['text'][-2000:]}"
    )
    assert with_kit["settings"] == without["settings"], (
        f"expected their Hypothesis settings and seed unchanged by the installed kit: without it {without['settings']}, "
        f"with it {with_kit['settings']}"
    )
    assert with_kit["database_written"] == without["database_written"], (
        f"expected their example database kept as without the kit ({without['database_written']}), "
        f"found {with_kit['database_written']}"
    )
    assert not with_kit["header"], f"expected no line of the kit in their run's header, found {with_kit['header']}"
    if not options:  # Hypothesis' own default: failing examples are saved, so they are replayed
        assert with_kit["database_written"], "expected their failing example saved in .hypothesis, as Hypothesis does"


@pytest.mark.clause("REPORT-9", "REPORT-10")
def test_their_conformance_package_and_the_kit_run_side_by_side(guest: Path) -> None:
    proc = _run(guest, "conformance", "--pyargs", "realdex_conformance", "--impl=theirpkg", "-p", "no:cacheprovider",
                "-rA", "-q", env_extra={"GUEST_OUT": str(guest / "settings.json")})
    text = proc.stdout + proc.stderr
    assert "PASSED conformance/test_own.py::test_own_package_is_theirs" in text, (
        f"expected their own conformance package to be imported and its test to pass, found:\n{text[-3000:]}"
    )
    kit = [line for line in text.splitlines() if "SKIPPED" in line and "theirpkg does not declare capability" in line]
    assert kit, f"expected the kit's tests to run too (skipped: theirpkg declares nothing), found:\n{text[-3000:]}"
    assert "FAILED conformance/test_own.py::test_fails_and_is_saved" in text, "expected their failing test to fail"
    seen = json.loads((guest / "settings.json").read_text())
    assert seen["profile"] == "default" and seen["max_examples"] == 100 and seen["forced_seed"] is None, (
        f"expected their tests to keep Hypothesis' default profile and seeding beside the kit's, found {seen}"
    )
