"""The reference's run-log writer: one flushed JSON line per event, appends on resume, valid against the schema."""
from __future__ import annotations

import json
import itertools
from pathlib import Path

import jsonschema
import pytest

import realdex_spec
from realdex_ref import checkrun, planning
from realdex_ref.runlog import RunLog, read_log

SCHEMA = json.loads((Path(realdex_spec.SPEC_DIR) / "runlog.schema.json").read_text())


def _small_run(log: RunLog, plan: planning.RunPlan, resume=None, start=0, stop=None, reason="completed"):
    log.run_start(config={"batch_size": plan.batch_size, "total_epoch": plan.passes},
                  dataset={"root": "/data", "layout": "realdex-frame", "samples": plan.num_samples,
                           "counts": {"realdex-frame": plan.num_samples}},
                  plan=plan.as_dict(), resume=resume)
    it = start
    stop = plan.iterations if stop is None else stop
    for p in range(start // plan.iterations_per_epoch, plan.passes):
        log.epoch_start(p, it)
        while it < (p + 1) * plan.iterations_per_epoch and it < stop:
            it += 1
            if it % plan.ckpt_every == 0:
                log.checkpoint(it, f"ckpt_{it}.pt", final=it == plan.iterations)
        if it < (p + 1) * plan.iterations_per_epoch:
            break
        log.epoch_end(p, it, samples_seen=plan.samples_per_epoch, batches=plan.batches_per_epoch)
    if it == plan.iterations and it % plan.ckpt_every:
        log.checkpoint(it, f"ckpt_{it}.pt", final=True)
    status = "success" if reason == "completed" else "aborted"
    log.run_end(status, reason, it)
    return it


def test_every_event_is_one_flushed_line_valid_against_the_schema(tmp_path):
    clock = itertools.count(1_757_000_000).__next__
    plan = planning.plan_run(100, 10, passes=3, ckpt_every=15)
    path = tmp_path / "run.jsonl"
    log = RunLog(path, clock=clock)
    log.run_start(config={}, dataset={"layout": "converted", "samples": 100, "counts": {"converted": 100}},
                  plan=plan.as_dict())
    assert len(path.read_text().splitlines()) == 1, "expected run_start on disk before the next event (flushed)"
    _small_run(log, plan)
    lines = path.read_text().splitlines()
    for n, line in enumerate(lines, 1):
        record = json.loads(line)
        errors = sorted(e.message for e in jsonschema.Draft202012Validator(SCHEMA).iter_errors(record))
        assert not errors, f"line {n} of the writer's log breaks spec/runlog.schema.json: {errors}\n{line}"
    times = [json.loads(x)["time"] for x in lines]
    assert times == sorted(times), f"expected timestamps from the clock in order, got {times}"


def test_a_written_run_and_its_resume_are_judged_clean(tmp_path):
    plan = planning.plan_run(100, 10, passes=3, ckpt_every=15)
    path = tmp_path / "run.jsonl"
    log = RunLog(path)
    it = _small_run(log, plan, stop=15, reason="interrupted")
    assert [f["code"] for f in checkrun.check_run(path)] == ["RUN-NOT-FINISHED"], "expected only RUN-NOT-FINISHED for a log without run_end"
    _small_run(RunLog(path), plan, resume={"iteration": it, "pass": it // 10, "checkpoint": "ckpt_15.pt"}, start=it)
    events = read_log(path)
    assert [e["event"] for e in events].count("run_start") == 2, "expected the resume appended to the same log"
    got = checkrun.check_run(path)
    assert got == [], f"expected a clean verdict on an interrupted and resumed run, got {got}"


@pytest.mark.parametrize("saved", [False, True], ids=["crash-saves-nothing", "stop-saves"])
def test_a_segment_that_stops_between_checkpoints_misses_none(tmp_path, saved):
    """RUNLOG-13 plans the periodic checkpoints and the final one: the one a stopped trainer saves where it
    stopped (TRAIN-9) is allowed, not planned, so a crash between checkpoints (saving nothing) misses none.
    100 samples, batch 10, ckpt_every 15: stopped at 17, the periodic checkpoint at 15 is logged."""
    plan = planning.plan_run(100, 10, passes=3, ckpt_every=15)
    path = tmp_path / "run.jsonl"
    log = RunLog(path)
    log.run_start(config={}, dataset={}, plan=plan.as_dict())
    log.epoch_start(0, 0)
    log.epoch_end(0, 10, samples_seen=100, batches=10)
    log.epoch_start(1, 10)
    log.checkpoint(15, "ckpt_15.pt")
    if saved:
        log.checkpoint(17, "ckpt_17.pt")
    log.run_end("aborted", "error", 17)
    got = [f["code"] for f in checkrun.check_run(path)]
    assert got == ["RUN-NOT-FINISHED"], f"expected only RUN-NOT-FINISHED for a stop at 17 of 30 (saved={saved}), got {got}"


@pytest.mark.parametrize("status, reason", [("success", "interrupted"), ("aborted", "completed"), ("success", "done")])
def test_run_end_refuses_a_reason_outside_the_set_or_with_the_wrong_status(tmp_path, status, reason):
    with pytest.raises(ValueError, match="reason"):
        RunLog(tmp_path / "run.jsonl").run_end(status, reason, 0)


def test_numpy_scalars_and_paths_are_written_as_plain_json(tmp_path):
    import numpy as np

    log = RunLog(tmp_path / "run.jsonl")
    rec = log.checkpoint(np.int64(5), tmp_path / "c.pt")
    assert rec["iteration"] == 5 and type(rec["iteration"]) is int and rec["path"] == str(tmp_path / "c.pt"), rec
