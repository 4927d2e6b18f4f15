"""The reference trainer in process: pre-flight, the CLI, signals, progress, gradient accumulation."""
from __future__ import annotations

import io
import json
import os
import signal
from pathlib import Path

import pytest
import torch

from realdex_conformance import synth
from realdex_ref import checkpoint, checkrun, trainer
from realdex_ref.cli import main

TINY = {"batch_size": 4, "passes": 2, "ckpt_every": 5, "num_points": 32, "width": 16, "latent": 4}


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """root/driller/0.npz, 1.npz: 2 segments of 11 frames, 128 points each -> 22 samples."""
    dest = tmp_path_factory.mktemp("root")
    synth.write_root(dest, "realdex-segment", objects=("driller",), segments_per_object=2,
                     frames_per_segment=(11, 11), points=128)
    return dest


def events(log):
    return [json.loads(line) for line in Path(log).read_text().splitlines()]


def weights(out):
    return checkpoint.load(checkpoint.latest(out))["model"]


def same_weights(a, b):
    return sorted(a) == sorted(b) and all(torch.equal(a[k], b[k]) for k in a)


def test_user_plan_refused_before_start(tmp_path, capsys):
    """The user's root and configuration: 8 converted samples at batch 32 with drop_last -> 0 batches per pass."""
    data = tmp_path / "root"
    synth.write_user_root(data, frames=35)
    config = tmp_path / "realdex.yaml"
    config.write_text("batch_size: 32\ntotal_epoch: 250\nnum_workers: 4\nfreq:\n  save: 500\n  step_epoch: 100\n")
    out = tmp_path / "run"
    rc = main(["train", str(data), "--out", str(out), "--config", str(config), "--layout", "converted", "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2, f"expected exit status 2 for a refused plan, found {rc}; stderr: {err}"
    for needed in ("0 batch", "8 sample", "batch size 32", "drop_last=True", "realdex-frame"):
        assert needed in err, f"expected the refusal to say {needed!r}, found: {err}"
    assert not out.exists() or not any(out.iterdir()), f"expected nothing written before the refusal, found {list(out.iterdir())}"


@pytest.mark.clause("TRAIN-13")
def test_cli_trains_prints_the_verdict_and_plots(root, tmp_path, capsys):
    out, loss_png, plan_png = tmp_path / "run", tmp_path / "loss.png", tmp_path / "plan.png"
    rc = main(["train", str(root), "--out", str(out), "--batch-size", "4", "--passes", "2", "--ckpt-every", "5",
               "--num-points", "32", "--width", "16", "--quiet", "--plot-loss", str(loss_png), "--plot", str(plan_png)])
    text = capsys.readouterr().out
    assert rc == 0, f"expected a clean run (exit 0), found {rc}: {text}"
    assert "run verdict: no finding" in text, f"expected the verdict printed, found: {text}"
    for png in (loss_png, plan_png):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"expected a PNG at {png}"
    # 22 samples, batch 4, drop_last: 5 batches per pass, 10 iterations, checkpoints at 5 and 10
    assert [e["iteration"] for e in events(out / "run.jsonl") if e["event"] == "checkpoint"] == [5, 10], "expected checkpoints at iterations 5 and 10 (every 5, and the final one)"
    rc = main(["train", "--out", str(out), "--resume", "--batch-size", "8"])
    assert rc == 2, "expected --resume with a flag that changes the configuration to be refused"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_saves_logs_interrupted_and_resumes_exactly(root, tmp_path, signum):
    whole = trainer.train(root, tmp_path / "whole", TINY)

    def send_at_3(iteration, plan, eta, loss=None):
        if iteration == 3:
            os.kill(os.getpid(), signum)

    part = tmp_path / "part"
    log = trainer.train(root, part, TINY, progress=send_at_3)
    end = events(log)[-1]
    assert (end["reason"], end["iteration"]) == ("interrupted", 3), f"expected run_end interrupted at 3, found {end}"
    assert checkpoint.load(checkpoint.latest(part))["iteration"] == 3, "expected a checkpoint at the interruption"
    trainer.train(None, part, resume=True)
    assert same_weights(weights(part), weights(whole.parent)), "expected the resumed run to end with the same weights"
    assert checkrun.verdict(log).clean, f"expected no finding, found {checkrun.verdict(log).findings}"


def test_grad_accum_resumes_mid_pass(root, tmp_path):
    config = {**TINY, "grad_accum": 2, "passes": 3}  # 5 batches per pass -> 3 iterations per pass (2, 2, 1)
    whole = trainer.train(root, tmp_path / "whole", config)
    plan = events(whole)[0]["plan"]
    assert (plan["iterations_per_epoch"], plan["iterations"]) == (3, 9), f"expected 3 iterations per pass, 9 in all: {plan}"
    ends = [e["batches"] for e in events(whole) if e["event"] == "epoch_end"]
    assert ends == [5, 5, 5], f"expected every pass to draw its 5 batches, found {ends}"
    trainer.train(root, tmp_path / "part", {**config, "interrupt_at": 4})
    trainer.train(None, tmp_path / "part", resume=True)
    assert same_weights(weights(tmp_path / "part"), weights(tmp_path / "whole")), "expected equal weights with grad_accum 2"


@pytest.mark.clause("TRAIN-13")
def test_progress_bar_shows_the_eta(root, tmp_path):
    stream = io.StringIO()
    trainer.train(root, tmp_path / "run", {**TINY, "passes": 4}, progress=trainer.ProgressBar(stream, every=0.0))
    text = stream.getvalue()
    assert "20/20 it" in text and "pass 4/4" in text, f"expected the last update at 20/20 iterations, found {text[-200:]}"
    assert "ETA 0:00:" in text, f"expected an ETA from the duration model once steps are measured, found {text[-400:]}"


def test_new_run_into_a_used_folder_is_refused(root, tmp_path):
    trainer.train(root, tmp_path / "run", {**TINY, "passes": 1})
    with pytest.raises(ValueError, match="already holds a run"):
        trainer.train(root, tmp_path / "run", TINY)
    with pytest.raises(ValueError, match="nothing to resume"):
        trainer.train(root, tmp_path / "empty", resume=True)


def test_atomic_write_leaves_no_torn_file(tmp_path):
    target = tmp_path / "ckpt_00000001.pt"
    target.write_bytes(b"old")

    def torn(fh):
        fh.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        checkpoint.write_atomic(target, torn)
    assert target.read_bytes() == b"old", "expected the old file untouched by a failed write"
    assert [p.name for p in tmp_path.iterdir()] == [target.name], f"expected no temporary file left, found {list(tmp_path.iterdir())}"


def test_damaged_checkpoint_is_named(tmp_path):
    bad = tmp_path / "ckpt_00000007.pt"
    bad.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ValueError, match="ckpt_00000007.pt"):
        checkpoint.load(bad)
    with pytest.raises(ValueError, match="no 'latest' pointer"):
        checkpoint.latest(tmp_path)


def test_a_crash_ends_the_segment_with_error(root, tmp_path):
    def crash_at_3(iteration, plan, eta, loss=None):
        if iteration == 3:
            raise RuntimeError("disk gone")

    with pytest.raises(RuntimeError, match="disk gone"):
        trainer.train(root, tmp_path / "run", TINY, progress=crash_at_3)
    end = events(tmp_path / "run" / "run.jsonl")[-1]
    assert (end["event"], end["reason"], end["status"], end["iteration"]) == ("run_end", "error", "aborted", 3), \
        f"expected run_end error/aborted at iteration 3, found {end}"
