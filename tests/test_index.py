"""The walk index and parallel walks (spec ROOT-11..13): the same inventory and findings however a root is
walked, no file read again while unchanged, and every change seen."""
from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

from realdex_conformance import synth
from realdex_ref import datachecks, dataroot, index, layouts


@pytest.fixture
def trust_at_once(monkeypatch):
    """Stamps are trusted as soon as they are taken (the tests rewrite files within the racy window)."""
    monkeypatch.setattr(index, "RACY_NS", 0)


@pytest.fixture
def root(tmp_path):
    """A root with something of everything a walk reports::

        root/driller/0.npz … sprayer/1.npz     realdex-segment, 4 files
        root/driller/copy.npz                  a copy of driller/0.npz (DUPLICATE_FRAMES)
        root/mug_0/0.npz … mug_0/<i>.npz       realdex-frame (MIXED_LAYOUTS)
        root/driller/stats.npz                 an .npz of no layout (NOT_A_LAYOUT)
        root/notes.txt                         not data (UNKNOWN_FILE)
    """
    r = tmp_path / "root"
    synth.write_root(r, "realdex-segment", frames_per_segment=(3, 7), points=48)
    synth.write_root(r, "realdex-frame", objects=("mug",), segments_per_object=1, frames_per_segment=(70, 71), points=48)
    shutil.copyfile(r / "driller" / "0.npz", r / "driller" / "copy.npz")
    np.savez(r / "driller" / "stats.npz", mean=np.zeros(3))
    (r / "notes.txt").write_text("not data")
    return r


def walk(root, **kw):
    inv, findings = datachecks.scan_and_check(root, 32, **kw)
    return inv.as_dict(), [f.as_dict() for f in findings]


def test_serial_parallel_and_indexed_walks_agree(root, tmp_path, trust_at_once):
    serial = walk(root)
    codes = {p["code"] for p in serial[0]["problems"]} | {f["code"] for f in serial[1]}
    assert {"DUPLICATE_FRAMES", "MIXED_LAYOUTS", "NOT_A_LAYOUT", "UNKNOWN_FILE"} <= codes, f"the root must show each finding: {codes}"
    assert walk(root, jobs=2) == serial, "a walk in 2 worker processes must give what a serial walk gives"
    ix = index.Index(tmp_path / "ix")
    assert walk(root, jobs=2, index=ix) == serial, "a first walk through an index must give what a serial walk gives"
    assert walk(root, index=ix) == serial, "a walk served from the index must give what a serial walk gives"
    assert dataroot.inspect_root(root, index=ix).as_dict() == serial[0], "inspect_root from the index must agree"


def test_parallel_walk_of_more_files_than_a_window(tmp_path, monkeypatch):
    monkeypatch.setattr(dataroot, "PARALLEL_MIN_FILES", 2)
    synth.write_root(tmp_path, "realdex-frame", objects=("mug",), segments_per_object=2, frames_per_segment=(30, 31), points=8)
    assert walk(tmp_path, jobs=2) == walk(tmp_path), "60 per-frame files in 2 workers must give the serial walk's results"


def test_an_unchanged_root_is_not_read_again(root, tmp_path, trust_at_once, monkeypatch):
    ix = index.Index(tmp_path / "ix")
    first = walk(root, index=ix)
    reads = []
    real = layouts.load_file
    monkeypatch.setattr(layouts, "load_file", lambda p: reads.append(p) or real(p))
    assert walk(root, index=ix) == first, "the second walk must give the first's results"
    assert reads == [], f"no file of an unchanged root may be read again; read: {reads}"


def test_every_change_is_seen(root, tmp_path, trust_at_once):
    target = root / "driller" / "1.npz"
    arrays = dict(np.load(target))
    np.savez(target, **arrays)  # uncompressed: a rewrite with arrays of the same shapes keeps the size
    ix = index.Index(tmp_path / "ix")
    walk(root, index=ix)
    st = os.stat(target)
    for key in ("hand_transl", "hand_orient", "qpos"):  # its frames now repeat the hand pose of frame 0
        arrays[key] = arrays[key][:1].repeat(len(arrays[key]), axis=0)
    np.savez(tmp_path / "new.npz", **arrays)
    with open(target, "r+b") as fh:  # in place, then its times back: only the change time tells
        fh.truncate(0)
        fh.write((tmp_path / "new.npz").read_bytes())
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = os.stat(target)
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (st.st_size, st.st_mtime_ns, st.st_ino), \
        "the rewrite must keep size, mtime and inode, or this test checks less than it says"
    os.remove(root / "sprayer" / "0.npz")
    shutil.copyfile(root / "sprayer" / "1.npz", root / "sprayer" / "5.npz")
    got, fresh = walk(root, index=ix), walk(root)
    assert got == fresh, "after a rewrite in place, a removal and an addition the index must agree with a fresh walk"
    assert any(f["code"] == "DUPLICATE_FRAMES" and f["path"] == str(target) for f in got[1]), \
        f"the rewritten driller/1.npz repeats its frame 0; findings: {[(f['code'], f['path']) for f in got[1]]}"


def test_a_young_stamp_is_not_kept(root, tmp_path):
    ix = index.Index(tmp_path / "ix")
    walk(root, index=ix)
    path = ix.path_for(root)
    kept = json.loads(path.read_text())["files"] if path.exists() else {}  # nothing to keep: nothing written
    assert kept == {}, f"files written just now (within {index.RACY_NS} ns) must not be trusted; kept: {sorted(kept)}"


@pytest.mark.parametrize("content", [b"{not json", b'{"format": "something else"}', b"[1, 2]"])
def test_a_corrupt_or_foreign_index_is_ignored_with_a_note(root, tmp_path, content):
    ix = index.Index(tmp_path / "ix")
    ix.path_for(root).parent.mkdir(parents=True)
    ix.path_for(root).write_bytes(content)
    with pytest.warns(index.IndexWarning, match="ignored"):
        got = walk(root, index=ix)
    assert got == walk(root), "a walk past a corrupt index must give a fresh walk's results"


def test_an_index_of_another_root_is_ignored(root, tmp_path, trust_at_once):
    ix = index.Index(tmp_path / "ix")
    walk(root, index=ix)
    data = json.loads(ix.path_for(root).read_text())
    data["root"] = "/elsewhere"
    ix.path_for(root).write_text(json.dumps(data))
    with pytest.warns(index.IndexWarning, match="another root"):
        assert walk(root, index=ix) == walk(root), "an index of another root must not be served"


def test_an_index_named_inside_the_root_is_not_data(root):
    ix = index.Index(root / ".realdex-index")
    walk(root, index=ix)
    inv, _ = walk(root, index=ix)
    assert not [p for p in inv["problems"] if ".realdex-index" in p["path"]], "the index named inside the root is not a file of it"


def test_the_default_folder_is_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("REALDEX_INDEX", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert index.default_folder() == tmp_path / "cache" / "realdex" / "index", index.default_folder()
    monkeypatch.setenv("REALDEX_INDEX", str(tmp_path / "mine"))
    assert index.default_folder() == tmp_path / "mine", index.default_folder()


@pytest.mark.parametrize("jobs", [1, 2])
def test_progress_counts_every_file(root, jobs, monkeypatch):
    monkeypatch.setattr(dataroot, "PARALLEL_MIN_FILES", 2)
    calls = []
    dataroot.inspect_root(root, jobs=jobs, progress=lambda done, total: calls.append((done, total)))
    total = sum(1 for p in root.rglob("*") if p.is_file())
    assert [d for d, _ in calls] == list(range(1, total + 1)), f"expected progress 1 … {total}, found {calls[:5]} …"
    assert {t for _, t in calls} == {total}, f"expected a total of {total} files, found {sorted({t for _, t in calls})}"


def test_duplicate_frames_counted_by_hand(tmp_path):
    """driller/0.npz of T frames; copy.npz its copy (T repeats); in.npz a segment whose frames 1 and 2 repeat frame 0."""
    written = synth.write_root(tmp_path, "realdex-segment", objects=("driller",), segments_per_object=1,
                               frames_per_segment=(5, 6), points=16)
    t = written["files"][0]["frames"]
    shutil.copyfile(tmp_path / "driller" / "0.npz", tmp_path / "driller" / "copy.npz")
    arrays = dict(np.load(tmp_path / "driller" / "0.npz"))
    for key in ("hand_transl", "hand_orient", "qpos", "object_transl", "object_orient"):
        if key in arrays and len(arrays[key]) == t:
            arrays[key] = arrays[key].copy()
            arrays[key][1:3] = arrays[key][0]
            arrays[key][3:] += 1.0 if key != "qpos" else 0.01  # the other frames differ from driller/0.npz
    (tmp_path / "other").mkdir()
    np.savez(tmp_path / "other" / "in.npz", **arrays)
    dups = {f.path: f for f in datachecks.check_root(tmp_path, 16) if f.code == "DUPLICATE_FRAMES"}
    copy, inside = str(tmp_path / "driller" / "copy.npz"), str(tmp_path / "other" / "in.npz")
    assert dups[copy].count == t and f"{tmp_path / 'driller' / '0.npz'} frame 0" in dups[copy].message, (
        f"copy.npz repeats all {t} frames of driller/0.npz; found {dups.get(copy)}")
    assert dups[inside].count == 3 - 0 and "frame 0" in dups[inside].message, (
        f"in.npz: frame 0 repeats driller/0.npz frame 0, frames 1 and 2 repeat it too: 3 repeats; found {dups.get(inside)}")


def test_fps_samples_are_kept_per_cloud_and_served_while_the_file_is_unchanged(tmp_path, trust_at_once, monkeypatch):
    pytest.importorskip("torch")
    from realdex_ref import loader

    root = tmp_path / "root"
    synth.write_root(root, "realdex-frame", objects=("mug",), segments_per_object=1, frames_per_segment=(6, 7), points=40)
    ix = index.Index(tmp_path / "ix")
    plain = loader.RealDexDataset(root, num_points=16, point_sampling="fps")
    want = [plain[i]["object_points"].numpy() for i in range(len(plain))]
    first = loader.RealDexDataset(root, num_points=16, point_sampling="fps", index=ix)
    computed = []
    real = loader.farthest_points
    monkeypatch.setattr(loader, "farthest_points", lambda *a: computed.append(a[2]) or real(*a))
    again = loader.RealDexDataset(root, num_points=16, point_sampling="fps", index=ix)
    assert computed == [], f"a second open of an unchanged root must compute no farthest-point samples; computed {len(computed)}"
    for ds in (first, again):
        got = [ds[i]["object_points"].numpy() for i in range(len(ds))]
        assert all(np.array_equal(a, b) for a, b in zip(got, want)), "kept samples must be those computed without an index"
    target = sorted(root.rglob("*.npz"))[2]
    arrays = dict(np.load(target))
    arrays["object_points"] = arrays["object_points"][::-1].copy()  # the same points in another order
    np.savez(target, **arrays)
    after = loader.RealDexDataset(root, num_points=16, point_sampling="fps", index=ix)
    assert len(computed) == 1, f"only the rewritten file's cloud must be sampled again; {len(computed)} were"
    fresh = loader.RealDexDataset(root, num_points=16, point_sampling="fps")
    assert np.array_equal(after[2]["object_points"].numpy(), fresh[2]["object_points"].numpy()), \
        "the rewritten file's samples must be those of its new content"


def test_train_opens_its_root_through_the_walk_index(tmp_path, trust_at_once, monkeypatch):
    """``realdex train`` shares the index with the other commands (``--index DIR``), and ``--no-index`` writes none."""
    pytest.importorskip("torch")
    from realdex_ref import loader
    from realdex_ref.cli import main

    root = tmp_path / "root"
    synth.write_root(root, "realdex-frame", objects=("mug",), segments_per_object=1, frames_per_segment=(6, 7), points=40)
    clouds = len(list(root.rglob("*.npz")))
    computed = []
    real = loader.farthest_points
    monkeypatch.setattr(loader, "farthest_points", lambda *a: computed.append(a[2]) or real(*a))
    ix = index.Index(tmp_path / "ix")
    flags = ["--passes", "1", "--batch-size", "2", "--num-points", "16", "--point-sampling", "fps", "--quiet"]

    assert main(["train", str(root), "--out", str(tmp_path / "first"), "--index", str(ix.folder), *flags]) == 0, "expected a clean run"
    kept = [ix.path_for(root), ix.path_for(root, "fps")]
    assert all(p.exists() for p in kept), f"expected the walk and the samples kept in {ix.folder}, found {sorted(ix.folder.iterdir())}"
    assert len(computed) == clouds, f"expected the {clouds} clouds sampled on the first open, found {len(computed)}"

    computed.clear()
    assert main(["train", str(root), "--out", str(tmp_path / "again"), "--index", str(ix.folder), *flags]) == 0, "expected a clean run"
    assert computed == [], f"expected every cloud's samples served from the index on a second run, {len(computed)} computed"

    monkeypatch.setenv("REALDEX_INDEX", str(tmp_path / "default"))
    assert main(["train", str(root), "--out", str(tmp_path / "without"), "--no-index", *flags]) == 0, "expected a clean run"
    assert not (tmp_path / "default").exists(), f"--no-index must write no index; found {list((tmp_path / 'default').rglob('*'))}"
    assert len(computed) == clouds, f"--no-index must use no kept samples: expected {clouds} computed, found {len(computed)}"

    monkeypatch.setattr(loader, "farthest_points", real)
    assert main(["train", str(root), "--out", str(tmp_path / "default-run"), *flags]) == 0, "expected a clean run"
    assert index.Index().path_for(root).exists(), f"without --index, expected the index in $REALDEX_INDEX ({tmp_path / 'default'})"


def test_a_test_run_writes_nothing_under_the_home_folder(tmp_path, monkeypatch):
    """tests/conftest.py points the index of every test, and of the commands it runs, at this run's temporary folder:
    with HOME and XDG_CACHE_HOME pointed at an empty folder, commands run in-process and as child processes leave
    it empty, and their index is in $REALDEX_INDEX."""
    import subprocess
    import sys
    import time

    from realdex_ref.cli import main

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    root = tmp_path / "root"
    synth.write_root(root, "realdex-segment", objects=("driller",), segments_per_object=2, frames_per_segment=(3, 4), points=1024)
    time.sleep(index.RACY_NS / 1e9 + 0.1)  # younger stamps are not kept: the index would stay empty and unwritten
    for command in (["inspect", str(root)], ["validate", str(root)]):
        proc = subprocess.run([sys.executable, "-m", "realdex_ref", *command], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, f"expected `realdex {' '.join(command)}` to exit 0, found {proc.returncode}: {proc.stderr}"
        assert main([*command, "--index", str(tmp_path / "named")]) == 0, f"expected `realdex {' '.join(command)}` in-process to exit 0"
        assert main([*command, "--no-index"]) == 0, f"expected `realdex {' '.join(command)} --no-index` in-process to exit 0"
    written = sorted(str(p.relative_to(home)) for p in home.rglob("*"))
    assert written == [], f"expected nothing under HOME and XDG_CACHE_HOME after the commands, found {written}"
    assert os.environ.get("REALDEX_INDEX"), "expected tests/conftest.py to set REALDEX_INDEX for every test"
    assert index.Index().path_for(root).exists(), (
        f"expected the commands' index in $REALDEX_INDEX ({os.environ['REALDEX_INDEX']}), the test run's own folder; found none")
