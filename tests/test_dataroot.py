"""`realdex inspect` on the user's root (scaled) and the reference's refusal texts."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from realdex_conformance import synth
from realdex_ref import dataroot
from realdex_ref.errors import LayoutError


@pytest.fixture(scope="module")
def user_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("user")
    synth.write_user_root(root, frames=140, converted=8, converted_points=64)
    (root / "notes.txt").write_text("x")
    return root


def realdex(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "import sys; from realdex_ref.cli import main; sys.exit(main())", *args], capture_output=True, text=True, timeout=120)


def test_inspect_json_reports_the_user_root(user_root):
    proc = realdex("inspect", str(user_root), "--json")
    assert proc.returncode == 1, f"expected exit 1 (errors found: mixed layouts, small clouds), found {proc.returncode}: {proc.stderr}"
    inv = json.loads(proc.stdout)
    assert inv["total_samples"] == 148 and inv["layouts"] == {"realdex-frame": 140, "converted": 8}, inv["layouts"]
    assert inv["objects"]["driller"] == 80 and inv["objects"]["driller_0"] == 2, inv["objects"]
    codes = sorted({p["code"] for p in inv["problems"]})
    assert codes == ["CLOUD_TOO_SMALL", "MIXED_LAYOUTS", "UNKNOWN_FILE"], codes
    # every frame is too small to draw 1024 points from: 140 per-frame 8-point cubes (7 recordings) and
    # the 8 converted samples' 64-point clouds (4 files), one finding per unit with its frame count
    small = [p for p in inv["problems"] if p["code"] == "CLOUD_TOO_SMALL"]
    eight = sum(p["count"] for p in small if "of 8 point(s)" in p["message"])
    assert (len(small), sum(p["count"] for p in small), eight) == (11, 148, 140), small
    assert all({"path", "code", "message"} <= set(p) for p in inv["problems"]), f"expected path, code and message in every problem, found {inv['problems']}"


def test_inspect_text_and_missing_root(user_root, tmp_path):
    proc = realdex("inspect", str(user_root))
    assert "layout realdex-frame: 140 samples in 140 file(s)" in proc.stdout and "MIXED_LAYOUTS" in proc.stdout, proc.stdout
    missing = realdex("inspect", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "expected a folder" in missing.stderr and not missing.stdout, \
        f"expected exit 2 and the message on stderr alone, found {missing.returncode}: {missing.stdout!r} {missing.stderr!r}"


def test_mixed_refusal_tells_how_to_choose(user_root):
    with pytest.raises(LayoutError) as info:
        dataroot.read_root(user_root)
    message = str(info.value)
    assert "realdex-frame: 140 samples in 140 files" in message and "converted: 8 samples in 4 files" in message, message
    assert "layout='realdex-frame'" in message and "--layout realdex-frame" in message, message
    with pytest.warns(dataroot.RootWarning, match="notes.txt"):
        assert len(dataroot.read_root(user_root, layout="converted")) == 8, "expected the 8 converted samples when that layout is chosen"
