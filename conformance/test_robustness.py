"""Spec chapter 13, hostile input (SAFE-n): the kit's corpus of malformed files and roots, through the adapter.

Every case is written at test time by ``conformance/malformed.py``. What the suite can ask of
any implementation: a refusal is an ``Exception`` (not ``SystemExit``, not a hang: the suite's
time limit fails a test that hangs), raised by the implementation rather than from inside the
libraries it reads with, of one of the adapter's ``error_types`` when it declares them
(ADAPTER-6), whose message names the file and the key at fault; data is never unpickled;
memory is not set aside for what a header merely promises; and nothing is written anywhere.
"""
from __future__ import annotations

import os
import sys
import sysconfig
import tempfile
import tracemalloc
import warnings
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from realdex_conformance import malformed, rootreader
from realdex_conformance.fswatch import FileWatch, tree
from realdex_conformance.malformed import Case
from realdex_conformance.plugin import require
from realdex_conformance.profiles import health_checks_off

FILE_ERRORS = [c for c in malformed.FILE_CASES if c.refused]
FINDINGS = [c for c in malformed.FILE_CASES if c.finding]
PICKLES = [c for c in malformed.CASES if "pickle" in c.id]
# members whose size is announced but not there: a reader that believes it allocates first
BOMBS = ["zip-member-declared-size-enormous", "npy-header-shape-enormous", "npy-header-shape-lies", "npy-data-truncated"]
# bombs that inflate for real, and headers that announce what no buffer may be set aside for (SAFE-11)
INFLATION_BOMBS = ["file-bare-npy-enormous-header", "npy-dtype-zero-itemsize", "zip-deflate-bomb", "zip-bzip2-bomb",
                   "zip-many-members-bomb", "zip-many-empty-members"]
SILENT_CHOICES = ["zip-member-alias", "zip-directory-swallows-members", "zip-member-duplicated"]
WALKS = [c for c in malformed.ROOT_CASES if c.code in ("UNREADABLE_FOLDER", "FOLDER_LINK_SKIPPED")
         or c.id == "root-linked-folder-is-read"]
MEMORY_LIMIT = 64 * 2**20  # the cases hold a few kB; the lying header promises 369 MB
# SAFE-11: the bombs declare what they inflate to, so a reader refuses them from their sizes, before
# inflating; 16 MiB is far above what a valid file of the corpus (a few kB) costs, far below a bomb's 48 MiB
BOMB_MEMORY_LIMIT = 16 * 2**20
ids = lambda c: c.id  # noqa: E731


# ---------------------------------------------------------------- what a refusal must be


def _library_dirs() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    dirs = {paths["stdlib"], paths["platstdlib"]}
    for name in ("numpy", "scipy", "torch", "h5py"):
        module = sys.modules.get(name)
        if module is not None and getattr(module, "__file__", None):
            dirs.add(str(Path(module.__file__).parent))
    return tuple(str(Path(d).resolve()) + os.sep for d in dirs)


def raised_inside_library(exc: BaseException) -> str | None:
    """The library file the exception was raised in (its innermost frame), or None."""
    tb = exc.__traceback__
    if tb is None:
        return None
    while tb.tb_next is not None:
        tb = tb.tb_next
    filename = tb.tb_frame.f_code.co_filename
    if filename.startswith("<frozen"):
        return filename
    resolved = str(Path(filename).resolve())
    if "site-packages" in resolved.split(os.sep)[-3:-1] or "dist-packages" in resolved:
        return resolved if any(resolved.startswith(d) for d in _library_dirs() if "-packages" in d) else None
    return resolved if any(resolved.startswith(d) for d in _library_dirs()) else None


def outcome(call: Callable[[], Any], context: str) -> tuple[str, Any]:
    """("returned", value) or ("raised", exception); a BaseException that is not an Exception fails the test."""
    try:
        return "returned", call()
    except (SystemExit, KeyboardInterrupt, GeneratorExit) as exc:
        pytest.fail(f"{context}: expected an Exception of the implementation, found {type(exc).__name__}({exc}), "
                    "which ends a program instead of refusing one input")
    except Exception as exc:  # any type: what it is and what it says is checked next
        return "raised", exc


def named(text: str, path: Path) -> bool:
    """Whether ``text`` names ``path``: in full or by file name, as written or as repr() writes it."""
    forms = {str(path), path.name, ascii(str(path))[1:-1], ascii(path.name)[1:-1], repr(str(path))[1:-1]}
    return any(form and form in text for form in forms)


def assert_refusal(adapter: Any, exc: Exception, path: Path, key: str | None, context: str) -> None:
    text = str(exc)
    shown = f"{type(exc).__module__}.{type(exc).__qualname__}: {text[:600]!r}"
    if isinstance(exc, rootreader.FileUnreadable):  # a root-only reader's inventory said it: no exception of its own
        assert named(text, path) or path.name in text, f"{context}: expected the inventory's problem to name the file; found {shown}"
        if key is not None:
            assert key in text, f"{context}: expected the inventory's problem to name the key at fault, {key!r}; found {shown}"
        return
    types = getattr(adapter, "error_types", None)
    if types is not None:
        assert isinstance(exc, tuple(types)), (
            f"{context}: expected an error of the adapter's error_types {[t.__name__ for t in types]}, found {shown}")
    inside = raised_inside_library(exc)
    assert inside is None, (
        f"{context}: expected an error of the implementation naming the file; found an exception raised from inside "
        f"a library it reads with ({inside}): {shown}")
    assert named(text, path), f"{context}: expected the message to name the file {str(path)!r}; found {shown}"
    if key is not None:
        assert key in text, f"{context}: expected the message to name the key at fault, {key!r}; found {shown}"


# ---------------------------------------------------------------- nothing written anywhere (SAFE-5)

@pytest.fixture
def case_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder for one case, with an empty working folder and an empty temporary folder."""
    for name in ("case", "cwd", "tmp"):
        (tmp_path / name).mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    yield tmp_path / "case"


def readers(adapter: Any, case: Case, folder: Path, target: Path) -> list[tuple[str, Callable[[], Any]]]:
    """Every member of the adapter that reads this case: (call as written, call)."""
    caps = set(adapter.capabilities)
    calls: list[tuple[str, Callable[[], Any]]] = []
    if case.level == "file" and f"read:{case.layout}" in caps:
        calls += [(f"detect_layout({target})", lambda: adapter.detect_layout(target)),
                  (f"read_file({target})", lambda: adapter.read_file(target))]
    root = target if case.level == "root" else folder
    if "root" in caps:
        calls += [(f"inspect_root({root})", lambda: adapter.inspect_root(root)),
                  (f"read_root({root})", lambda: adapter.read_root(root))]
    if "checks" in caps:
        calls.append((f"check_root({root}, num_points=8)", lambda: adapter.check_root(root=root, num_points=8)))
    return calls


def run_quietly(call: Callable[[], Any], context: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outcome(call, context)


# ---------------------------------------------------------------- SAFE-1: refused, by the implementation, naming file and key


@pytest.mark.clause("SAFE-1", "ADAPTER-6")
@pytest.mark.parametrize("case", FILE_ERRORS, ids=ids)
def test_malformed_file_is_refused_naming_file_and_key(adapter, case_dir, case: Case):
    require(adapter, f"read:{case.layout}")
    target = case.build(case_dir)
    kind, got = outcome(lambda: adapter.read_file(target), f"read_file on {case.id}")
    assert kind == "raised", (f"read_file({target}) [{case.id}]: expected the file to be refused with an error, "
                              f"found it read ({type(got).__name__} of {len(got) if hasattr(got, '__len__') else '?'})")
    assert_refusal(adapter, got, target, case.key, f"read_file({target}) [{case.id}]")
    # detection reads the same bytes: it names a layout or refuses alike
    kind, got = outcome(lambda: adapter.detect_layout(target), f"detect_layout on {case.id}")
    if kind == "raised":
        assert_refusal(adapter, got, target, None, f"detect_layout({target}) [{case.id}]")
    else:
        assert got in malformed.rawfiles.LAYOUTS, (
            f"detect_layout({target}) [{case.id}]: expected a layout name or an error, found {got!r}")


@pytest.mark.clause("SAFE-1")
@pytest.mark.requires("root")
@pytest.mark.parametrize("case", malformed.ROOT_CASES, ids=ids)
def test_hostile_root_is_refused_or_read_naming_the_path(adapter, case_dir, case: Case):
    root = case.build(case_dir)
    culprit = root / case.names if case.names else root
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        kind, got = outcome(lambda: adapter.read_root(root), f"read_root on {case.id}")
    if case.refused:
        assert kind == "raised", f"read_root({root}) [{case.id}]: expected a refusal naming {culprit}, found it read"
        assert_refusal(adapter, got, culprit, None, f"read_root({root}) [{case.id}]")
    else:
        assert kind == "returned", f"read_root({root}) [{case.id}]: expected {case.samples} samples, found {type(got).__name__}: {got}"
        assert len(got) == case.samples, f"read_root({root}) [{case.id}]: expected {case.samples} samples, each frame once, found {len(got)}"
        if case.names:  # a file that is not data beside data: named in a warning, never ignored in silence
            said = " ".join(str(w.message) for w in caught)
            assert named(said, culprit), f"read_root({root}) [{case.id}]: expected a warning naming {culprit}, found {said!r}"
    if case.code is not None:
        kind, inv = outcome(lambda: adapter.inspect_root(root), f"inspect_root on {case.id}")
        assert kind == "returned", f"inspect_root({root}) [{case.id}]: expected an inventory listing the problem, found {inv!r}"
        problems = [(p.get("code"), str(p.get("path"))) for p in inv["problems"]]
        assert any(code == case.code and (named(path, culprit) or path.endswith(case.names)) for code, path in problems), (
            f"inspect_root({root}) [{case.id}]: expected a problem {case.code} naming {culprit}, found {problems}")


# ---------------------------------------------------------------- SAFE-2: values are the checks' to report


@pytest.mark.clause("SAFE-2")
@pytest.mark.requires("checks")
@pytest.mark.parametrize("case", FINDINGS, ids=ids)
def test_unbelievable_values_read_and_are_found(adapter, case_dir, case: Case):
    require(adapter, f"read:{case.layout}")
    target = case.build(case_dir)
    kind, got = outcome(lambda: adapter.read_file(target), f"read_file on {case.id}")
    assert kind == "returned" and len(got) > 0, (
        f"read_file({target}) [{case.id}]: expected the file to read (its structure is valid; its values are the "
        f"checks' to report), found {type(got).__name__}: {str(got)[:400]}")
    findings = [dict(f) for f in adapter.check_root(root=case_dir, num_points=8)]
    words = {case.finding, case.finding.replace("_", " "), case.key}
    about = [f for f in findings if named(str(f.get("path")), target) and any(w and w in str(f.get("message")) for w in words)]
    assert about, (f"check_root [{case.id}]: expected a finding naming {target} and the field {case.finding!r} "
                   f"(or key {case.key!r}); found " + "; ".join(f"{f.get('code')} {f.get('path')}: {f.get('message')}" for f in findings))


# ---------------------------------------------------------------- SAFE-3: nothing is unpickled


@pytest.mark.clause("SAFE-3")
@pytest.mark.parametrize("case", PICKLES, ids=ids)
def test_pickle_payload_is_never_run(adapter, case_dir, case: Case):
    target = case.build(case_dir)
    calls = readers(adapter, case, case_dir, target)
    if not calls:
        pytest.skip(f"{adapter.name} declares no capability that reads {case.id}")
    for text, call in calls:
        run_quietly(call, text)
        assert not malformed.marker_path(case_dir).exists(), (
            f"{text} [{case.id}]: the pickle payload ran (it wrote {malformed.marker_path(case_dir)}): data was unpickled")


# ---------------------------------------------------------------- SAFE-4, SAFE-11: sizes announced are not believed


def traced_peak(call: Callable[[], Any]) -> tuple[int, Any]:
    """(bytes allocated at the peak of ``call`` beyond what was allocated before, its outcome)."""
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    try:
        got = call()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return peak, got


def assert_refused_in_bounded_memory(adapter: Any, case_dir: Path, case_id: str, limit: int = MEMORY_LIMIT) -> None:
    case = next(c for c in malformed.CASES if c.id == case_id)
    require(adapter, f"read:{case.layout}")
    target = case.build(case_dir)
    peak, (kind, got) = traced_peak(lambda: outcome(lambda: adapter.read_file(target), f"read_file on {case.id}"))
    assert kind == "raised", f"read_file({target}) [{case.id}]: expected a refusal, found it read {type(got).__name__}"
    assert peak < limit, (
        f"read_file({target}) [{case.id}]: expected the member refused before memory is set aside for it; "
        f"{peak / 2**20:.0f} MiB were allocated (limit {limit / 2**20:.0f} MiB) before the refusal: {got}")


@pytest.mark.clause("SAFE-4")
@pytest.mark.parametrize("case_id", BOMBS)
def test_announced_size_is_refused_before_memory_is_set_aside(adapter, case_dir, case_id: str):
    assert_refused_in_bounded_memory(adapter, case_dir, case_id)


@pytest.mark.clause("SAFE-11")
@pytest.mark.parametrize("case_id", INFLATION_BOMBS)
def test_bomb_is_refused_within_bounded_memory(adapter, case_dir, case_id: str):
    assert_refused_in_bounded_memory(adapter, case_dir, case_id, BOMB_MEMORY_LIMIT)


# ---------------------------------------------------------------- SAFE-12: no silent choice between members


@pytest.mark.clause("SAFE-12", "SAFE-1")
@pytest.mark.parametrize("case_id", SILENT_CHOICES)
def test_two_readings_of_one_file_are_refused(adapter, case_dir, case_id: str):
    case = next(c for c in malformed.CASES if c.id == case_id)
    require(adapter, f"read:{case.layout}")
    target = case.build(case_dir)
    kind, got = outcome(lambda: adapter.read_file(target), f"read_file on {case.id}")
    assert kind == "raised", (f"read_file({target}) [{case.id}]: expected a refusal (readers would see different "
                              f"members), found it read {len(got) if hasattr(got, '__len__') else '?'} sample(s)")
    assert_refusal(adapter, got, target, case.key, f"read_file({target}) [{case.id}]")


# ---------------------------------------------------------------- SAFE-13: a root walked whole


@pytest.mark.clause("SAFE-13", "ROOT-1")
@pytest.mark.requires("root")
@pytest.mark.parametrize("case", WALKS, ids=ids)
def test_root_walk_reports_what_it_does_not_enter(adapter, case_dir, case: Case):
    root = case.build(case_dir)
    culprit = root / case.names if case.names else root
    kind, inv = outcome(lambda: adapter.inspect_root(root), f"inspect_root on {case.id}")
    assert kind == "returned", f"inspect_root({root}) [{case.id}]: expected an inventory, found {inv!r}"
    problems = [(p.get("code"), str(p.get("path"))) for p in inv["problems"]]
    if case.code is not None:
        assert any(code == case.code and (named(path, culprit) or path.endswith(case.names)) for code, path in problems), (
            f"inspect_root({root}) [{case.id}]: expected a problem {case.code} naming {culprit}, found {problems}")
    if case.samples is not None:
        assert inv["total_samples"] == case.samples, (
            f"inspect_root({root}) [{case.id}]: expected {case.samples} samples, each file once, found "
            f"{inv['total_samples']}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        kind, got = outcome(lambda: adapter.read_root(root), f"read_root on {case.id}")
    if case.refused:
        assert kind == "raised", f"read_root({root}) [{case.id}]: expected a refusal naming {culprit} (the root would be read in part), found it read"
        assert_refusal(adapter, got, culprit, None, f"read_root({root}) [{case.id}]")
    else:
        assert kind == "returned" and len(got) == case.samples, (
            f"read_root({root}) [{case.id}]: expected {case.samples} samples, found {got if kind == 'raised' else len(got)}")
        if case.names:
            said = " ".join(str(w.message) for w in caught)
            assert named(said, culprit), f"read_root({root}) [{case.id}]: expected a warning naming {culprit}, found {said!r}"


# ---------------------------------------------------------------- SAFE-14: hostile run logs


@pytest.mark.clause("SAFE-14")
@pytest.mark.requires("runlog")
@pytest.mark.parametrize("case", malformed.LOG_CASES, ids=ids)
def test_hostile_run_log_is_refused_or_judged_in_bounded_memory(adapter, case_dir, case: malformed.LogCase):
    path = case.build(case_dir)
    peak, (kind, got) = traced_peak(lambda: outcome(lambda: adapter.check_run(path), f"check_run on {case.id}"))
    assert peak < MEMORY_LIMIT, (f"check_run({path}) [{case.id}]: expected bounded memory; {peak / 2**20:.0f} MiB "
                                 f"were allocated (limit {MEMORY_LIMIT / 2**20:.0f} MiB)")
    if kind == "raised":
        assert_refusal(adapter, got, path, None, f"check_run({path}) [{case.id}]")
    else:
        assert isinstance(got, (list, tuple)) and all(isinstance(f, dict) and "code" in f for f in got), (
            f"check_run({path}) [{case.id}]: expected a refusal or a list of findings, found {str(got)[:300]}")


# ---------------------------------------------------------------- SAFE-5: reading, detecting and checking write nothing


@pytest.mark.clause("SAFE-5")
@pytest.mark.parametrize("case", malformed.CASES, ids=ids)
def test_reading_detecting_and_checking_write_nothing(adapter, case_dir, case: Case):
    target = case.build(case_dir)
    calls = readers(adapter, case, case_dir, target)
    if not calls:
        pytest.skip(f"{adapter.name} declares no capability that reads {case.id}")
    before, cwd, tmp = tree(case_dir), Path.cwd(), Path(tempfile.gettempdir())
    for text, call in calls:
        with FileWatch() as watch:
            run_quietly(call, text)
        assert not watch.writes(), f"{text} [{case.id}]: expected no write anywhere, found {watch.writes()[:5]}"
    assert tree(case_dir) == before, f"[{case.id}]: the files read were changed: {sorted(set(tree(case_dir).items()) ^ set(before.items()))[:5]}"
    assert not any(cwd.iterdir()), f"[{case.id}]: something was written into the working folder: {sorted(os.listdir(cwd))}"
    assert not any(tmp.iterdir()), f"[{case.id}]: something was left in the temporary folder: {sorted(os.listdir(tmp))}"


# ---------------------------------------------------------------- SAFE-1, SAFE-11: byte mutations of valid files

VALID = malformed.valid_files()
_OPS = st.lists(st.tuples(st.sampled_from(malformed.MUTATIONS), st.integers(0, 2**20), st.integers(0, 2**32)),
                min_size=1, max_size=4)


@pytest.mark.clause("SAFE-1", "SAFE-11")
@health_checks_off(HealthCheck.function_scoped_fixture)  # tmp_path is shared by the examples on purpose
@given(base=st.sampled_from(sorted(VALID)), ops=_OPS)
def test_mutated_file_reads_or_is_refused_in_bounded_memory(adapter, tmp_path, base, ops):
    """A valid file of any layout with a few bytes changed, cut or repeated: read, or refused by the
    implementation naming the file; never an error from inside a library, never a blow-up."""
    layout = base.removesuffix("-stored")
    require(adapter, f"read:{layout}")
    target = malformed.put(tmp_path, malformed.mutate(VALID[base], ops))
    context = f"read_file({target}) [{base} with {ops}]"
    peak, (kind, got) = traced_peak(lambda: outcome(lambda: adapter.read_file(target), context))
    assert peak < MEMORY_LIMIT, f"{context}: expected bounded memory, {peak / 2**20:.0f} MiB were allocated"
    if kind == "raised":
        assert_refusal(adapter, got, target, None, context)
