"""How long the run verdict takes on the user's full-size run with a metrics event every 10 iterations
(112,250 iterations, 11,225 metrics events): the cost chapter 14's rules add to the verdict."""
from __future__ import annotations

import math

from realdex_ref import checkrun, planning
from realdex_ref.runlog import RunLog


def _full_log_with_metrics(path):
    plan = planning.plan_run(14_380, 32, passes=250, ckpt_every=500, drop_last=True, step_time=0.16)
    t = [1_757_000_000.0]
    log = RunLog(path, clock=lambda: t[0])
    log.run_start(config={"batch_size": 32, "total_epoch": 250}, plan=plan.as_dict(), model={"parameters": 75_644},
                  dataset={"root": "/data", "layout": "realdex-frame", "samples": 14_380, "counts": {"realdex-frame": 14_380}})
    it = 0
    for p in range(plan.passes):
        log.epoch_start(p, it)
        for _ in range(plan.iterations_per_epoch):
            it += 1
            t[0] += 0.16
            if it % 10 == 0:
                loss = 0.3 + 0.9 * math.exp(-it / 20_000) * (1 + 0.02 * math.sin(it))
                log.metrics(it, loss, parts={"reconstruction": loss * 0.9, "kl": 1.0}, iterations=10,
                            step_time=0.16 * (1 + 0.05 * math.sin(it / 7)), samples_per_second=200.0)
            if it % 500 == 0:
                log.checkpoint(it, f"ckpt_{it}.pt")
        log.epoch_end(p, it, samples_seen=plan.samples_per_epoch, batches=plan.batches_per_epoch)
    log.checkpoint(it, f"ckpt_{it}.pt", final=True)
    log.run_end("success", "completed", it)
    return path


def test_bench_check_run_on_a_full_size_log_with_metrics(benchmark, tmp_path):
    path = _full_log_with_metrics(tmp_path / "run.jsonl")
    findings = benchmark(checkrun.check_run, path)
    assert findings == [], f"expected the full-size healthy run with metrics to be judged clean, got {findings}"
