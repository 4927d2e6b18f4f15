"""What writing the run log costs a loop: the events of a 10-pass run of the user's data (4,500
iterations, a loss every iteration, a metrics line every 10, a checkpoint every 500) through the
run-log API, and the same events through the reference's writer (``realdex_ref.runlog.RunLog``)."""
from __future__ import annotations

from realdex_conformance import runlog_api as rl
from realdex_ref import checkrun, planning
from realdex_ref.runlog import RunLog

PLAN = dict(num_samples=14_380, batch_size=32, passes=10, ckpt_every=500)


def _api_run(path):
    path.unlink(missing_ok=True)
    plan = rl.make_plan(**PLAN)
    log = rl.RunLogWriter(path)
    it, per_pass = 0, plan["iterations_per_epoch"]
    with log.segment(config={"batch_size": 32}, plan=plan):
        for p in range(plan["passes"]):
            log.pass_start(p, it)
            for _ in range(per_pass):
                it += 1
                log.add_loss(it, 1.0 / it)
                if it % 500 == 0 or it == plan["iterations"]:
                    log.checkpoint(it, f"ckpt_{it}.pt", final=it == plan["iterations"])
            log.pass_end(p, it, batches=per_pass, samples_seen=plan["samples_per_epoch"])
        log.end("completed", it)
    return path


def _reference_run(path):
    path.unlink(missing_ok=True)
    plan = planning.plan_run(**PLAN)
    log = RunLog(path)
    log.run_start(config={"batch_size": 32}, dataset={}, plan=plan.as_dict())
    it, loss = 0, 0.0
    for p in range(plan.passes):
        log.epoch_start(p, it)
        for _ in range(plan.iterations_per_epoch):
            it += 1
            loss += 1.0 / it
            if it % 10 == 0:
                log.metrics(it, loss / 10, iterations=10)
                loss = 0.0
            if it % 500 == 0 or it == plan.iterations:
                log.checkpoint(it, f"ckpt_{it}.pt", final=it == plan.iterations)
        log.epoch_end(p, it, samples_seen=plan.samples_per_epoch, batches=plan.batches_per_epoch)
    log.run_end("success", "completed", it)
    return path


def test_bench_runlog_api_writes_a_run(benchmark, tmp_path):
    path = benchmark(_api_run, tmp_path / "run.jsonl")
    assert checkrun.check_run(path) == [], "expected the benchmark's log to be a clean run"


def test_bench_reference_writer_writes_the_same_run(benchmark, tmp_path):
    path = benchmark(_reference_run, tmp_path / "run.jsonl")
    assert checkrun.check_run(path) == [], "expected the benchmark's log to be a clean run"
