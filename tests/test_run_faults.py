"""The reference trainer under faults (spec chapter 13): damaged checkpoints, a second trainer on one
folder, a lock left by a dead process, and file-system errors, each one clear message, the run resumable."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from realdex_conformance import synth
from realdex_ref import checkpoint, checkrun, runlock, trainer
from realdex_ref.cli import main

TINY = {"batch_size": 4, "passes": 2, "ckpt_every": 5, "num_points": 32, "width": 16, "latent": 4}  # 12 iterations


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    dest = tmp_path_factory.mktemp("root")
    synth.write_root(dest, "realdex-segment", objects=("driller",), segments_per_object=2,
                     frames_per_segment=(11, 11), points=64)
    return dest


@pytest.fixture(scope="module")
def interrupted(root, tmp_path_factory):
    """A run stopped at iteration 10: checkpoints at 5 and 10, each with its digest."""
    out = tmp_path_factory.mktemp("runs") / "run"
    trainer.train(root, out, {**TINY, "interrupt_at": 10})
    return out


def copy_run(src: Path, dest: Path) -> Path:
    import shutil

    shutil.copytree(src, dest)
    return dest


def flip_byte(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def test_every_checkpoint_has_its_digest_beside_it(interrupted):
    for path in sorted(interrupted.glob("ckpt_*.pt")):
        assert checkpoint.digest_path(path).exists(), f"expected the digest of {path.name} beside it"
        assert checkpoint.verify(path) is None, f"expected {path.name} to match its digest: {checkpoint.verify(path)}"


def test_a_flipped_byte_falls_back_to_the_newest_good_checkpoint_and_says_so(interrupted, root, tmp_path, capsys):
    out = copy_run(interrupted, tmp_path / "run")
    newest = out / checkpoint.checkpoint_name(10)
    flip_byte(newest, newest.stat().st_size // 2)  # tensor data: torch.load would read it without a word
    assert main(["train", "--out", str(out), "--resume", "--quiet"]) == 0, "expected the resume to finish the run"
    err = capsys.readouterr().err
    assert "resuming from ckpt_00000005.pt" in err and "ckpt_00000010.pt" in err and "SHA-256" in err, (
        f"expected one line saying which checkpoint was passed over and why:\n{err}")
    starts = [json.loads(x) for x in (out / trainer.RUN_LOG).read_text().splitlines() if '"run_start"' in x]
    assert starts[-1]["resume"]["iteration"] == 5, f"expected the resume from iteration 5, found {starts[-1]['resume']}"
    assert checkrun.check_run(out / trainer.RUN_LOG) == [], "expected the redone checkpoints not to count as extra"


def test_no_good_checkpoint_refuses_the_resume(interrupted, tmp_path, capsys):
    out = copy_run(interrupted, tmp_path / "run")
    for path in out.glob("ckpt_*.pt"):
        flip_byte(path, 100)
    assert main(["train", "--out", str(out), "--resume", "--quiet"]) == 2, "expected a refusal (exit 2)"
    err = capsys.readouterr().err
    assert "no checkpoint of the run passes its integrity check" in err and "Traceback" not in err, err


def test_a_second_trainer_on_a_held_folder_is_refused_naming_the_holder(root, tmp_path):
    out = tmp_path / "run"
    with runlock.hold(out):
        with pytest.raises(runlock.RunLockedError) as info:
            trainer.train(root, out, TINY)
    import os

    assert f"process {os.getpid()}" in str(info.value), f"expected the holder named: {info.value}"
    assert not (out / trainer.RUN_LOG).exists(), "expected the second trainer to write nothing"


def test_a_lock_left_by_a_dead_process_is_taken_over_and_said(root, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (out / runlock.LOCK).write_text(json.dumps({"pid": dead.pid, "host": "here", "started": 0}))
    with pytest.warns(runlock.StaleLockWarning, match=str(dead.pid)):
        with runlock.hold(out):
            pass
    assert not (out / runlock.LOCK).exists(), "expected the lock record removed at the end"


def test_a_folder_where_a_file_should_be_is_one_message_and_the_run_resumes(root, tmp_path, capsys):
    out = tmp_path / "run"
    (out / trainer.METRICS).mkdir(parents=True)  # metrics.jsonl is a folder
    code = main(["train", str(root), "--out", str(out), "--quiet", *sum(([f"--{k.replace('_', '-')}", str(v)]
                                                                         for k, v in TINY.items()), [])])
    err = capsys.readouterr().err
    assert code == 2 and "cannot write the run" in err and "Traceback" not in err and "--resume" in err, (
        f"expected one message naming the fix, exit 2; found {code}:\n{err}")
    (out / trainer.METRICS).rmdir()
    assert main(["train", "--out", str(out), "--resume", "--quiet"]) == 0, "expected the run to resume and finish"


def test_a_full_disk_while_saving_is_one_message(root, tmp_path, capsys, monkeypatch):
    import torch

    def full(*args, **kwargs):
        raise RuntimeError("[enforce fail at inline_container.cc:778] . PytorchStreamWriter failed writing file "
                           "data/0: file write failed")

    monkeypatch.setattr(torch, "save", full)
    out = tmp_path / "run"
    code = main(["train", str(root), "--out", str(out), "--quiet", "--batch-size", "4", "--passes", "1",
                 "--num-points", "32", "--width", "16", "--latent", "4"])
    err = capsys.readouterr().err
    assert code == 2 and "disk may be full" in err and "Traceback" not in err, f"expected one message:\n{err}"
    assert not list(out.glob("ckpt_*")) and not list(out.glob(".ckpt*")), "expected no half checkpoint left"
