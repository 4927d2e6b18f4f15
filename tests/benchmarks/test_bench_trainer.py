"""Cost of the reference trainer (issue 5 targets; figures, not assertions on time).

1. Per-iteration time of ``trainer.train`` against a bare PyTorch loop over the same model,
   optimizer, batches and noise (target: overhead under 5%). Compare the two medians of the
   group ``trainer-overhead`` (``--benchmark-enable``), each a whole run of ITERS iterations.
2. The wall-time model's prediction (chapter 9; terms from ``trainer.calibrate``) against the
   logged wall time of 5 runs (target: median error under 10%, worst under 20%); the errors
   are printed and stored in the benchmark's ``extra_info``.
"""
from __future__ import annotations

import itertools
import json
import statistics
import time
from pathlib import Path

import pytest
import torch

from realdex_conformance import synth
from realdex_ref import batching, checkpoint, planning, trainer
from realdex_ref.loader import RealDexDataset, collate

ITERS = 150
CFG = {"batch_size": 8, "max_iterations": ITERS, "num_points": 128, "drop_last": True, "seed": 0}


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """root/driller/0.npz, 1.npz, root/sprayer/0.npz, 1.npz: 4 segments of 30 frames, 1024 points -> 120 samples."""
    dest = tmp_path_factory.mktemp("bench-root")
    synth.write_root(dest, "realdex-segment", segments_per_object=2, frames_per_segment=(30, 30), points=1024)
    return dest


@pytest.fixture(scope="module")
def dataset(root):
    return RealDexDataset(root, num_points=CFG["num_points"], seed=CFG["seed"])


def bare_loop(dataset, cfg):
    """The same work as the trainer with nothing around it: no log, no checkpoint, no signal, no progress."""
    cfg = trainer.make_config(**cfg)
    threads = torch.get_num_threads()
    torch.set_num_threads(cfg["num_threads"])
    model, opt = trainer.build_model(cfg)
    sampler = batching.EpochSampler(len(dataset), cfg["batch_size"], 1, 0, cfg["drop_last"], cfg["seed"],
                                    shuffle=True, with_epoch=True)
    noise, it = torch.Generator(), 0
    for p in itertools.count():
        sampler.set_epoch(p)
        batches = [[(p, i) for i in b] for b in sampler.batches()]
        for batch in torch.utils.data.DataLoader(dataset, batch_sampler=batches, collate_fn=collate):
            noise.manual_seed(trainer.noise_seed(cfg["seed"], 0, it))
            opt.zero_grad(set_to_none=True)
            z = torch.randn(len(batch["hand_pose"]), cfg["latent"], generator=noise)
            model(batch["object_points"], batch["hand_pose"], z)["loss"].backward()
            opt.step()
            it += 1
            if it == cfg["max_iterations"]:
                torch.set_num_threads(threads)
                return model


def test_bare_loop_does_the_trainers_work(dataset, tmp_path):
    """The comparison is fair only if both compute the same thing: equal weights after ITERS iterations."""
    model = bare_loop(dataset, CFG)
    trainer.train(None, tmp_path / "run", CFG, dataset=dataset)
    saved = checkpoint.load(checkpoint.latest(tmp_path / "run"))["model"]
    differ = [k for k, v in model.state_dict().items() if not torch.equal(v, saved[k])]
    assert not differ, f"expected the bare loop to reach the trainer's weights, bit for bit; differ: {differ}"


@pytest.mark.benchmark(group="trainer-overhead")
def test_bench_bare_loop(benchmark, dataset):
    benchmark.extra_info["iterations"] = ITERS
    benchmark.pedantic(bare_loop, args=(dataset, CFG), rounds=7, warmup_rounds=1)


@pytest.mark.benchmark(group="trainer-overhead")
def test_bench_reference_trainer(benchmark, dataset, tmp_path):
    benchmark.extra_info["iterations"] = ITERS
    runs = itertools.count()
    benchmark.pedantic(lambda: trainer.train(None, tmp_path / f"run{next(runs)}", CFG, dataset=dataset),
                       rounds=7, warmup_rounds=1)


# (batch_size, num_points, width, iterations, ckpt_every): small to larger steps, with and without checkpoints
CONFIGS = [(4, 64, 16, 200, None), (8, 128, 32, 150, 50), (16, 256, 64, 100, 25), (8, 512, 64, 100, 20),
           (32, 128, 32, 120, 40)]


def _wall(log: Path) -> float:
    events = [json.loads(line) for line in log.read_text().splitlines()]
    return events[-1]["time"] - events[0]["time"]  # run_start to run_end: what check-run compares with the model


def test_bench_duration_prediction(benchmark, root, tmp_path, capsys):
    """Each configuration is calibrated twice, by wall clock and by CPU clock, then run once.

    The wall-clock error is what a user sees; on a shared machine other processes' load moves
    it both ways, so the CPU-time error (the same model, with the process's own CPU time on
    both sides) is reported beside it as the error of the model itself.
    """
    rows = []
    runs = itertools.count()

    def predict_and_run():
        rows.clear()
        trainer.calibrate(root, {"num_points": 64, "max_iterations": 10}, steps=10)  # warm the process up
        for b, pts, width, iters, every in CONFIGS:
            cfg = {"batch_size": b, "num_points": pts, "width": width, "max_iterations": iters, "ckpt_every": every}
            data = RealDexDataset(root, num_points=pts)
            by_wall = trainer.calibrate(root, cfg, steps=40, dataset=data)
            by_cpu = trainer.calibrate(root, cfg, steps=40, dataset=data, clock=time.process_time)
            t0 = time.process_time()
            log = trainer.train(root, tmp_path / f"run{next(runs)}", {**cfg, **by_wall}, dataset=data)
            cpu = time.process_time() - t0
            plan = json.loads(log.read_text().splitlines()[0])["plan"]
            cpu_plan = planning.plan_run(len(data), b, max_iterations=iters, drop_last=True, ckpt_every=every, **by_cpu)
            wall = _wall(log)
            rows.append({"config": cfg, "predicted": plan["expected_seconds"], "actual": wall,
                         "error": abs(plan["expected_seconds"] - wall) / wall,
                         "cpu_predicted": cpu_plan.expected_seconds, "cpu_actual": cpu,
                         "cpu_error": abs(cpu_plan.expected_seconds - cpu) / cpu})

    benchmark.pedantic(predict_and_run, rounds=1, iterations=1)
    summary = {}
    for kind in ("error", "cpu_error"):
        errors = [r[kind] for r in rows]
        summary[kind] = (statistics.median(errors), max(errors))
    benchmark.extra_info.update({"rows": rows, "median_error": summary["error"][0], "worst_error": summary["error"][1],
                                 "median_cpu_error": summary["cpu_error"][0], "worst_cpu_error": summary["cpu_error"][1]})
    with capsys.disabled():
        print("\nduration model against the run (wall: run_start to run_end; cpu: the process's CPU time):")
        for r in rows:
            c = r["config"]
            print(f"  B={c['batch_size']:<3} P={c['num_points']:<4} width={c['width']:<3} it={c['max_iterations']:<4} "
                  f"ckpt_every={str(c['ckpt_every']):<5} wall {r['predicted']:.3f} s predicted / {r['actual']:.3f} s "
                  f"({100 * r['error']:.1f}%)   cpu {r['cpu_predicted']:.3f} / {r['cpu_actual']:.3f} s "
                  f"({100 * r['cpu_error']:.1f}%)")
        for kind, (median, worst) in summary.items():
            print(f"  {kind}: median {100 * median:.1f}%, worst {100 * worst:.1f}%")
    assert len(rows) == len(CONFIGS) and all(r["predicted"] for r in rows), "expected a prediction for every configuration"
