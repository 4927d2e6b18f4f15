"""`realdex validate`: the findings and the exit status."""
from __future__ import annotations

import json
import subprocess
import sys

from realdex_conformance import synth


def realdex(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "import sys; from realdex_ref.cli import main; sys.exit(main())", *args], capture_output=True, text=True, timeout=120)


def test_validate_user_root_fails_with_every_finding(tmp_path):
    synth.write_user_root(tmp_path, frames=35, converted=8, converted_points=64)
    proc = realdex("validate", str(tmp_path), "--json")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    codes = [f["code"] for f in json.loads(proc.stdout)]
    assert codes.count("CLOUD_TOO_SMALL") == 7 + 4 and "MIXED_LAYOUTS" in codes, codes  # 7 recordings, 4 converted files of 64 < 1024


def test_validate_clean_root_passes_and_a_chosen_layout_is_not_mixed(tmp_path):
    synth.write_root(tmp_path, "realdex-segment", frames_per_segment=(3, 6), points=64)
    proc = realdex("validate", str(tmp_path), "--num-points", "64")
    assert proc.returncode == 0 and "0 error(s)" in proc.stdout, proc.stdout
    synth.write_root(tmp_path, "converted", objects=("mug",), frames_per_segment=(3, 6), points=64)
    assert realdex("validate", str(tmp_path), "--num-points", "64").returncode == 1, "expected realdex validate to exit 1 on a root with errors"
    chosen = realdex("validate", str(tmp_path), "--num-points", "64", "--layout", "converted")
    assert chosen.returncode == 0, chosen.stdout
