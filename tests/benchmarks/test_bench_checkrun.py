"""How long the run verdict takes on a log of the user's full-size run (250 passes, 112,500 iterations)."""
from __future__ import annotations

from realdex_ref import checkrun, planning
from realdex_ref.runlog import RunLog


def _full_log(path):
    plan = planning.plan_run(14_380, 32, passes=250, ckpt_every=500, step_time=0.16)
    t = [1_757_000_000.0]
    log = RunLog(path, clock=lambda: t[0])
    log.run_start(config={"batch_size": 32, "total_epoch": 250, "freq": {"save": 500, "step_epoch": 100}},
                  dataset={"root": "/data", "layout": "realdex-frame", "samples": 14_380, "counts": {"realdex-frame": 14_380}},
                  plan=plan.as_dict())
    it = 0
    for p in range(plan.passes):
        log.epoch_start(p, it)
        for _ in range(plan.iterations_per_epoch):
            it += 1
            t[0] += 0.16
            if it % 500 == 0:
                log.checkpoint(it, f"ckpt_{it}.pt", final=it == plan.iterations)
        log.epoch_end(p, it, samples_seen=plan.samples_per_epoch, batches=plan.batches_per_epoch)
    log.run_end("success", "completed", it)
    return path


def test_bench_check_run_on_a_full_size_log(benchmark, tmp_path):
    path = _full_log(tmp_path / "run.jsonl")
    findings = benchmark(checkrun.check_run, path)
    assert findings == [], f"expected the full-size clean run to be judged clean, got {findings}"
