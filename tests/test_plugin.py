"""The kit's tests of its own plugin: adapter loading and refusal, header, skips, clause hygiene."""
from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path


import realdex_spec
from realdex_conformance import contract
from tests.kit import REPO


def run_pytest(args: list[str], cwd: Path, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    import os

    env = {k: v for k, v in os.environ.items() if k != "REALDEX_IMPL"}
    env.update({"PYTHONPATH": f"{cwd}:{REPO}", **(env_extra or {})})
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_an_unusable_adapter_is_refused_with_every_problem_in_one_message(tmp_path):
    (tmp_path / "halfdone.py").write_text(
        textwrap.dedent(
            """
            name = "halfdone"
            version = ""
            spec_version = "2.0"
            capabilities = {"read:realdex-segment", "write:segmnet"}
            def detect_layout(p): return "realdex-segment"
            """
        )
    )
    proc = run_pytest([str(REPO / "conformance" / "test_adapter.py"), "--impl=halfdone"], tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, f"expected a refusal, found exit 0:\n{out}"
    for needle in ("'version' must be a non-empty str", "spec_version '2.0'", "unknown capability 'write:segmnet'", "read_file(path)"):
        assert needle in out, f"expected the refusal to mention {needle!r}, found:\n{out[-3000:]}"
    assert "passed" not in out, f"expected no test to run, found:\n{out[-2000:]}"


def test_a_missing_module_is_named(tmp_path):
    proc = run_pytest([str(REPO / "conformance" / "test_adapter.py"), "--impl=no_such_pkg_xyz"], tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "cannot import module 'no_such_pkg_xyz'" in out, f"expected the module named, found:\n{out[-2000:]}"


def test_the_environment_variable_names_the_adapter_and_the_header_shows_it(tmp_path):
    proc = run_pytest(
        [str(REPO / "conformance" / "test_adapter.py"), "-k", "declares_name"], tmp_path, {"REALDEX_IMPL": "realdex_ref"}
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"expected a pass with REALDEX_IMPL=realdex_ref, found exit {proc.returncode}:\n{out[-2000:]}"
    assert re.search(r"implementation under test: realdex_ref \S+ \(targets spec 1\.0\.0-draft", out), (
        f"expected the header to name the implementation, found:\n{out[:1500]}"
    )


def test_undeclared_capabilities_are_skipped_with_the_capability_named(tmp_path):
    (tmp_path / "readsnothing.py").write_text(
        'name = "readsnothing"\nversion = "0"\nspec_version = "1.0.0-draft"\ncapabilities = frozenset()\n'
    )
    proc = run_pytest([str(REPO / "conformance" / "test_adapter.py"), "--impl=readsnothing", "-rs"], tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"expected skips, not failures, found exit {proc.returncode}:\n{out[-2000:]}"
    assert "does not declare capability 'read:realdex-segment'" in out, f"expected the skip reason to name the capability:\n{out[-2000:]}"


def test_a_conformance_test_without_a_clause_is_a_usage_error(tmp_path):
    suite = tmp_path / "suite"
    suite.mkdir()
    # a copy of the plugin's rule, checked on a module placed inside the suite folder
    target = REPO / "conformance" / "test_zz_no_clause_tmp.py"
    target.write_text("def test_nothing(adapter):\n    assert True\n")
    try:
        proc = run_pytest([str(target), "--impl=realdex_ref"], tmp_path)
    finally:
        target.unlink()
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "names no clause" in out, f"expected a usage error naming the test, found:\n{out[-2000:]}"


def _spec_table_rows(section: str = "## Capabilities and members") -> dict[str, str]:
    """The rows of the first table after ``section`` in chapter 4, by the names in their first cell."""
    text = (Path(realdex_spec.SPEC_DIR) / "04-adapter.md").read_text()
    text = text.split(section, 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("| `"):
            continue
        first, second = line.split("|")[1:3]
        for cap in re.findall(r"`([^`]+)`", first):
            rows[cap] = second
    return rows


def test_the_feature_table_equals_the_spec_table():
    from realdex_conformance import features

    rows = _spec_table_rows("## Optional features")
    named = {("field:" + f if not f.startswith(("field:", "batching:", "loader:", "planning:")) else f) for f in rows}
    named = {n for n in named if n != "field:NAME"}
    assert named == set(features.FEATURES), (
        f"expected spec/04-adapter.md and conformance/features.py to list the same features; only in spec: "
        f"{sorted(named - set(features.FEATURES))}, only in features.py: {sorted(set(features.FEATURES) - named)}")


def test_the_contract_table_equals_the_spec_table():
    rows = _spec_table_rows()
    assert set(rows) == set(contract.CAPABILITIES), (
        f"expected spec/04-adapter.md and conformance/contract.py to list the same capabilities; "
        f"only in spec: {sorted(set(rows) - set(contract.CAPABILITIES))}, only in contract: {sorted(set(contract.CAPABILITIES) - set(rows))}"
    )
    for cap, members in contract.CAPABILITIES.items():
        for member, _params in members:
            assert f"`{member}(" in rows[cap], f"expected the spec row of {cap!r} to name member {member}(...), found: {rows[cap]}"


def test_every_must_clause_is_checked_by_the_suite():
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "conformance", "--collect-only", "-q", "--impl=realdex_ref", "-p", "no:cacheprovider",
         "--conformance-levels"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    out = proc.stdout + proc.stderr
    assert "RealDex spec coverage" in out, f"expected the coverage section, found:\n{out[-3000:]}"
    unchecked = re.findall(r"not checked: (\S+) \((MUST[^,]*),", out)
    assert not unchecked, f"expected every MUST clause to be checked by a conformance test, found unchecked: {unchecked}"


def test_the_suite_is_imported_once_under_the_kits_name():
    """Run from a checkout, the suite's files are modules of realdex_conformance, never of a
    top-level ``conformance`` package (which another project may own)."""
    code = textwrap.dedent(
        """
        import sys, pytest
        pytest.main(["conformance/test_adapter.py", "--impl=realdex_ref", "-q", "-p", "no:cacheprovider"])
        print("TOP-LEVEL:", sorted(m for m in sys.modules if m.split(".")[0] == "conformance"))
        print("KIT:", sorted(m for m in sys.modules if m.startswith("realdex_conformance.test_")))
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert "TOP-LEVEL: []" in proc.stdout, f"expected no module named conformance.*, found:\n{proc.stdout[-1500:]}"
    assert "KIT: ['realdex_conformance.test_adapter']" in proc.stdout, f"expected the module by the kit's name:\n{proc.stdout[-1500:]}"
