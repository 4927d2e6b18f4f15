"""``realdex convert``: all or nothing, never into its source or over data, and says what it drops (SAFE-6..8)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from realdex_conformance import synth
from realdex_ref import convert, dataroot, layouts
from realdex_ref.cli import main
from realdex_ref.errors import DataError
from tests.kit import REPO
from tests.test_malformed import tree

SMALL = dict(objects=("driller", "sprayer"), segments_per_object=2, frames_per_segment=(3, 5), points=32)


@pytest.fixture
def segment_root(tmp_path: Path) -> Path:
    root = tmp_path / "segments"
    synth.write_root(root, "realdex-segment", **SMALL)
    return root


@pytest.fixture
def converted_root(tmp_path: Path) -> Path:
    root = tmp_path / "converted"
    synth.write_root(root, "converted", **SMALL)
    return root


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".partial-" in p.name or ".replaced-" in p.name)


def assert_same_poses(src: Path, dst: Path) -> None:
    a, b = dataroot.read_root(src), dataroot.read_root(dst)
    assert len(a) == len(b), f"expected {len(a)} samples in {dst} like {src}, found {len(b)}"
    for name in ("hand_transl", "qpos", "object_points"):
        got, want = np.stack([s[name] for s in b]), np.stack([s[name] for s in a])
        assert np.allclose(got, want, atol=1e-9), f"{name}: converted samples differ from the source by {np.abs(got - want).max()}"


def test_segments_to_converted_reports_the_object_pose_and_colours_dropped(segment_root: Path, tmp_path: Path) -> None:
    dst = tmp_path / "out"
    result = convert.convert_root(segment_root, dst, "converted")
    # converted holds no object pose and no colours (chapter 3); the synthetic segments hold all three
    assert result.dropped == ["object_colors", "object_orient", "object_transl"], f"dropped: {result.dropped}"
    assert result.source_layout == "realdex-segment" and result.layout == "converted", result
    assert dataroot.inspect_root(dst).layouts == {"converted": result.samples}, dataroot.inspect_root(dst).layouts
    assert_same_poses(segment_root, dst)
    assert leftovers(tmp_path) == [], f"staging folders left beside the destination: {leftovers(tmp_path)}"


def test_converted_to_frames_and_back(converted_root: Path, tmp_path: Path) -> None:
    frames, back = tmp_path / "frames", tmp_path / "back"
    first = convert.convert_root(converted_root, frames, "realdex-frame")
    held = {k for s in dataroot.read_root(converted_root) for k in ("contact_labels", "object_scale", "hand_side") if s.get(k) is not None}
    assert first.dropped == sorted(held), f"expected the converted-only fields {sorted(held)} dropped, got {first.dropped}"
    convert.convert_root(frames, back, "converted")
    assert_same_poses(converted_root, back)


def test_refuses_destination_inside_source(segment_root: Path) -> None:
    before = tree(segment_root)
    with pytest.raises(DataError, match="outside the source"):
        convert.convert_root(segment_root, segment_root / "converted", "converted")
    with pytest.raises(DataError, match="outside the source"):
        convert.convert_root(segment_root, segment_root, "converted", force=True)
    assert tree(segment_root) == before, "a refused conversion changed its source"


def test_refuses_source_inside_destination_even_with_force(segment_root: Path, tmp_path: Path) -> None:
    before = tree(tmp_path)
    with pytest.raises(DataError, match="does not contain the source"):
        convert.convert_root(segment_root, tmp_path, "converted", force=True)
    assert tree(tmp_path) == before, "a refused conversion wrote something"


def test_refuses_existing_data_without_force_and_replaces_it_with_force(segment_root: Path, tmp_path: Path) -> None:
    dst = tmp_path / "out"
    dst.mkdir()
    (dst / "keep.txt").write_text("someone's data")
    before = tree(tmp_path)
    with pytest.raises(DataError, match="--force"):
        convert.convert_root(segment_root, dst, "converted")
    assert tree(tmp_path) == before, "a refused conversion wrote something"
    result = convert.convert_root(segment_root, dst, "converted", force=True)
    assert result.replaced, "expected the result to say the destination was replaced"
    assert not (dst / "keep.txt").exists(), "expected --force to replace the destination whole"
    assert leftovers(tmp_path) == [], f"left beside the destination: {leftovers(tmp_path)}"


def test_empty_destination_folder_is_used(segment_root: Path, tmp_path: Path) -> None:
    dst = tmp_path / "empty"
    dst.mkdir()
    result = convert.convert_root(segment_root, dst, "realdex-frame")
    assert dataroot.inspect_root(dst).total_samples == result.samples > 0, result


def test_failure_midway_leaves_nothing(segment_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second object's write fails: the first object's files must not reach the destination."""
    real, calls = layouts.write_samples, []

    def failing(samples, dest, layout, **kw):
        calls.append(dest)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(samples, dest, layout, **kw)

    monkeypatch.setattr(layouts, "write_samples", failing)
    dst = tmp_path / "out"
    with pytest.raises(OSError):
        convert.convert_root(segment_root, dst, "converted")
    assert len(calls) == 2, f"expected the failure on the second object's write, writes: {len(calls)}"
    assert not dst.exists(), f"a failed conversion left {dst}: {sorted(os.listdir(dst))}"
    assert leftovers(tmp_path) == [], f"a failed conversion left its staging folder: {leftovers(tmp_path)}"


def test_incomplete_result_is_caught_by_reading_back(segment_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer that loses a file: the read-back check refuses to rename the incomplete root into place."""
    real = layouts.write_samples

    def lossy(samples, dest, layout, **kw):
        result = real(samples, dest, layout, **kw)
        os.remove(result.files[-1])
        return result

    monkeypatch.setattr(layouts, "write_samples", lossy)
    dst = tmp_path / "out"
    with pytest.raises(DataError, match="does not read back whole"):
        convert.convert_root(segment_root, dst, "converted")
    assert not dst.exists() and leftovers(tmp_path) == [], "an incomplete conversion reached the destination"


def test_killed_midway_leaves_no_destination(segment_root: Path, tmp_path: Path) -> None:
    """SIGKILL after the first object is written: the destination never appears."""
    dst = tmp_path / "out"
    script = (
        "import os, signal\n"
        "from realdex_ref import convert, layouts\n"
        "real, n = layouts.write_samples, []\n"
        "def w(*a, **k):\n"
        "    n.append(1)\n"
        "    if len(n) == 2: os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return real(*a, **k)\n"
        "layouts.write_samples = w\n"
        f"convert.convert_root({str(segment_root)!r}, {str(dst)!r}, 'converted')\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == -9, f"expected the converter to be killed, exit status {proc.returncode}: {proc.stderr[-2000:]}"
    assert not dst.exists(), "a killed conversion left a destination that would read as complete"


def test_source_with_an_unreadable_file_is_refused(segment_root: Path, tmp_path: Path) -> None:
    (segment_root / "driller" / "9.npz").write_bytes(b"PK\x03\x04 truncated")
    dst = tmp_path / "out"
    with pytest.raises(DataError, match="9.npz"):
        convert.convert_root(segment_root, dst, "converted")
    assert not dst.exists() and leftovers(tmp_path) == [], "a refused conversion wrote something"


def test_mixed_source_needs_a_layout(segment_root: Path, tmp_path: Path) -> None:
    synth.write_root(segment_root, "realdex-frame", objects=("mug",), segments_per_object=1, frames_per_segment=(2, 2), points=8)
    with pytest.raises(DataError, match="--layout"):
        convert.convert_root(segment_root, tmp_path / "out", "converted")
    result = convert.convert_root(segment_root, tmp_path / "out", "converted", layout="realdex-frame")
    assert result.samples == 2, f"expected the 2 frames of layout realdex-frame, converted {result.samples}"


def test_cli_reports_dropped_fields_and_refuses_cleanly(segment_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    dst = tmp_path / "out"
    assert main(["convert", str(segment_root), str(dst), "--to", "converted"]) == 0, "expected realdex convert to exit 0"
    out = capsys.readouterr().out
    assert "dropped fields (layout 'converted' cannot hold them): object_colors, object_orient, object_transl" in out, out
    assert main(["convert", str(segment_root), str(dst), "--to", "converted"]) == 2, "expected exit 2, a refusal over existing data"
    err = capsys.readouterr().err
    assert "refused" in err and "--force" in err and "Traceback" not in err, err


def test_a_recording_of_more_than_ten_frames_converts_into_a_segment_in_frame_order(tmp_path: Path) -> None:
    """ROOT-5: frame 2 comes before frame 10; a conversion in code-point order would write 0, 1, 10 … 19, 2, 20 …"""
    from realdex_conformance import rawfiles

    src, dst = tmp_path / "frames", tmp_path / "out"
    synth.write_long_recordings(src, recordings=(("driller", 25),))
    convert.convert_root(src, dst, "realdex-segment")
    files = sorted(dst.rglob("*.npz"))
    assert len(files) == 1, f"expected one segment file for one recording sharing one cloud, found {files}"
    want = np.concatenate([rawfiles.load(src / "driller_0" / f"{i}.npz")["qpos"] for i in range(25)])
    got = rawfiles.load(files[0])["qpos"]
    assert got.shape == want.shape and np.array_equal(got, want), (
        f"{files[0]}: expected the 25 frames in the order of their index; found them in another order or other values")


def test_a_root_given_as_a_relative_path_is_read_in_the_same_order(tmp_path: Path, monkeypatch) -> None:
    synth.write_long_recordings(tmp_path / "frames", recordings=(("driller", 13),))
    absolute = [s["qpos"] for s in dataroot.read_root(tmp_path / "frames")]
    monkeypatch.chdir(tmp_path / "frames")
    relative = [s["qpos"] for s in dataroot.read_root(".")]
    assert np.array_equal(np.stack(relative), np.stack(absolute)), "read_root('.') must give the frames in the order of their index"


def test_samples_of_their_own_clouds_convert_to_recordings_read_back_in_order(tmp_path: Path) -> None:
    """A converted file of 12 samples, a cloud each, written as realdex-frame: a recording folder per sample. Folder
    names compare by code point (ROOT-5), so the writer pads their counters (driller_00 … driller_11): the root
    reads back in the order it was written, and so does the way back to converted."""
    src, frames, back = tmp_path / "converted", tmp_path / "frames", tmp_path / "back"
    synth.write_root(src, "converted", objects=("driller",), segments_per_object=1, frames_per_segment=(12, 12), points=16)
    convert.convert_root(src, frames, "realdex-frame")
    folders = sorted(p.name for p in frames.iterdir())
    assert folders == [f"driller_0_{i:02d}" for i in range(12)], f"expected 12 recording folders driller_0_00 … _11, found {folders}"
    assert dataroot.inspect_root(frames).objects == {"driller_0": 12}, dataroot.inspect_root(frames).objects
    assert_same_poses(src, frames)
    convert.convert_root(frames, back, "converted")
    assert_same_poses(src, back)
