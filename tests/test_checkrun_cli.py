"""`realdex check-run` and `realdex plan` as a user runs them: exit status, --json, --plot, --data, --config."""
from __future__ import annotations

import json

import numpy as np
import pytest

from realdex_conformance import test_runlog as runlog_kit
from realdex_ref import layouts, planning
from realdex_ref.cli import main
from realdex_ref.runlog import RunLog


def _write_run(path, *, iterations_done=None, step=1.0, step_time=None, layout_counts=None):
    """A small run written with the reference writer: 100 samples, batch 10, 3 passes, checkpoint every 15."""
    plan = planning.plan_run(100, 10, passes=3, ckpt_every=15, step_time=step_time)
    now = [1_757_000_000.0]

    def clock():
        now[0] += step
        return now[0]

    log = RunLog(path, clock=clock)
    counts = layout_counts or {"realdex-frame": 100}
    log.run_start(config={}, dataset={"root": "/data", "layout": "realdex-frame", "samples": 100, "counts": counts},
                  plan=plan.as_dict())
    stop = plan.iterations if iterations_done is None else iterations_done
    it = 0
    for p in range(plan.passes):
        log.epoch_start(p, it)
        while it < min((p + 1) * 10, stop):
            it += 1
            clock()
            if it % 15 == 0:
                log.checkpoint(it, f"ckpt_{it}.pt", final=it == plan.iterations)
        if it < (p + 1) * 10:
            break
        log.epoch_end(p, it, samples_seen=100, batches=10)
    log.run_end("success", "completed", it)
    return path


def test_a_clean_run_exits_0(tmp_path, capsys):
    _write_run(tmp_path / "run.jsonl")
    assert main(["check-run", str(tmp_path)]) == 0, capsys.readouterr()  # a run folder is read as RUN/run.jsonl
    assert "clean" in capsys.readouterr().out, "expected the verdict to say the run is clean"


def test_findings_exit_1_and_json_gives_each_code(tmp_path, capsys):
    path = _write_run(tmp_path / "run.jsonl", iterations_done=20, layout_counts={"realdex-frame": 100, "converted": 500})
    assert main(["check-run", str(path), "--json"]) == 1, "expected exit status 1: the run has findings"
    out = json.loads(capsys.readouterr().out)
    codes = {f["code"] for f in out["findings"]}
    assert {"RUN-ENDED-EARLY", "RUN-WRONG-LAYOUT"} <= codes, f"expected an early end and the wrong layout, got {codes}"
    assert (out["iteration"], out["planned_iterations"], out["clean"]) == (20, 30, False), out


def test_too_fast_against_the_model(tmp_path, capsys):
    # 30 iterations planned at 10 s each (150 s at least), done in about 60 s
    path = _write_run(tmp_path / "run.jsonl", step=1.0, step_time=10.0)
    assert main(["check-run", str(path), "--json"]) == 1, "expected exit status 1: the run is too fast for its plan"
    codes = [f["code"] for f in json.loads(capsys.readouterr().out)["findings"]]
    assert codes == ["RUN-TOO-FAST"], f"expected only RUN-TOO-FAST, got {codes}"


def test_an_unreadable_log_exits_2_naming_the_line(tmp_path, capsys):
    path = _write_run(tmp_path / "run.jsonl")
    with path.open("a") as fh:
        fh.write("{oops\n")
    lines = len(path.read_text().splitlines())
    assert main(["check-run", str(path)]) == 2, "expected exit status 2: the log cannot be read"
    err = capsys.readouterr().err
    assert f"line {lines}" in err and str(path) in err, f"expected the file and line {lines} named: {err}"


def test_plot_writes_a_png(tmp_path, capsys):
    path = _write_run(tmp_path / "run.jsonl", iterations_done=20, step_time=0.5)
    png = tmp_path / "run.png"
    assert main(["check-run", str(path), "--plot", str(png)]) == 1, "expected exit status 1: the run ended early"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", "expected a PNG file"


def test_plan_json_gives_the_users_figures(capsys):
    assert main(["plan", "--samples", "14380", "--batch-size", "32", "--epochs", "250", "--ckpt-every", "500",
                 "--step-time", "0.128", "--no-drop-last", "--json"]) == 0, "expected exit status 0 for a plan with work"
    out = json.loads(capsys.readouterr().out)
    got = {k: out[k] for k in ("batches_per_epoch", "iterations", "checkpoints")}
    assert got == {"batches_per_epoch": 450, "iterations": 112_500, "checkpoints": 225}, got
    assert out["expected_seconds"] == pytest.approx(14_400), f"expected 4 h at 0.128 s, got {out['expected_seconds']}"
    # the default is the trainer's and RealDex's drop_last=True: floor(14380 / 32) = 449 batches, 449 * 250 =
    # 112,250 iterations, 224 periodic checkpoints (224 * 500 = 112,000) and the final one at 112,250
    assert main(["plan", "--samples", "14380", "--batch-size", "32", "--passes", "250", "--ckpt-every", "500", "--json"]) == 0, \
        "expected exit 0 for the default plan"
    out = json.loads(capsys.readouterr().out)
    got = {k: out[k] for k in ("drop_last", "batches_per_epoch", "iterations", "periodic_checkpoints", "checkpoints")}
    assert got == {"drop_last": True, "batches_per_epoch": 449, "iterations": 112_250, "periodic_checkpoints": 224,
                   "checkpoints": 225}, f"expected the drop_last=True figures by default, found {got}"


def test_plan_refuses_zero_batches_with_the_numbers(capsys):
    assert main(["plan", "--samples", "8", "--batch-size", "32", "--epochs", "250", "--drop-last", "--json"]) == 2, "expected exit status 2: zero batches per pass is refused"
    captured = capsys.readouterr()
    assert captured.out == "", f"expected no plan printed, got {captured.out}"
    assert "8 sample(s)" in captured.err and "batch size 32" in captured.err and "drop_last=False" in captured.err, captured.err


def test_plan_without_enough_inputs_is_a_usage_error(capsys):
    assert main(["plan", "--samples", "100"]) == 2, "expected exit status 2: no batch size or passes given"
    err = capsys.readouterr().err
    # the batch size has the trainer's default (32); the passes have none
    assert "--passes" in err and "--epochs" in err, f"expected the missing passes named by their flags, found {err}"


def test_plan_counts_a_data_root_and_reads_a_config(tmp_path, capsys):
    rng = np.random.default_rng(0)
    samples = [dict(hand_transl=np.zeros(3), hand_orient=np.zeros(3), qpos=np.zeros(22),
                    object_points=rng.random((64, 3)), object="mug") for _ in range(40)]
    layouts.write_samples(samples, tmp_path / "root", "converted")
    cfg = tmp_path / "train.yaml"
    cfg.write_text("batch_size: 32\ntotal_epoch: 5\ndrop_last: false\nfreq:\n  save: 4\n  step_epoch: 1\n", encoding="utf-8")
    assert main(["plan", "--data", str(tmp_path / "root"), "--config", str(cfg), "--json"]) == 0, "expected exit status 0 for a plan from a root and a config"
    out = json.loads(capsys.readouterr().out)
    # 40 samples at 32: 2 batches per pass, 5 passes: 10 iterations, checkpoints at 4, 8 and the final at 10
    got = {k: out[k] for k in ("num_samples", "batches_per_epoch", "iterations", "checkpoints")}
    assert got == {"num_samples": 40, "batches_per_epoch": 2, "iterations": 10, "checkpoints": 3}, got
    assert out["warnings"] and "10" in out["warnings"][0], f"expected the epoch-counter warning (10 ticks > 5 passes): {out['warnings']}"


@pytest.mark.parametrize("code", sorted(runlog_kit.REAL_CAUSES))
def test_each_real_cause_is_flagged_by_the_command_with_its_own_code(tmp_path, capsys, code):
    path = runlog_kit.write(tmp_path, runlog_kit.REAL_CAUSES[code]())
    assert main(["check-run", str(path), "--json"]) == 1, f"expected exit status 1 for the {code} log"
    codes = {f["code"] for f in json.loads(capsys.readouterr().out)["findings"]}
    others = set(runlog_kit.REAL_CAUSES) - {code}
    assert code in codes and not codes & others, f"expected {code} and no other cause's code, got {sorted(codes)}"
