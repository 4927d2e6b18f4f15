"""Conformance of chapter 5: data roots (ROOT-n).

Roots are written by the kit (``realdex_conformance.synth``), never by the implementation under test;
the expected counts are those the kit wrote.
"""
from __future__ import annotations

import json
import os
import tempfile
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from realdex_conformance import assertions as ah
from realdex_conformance import ownership, rawfiles, synth
from realdex_conformance.profiles import examples

pytestmark = pytest.mark.requires("root")

SMALL = dict(frames_per_segment=(3, 7), points=48)


def write(dest: Path, layout: str, **kw) -> dict:
    return synth.write_root(dest, layout, **{**SMALL, **kw})


def codes(inventory: dict) -> Counter:
    return Counter(p["code"] for p in inventory["problems"])


def problems_with(inventory: dict, code: str) -> list[dict]:
    return [p for p in inventory["problems"] if p["code"] == code]


def inspect(adapter, root: Path) -> dict:
    inv = dict(adapter.inspect_root(root=root))
    for key in ("total_samples", "layouts", "objects", "problems"):
        assert key in inv, f"inspect_root({root}) lacks {key!r} (ROOT-10); it returned keys {sorted(inv)}"
    for p in inv["problems"]:  # each a {path, code, message, severity} (the table of ROOT-10's mapping)
        assert isinstance(p.get("path"), str) and p["path"] and isinstance(p.get("code"), str) and p["code"], (
            f"inspect_root({root}): a problem needs a path and a code (ROOT-10), found {p}")
        assert isinstance(p.get("message"), str) and p["message"].strip(), f"inspect_root({root}): a problem needs a message, found {p}"
        assert p.get("severity") in ("error", "warning"), f"inspect_root({root}): severity 'error' or 'warning', found {p}"
    return inv


@pytest.fixture(scope="module")
def user_root(tmp_path_factory) -> tuple[Path, dict]:
    """The user's root, scaled down: 8 converted samples under 4 names beside 77 per-frame files (11 a recording,
    more than ten: code-point and numeric order of the frame files part).

    ::

        user/driller_0/converted_data.npz … sprayer_homedepot_041_1000_1000/converted_data.npz   (2 samples each)
        user/driller_1/0.npz … sprayer_3/10.npz        (77 realdex-frame files, 8-point cubes, 3×3 matrices)
    """
    root = tmp_path_factory.mktemp("user")
    return root, synth.write_user_root(root, frames=77, converted=8, converted_points=64)


@pytest.fixture(scope="module")
def mixed_root(tmp_path_factory) -> tuple[Path, dict, dict]:
    """Segments of driller and sprayer beside per-frame folders of a mug.

    ::

        mixed/driller/0.npz, 1.npz; mixed/sprayer/0.npz, 1.npz      realdex-segment
        mixed/mug_0/0.npz … mixed/mug_1/<i>.npz                      realdex-frame
    """
    root = tmp_path_factory.mktemp("mixed")
    seg = write(root, "realdex-segment")
    frame = write(root, "realdex-frame", objects=("mug",))
    return root, seg, frame


@pytest.mark.clause("ROOT-1")
def test_every_file_is_examined_and_unknown_files_are_listed(adapter, tmp_path):
    written = write(tmp_path / "deep" / "er", "realdex-segment")
    (tmp_path / "notes.txt").write_text("not data")
    (tmp_path / "deep" / "readme.md").write_text("not data either")
    inv = inspect(adapter, tmp_path)
    assert inv["total_samples"] == written["num_frames"], (
        f"files two folders deep hold {written['num_frames']} samples; the inventory counts {inv['total_samples']}")
    listed = {Path(p["path"]).name for p in problems_with(inv, "UNKNOWN_FILE")}
    assert {"notes.txt", "readme.md"} <= listed, f"both non-data files must be listed as UNKNOWN_FILE; listed: {sorted(listed)}"


@pytest.mark.clause("ROOT-2", "ROOT-5")
@examples(6)
@given(layout=st.sampled_from(rawfiles.LAYOUTS), segments=st.integers(1, 3), frames=st.integers(1, 6),
       objects=st.lists(st.sampled_from(["driller", "sprayer", "mug", "bottle"]), min_size=1, max_size=2, unique=True),
       seed=st.integers(0, 1000))
def test_counts_by_frames_per_layout_and_object(adapter, layout, segments, frames, objects, seed):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        # at least 2 frames: a one-frame segment file is a per-frame file by content (chapter 2)
        written = synth.write_root(root, layout, objects=tuple(objects), segments_per_object=segments,
                                   frames_per_segment=(2, frames + 1), points=16, seed=seed)
        inv = inspect(adapter, root)
        n = written["num_frames"]
        assert inv["total_samples"] == n, f"{layout} root of {written['num_files']} files and {n} frames: inventory says {inv['total_samples']}"
        assert dict(inv["layouts"]) == {layout: n}, f"expected layouts {{{layout!r}: {n}}}, got {inv['layouts']}"
        samples = adapter.read_root(root=root, layout=None)
        assert len(samples) == n, f"read_root must give every frame ({n}); it gave {len(samples)}"
        by_object = Counter(s["object"] for s in samples)
        assert dict(inv["objects"]) == dict(by_object), (
            f"samples per object: the inventory says {dict(inv['objects'])}, the samples say {dict(by_object)}")
        # order: files by path, frames in file order, compared with the kit's own reading
        want = [s["qpos"] for f in rawfiles.root_order((x["path"] for x in written["files"]), root) for s in rawfiles.read_raw(f)]
        got = np.stack([s["qpos"] for s in samples])
        assert np.allclose(got, np.stack(want), atol=1e-9), "read_root must give the files' frames in path order, then file order"


@pytest.mark.clause("ROOT-3")
def test_mixed_root_is_reported_and_refused_without_a_layout(adapter, mixed_root):
    root, seg, frame = mixed_root
    inv = inspect(adapter, root)
    want = {"realdex-segment": seg["num_frames"], "realdex-frame": frame["num_frames"]}
    assert dict(inv["layouts"]) == want, f"expected layouts {want}, got {inv['layouts']}"
    mixed = problems_with(inv, "MIXED_LAYOUTS")
    assert mixed, f"a root of two layouts must be reported MIXED_LAYOUTS; problems: {inv['problems']}"
    with pytest.raises(Exception) as info:
        adapter.read_root(root=root, layout=None)
    message = str(info.value)
    for name, count in want.items():
        assert name in message and str(count) in message, (
            f"the refusal must name layout {name!r} and its {count} samples: {message!r}")
    assert "layout" in message.lower(), f"the refusal must say how to choose a layout: {message!r}"


@pytest.mark.clause("ROOT-4")
@pytest.mark.parametrize("layout", ["realdex-segment", "realdex-frame"])
def test_a_named_layout_reads_only_its_files(adapter, mixed_root, layout):
    root, seg, frame = mixed_root
    written = seg if layout == "realdex-segment" else frame
    samples = adapter.read_root(root=root, layout=layout)
    assert len(samples) == written["num_frames"], f"layout={layout!r}: expected {written['num_frames']} samples, got {len(samples)}"
    theirs = {str(Path(f["path"]).resolve()) for f in written["files"]}
    strays = {s["source"] for s in samples if "source" in s and str(Path(s["source"]).resolve()) not in theirs}
    assert not strays, f"layout={layout!r} read files of another layout: {sorted(strays)[:5]}"
    inv = inspect(adapter, root)
    assert len(inv["layouts"]) == 2, f"the inventory must still report both layouts, got {inv['layouts']}"


@pytest.mark.clause("ROOT-6")
def test_unreadable_npz_is_listed_and_refused(adapter, tmp_path):
    write(tmp_path, "realdex-segment")
    bad = tmp_path / "driller" / "stats.npz"
    np.savez(bad, mean=np.zeros(3), std=np.ones(3))
    inv = inspect(adapter, tmp_path)
    listed = [p for p in inv["problems"] if Path(p["path"]).name == "stats.npz"]
    assert listed and listed[0]["code"] in ("NOT_A_LAYOUT", "INVALID_FILE", "UNSAFE_FILE"), (
        f"an .npz of no layout must be listed with its path and code; problems: {inv['problems']}")
    with pytest.raises(Exception) as info:
        adapter.read_root(root=tmp_path, layout=None)
    assert "stats.npz" in str(info.value), f"the refusal must name the file: {info.value}"


@pytest.mark.clause("ROOT-6")
def test_a_file_that_is_not_data_is_not_ignored_in_silence(adapter, tmp_path):
    written = write(tmp_path, "realdex-frame", segments_per_object=1)
    (tmp_path / "driller_0" / "labels.csv").write_text("a,b\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        samples = adapter.read_root(root=tmp_path, layout=None)  # a file that is not data never stops a root's reading
    said = " ".join(str(w.message) for w in caught)
    assert "labels.csv" in said, f"read_root must warn about labels.csv (a Python warning naming it); warnings: {said!r}"
    assert len(samples) == written["num_frames"], f"expected {written['num_frames']} samples (the frames written), found {len(samples)}"


@pytest.mark.clause("ROOT-7")
def test_manifest_shortfall_is_an_error_with_the_numbers(adapter, tmp_path):
    written = write(tmp_path, "realdex-segment")
    n = written["num_frames"]
    (tmp_path / "realdex_manifest.json").write_text(json.dumps({"total_samples": n + 100, "layouts": {"realdex-segment": n}}))
    inv = inspect(adapter, tmp_path)
    short = problems_with(inv, "MANIFEST_SHORTFALL")
    assert short, f"a manifest declaring {n + 100} samples where {n} exist must give MANIFEST_SHORTFALL; problems: {inv['problems']}"
    message = short[0]["message"]
    for number in (n + 100, n, 100):
        assert str(number) in message, f"the shortfall must give {number} (declared {n + 100}, found {n}, missing 100): {message!r}"
    assert short[0].get("severity", "error") == "error", f"a shortfall is an error, found {short[0]}"
    with pytest.raises(Exception) as info:
        adapter.read_root(root=tmp_path, layout=None)
    assert str(n + 100) in str(info.value), f"read_root must refuse a short root with the numbers: {info.value}"


@pytest.mark.clause("ROOT-7")
def test_manifest_that_matches_gives_no_shortfall(adapter, tmp_path):
    written = write(tmp_path, "converted")
    (tmp_path / "realdex_manifest.json").write_text(json.dumps({"total_samples": written["num_frames"]}))
    inv = inspect(adapter, tmp_path)
    assert not problems_with(inv, "MANIFEST_SHORTFALL"), f"a matching manifest gave {inv['problems']}"
    got = len(adapter.read_root(root=tmp_path, layout=None))
    assert got == written["num_frames"], f"expected {written['num_frames']} samples (the frames written), found {got}"


@pytest.mark.clause("ROOT-8")
def test_empty_root_is_reported_and_refused(adapter, tmp_path):
    (tmp_path / "README.txt").write_text("data goes here")
    inv = inspect(adapter, tmp_path)
    assert inv["total_samples"] == 0 and problems_with(inv, "EMPTY_ROOT"), f"an empty root must be EMPTY_ROOT: {inv}"
    with pytest.raises(Exception) as info:
        adapter.read_root(root=tmp_path, layout=None)
    assert str(tmp_path) in str(info.value), f"the refusal must name the root {tmp_path}: {info.value}"


@pytest.mark.clause("ROOT-9", "ROOT-3")
def test_user_root_is_reported_truthfully(adapter, user_root):
    root, written = user_root
    inv = inspect(adapter, root)
    want = {"converted": 8, "realdex-frame": 77}
    assert dict(inv["layouts"]) == want, f"the user's root holds {want}; the inventory says {inv['layouts']}"
    assert inv["total_samples"] == 85, f"8 + 77 = 85 samples in all; the inventory says {inv['total_samples']}"
    assert problems_with(inv, "MIXED_LAYOUTS"), f"the user's root must be reported MIXED_LAYOUTS: {inv['problems']}"
    with pytest.raises(Exception) as info:
        adapter.read_root(root=root, layout=None)
    assert "8" in str(info.value) and "77" in str(info.value), f"the refusal must give both counts: {info.value}"
    frames, converted = (len(adapter.read_root(root=root, layout=name)) for name in ("realdex-frame", "converted"))
    assert (frames, converted) == (77, 8), f"expected 77 realdex-frame and 8 converted samples, found {frames} and {converted}"


@pytest.mark.clause("ROOT-10")
def test_inventory_is_json(adapter, user_root):
    root, _ = user_root
    inv = json.loads(json.dumps(inspect(adapter, root)))
    assert isinstance(inv["total_samples"], int), f"total_samples must be an int, found {inv['total_samples']!r}"
    for key in ("layouts", "objects"):
        assert all(isinstance(k, str) and isinstance(v, int) for k, v in inv[key].items()), f"{key} must map names to ints: {inv[key]}"
    for p in inv["problems"]:
        assert {"path", "code", "message"} <= set(p), f"a problem needs path, code and message: {p}"
        assert p.get("severity", "error") in ("error", "warning"), f"severity must be 'error' or 'warning': {p}"


@pytest.mark.clause("LAYOUT-11", "ROOT-3")
def test_one_frame_segments_count_with_the_segments_of_their_root(adapter, tmp_path):
    """A segment root whose middle segment has one frame (a file that also fits realdex-frame)::

        root/mug/0.npz (5 frames)  1.npz (1 frame, (1, 3) object_orient)  2.npz (4 frames)
    """
    rng = np.random.default_rng(11)
    for i, frames in enumerate((5, 1, 4)):
        (arrays,) = rawfiles.to_arrays(synth.make_segment("mug", frames, 32, rng), "realdex-segment")
        rawfiles.save(tmp_path / "mug" / f"{i}.npz", arrays)
    inv = inspect(adapter, tmp_path)
    assert inv["layouts"] == {"realdex-segment": 10}, (
        f"expected the one-frame segment counted with the others, layouts {{'realdex-segment': 10}}, found {inv['layouts']}"
    )
    for layout in (None, "realdex-segment"):
        got = adapter.read_root(root=tmp_path, layout=layout)
        assert len(got) == 10, f"expected read_root(layout={layout!r}) to give all 10 samples, found {len(got)}"


# ---------------------------------------------------------------- open points decided (spec/appendix-decisions.md)

def _tagged_file(path: Path, layout: str, tag: int, frames: int = 2) -> None:
    """One ``layout`` file under ``path`` whose frames carry ``tag`` in every joint angle."""
    samples = synth.make_segment("driller", 1 if layout == "realdex-frame" else frames, 8, np.random.default_rng(tag))
    arrays = rawfiles.to_arrays(samples, layout)[0]
    if "qpos" in arrays:
        arrays["qpos"] = np.full_like(arrays["qpos"], tag / 100.0)
    else:  # converted: qpos is columns 6..27 of hand_poses (chapter 2)
        arrays["hand_poses"][:, 6:] = tag / 100.0
    rawfiles.save(path, arrays)


@pytest.mark.clause("ROOT-5")
def test_files_are_read_in_the_order_of_their_path_parts(adapter, tmp_path):
    """ROOT-5's order: relative paths compared part by part; in each folder the numbered files (``<digits>.npz``)
    first, by their number, then every other name by code point (no natural or locale order)::

        root/Mug/0.npz                                   (upper case sorts before lower case)
        root/driller/0.npz 1.npz 2.npz 007.npz 7.npz 10.npz 11.npz 2b.npz
                                                         ("2" before "10"; 007 and 7 by code point; "2b" is no number)
        root/driller-2/0.npz                             (the folder "driller" before "driller-2", part by part)
        root/driller.v2/0.npz
        root/driller_10/0.npz                            (folder names by code point: "driller_10" before "driller_2")
        root/driller_2/0.npz
    """
    order = ["Mug/0.npz", "driller/0.npz", "driller/1.npz", "driller/2.npz", "driller/007.npz", "driller/7.npz",
             "driller/10.npz", "driller/11.npz", "driller/2b.npz", "driller-2/0.npz", "driller.v2/0.npz",
             "driller_10/0.npz", "driller_2/0.npz"]
    for tag, rel in sorted(enumerate(order), key=lambda x: x[1][::-1]):  # written in another order than read
        _tagged_file(tmp_path / "root" / rel, "realdex-segment", tag)
    samples = adapter.read_root(root=tmp_path / "root", layout=None)
    got = [int(round(float(s["qpos"][0]) * 100)) for s in samples]
    want = [tag for tag in range(len(order)) for _ in range(2)]
    assert got == want, (
        f"read_root must give the files in the order {order} (two frames each, tags {want}); "
        f"found the tags {got}, that is the files {[order[t] for t in got[::2] if 0 <= t < len(order)]}")


@pytest.mark.clause("ROOT-2", "SAMPLE-7")
def test_recording_folders_count_under_their_object(adapter, tmp_path):
    """The object of a realdex-frame folder is its name less a trailing ``_<integer>`` (the recording)::

        root/driller_0/0.npz 1.npz                      object driller
        root/driller_12/0.npz                           object driller
        root/sprayer_homedepot_041_1000_3/0.npz         object sprayer_homedepot_041_1000
        root/spray_bottle/0.npz                         object spray_bottle (no recording number)
    """
    want = {"driller": 3, "sprayer_homedepot_041_1000": 1, "spray_bottle": 1}
    for tag, rel in enumerate(["driller_0/0.npz", "driller_0/1.npz", "driller_12/0.npz",
                               "sprayer_homedepot_041_1000_3/0.npz", "spray_bottle/0.npz"]):
        _tagged_file(tmp_path / "root" / rel, "realdex-frame", tag)
    inv = inspect(adapter, tmp_path / "root")
    assert dict(inv["objects"]) == want, f"expected the samples per object {want}, found {dict(inv['objects'])}"


@pytest.mark.clause("ROOT-2", "SAMPLE-7")
def test_a_converted_folder_is_its_object(adapter, tmp_path):
    """The object of a converted file (and of a segment file) is its whole folder name::

        root/driller_-1/converted_data.npz     object driller_-1 (2 samples)
        root/driller_8/converted_data.npz      object driller_8 (2 samples)
    """
    for tag, name in enumerate(["driller_-1", "driller_8"]):
        _tagged_file(tmp_path / "root" / name / "converted_data.npz", "converted", tag)
    inv = inspect(adapter, tmp_path / "root")
    want = {"driller_-1": 2, "driller_8": 2}
    assert dict(inv["objects"]) == want, f"expected the samples per object {want}, found {dict(inv['objects'])}"


@pytest.mark.clause("ROOT-1", "ROOT-2")
def test_a_file_name_that_is_not_utf8_is_read_like_any_other(adapter, tmp_path):
    """A name is never a reason to refuse a file: its content decides (LAYOUT-1)::

        root/driller/0.npz        a segment
        root/driller/\\xff\\xfe.npz  the same segment under a name that is not UTF-8 (bytes from an old archive)
    """
    root = tmp_path / "root"
    _tagged_file(root / "driller" / "0.npz", "realdex-segment", 1)
    try:
        with open(os.fsencode(str(root / "driller")) + b"/\xff\xfe.npz", "wb") as f:
            f.write((root / "driller" / "0.npz").read_bytes())
    except OSError as exc:  # file systems that store names as UTF-8 (APFS) refuse such a name
        pytest.skip(f"this file system refuses a name that is not UTF-8: {exc}")
    inv = inspect(adapter, root)
    errors = [p for p in inv["problems"] if p.get("severity") == "error"]
    assert inv["total_samples"] == 4 and not errors, (
        f"expected 4 samples (two files of 2 frames) and no error, found {inv['total_samples']} samples and {errors}")
    json.dumps(inv)  # ROOT-10: the inventory stays JSON whatever the names are
    got = adapter.read_root(root=root, layout=None)
    assert len(got) == 4, f"read_root: expected the 4 frames of both files, found {len(got)}"


@pytest.mark.clause("ROOT-6", "ROOT-4")
def test_an_unreadable_file_refuses_the_root_even_with_a_layout_named(adapter, tmp_path):
    """Naming a layout chooses which files to read, not which damage to overlook::

        root/driller/0.npz    a segment
        root/driller/9.npz    a zip cut short after its first bytes
    """
    root = tmp_path / "root"
    _tagged_file(root / "driller" / "0.npz", "realdex-segment", 1)
    (root / "driller" / "9.npz").write_bytes(b"PK\x03\x04")
    try:
        got = adapter.read_root(root=root, layout="realdex-segment")
    except Exception as exc:  # the refusal is the expected outcome; it must name the file
        assert "9.npz" in str(exc), f"read_root(layout='realdex-segment'): expected the refusal to name 9.npz, found {exc!r}"
        return
    pytest.fail(f"read_root({root}, layout='realdex-segment'): driller/9.npz cannot be read; expected a refusal, "
                f"found {len(got)} samples read from the rest")


@pytest.mark.clause("ROOT-7")
@pytest.mark.parametrize("declared", ["many", True, 2.5, [4]], ids=["str", "bool", "float", "list"])
def test_a_manifest_count_of_the_wrong_type_is_an_invalid_manifest(adapter, tmp_path, declared):
    """A count that is not an int (a JSON string, true, 2.5, a list) cannot be compared: INVALID_MANIFEST, an error."""
    root = tmp_path / "root"
    _tagged_file(root / "driller" / "0.npz", "realdex-segment", 1)
    (root / "realdex_manifest.json").write_text(json.dumps({"total_samples": declared}), encoding="utf-8")
    inv = inspect(adapter, root)
    found = problems_with(inv, "INVALID_MANIFEST")
    assert found and all(p["severity"] == "error" for p in found), (
        f"manifest total_samples={declared!r}: expected an INVALID_MANIFEST error, found the problems {inv['problems']}")
    with pytest.raises(Exception) as info:
        adapter.read_root(root=root, layout=None)
    assert "realdex_manifest.json" in str(info.value) or str(root) in str(info.value), (
        f"read_root: expected the refusal to name the manifest or the root, found {info.value!r}")


def _listing(root: Path) -> list[tuple[str, int]]:
    """Every entry under ``root`` (hidden ones too) with its size, folders as -1."""
    return sorted((str(p.relative_to(root)), -1 if p.is_dir() else p.stat().st_size) for p in root.rglob("*"))


def _age(paths, seconds: float = 3600.0) -> None:
    import os
    import time

    old = time.time() - seconds
    for p in paths:
        os.utime(p, (old, old))


def _rewrite_in_place(path: Path, content: bytes) -> None:
    """Write ``content`` into ``path`` through the same inode, then give it back its access and modification times."""
    import os

    st = os.stat(path)
    with open(path, "r+b") as fh:
        fh.truncate(0)
        fh.write(content)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def _padded_to(size: int, arrays: dict[str, np.ndarray]) -> bytes:
    """An npz of ``arrays`` (deflated) and a stored ``note`` member (a key no layout names, LAYOUT-1) padded so that the
    file is ``size`` bytes: another content of the very size of a file it replaces."""
    import io
    import zipfile

    def npz(pad: int) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as archive:
            for key, value in {**arrays, "note": np.zeros(pad, dtype=np.uint8)}.items():
                member = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                member.compress_type = zipfile.ZIP_STORED if key == "note" else zipfile.ZIP_DEFLATED
                with archive.open(member, "w") as out:
                    np.lib.format.write_array(out, np.asanyarray(value), allow_pickle=False)
        return buf.getvalue()

    pad = 0
    for _ in range(4):
        data = npz(pad)
        if len(data) == size:
            return data
        pad += size - len(data)
        assert pad >= 0, f"the kit cannot pad a file of {len(data)} bytes to {size}"
    raise AssertionError(f"the kit could not pad a file to {size} bytes (last {len(data)})")


@pytest.mark.clause("ROOT-12", "ROOT-11")
def test_a_file_changed_between_two_reads_is_read_anew(adapter, tmp_path):
    """Two reads through the adapter with the root changed between them; the second sees the change.

    ::

        root/driller/0.npz      rewritten in place (a segment of more frames), its mtime restored
        root/driller/1.npz      rewritten in place (a segment of as many frames, other values), its mtime restored
        root/sprayer/1.npz      rewritten in place (a segment of fewer frames, padded to its size), its mtime restored:
                                only its change time, or its content, tells (a stamp of size and mtime serves it stale)
        root/sprayer/0.npz      removed
        root/sprayer/9.npz      added (with an old mtime)
    """
    import os
    import shutil
    import time

    root, other, alike = tmp_path / "root", tmp_path / "other", tmp_path / "alike"
    write(root, "realdex-segment", frames_per_segment=(3, 4))
    newer = write(other, "realdex-segment", frames_per_segment=(6, 7), seed=5)
    write(alike, "realdex-segment", frames_per_segment=(3, 4), seed=6)
    files = sorted(root.rglob("*.npz"))
    _age(files)
    time.sleep(2.5)  # the stamps are now older than any file system's timestamp resolution (2 s on FAT)
    first = inspect(adapter, root)
    assert len(adapter.read_root(root=root, layout=None)) == first["total_samples"], "read_root must give every frame"
    inspect(adapter, root)  # a second walk of the unchanged root: what a cache would then serve

    by_name = {Path(f["path"]).relative_to(other).as_posix(): f for f in newer["files"]}
    _rewrite_in_place(root / "driller" / "0.npz", (other / "driller" / "0.npz").read_bytes())
    _rewrite_in_place(root / "driller" / "1.npz", (alike / "driller" / "1.npz").read_bytes())
    shorter = rawfiles.to_arrays(synth.make_segment("sprayer", 2, 48, np.random.default_rng(7)), "realdex-segment")[0]
    size = os.path.getsize(root / "sprayer" / "1.npz")
    _rewrite_in_place(root / "sprayer" / "1.npz", _padded_to(size, shorter))
    assert os.path.getsize(root / "sprayer" / "1.npz") == size, "the kit's rewrite of sprayer/1.npz must keep its size"
    os.remove(root / "sprayer" / "0.npz")
    shutil.copyfile(other / "sprayer" / "1.npz", root / "sprayer" / "9.npz")
    _age([root / "sprayer" / "9.npz"])

    want = {"driller/0.npz": by_name["driller/0.npz"]["frames"], "driller/1.npz": 3,
            "sprayer/1.npz": len(rawfiles.read_raw(root / "sprayer" / "1.npz")),
            "sprayer/9.npz": by_name["sprayer/1.npz"]["frames"]}
    inv = inspect(adapter, root)
    assert inv["total_samples"] == sum(want.values()), (
        f"after rewriting driller/0.npz, driller/1.npz and sprayer/1.npz (to its own size) in place (times kept), "
        f"removing sprayer/0.npz and adding sprayer/9.npz, the root holds {sum(want.values())} frames ({want}); the inventory says {inv['total_samples']}: "
        "a stale cache (ROOT-12)")
    samples = adapter.read_root(root=root, layout=None)
    got = np.stack([s["qpos"] for s in samples])
    expected = np.stack([s["qpos"] for name in sorted(want) for s in rawfiles.read_raw(root / name)])
    assert got.shape == expected.shape and np.allclose(got, expected, atol=1e-9), (
        f"read_root after the changes must give the frames the files hold now ({expected.shape[0]}); it gave "
        f"{got.shape[0]}, or other values: a stale cache (ROOT-12)")


@pytest.mark.clause("ROOT-13")
def test_reading_a_root_leaves_its_listing_as_it_was(adapter, tmp_path):
    write(tmp_path, "realdex-segment")
    before = _listing(tmp_path)
    inspect(adapter, tmp_path)
    adapter.read_root(root=tmp_path, layout=None)
    inspect(adapter, tmp_path)
    after = _listing(tmp_path)
    assert after == before, (f"reading and inspecting a root must leave it as it was (a cache lives outside it); "
                             f"new or changed: {sorted(set(after) - set(before))}, gone: {sorted(set(before) - set(after))}")


def per_object(written: dict) -> Counter:
    """Frames written per object."""
    counts: Counter = Counter()
    for f in written["files"]:
        counts[f["object"]] += f["frames"]
    return counts


def manifest_finding(inv: dict, code: str, name: str) -> dict | None:
    """The ``code`` finding whose message names ``name`` (a layout or an object), or None."""
    return next((p for p in problems_with(inv, code) if name in p["message"]), None)


@pytest.mark.clause("ROOT-7")
def test_a_manifest_is_checked_per_object_when_its_total_agrees(adapter, tmp_path):
    """The total and the layout agree with the root; the objects do not: 3 frames of driller short, 3 of sprayer over,
    and 4 of a mug the root does not hold. Each object's count is compared on its own."""
    written = write(tmp_path, "realdex-segment")
    n, found = written["num_frames"], per_object(written)
    d, s = found["driller"], found["sprayer"]
    declared = {"total_samples": n, "layouts": {"realdex-segment": n}, "objects": {"driller": d + 3, "sprayer": s - 3, "mug": 4}}
    (tmp_path / "realdex_manifest.json").write_text(json.dumps(declared))
    inv = inspect(adapter, tmp_path)
    where = f"a manifest declaring {declared} for a root of {n} frames ({dict(found)})"
    for name, want, got in (("driller", d + 3, d), ("mug", 4, 0)):
        short = manifest_finding(inv, "MANIFEST_SHORTFALL", name)
        assert short is not None, (f"{where}: expected a MANIFEST_SHORTFALL naming {name!r} ({want} declared, {got} found): "
                                   f"a total that agrees says nothing of the objects (ROOT-7); problems: {inv['problems']}")
        for number in (want, got, want - got):
            assert str(number) in short["message"], f"{where}: the shortfall of {name!r} must give {number}: {short['message']!r}"
        assert short.get("severity", "error") == "error", f"{where}: a shortfall is an error, found {short}"
    assert manifest_finding(inv, "MANIFEST_SHORTFALL", "sprayer") is None, (
        f"{where}: sprayer has more frames than declared, not fewer; found a shortfall naming it: {inv['problems']}")
    over = manifest_finding(inv, "MANIFEST_EXCESS", "sprayer")
    assert over is not None and over.get("severity") == "warning", (
        f"{where}: expected a MANIFEST_EXCESS warning naming 'sprayer' ({s - 3} declared, {s} found); problems: {inv['problems']}")
    with pytest.raises(Exception) as info:
        adapter.read_root(root=tmp_path, layout=None)
    said = str(info.value)
    assert "driller" in said or str(d + 3) in said, f"read_root must refuse a root short of driller frames, naming it: {said!r}"


@pytest.mark.clause("ROOT-7")
def test_a_manifest_is_checked_per_layout_when_its_total_agrees(adapter, mixed_root):
    """The total agrees with the mixed root; 2 frames are declared as segments that are per-frame files. The segments'
    count falls short and the per-frame files' is over: a shortfall refuses the root with the short layout named."""
    root, seg, frame = mixed_root
    n1, n2 = seg["num_frames"], frame["num_frames"]
    declared = {"total_samples": n1 + n2, "layouts": {"realdex-segment": n1 + 2, "realdex-frame": n2 - 2}}
    manifest = root / "realdex_manifest.json"
    manifest.write_text(json.dumps(declared))
    try:
        inv = inspect(adapter, root)
        with pytest.raises(Exception) as info:
            adapter.read_root(root=root, layout="realdex-segment")
    finally:
        manifest.unlink()  # the module's mixed root is shared: leave it as it was
    where = f"a manifest declaring {declared} for a root of {n1} segment frames and {n2} per-frame files"
    short = manifest_finding(inv, "MANIFEST_SHORTFALL", "realdex-segment")
    assert short is not None, (f"{where}: expected a MANIFEST_SHORTFALL naming 'realdex-segment': a total that agrees says "
                               f"nothing of the layouts (ROOT-7); problems: {inv['problems']}")
    for number in (n1 + 2, n1, 2):
        assert str(number) in short["message"], f"{where}: the shortfall must give {number}: {short['message']!r}"
    over = manifest_finding(inv, "MANIFEST_EXCESS", "realdex-frame")
    assert over is not None and over.get("severity") == "warning", (
        f"{where}: expected a MANIFEST_EXCESS warning naming 'realdex-frame'; problems: {inv['problems']}")
    assert "realdex-segment" in str(info.value) or str(n1 + 2) in str(info.value), (
        f"read_root(layout='realdex-segment') must refuse a root short of segment frames, saying so: {info.value!r}")


@pytest.mark.clause("ROOT-7")
def test_a_count_over_the_manifest_is_a_warning_and_the_root_is_read(adapter, tmp_path):
    written = write(tmp_path, "realdex-segment")
    n, found = written["num_frames"], per_object(written)
    declared = {"total_samples": n - 1, "objects": {"driller": found["driller"] - 1, "sprayer": found["sprayer"]}}
    (tmp_path / "realdex_manifest.json").write_text(json.dumps(declared))
    inv = inspect(adapter, tmp_path)
    where = f"a manifest declaring {declared} for a root of {n} frames ({dict(found)})"
    assert not problems_with(inv, "MANIFEST_SHORTFALL"), f"{where}: nothing falls short, found {inv['problems']}"
    over = manifest_finding(inv, "MANIFEST_EXCESS", "driller")
    assert over is not None and over.get("severity") == "warning", (
        f"{where}: expected a MANIFEST_EXCESS warning naming 'driller'; problems: {inv['problems']}")
    got = len(adapter.read_root(root=tmp_path, layout=None))
    assert got == n, f"{where}: more than declared is a warning, and the root is read: expected {n} samples, found {got}"


@pytest.mark.clause("ROOT-14")
def test_arrays_read_root_returned_are_the_callers(adapter, tmp_path):
    """Every array of every sample of one read_root changed in place (as a caller centring its clouds does), then the
    root read again: it gives what the first read gave. Read-only arrays refuse the change: right too."""
    write(tmp_path, "realdex-segment", frames_per_segment=(3, 4))
    got = adapter.read_root(root=tmp_path, layout=None)
    kept = ownership.snapshot(got)
    changed, read_only = ownership.scribble(got)
    again = ownership.differences(kept, adapter.read_root(root=tmp_path, layout=None), "samples")
    assert not again, (
        f"read_root twice, the {changed} writable array(s) of the first read changed in place between them ({read_only} "
        f"read-only): expected the second read to give what the first gave, found {len(again)} difference(s): "
        f"{again[:4]}. The arrays a read returns must be the caller's, not a cache's (ROOT-14)")


# ---------------------------------------------------------------- folders of many files (issue 12)

@pytest.mark.clause("ROOT-5")
def test_a_recording_of_hundreds_of_frames_is_read_in_frame_order(adapter, long_recordings):
    """The frames of a per-frame recording come in the order of their index, 0, 1, 2 … 299, never 0, 1, 10, 100,
    101 … (code point) nor in the order the folder lists them::

        long/driller_0/0.npz … 299.npz; long/mug_0/0.npz … 11.npz; long/mug_1/0.npz … 46.npz
    """
    root, written = long_recordings
    expected = written["in_root_order"]  # the samples the kit wrote, in the order of ROOT-5
    got = adapter.read_root(root=root, layout=None)
    ah.assert_same_samples(expected, got, ["qpos", "hand_transl"],
                           f"read_root of {len(written['files'])} per-frame files in 3 recordings (300, 12 and 47 frames), "
                           "frames expected in the order of their index within each recording")


@pytest.mark.clause("ROOT-7")
@pytest.mark.parametrize("text", ["{not json", "[4]", json.dumps({"layouts": 5}), json.dumps({"objects": ["driller"]})],
                         ids=["not-json", "not-an-object", "layouts-a-number", "objects-a-list"])
def test_a_manifest_that_cannot_be_read_is_an_invalid_manifest(adapter, tmp_path, text):
    root = tmp_path / "root"
    _tagged_file(root / "driller" / "0.npz", "realdex-segment", 1)
    (root / "realdex_manifest.json").write_text(text, encoding="utf-8")
    inv = inspect(adapter, root)
    found = problems_with(inv, "INVALID_MANIFEST")
    assert found and all(p["severity"] == "error" and str(p["message"]).strip() for p in found), (
        f"manifest {text!r}: expected an INVALID_MANIFEST error with a message, found the problems {inv['problems']}")
    with pytest.raises(Exception):
        adapter.read_root(root=root, layout=None)
