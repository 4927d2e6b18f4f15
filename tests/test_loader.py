"""The reference loader under torchrun (two ranks) and its refusals."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from realdex_conformance import synth
from realdex_ref.errors import DataError, PlanError
from realdex_ref.loader import RealDexDataset, make_loader

WORKER = """
import json, os, sys
from realdex_ref.loader import RealDexDataset, make_loader
ds = RealDexDataset(sys.argv[1], num_points=16)
loader = make_loader(ds, 4, num_workers=1, seed=2)  # world size and rank from torchrun's environment
loader.set_epoch(1)
seen = [int(i) for b in loader for i in b["index"]]
out = {"rank": int(os.environ["RANK"]), "world": loader.plan.world_size, "batches": len(loader), "seen": seen}
open(os.path.join(sys.argv[2], f"rank{os.environ['RANK']}.json"), "w").write(json.dumps(out))
"""


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("seg")
    synth.write_root(root, "realdex-segment", frames_per_segment=(5, 9), points=32)
    return root


def test_torchrun_two_ranks_cover_the_root(root, tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    torchrun = Path(sys.executable).with_name("torchrun")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([str(torchrun), "--standalone", "--nproc_per_node=2", str(script), str(root), str(tmp_path)],
                          capture_output=True, text=True, timeout=180, env=env)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    n = len(RealDexDataset(root, num_points=16))
    assert all(r["world"] == 2 for r in ranks), ranks
    assert ranks[0]["batches"] == ranks[1]["batches"], "both ranks must get the same number of batches"
    assert set(ranks[0]["seen"]) | set(ranks[1]["seen"]) == set(range(n)), "the ranks together must cover the root"
    assert len(ranks[0]["seen"]) + len(ranks[1]["seen"]) == n + (n % 2), "only the stated padding may repeat"


def test_user_frames_are_refused_with_the_fix(tmp_path):
    synth.write_user_root(tmp_path, frames=14, converted=0)
    with pytest.raises(DataError, match=r"14 of 14 samples .* 8 point\(s\), fewer than the 1024"):
        RealDexDataset(tmp_path)
    ds = RealDexDataset(tmp_path, allow_small_clouds=True)
    assert tuple(ds[0]["object_points"].shape) == (1024, 3), f"expected 1024 sampled points of 3 coordinates, found {tuple(ds[0]['object_points'].shape)}"


def test_user_converted_plan_is_refused_and_points_at_the_frames(tmp_path):
    synth.write_user_root(tmp_path, frames=70, converted=8, converted_points=64)
    ds = RealDexDataset(tmp_path, layout="converted", num_points=64)
    with pytest.raises(PlanError, match="other layout 'realdex-frame' \\(70 samples"):
        make_loader(ds, 32, world_size=1, rank=0, drop_last=True)


def test_one_frame_segments_are_loaded_with_their_root(tmp_path):
    """LAYOUT-11: a one-frame segment (which also fits realdex-frame) is trained on with its root's segments."""
    from realdex_conformance import rawfiles, synth
    from realdex_ref.loader import RealDexDataset

    rng = np.random.default_rng(5)
    segments = [synth.make_segment("mug", n, 40, rng) for n in (3, 1, 2)]
    for i, seg in enumerate(segments):
        (arrays,) = rawfiles.to_arrays(seg, "realdex-segment")
        rawfiles.save(tmp_path / "mug" / f"{i}.npz", arrays)
    ds = RealDexDataset(tmp_path, num_points=8)
    assert (ds.layout, len(ds)) == ("realdex-segment", 6), f"expected 6 realdex-segment samples, found {len(ds)} of {ds.layout}"
    want = np.array([s["qpos"] for seg in segments for s in seg], dtype=np.float32)
    got = np.stack([ds[i]["hand_pose"][6:].numpy() for i in range(6)])
    assert np.array_equal(np.sort(got, axis=0), np.sort(want, axis=0)), "expected every frame's qpos, each once"
    one = ds[[i for i in range(6) if np.array_equal(got[i], want[3])][0]]["object_points"].numpy()
    cloud = segments[1][0]["object_points"].astype(np.float32)
    assert all((cloud == p).all(axis=1).any() for p in one), "expected the one-frame segment's points from its own cloud"
