"""The reference against the kit's corpus of malformed inputs (SAFE-1..5): typed errors, never data run, nothing written."""
from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest

from realdex_conformance.fswatch import tree
from realdex_ref import dataroot, datachecks, errors, layouts
from tests.malformed import CASES, Case, MarkerPayload, marker_path

FILE_ERRORS = [c for c in CASES if c.error and c.level == "file"]
FINDINGS = [c for c in CASES if c.finding]
ROOTS = [c for c in CASES if c.level == "root"]


@pytest.fixture
def quiet_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder, checked empty again after the case: a reader writes nowhere."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    yield cwd
    assert not any(cwd.iterdir()), f"a reader wrote into the working folder: {sorted(os.listdir(cwd))}"


def build(case: Case, tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "case"
    folder.mkdir()
    return folder, case.build(folder)


def assert_refused(case: Case, err: BaseException, target: Path) -> None:
    """The error is the library's, of the class the case names, and names the file, the key and what was expected."""
    text = str(err)
    assert type(err).__name__ == case.error, f"expected {case.error}, got {type(err).__name__}: {text}"
    assert isinstance(err, errors.DataError), f"expected a DataError subclass, got {type(err).__mro__}"
    assert err.path == str(target), f"expected the error to name {target}, it names {err.path!r}: {text}"
    assert str(target) in text, f"expected the message to name the file {target}: {text}"
    if case.key is not None:
        named = err.key == case.key or (isinstance(err, errors.LayoutError) and case.key in text)
        assert named, f"expected the error to name key {case.key!r}; key={err.key!r}, message: {text}"
    assert case.expected.lower() in text.lower(), f"expected the message to say {case.expected!r}: {text}"
    # a user sees one error of ours, not a chained traceback from inside numpy or zipfile
    assert err.__cause__ is None and (err.__context__ is None or err.__suppress_context__), (
        f"expected no chained exception, found {err.__cause__ or err.__context__!r}"
    )


def test_corpus_is_large_and_named_uniquely() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) >= 40, f"expected at least 40 malformed cases, found {len(ids)}"
    assert len(set(ids)) == len(ids), f"expected unique case ids, found repeats: {sorted(i for i in ids if ids.count(i) > 1)}"


def test_pickle_payload_is_live(tmp_path: Path) -> None:
    """The payload does write its marker when unpickled: the corpus' 'never written' checks can fail."""
    pickle.loads(pickle.dumps(MarkerPayload(str(marker_path(tmp_path))))).close()
    assert marker_path(tmp_path).exists(), "expected unpickling the payload to write the marker file"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("case", FILE_ERRORS, ids=lambda c: c.id)
def test_malformed_file_is_refused(case: Case, tmp_path: Path, quiet_cwd: Path) -> None:
    folder, target = build(case, tmp_path)
    before = tree(folder)
    with pytest.raises(errors.RealDexError) as info:
        layouts.load_file(target)
    assert_refused(case, info.value, target)
    # detection reads the same bytes: it names a layout or refuses alike, never crashes
    try:
        layouts.detect_layout(target)
    except errors.DataError as exc:
        assert exc.path == str(target), f"expected detect_layout's error to name {target}: {exc}"
    assert not marker_path(folder).exists(), "the pickle payload ran: a reader unpickled data"
    assert tree(folder) == before, "a reader changed the files it read"


@pytest.mark.parametrize("case", FINDINGS, ids=lambda c: c.id)
def test_non_finite_values_read_and_are_found(case: Case, tmp_path: Path, quiet_cwd: Path) -> None:
    """NaN and infinity are not read errors (SAFE-2): the file reads, and the data checks name it."""
    folder, target = build(case, tmp_path)
    before = tree(folder)
    data = layouts.load_file(target)
    assert data.num_frames > 0, f"expected {target} to read, got {data.num_frames} frames"
    findings = datachecks.check_root(folder, num_points=8)
    names = (case.finding, case.finding.replace("_", " "))
    about = [
        f for f in findings
        if _get(f, "code") == "NON_FINITE" and str(target) in str(_get(f, "path")) and any(n in str(_get(f, "message")) for n in names)
    ]
    assert about, (
        f"expected a NON_FINITE finding naming {target} and field {case.finding!r}; found: "
        + "; ".join(f"{_get(f, 'code')} {_get(f, 'path')}: {_get(f, 'message')}" for f in findings)
    )
    assert tree(folder) == before, "the data checks changed the files they read"


def _get(finding, name: str):
    return finding.get(name) if isinstance(finding, dict) else getattr(finding, name, None)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("case", ROOTS, ids=lambda c: c.id)
def test_malformed_root_is_reported(case: Case, tmp_path: Path, quiet_cwd: Path) -> None:
    """A root with hostile content: the inventory names the path at fault, and reading refuses, warns or reads."""
    folder, root = build(case, tmp_path)
    before = tree(folder)
    named = str(root / case.names) if case.names else str(root)
    if case.code is not None:
        inv = dataroot.inspect_root(root)
        codes = [(p.code, p.path) for p in inv.problems]
        assert (case.code, named) in codes, f"expected problem {case.code} naming {named!r}; the inventory lists {codes}"
        json.dumps(inv.as_dict())  # the inventory serialises whatever the names are
        findings = datachecks.check_root(root, num_points=8)
        assert any(f.path == named for f in findings), f"expected the data checks to name {named!r}: {[(f.code, f.path) for f in findings]}"
    samples = None
    if case.error == "RootWarning":
        with pytest.warns(dataroot.RootWarning) as caught:
            samples = dataroot.read_root(root)
        text = " ".join(str(w.message) for w in caught)
        assert errors.printable(named) in text and case.expected in text, (
            f"expected a warning naming {named!r} that says {case.expected!r}: {text}")
    elif case.error is not None:
        with pytest.raises(errors.RealDexError) as info:
            dataroot.read_root(root)
        err, text = info.value, str(info.value)
        assert type(err).__name__ == case.error, f"expected {case.error}, got {type(err).__name__}: {text}"
        assert errors.printable(named) in text, f"expected the error to name {named!r} (control characters escaped): {text}"
        assert case.expected.lower() in text.lower(), f"expected the error to say {case.expected!r}: {text}"
        assert err.__cause__ is None and (err.__context__ is None or err.__suppress_context__), f"chained: {err.__context__!r}"
    else:
        samples = dataroot.read_root(root)
    if case.samples is not None:
        assert samples is not None and len(samples) == case.samples, (
            f"expected read_root to give {case.samples} samples, each frame once, got {None if samples is None else len(samples)}"
        )
    assert not marker_path(folder).exists(), "the pickle payload ran: something unpickled data"
    assert tree(folder) == before, "reading or checking the root changed it"
