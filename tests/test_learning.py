"""The reference's metrics events (spec chapter 14): what its trainer writes, and check-run's findings on it."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import realdex_spec
from realdex_conformance import synth
from realdex_ref import checkrun, trainer
from realdex_ref.cli import main

SCHEMA = json.loads((Path(realdex_spec.SPEC_DIR) / "runlog.schema.json").read_text())


def strict_rows(path: Path) -> list[dict]:
    """Every line as JSON, refusing NaN and Infinity (which Python's json would otherwise accept)."""
    def refuse(token):
        raise ValueError(f"{path}: non-standard JSON constant {token}")
    return [json.loads(line, parse_constant=refuse) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    dest = tmp_path_factory.mktemp("learning") / "data"
    synth.write_root(dest, "realdex-segment", objects=("driller", "sprayer"), segments_per_object=2,
                     frames_per_segment=(20, 20), points=64, seed=0)
    return dest  # 80 samples


def config(**kw):
    return {"batch_size": 8, "passes": 25, "num_points": 64, "drop_last": False, "seed": 0, **kw}


def test_a_normal_run_of_250_iterations_has_no_finding_and_every_rule_measured(root, tmp_path):
    """80 samples, batch 8, 25 passes: 250 iterations, 25 metrics events: every rule of chapter 14 applies."""
    v = checkrun.verdict(trainer.train(root, tmp_path / "run", config()))
    assert v.clean, f"expected no finding on a normal run of the reference, got {v.findings}"
    assert set(v.learning.measured.values()) == {"measured"}, f"expected every rule measured, got {v.learning.measured}"
    jsonschema = pytest.importorskip("jsonschema")
    for n, row in enumerate(strict_rows(tmp_path / "run" / trainer.RUN_LOG), start=1):
        errors = [e.message for e in jsonschema.Draft202012Validator(SCHEMA).iter_errors(row)]
        assert not errors, f"line {n} of the run log breaks spec/runlog.schema.json: {errors}\n{row}"


def test_a_learning_rate_of_1e30_writes_null_losses_and_is_not_clean(root, tmp_path):
    out = tmp_path / "run"
    v = checkrun.verdict(trainer.train(root, out, config(passes=2, lr=1e30)))
    codes = [f["code"] for f in v.findings]
    assert codes == ["RUN-LOSS-NONFINITE"], f"expected the non-finite loss alone, got {codes}"
    rows = strict_rows(out / trainer.METRICS)  # NaN written as null: strict JSON still parses
    assert rows and all(r["loss"] is None for r in rows), f"expected every loss null in metrics.jsonl, got {rows[:2]}"
    same = [{k: x for k, x in e.items() if k not in ("line", "time")} for e in v.events if e["event"] == "metrics"]
    assert [{k: x for k, x in r.items() if k != "time"} for r in rows] == same, (
        "expected metrics.jsonl to hold the run log's metrics events (their times a write apart)")


def test_a_torn_metrics_file_is_repaired_on_resume_and_still_plots(root, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "run"
    trainer.train(root, out, config(passes=3, ckpt_every=10, interrupt_at=15))
    with (out / trainer.METRICS).open("a") as fh:
        fh.write('{"event": "metrics", "time": 1.0, "iteration": 1')  # a kill in the middle of a line
    trainer.train(None, out, resume=True)
    rows = strict_rows(out / trainer.METRICS)
    assert rows[-1]["iteration"] == 30, f"expected metrics.jsonl whole again, ending at iteration 30: {rows[-1]}"
    png = tmp_path / "loss.png"
    assert main(["check-run", str(out), "--plot-loss", str(png)]) == 0, "expected a clean verdict after the resume"
    assert png.stat().st_size > 1000, f"expected a PNG at {png}"


@pytest.mark.parametrize("kind", ["no-metrics", "nan"])
def test_plot_loss_draws_any_log(tmp_path, capsys, kind):
    pytest.importorskip("matplotlib")
    from realdex_conformance.test_learning import healthy_losses, metrics_log
    from realdex_conformance.test_runlog import write

    events = metrics_log([None] * 15 + healthy_losses(15))
    if kind == "no-metrics":
        events = [e for e in events if e["event"] != "metrics"]
    log, png = write(tmp_path, events), tmp_path / "loss.png"
    main(["check-run", str(log), "--plot-loss", str(png), "--plot", str(tmp_path / "plan.png")])
    text = capsys.readouterr().out
    assert png.stat().st_size > 1000 and (tmp_path / "plan.png").exists(), "expected both PNGs written"
    if kind == "no-metrics":
        assert "not measurable: the log has no metrics events" in text, f"expected check-run to say so:\n{text}"
    else:
        assert "RUN-LOSS-NONFINITE" in text, f"expected the finding printed:\n{text}"
