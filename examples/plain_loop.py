"""A plain PyTorch training loop that writes the run log of spec chapter 10 (docs/runlog.md).

A small MLP fits a noisy linear map on synthetic tensors, on the CPU, in a few seconds. The
lines marked ``# run log`` are all it takes to make the loop checkable by ``realdex check-run``:

    python examples/plain_loop.py runs/demo                       # train
    python examples/plain_loop.py runs/demo --interrupt-at 13      # stop after 13 iterations ...
    python examples/plain_loop.py runs/demo --resume               # ... and finish the run
    realdex check-run runs/demo                                    # the verdict: exit 0, no finding

Ctrl-C (or SIGTERM) ends the iteration in progress, saves a checkpoint and logs the run as
interrupted; ``--resume`` continues from it. Checkpoints are plain dicts (``weights_only``
loads them) written under a temporary name and renamed, so a kill never leaves half of one.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import torch

from realdex_conformance import runlog_api as rl

CONFIG = {"samples": 96, "features": 8, "batch_size": 16, "passes": 6, "ckpt_every": 10, "lr": 0.01, "seed": 0}


def make_data(cfg: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(cfg["seed"])
    x = torch.randn(cfg["samples"], cfg["features"], generator=g)
    w = torch.randn(cfg["features"], 1, generator=g)
    return x, x @ w + 0.05 * torch.randn(cfg["samples"], 1, generator=g)


def save(out: Path, state: dict[str, Any]) -> Path:
    """``ckpt_<iteration>.pt`` and the ``latest`` pointer, each written aside, fsynced and renamed."""
    path = out / f"ckpt_{state['iteration']:06d}.pt"
    for final, write in ((path, lambda fh: torch.save(state, fh)),
                         (out / "latest", lambda fh: fh.write(path.name.encode()))):
        tmp = final.with_name(final.name + ".tmp")
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
    return path


def train(out: str | Path, config: dict[str, Any] | None = None, resume: bool = False,
          interrupt_at: int | None = None) -> Path:
    out = Path(out)
    cfg = {**CONFIG, **(config or {})}
    state = None
    if resume:
        ckpt = out / (out / "latest").read_text().strip()
        state = torch.load(ckpt, weights_only=True)
        cfg = dict(state["config"])
    elif (out / rl.RUN_LOG).exists():
        raise SystemExit(f"{out} already holds a run: resume it with --resume, or choose another folder")
    x, y = make_data(cfg)
    plan = rl.make_plan(num_samples=len(x), batch_size=cfg["batch_size"], passes=cfg["passes"],  # run log
                        ckpt_every=cfg["ckpt_every"])
    torch.manual_seed(cfg["seed"])
    model = torch.nn.Sequential(torch.nn.Linear(cfg["features"], 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    it = 0
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        it = state["iteration"]
    per_pass, total = plan["iterations_per_epoch"], plan["iterations"]
    out.mkdir(parents=True, exist_ok=True)

    def checkpoint() -> None:
        path = save(out, {"model": model.state_dict(), "optimizer": opt.state_dict(), "iteration": it,
                          "pass": it // per_pass, "position": it % per_pass, "rng": {"torch": torch.get_rng_state()},
                          "config": cfg, "plan": plan})
        log.checkpoint(it, path, final=it == total)  # run log

    log = rl.RunLogWriter(out)  # run log: out/run.jsonl, appended to on resume
    resumed = None if state is None else {"iteration": it, "pass": state["pass"], "checkpoint": str(ckpt)}
    with rl.stop_on_signals() as stop, \
            log.segment(config=cfg, plan=plan, resume=resumed,  # run log
                        model_parameters=sum(p.numel() for p in model.parameters())):
        if it >= total:
            log.end("already-complete", it)  # run log: a finished run resumed again does nothing
            return log.path
        while it < total:
            p = it // per_pass  # the pass follows from the iteration, never from a counter of its own
            order = torch.randperm(len(x), generator=torch.Generator().manual_seed(cfg["seed"] * 1000 + p))
            batches = order.split(cfg["batch_size"])
            log.pass_start(p, iteration=it)  # run log
            drawn = seen = 0
            for idx in batches[it % per_pass:]:
                t0 = time.perf_counter()
                opt.zero_grad()
                loss = torch.nn.functional.mse_loss(model(x[idx]), y[idx])
                loss.backward()
                opt.step()
                it, drawn, seen = it + 1, drawn + 1, seen + len(idx)
                log.add_loss(it, loss.item(), step_time=time.perf_counter() - t0, samples=len(idx))  # run log
                if it % per_pass == 0:
                    log.pass_end(p, iteration=it, batches=drawn, samples_seen=seen)  # run log
                saved = it % cfg["ckpt_every"] == 0 or it == total
                if saved:
                    checkpoint()
                if (stop or it == interrupt_at) and it < total:
                    if not saved:
                        checkpoint()
                    log.end("interrupted", it)  # run log
                    return log.path
        log.end("completed", it)  # run log
    return log.path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="the run folder")
    parser.add_argument("--resume", action="store_true", help="continue the run in OUT from its latest checkpoint")
    parser.add_argument("--interrupt-at", type=int, help="stop after this many iterations, as on Ctrl-C")
    args = parser.parse_args(argv)
    print(train(args.out, resume=args.resume, interrupt_at=args.interrupt_at))
    return 0


if __name__ == "__main__":
    sys.exit(main())
