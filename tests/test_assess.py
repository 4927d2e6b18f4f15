"""``realdex assess``: the user's written assessment reproduced with its numbers, and the criteria on run logs.

The figures of the user's case, by hand (realdex-facts.md, "The expected figures for the full data"):
14,380 samples at batch 32 with drop_last: floor(14,380 / 32) = 449 batches per pass (450 kept);
250 passes: 112,250 iterations; a checkpoint every 500 iterations: every 500 / 449 = 1.11 passes,
floor(112,250 / 500) = 224 periodic and the final one at 112,250: 225 in all; at 0.128 s per
iteration 14,368 s = 3.99 h, the band of chapter 9 half to twice that; 4 h and 6 h need
14,400 / 112,250 = 0.1283 and 21,600 / 112,250 = 0.1924 s per iteration; 500 iterations between
checkpoints take 64 s. The 8 converted samples: floor(8 / 32) = 0 batches; batch 8 gives 1 per
pass, 250 iterations; drop_last=False gives 1 short one, 250 iterations.
"""
from __future__ import annotations

import json
import math

import pytest

from realdex_conformance.test_learning import healthy_losses, metrics_log, steady_steps, user_log
from realdex_conformance.test_runlog import empty_pass_log, write
from realdex_ref import assess, checkrun
from realdex_ref.cli import main

USER_INVENTORY = {
    "root": "data/user", "total_samples": 14_388, "layouts": {"realdex-frame": 14_380, "converted": 8},
    "by_layout": {
        "realdex-frame": {"samples": 14_380, "files": 14_380, "objects": {"driller": 8_218, "sprayer": 6_162}},
        "converted": {"samples": 8, "files": 4, "objects": {"driller_-1": 2, "driller_0": 2, "driller_8": 2,
                                                            "sprayer_homedepot_041_1000_1000": 2}}},
}
USER_INPUTS = {"batch_size": 32, "passes": 250, "ckpt_every": 500, "drop_last": True, "step_time": 0.128}
PARAMS = 75_644


def user_before(**inputs):
    return assess.before(USER_INVENTORY, [], {**USER_INPUTS, **inputs}, params=PARAMS)


def test_the_users_root_before_training_has_the_written_assessments_numbers():
    r = user_before()
    assert r["layout_assessed"] == "converted", f"expected the 8 converted samples in question, got {r['layout_assessed']}"
    assert (r["plan"]["num_samples"], r["plan"]["batches_per_epoch"], r["trains"]) == (8, 0, "nothing"), (
        f"expected 8 samples, 0 batches per pass, training nothing; got {r['plan']} {r['trains']}")
    assert r["root_cause"].startswith("data format mismatch") and "14,380" in r["root_cause"], (
        f"expected the format mismatch with the 14,380 samples beside: {r['root_cause']}")
    assert r["memorises"], f"expected 8 x 28 x 100 = 22,400 <= 75,644 to say the model memorises: {r['capacity']}"
    kinds = [f["kind"] for f in r["fixes"]]
    assert kinds == ["layout", "convert", "batch", "drop_last", "data"], f"expected the fixes ranked so, got {kinds}"
    first = r["fixes"][0]["plan"]
    assert (first["num_samples"], first["batches_per_epoch"], first["iterations"]) == (14_380, 449, 112_250), (
        f"expected fix 1 to train 14,380 samples, 449 batches per pass, 112,250 iterations; got {first}")
    assert "--layout realdex-frame" in r["fixes"][0]["command"], f"expected the command of fix 1: {r['fixes'][0]}"
    assert "realdex convert" in r["fixes"][1]["command"], f"expected the conversion command: {r['fixes'][1]}"
    for f, batch in ((r["fixes"][2], 8), (r["fixes"][3], 32)):
        assert (f["plan"]["batch_size"], f["plan"]["batches_per_epoch"], f["plan"]["iterations"]) == (batch, 1, 250), (
            f"expected {f['kind']} to give batch {batch}, 1 batch per pass, 250 iterations; got {f['plan']}")
    assert "64" in r["fixes"][4]["fix"], f"expected 'more data' to need 2 x 32 = 64 samples: {r['fixes'][4]}"
    e = r["expected"]
    assert (e["num_samples"], e["batches_per_epoch"], e["iterations"], e["checkpoints"]) == (14_380, 449, 112_250, 225), (
        f"expected 449 batches per pass, 112,250 iterations, 225 checkpoints; got {e}")
    assert round(e["passes_per_checkpoint"], 2) == 1.11, f"expected a checkpoint every 1.11 passes, got {e}"
    assert math.isclose(e["expected_seconds"], 14_368.0), f"expected 112,250 x 0.128 = 14,368 s, got {e['expected_seconds']}"
    assert math.isclose(e["seconds_between_checkpoints"], 64.0), f"expected 500 x 0.128 = 64 s, got {e}"
    assert (math.isclose(e["expected_seconds_low"], 7_184.0) and math.isclose(e["expected_seconds_high"], 28_736.0)), (
        f"expected the band 7,184 to 28,736 s (half to twice), got {e}")
    assert [c["name"] for c in r["criteria"]] == ["duration", "samples loaded", "learning progress", "resource usage"], (
        f"expected the four criteria of the written assessment, got {r['criteria']}")
    assert "14,380 samples loaded" in r["criteria"][1]["target"], f"expected the samples target: {r['criteria'][1]}"


def test_without_a_step_time_the_hours_become_step_time_budgets():
    e = user_before(step_time=None)["expected"]
    budget = e["step_time_for_hours"]
    assert round(budget["4"], 4) == 0.1283 and round(budget["6"], 4) == 0.1924, (
        f"expected 4 h and 6 h to need 0.1283 and 0.1924 s per iteration, got {budget}")


def test_keeping_the_last_batch_gives_450_batches_and_112500_iterations():
    r = user_before(drop_last=False)
    first = r["fixes"][0]["plan"]
    assert r["trains"] == "little" and (first["batches_per_epoch"], first["iterations"]) == (450, 112_500), (
        f"expected 8 samples to train little and fix 1 to give 450 batches, 112,500 iterations; got {r['trains']} {first}")


def test_a_root_that_trains_enough_has_no_root_cause():
    inv = {"root": "r", "total_samples": 14_380, "layouts": {"realdex-frame": 14_380},
           "by_layout": {"realdex-frame": USER_INVENTORY["by_layout"]["realdex-frame"]}}
    r = assess.before(inv, [], USER_INPUTS, params=PARAMS)
    assert r["root_cause"] is None and r["fixes"] == [] and not r["memorises"], f"expected a ready root, got {r}"
    assert "READY" in assess.markdown(r), "expected the Markdown to say READY"


def test_the_markdown_has_every_section_of_the_written_assessment():
    md = assess.markdown(user_before())
    for heading in ("## Dataset size analysis", "## Problems", "## Root cause", "## Fixes, ranked",
                    "## Expected training performance", "## Success criteria"):
        assert heading in md, f"expected the section {heading!r} in:\n{md}"
    for figure in ("14,380", "449 batches per pass", "112,250 iterations", "every 1.11 passes", "3.99 h", "1.1 min"):
        assert figure in md, f"expected the figure {figure!r} in:\n{md}"


@pytest.fixture(scope="module")
def small_user_root(tmp_path_factory):
    from realdex_conformance import synth

    root = tmp_path_factory.mktemp("assess") / "user"
    synth.write_user_root(root, frames=300, seed=0)
    return root


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_the_command_on_a_root_like_the_users(small_user_root, capsys, fmt):
    rc = main(["assess", str(small_user_root), "--batch-size", "32", "--epochs", "250", "--ckpt-every", "500",
               "--format", fmt])
    out = capsys.readouterr().out
    assert rc == 1, f"expected exit 1 (a root cause found), got {rc}: {out[-2000:]}"
    if fmt == "json":
        r = json.loads(out)
        assert r["fixes"][0]["plan"]["num_samples"] == 300, f"expected fix 1 on the 300 per-frame samples: {r['fixes'][0]}"
        assert any(p["code"] == "CLOUD_TOO_SMALL" for p in r["problems"]), "expected the 8-point clouds among problems"
    else:
        assert "data format mismatch" in out and "CLOUD_TOO_SMALL" in out, f"expected cause and problems in:\n{out}"


# --- after a run -----------------------------------------------------------------------------

def statuses(tmp_path, events, name="run.jsonl"):
    r = assess.after(checkrun.verdict(write(tmp_path, events, name)))
    return {c["name"]: c["status"] for c in r["criteria"]}, r


def test_a_healthy_run_meets_every_criterion(tmp_path):
    got, r = statuses(tmp_path, metrics_log(healthy_losses(30)))
    assert set(got.values()) == {"met"}, f"expected every criterion met, got {got}"
    assert "every criterion met" in assess.markdown(r), "expected the Markdown to say so"


@pytest.mark.parametrize("case,criterion", [
    ("nan", "learning progress"), ("memorised", "learning progress"), ("flat", "learning progress"),
    ("slower", "resource usage"),
])
def test_each_bad_run_fails_its_criterion(tmp_path, case, criterion):
    events = {
        "nan": lambda: metrics_log([None] * 30),
        "memorised": lambda: user_log([1.2, 0.4, 0.05] + [0.01] * 22),
        "flat": lambda: metrics_log([0.9632] * 30),
        "slower": lambda: metrics_log(healthy_losses(30), steady_steps(15) + [0.2] * 15),
    }[case]()
    got, _ = statuses(tmp_path, events)
    assert got[criterion] == "not met", f"expected {criterion} not met for the {case} run, got {got}"
    others = {k: v for k, v in got.items() if k != criterion and v != "met"}
    assert not others, f"expected the other criteria met for the {case} run, got {got}"


def test_a_run_without_metrics_is_not_measurable_on_learning_and_resources(tmp_path):
    bare = [e for e in metrics_log(healthy_losses(30)) if e["event"] != "metrics"]
    got, _ = statuses(tmp_path, bare)
    assert got == {"duration": "met", "samples loaded": "met", "learning progress": "not measurable",
                   "resource usage": "not measurable"}, f"expected learning and resources not measurable, got {got}"


def test_the_users_empty_run_fails_duration_and_resources(tmp_path):
    """250 empty passes and 'Saving model at epoch 1': nothing ran."""
    got, _ = statuses(tmp_path, empty_pass_log())
    assert got["duration"] == "not met" and got["samples loaded"] == "not met" and got["resource usage"] == "not met", (
        f"expected duration, samples and resources not met for a run of 0 iterations, got {got}")


def test_the_command_on_a_run_folder(tmp_path, capsys):
    write(tmp_path, metrics_log([None] * 30))
    rc = main(["assess", str(tmp_path), "--format", "json"])
    r = json.loads(capsys.readouterr().out)
    assert rc == 1 and r["kind"] == "run", f"expected exit 1 and a run assessment, got {rc} {r.get('kind')}"
    assert main(["assess", str(tmp_path)]) == 1, "expected the Markdown run to exit 1 too"
    assert "| learning progress | not met |" in capsys.readouterr().out, "expected the criteria table in Markdown"


def test_the_default_model_size_is_the_reference_models():
    from realdex_ref import learning

    assert assess.reference_parameters() == learning.DEFAULT_PARAMETERS == PARAMS, (
        f"expected the reference model to have {learning.DEFAULT_PARAMETERS:,} parameters, "
        f"it has {assess.reference_parameters():,}")


def test_a_run_still_going_is_not_measurable_on_duration(tmp_path):
    got, _ = statuses(tmp_path, metrics_log(healthy_losses(30))[:-1])
    assert got["duration"] == "not measurable", f"expected duration not measurable without run_end, got {got}"
