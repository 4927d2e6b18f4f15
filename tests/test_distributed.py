"""`realdex train` under torchrun with 2 CPU processes (gloo): one run log, rank 0's checkpoints, the plan of world size 2."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from realdex_conformance import synth
from realdex_ref import checkrun

REALDEX = Path(sys.executable).parent / "realdex"  # the console script, as a user would run it


def test_two_cpu_processes_write_one_log_and_one_set_of_checkpoints(tmp_path):
    root = tmp_path / "root"
    synth.write_root(root, "realdex-segment", objects=("driller",), segments_per_object=2,
                     frames_per_segment=(11, 11), points=128)
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "--no-python",
           str(REALDEX), "train", str(root), "--out", str(out), "--batch-size", "4", "--passes", "2",
           "--ckpt-every", "2", "--num-points", "32", "--width", "16", "--latent", "4", "--device", "cpu", "--quiet"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env)
    assert proc.returncode == 0, f"expected torchrun to succeed, it exited {proc.returncode}:\n{proc.stderr[-3000:]}"

    events = [json.loads(line) for line in (out / "run.jsonl").read_text().splitlines()]
    starts = [e for e in events if e["event"] == "run_start"]
    assert len(starts) == 1, f"expected one run_start (rank 0 logs alone), found {len(starts)}"
    plan = starts[0]["plan"]
    # 22 samples over 2 ranks: 11 per rank, floor(11 / 4) = 2 batches per pass, 2 passes -> 4 iterations
    assert (plan["world_size"], plan["batches_per_epoch"], plan["iterations"]) == (2, 2, 4), \
        f"expected world size 2, 2 batches per pass, 4 iterations; found {plan}"
    ends = [e["samples_seen"] for e in events if e["event"] == "epoch_end"]
    assert ends == [16, 16], f"expected 2 ranks x 2 batches x 4 samples = 16 per pass, found {ends}"
    ckpts = sorted(p.name for p in out.glob("ckpt_*.pt"))
    assert ckpts == ["ckpt_00000002.pt", "ckpt_00000004.pt"], f"expected rank 0's checkpoints at 2 and 4, found {ckpts}"
    assert [e["iteration"] for e in events if e["event"] == "checkpoint"] == [2, 4], "expected each checkpoint logged once"
    findings = checkrun.verdict(out / "run.jsonl").findings
    assert findings == [], f"expected no finding, found {findings}"
    assert proc.stdout.count("run verdict:") == 1, f"expected the verdict printed once (rank 0), found:\n{proc.stdout}"
