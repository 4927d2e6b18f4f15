"""The reference trainer (spec chapter 11), read top to bottom in ``train``.

One unit of progress, the iteration, drives everything: the pass an iteration belongs to is
``iteration // iterations_per_epoch`` and its place in the pass follows from it, so a resume
can never guess (the RealDex loop resumed an "epoch" counted in ``step_epoch`` iterations as a
pass index and ended at once). The batch and run arithmetic is the plan's (``planning``,
``batching``); the trainer only follows it.

Randomness, for bit-for-bit resume on CPU: the model is initialised from ``seed``; the order of
each pass comes from the seeded sampler (``seed``, pass); the object points of each item from
the dataset (``seed``, pass, index); the VAE noise of each iteration from a generator re-seeded
from (``seed``, rank, iteration). Nothing depends on how many iterations this process has run.

Under ``torchrun`` (``WORLD_SIZE`` > 1) the same code runs on every rank with
DistributedDataParallel (gloo on CPU, NCCL on GPU); rank 0 alone writes the run log,
the metrics and the checkpoints.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from realdex_ref import batching, checkpoint, planning, runlock
from realdex_ref.runlog import RunLog

RUN_LOG = "run.jsonl"
METRICS = "metrics.jsonl"

# The trainer's configuration: plain values only (it is logged and stored in every checkpoint).
DEFAULTS: dict[str, Any] = {
    "batch_size": 32,
    "passes": None,  # passes over the data (RealDex: total_epoch)
    "max_iterations": None,  # a cap on optimizer steps
    "ckpt_every": None,  # iterations between checkpoints (RealDex: freq.save); a final one is always written
    "drop_last": True,  # RealDex's loader hard-codes drop_last=True
    "grad_accum": 1,
    "seed": 0,
    "num_points": 1024,  # object points sampled per item (RealDex: num_obj_points)
    "layout": None,  # None: the layout with the most samples under the root
    "point_sampling": "random",  # or "fps": RealDex's farthest-point samples, the same every pass
    "lr": 5e-4,  # Adam, as RealDex
    "width": 64,
    "latent": 16,
    "kl_weight": 1e-2,
    "num_workers": 0,
    # intra-op threads on CPU: fixed and stored, so a resume computes exactly as the run did; scale out
    # with torchrun processes rather than threads (the model is small, threads mostly wait on each other)
    "num_threads": 1,
    "device": "auto",  # auto: the GPU of this rank when there is one, else the CPU
    "log_every": 10,  # iterations between metrics events (run log and metrics.jsonl, chapter 14)
    "step_time": None,  # seconds per iteration for the plan's expected duration (realdex plan --calibrate)
    "startup_time": 0.0,
    "save_time": 0.0,
    "interrupt_at": None,  # act as on SIGINT after this many iterations (the conformance suite's interruption)
}


# what a RealDex-style YAML configuration (``realdex train --config``) may set beyond the plan's keys: every
# key of DEFAULTS but the suite's own, and RealDex's names for them
CONFIG_KEYS = set(DEFAULTS) - {"interrupt_at"}
CONFIG_ALIASES = {"learning_rate": "lr"}  # RealDex: Adam learning_rate (realdex-facts.md)


def make_config(**overrides: Any) -> dict[str, Any]:
    unknown = sorted(set(overrides) - set(DEFAULTS) - {"root"})
    if unknown:
        raise ValueError(f"unknown training configuration key(s) {', '.join(unknown)}; "
                         f"the keys are {', '.join(DEFAULTS)}")
    return {**DEFAULTS, **{k: v for k, v in overrides.items() if v is not None or k in ("passes", "max_iterations")}}


# --- processes ---------------------------------------------------------------------------------

class Ranks:
    """Where this process stands in a torchrun world (world 1 when run alone)."""

    def __init__(self, device: str = "auto") -> None:
        import torch
        import torch.distributed as dist

        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", "0"))
        use_cuda = device == "cuda" or (device == "auto" and torch.cuda.is_available())
        self.device = torch.device(f"cuda:{local}" if use_cuda else "cpu")
        if use_cuda:
            torch.cuda.set_device(self.device)
        self.owns_group = False
        if self.world > 1 and not dist.is_initialized():
            dist.init_process_group("nccl" if use_cuda else "gloo")
            self.owns_group = True

    @property
    def main(self) -> bool:
        return self.rank == 0

    def any(self, flag: bool) -> bool:
        """True on every rank when ``flag`` is true on any (so that all ranks stop at the same iteration)."""
        if self.world == 1:
            return flag
        import torch
        import torch.distributed as dist

        t = torch.tensor([1 if flag else 0], device=self.device if self.device.type == "cuda" else "cpu")
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return bool(t.item())

    def barrier(self) -> None:
        if self.world > 1:
            import torch.distributed as dist

            dist.barrier()

    def close(self) -> None:
        if self.owns_group:
            import torch.distributed as dist

            dist.destroy_process_group()


class _NoLog:
    """What ranks other than 0 log: nothing."""

    def __getattr__(self, name: str) -> Any:
        return lambda *a, **k: None


@contextmanager
def _stop_on_signals(flag: dict[str, Any]) -> Iterator[None]:
    """SIGINT and SIGTERM set ``flag["signal"]``; the loop ends its iteration, saves and stops (TRAIN-9)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach only the main thread; elsewhere the caller owns interruption
        return

    def handler(signum: int, frame: Any) -> None:
        flag["signal"] = signal.Signals(signum).name

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def noise_seed(seed: int, rank: int, iteration: int) -> int:
    """The seed of the VAE noise of one iteration on one rank: a function of where the run is, not of its history."""
    return ((seed * 1_000_003 + rank) * 1_000_000_007 + iteration) % (2**63)


# --- the run ---------------------------------------------------------------------------------

def refuse_used_folder(out: Path) -> None:
    """TRAIN-10: a new run never writes into a folder that holds another run."""
    held = [p.name for p in (out / RUN_LOG, out / checkpoint.LATEST) if p.exists()] + \
        [p.name for p in sorted(out.glob("ckpt_*.pt"))[:3]]
    if held:
        raise ValueError(f"{out}: the folder already holds a run ({', '.join(held)}). A new run would mix its log "
                         f"and checkpoints with that one. Fix: resume it (realdex train ROOT --out {out} --resume) "
                         "or choose another --out.")


def _logged_config(out: Path) -> dict[str, Any]:
    """The configuration of the first ``run_start`` of the run log in ``out`` (a half-written last line is ignored)."""
    log = out / RUN_LOG
    if not log.exists():
        raise ValueError(f"{out}: nothing to resume, the folder holds no checkpoint and no run log. Fix: start the "
                         "run without --resume, or name the folder of the run to resume")
    from realdex_ref import safejson
    from realdex_ref.errors import DataError

    for number, line, _ in safejson.iter_lines(log, "a run log (JSON Lines)"):
        try:
            record = safejson.loads(line, log, f"line {number}")
        except DataError:
            continue
        if isinstance(record, dict) and record.get("event") == "run_start" and isinstance(record.get("config"), dict):
            return dict(record["config"])
    raise ValueError(f"{log}: expected a run_start event with the run's config, found none; nothing to resume. "
                     "Fix: move the folder away and start the run again")


def open_dataset(root: str | Path, config: dict[str, Any], index: Any = None) -> Any:
    """The loader's dataset of ``root`` for ``config``; ``index`` (``realdex_ref.index.Index``, None: none) serves
    and keeps its walk and its farthest-point samples, as for the other commands."""
    from realdex_ref.loader import RealDexDataset

    return RealDexDataset(root, layout=config["layout"], num_points=config["num_points"],
                          point_sampling=config["point_sampling"], seed=config["seed"], index=index)


def dataset_record(root: str | Path, dataset: Any) -> dict[str, Any]:
    """The run log's ``dataset``: root, layout and samples trained on, samples per layout under the root."""
    return {"root": str(root), "layout": dataset.layout, "samples": len(dataset),
            "counts": dict(dataset.inventory.layouts)}


def make_plan(config: dict[str, Any], dataset: Any, world_size: int) -> planning.RunPlan:
    """The run's plan; a plan with an empty pass is refused here, before any work (TRAIN-1)."""
    others = dataset.other_layouts
    bp = batching.batch_plan(len(dataset), config["batch_size"], world_size, config["drop_last"])
    batching.check_plan(bp, other_layouts=others)  # the message names the root's other layouts as a fix
    return planning.plan_run(
        num_samples=len(dataset), batch_size=config["batch_size"], passes=config["passes"],
        max_iterations=config["max_iterations"], drop_last=config["drop_last"], world_size=world_size,
        grad_accum=config["grad_accum"], ckpt_every=config["ckpt_every"], step_time=config["step_time"],
        startup_time=config["startup_time"], save_time=config["save_time"])


def build_model(config: dict[str, Any]) -> tuple[Any, Any]:
    import torch

    from realdex_ref.model import GraspCVAE

    torch.manual_seed(config["seed"])
    model = GraspCVAE(width=config["width"], latent=config["latent"], kl_weight=config["kl_weight"])
    return model, torch.optim.Adam(model.parameters(), lr=config["lr"])


def train_step(net: Any, opt: Any, group: list[dict[str, Any]], noise: Any, latent: int, device: Any) -> dict[str, Any]:
    """One iteration: the mean loss over the ``group`` of batches (grad_accum of them), one optimizer step."""
    import torch

    total = sum(len(b["hand_pose"]) for b in group)
    opt.zero_grad(set_to_none=True)
    for batch in group:
        pts = batch["object_points"].to(device, non_blocking=True)
        pose = batch["hand_pose"].to(device, non_blocking=True)
        z = torch.randn(len(pose), latent, generator=noise, device=device)
        res = net(pts, pose, z)
        (res["loss"] * (len(pose) / total)).backward()  # the group's mean, however it is split
    opt.step()
    return res


def calibrate(root: str | Path | None, config: dict[str, Any], steps: int = 20, *, dataset: Any = None,
              clock: Any = time.perf_counter, index: Any = None) -> dict[str, float]:
    """Measure the terms of the wall-time model (chapter 9) for ``config`` on this machine.

    ``step_time``: the steady median of ``steps`` training steps after the warm-up ones
    (PLAN-11), on the first pass's batches; ``startup_time``: what the warm-up steps took
    beyond that (first allocations, the optimizer's lazy state), which a run pays again after
    its ``run_start``; ``save_time``: writing one checkpoint. Opening the data and building the
    model happen before ``run_start`` and are outside the logged wall time. Nothing is kept.
    ``clock``: ``time.process_time`` measures CPU time instead (benchmarks on a shared machine).
    ``index``: the walk index the dataset is opened with (``open_dataset``).
    """
    import tempfile

    import torch

    from realdex_ref.loader import collate

    config = make_config(**config)
    threads = torch.get_num_threads()
    torch.set_num_threads(config["num_threads"])
    try:
        dataset = dataset if dataset is not None else open_dataset(root, config, index)
        model, opt = build_model(config)
        sampler = batching.EpochSampler(len(dataset), config["batch_size"], 1, 0, config["drop_last"],
                                        config["seed"], shuffle=True, with_epoch=True)
        batches = [[(0, i) for i in b] for b in sampler.batches()]
        G = config["grad_accum"]
        loader = torch.utils.data.DataLoader(dataset, batch_sampler=batches * (steps * G // max(len(batches), 1) + 1),
                                             collate_fn=collate)
        fetched, noise = iter(loader), torch.Generator()
        measured = planning.calibrate(
            lambda: train_step(model, opt, [next(fetched) for _ in range(G)], noise, config["latent"], "cpu"),
            steps=steps, clock=clock)
        warm = measured["durations"][:measured["warmup"]]
        startup = max(0.0, sum(warm) - len(warm) * measured["step_time"])
        with tempfile.TemporaryDirectory() as tmp:
            t0 = clock()
            checkpoint.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "iteration": 0, "pass": 0,
                             "position": 0, "rng": {"torch": torch.get_rng_state()}, "config": config, "plan": {}}, tmp)
            save = clock() - t0
    finally:
        torch.set_num_threads(threads)
    return {"step_time": measured["step_time"], "save_time": save, "startup_time": startup}


def train(root: str | Path | None, out: str | Path, config: dict[str, Any] | None = None, *,
          resume: bool = False, progress: Any = None, dataset: Any = None, index: Any = None) -> Path:
    """``_train`` with the run folder locked: a second trainer or resume on ``out`` is refused, naming the holder."""
    with runlock.hold(out):
        return _train(root, out, config, resume=resume, progress=progress, dataset=dataset, index=index)


def _train(root: str | Path | None, out: str | Path, config: dict[str, Any] | None = None, *,
           resume: bool = False, progress: Any = None, dataset: Any = None, index: Any = None) -> Path:
    """Train into the run folder ``out``; return the path of its run log.

    ``resume=True`` continues the run in ``out`` from its latest checkpoint, with that
    checkpoint's configuration (and ``root`` from it when None). ``progress`` is called as
    ``progress(iteration, plan, eta_seconds, loss)`` on rank 0 (first at the iteration it starts
    from, then after every iteration; ``loss`` is that of the last metrics event, or None); ``dataset`` replaces the root's
    dataset (benchmarks); ``index`` (``realdex_ref.index.Index``, None: none) is the walk index the root is opened
    with (``open_dataset``).
    """
    out = Path(out)
    state = None
    if resume:
        found = checkpoint.resume_point(out)
        latest = None if found is None else found[0]
        if latest is None:
            # killed before its first checkpoint: nothing was kept, so the run starts over with its logged config
            config = make_config(**_logged_config(out))
        else:
            state = dict(found[1], resumed_from=str(latest))
            if found[2]:  # TRAIN: a damaged newer checkpoint is passed over, and said so
                warnings.warn(f"{out}: resuming from {latest.name}, the newest checkpoint that passes its integrity "
                              f"check; passed over: {'; '.join(found[2])}", checkpoint.FallbackWarning, stacklevel=2)
            config = dict(state["config"])
        root = root if root is not None else config.get("root")
    else:
        config = make_config(**(config or {}))
        refuse_used_folder(out)
    config["root"] = str(root)

    # --- pre-flight: the data and the plan, before any work and before torch is even imported (TRAIN-1, -11) ---
    dataset = dataset if dataset is not None else open_dataset(root, config, index)
    if state is not None and len(dataset) != state["plan"]["num_samples"]:
        raise ValueError(f"{root}: the checkpoint {state['resumed_from']} was made over num_samples="
                         f"{state['plan']['num_samples']} samples, the root now has num_samples={len(dataset)}; its "
                         "position in a pass means nothing over other data. Fix: resume over the same data, or start "
                         "a new run in another folder")
    plan = make_plan(config, dataset, int(os.environ.get("WORLD_SIZE", "1")))

    import torch

    ranks = Ranks(config["device"])
    threads = torch.get_num_threads()
    torch.set_num_threads(config["num_threads"])
    try:
        return _run(root, out, config, state, ranks, progress, dataset, plan)
    finally:
        torch.set_num_threads(threads)
        ranks.close()


def _run(root: Any, out: Path, config: dict[str, Any], state: dict[str, Any] | None, ranks: Ranks,
         progress: Any, dataset: Any, plan: planning.RunPlan) -> Path:
    import torch

    from realdex_ref.loader import collate

    per_pass = plan.iterations_per_epoch
    G = config["grad_accum"]

    model, opt = build_model(config)
    model.to(ranks.device)
    start = 0
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["rng"]["torch"])
        start = int(state["iteration"])
    net = model
    if ranks.world > 1:
        from torch.nn.parallel import DistributedDataParallel

        net = DistributedDataParallel(model, device_ids=[ranks.device.index] if ranks.device.type == "cuda" else None)
    noise = torch.Generator(device=ranks.device)

    log = RunLog(out / RUN_LOG) if ranks.main else _NoLog()
    log.run_start(config=config, dataset=dataset_record(root, dataset), plan=plan.as_dict(),
                  resume=None if state is None else {"iteration": start, "pass": state["pass"],
                                                      "checkpoint": state["resumed_from"]},
                  model={"parameters": sum(p.numel() for p in model.parameters())})
    if start >= plan.iterations:  # TRAIN-8: a finished run stays finished
        log.run_end("success", "already-complete", iteration=start)
        return out / RUN_LOG

    sampler = batching.EpochSampler(len(dataset), config["batch_size"], ranks.world, ranks.rank,
                                    config["drop_last"], config["seed"], shuffle=True, with_epoch=True)
    metrics = Metrics(log, RunLog(out / METRICS) if ranks.main else _NoLog(), ranks.device)
    durations: list[float] = []
    save_times: list[float] = []

    def save(iteration: int, pass_index: int, position: int, final: bool) -> None:
        if ranks.main:
            t0 = time.perf_counter()
            path = checkpoint.save({
                "model": model.state_dict(), "optimizer": opt.state_dict(), "iteration": iteration,
                "pass": pass_index, "position": position,
                "sampler": {**sampler.state_dict(), "epoch": pass_index, "batches_done": position},
                "rng": {"torch": torch.get_rng_state(),
                        "noise": "re-seeded every iteration from (seed, rank, iteration)"},
                "config": config, "plan": plan.as_dict(), "final": final,
            }, out)
            save_times.append(time.perf_counter() - t0)
            log.checkpoint(iteration, path, final=final)
        ranks.barrier()

    stop = {"signal": None}
    it = start
    reason = "completed" if plan.iterations == plan.passes * per_pass else "max-iterations"
    try:
        with _stop_on_signals(stop):
            if progress is not None and ranks.main:
                progress(it, plan, None, None)  # where this segment starts: a resume's rate and time left count from here
            while it < plan.iterations:
                # --- one pass, from the batch where the iteration count says it stands ---
                p = it // per_pass
                sampler.set_epoch(p)
                batches = sampler.batches()
                position = (it % per_pass) * G
                log.epoch_start(p, iteration=it)
                items = [[(p, i) for i in b] for b in batches[position:]]
                loader = torch.utils.data.DataLoader(dataset, batch_sampler=items, collate_fn=collate,
                                                     num_workers=config["num_workers"])
                fetched = iter(loader)
                stopped = False
                while position < len(batches) and it < plan.iterations:
                    t0 = time.perf_counter()
                    group = [next(fetched) for _ in range(min(G, len(batches) - position))]
                    fetched_at = time.perf_counter()
                    noise.manual_seed(noise_seed(config["seed"], ranks.rank, it))
                    res = train_step(net, opt, group, noise, config["latent"], ranks.device)
                    position += len(group)
                    it += 1
                    durations.append(time.perf_counter() - t0)
                    metrics.add(res, durations[-1], fetched_at - t0, sum(len(b["hand_pose"]) for b in group) * ranks.world)

                    if it % config["log_every"] == 0 or it == plan.iterations:
                        metrics.write(it)
                    if progress is not None and ranks.main:
                        progress(it, plan, eta_seconds(plan, it, durations, save_times), metrics.last_loss)
                    pass_over = position == len(batches) or it == plan.iterations
                    if pass_over:  # a pass cut short by max_iterations counts the batches it ran
                        drawn = sum(len(b) for b in batches[:position]) * ranks.world
                        log.epoch_end(p, iteration=it, samples_seen=drawn, batches=position)
                    saved = False
                    if (plan.ckpt_every and it % plan.ckpt_every == 0) or it == plan.iterations:
                        save(it, it // per_pass, (it % per_pass) * G, final=it == plan.iterations)
                        saved = True
                    asked = stop["signal"] is not None or it == config["interrupt_at"]
                    if ranks.any(asked) and it < plan.iterations:  # TRAIN-9: end this iteration, save, stop
                        metrics.write(it)  # the segment's last iteration has its metrics too (LEARN-2)
                        if not saved:
                            save(it, it // per_pass, (it % per_pass) * G, final=False)
                        stopped = True
                        break
                del fetched, loader
                if stopped:
                    reason = "interrupted"
                    break
    except BaseException:  # a crash ends the segment in the log too, with what it had done
        log.run_end("aborted", "error", iteration=it)
        raise
    status = "aborted" if reason == "interrupted" else "success"
    log.run_end(status, reason, iteration=it)
    return out / RUN_LOG


class Metrics:
    """Chapter 14's metrics events: means over the iterations since the last event, written to the run log
    and to ``metrics.jsonl`` (the same lines, for tools that want only the losses). Losses stay tensors until
    an event is written, so a GPU is not synchronised every iteration."""

    PARTS = ("reconstruction", "kl")

    def __init__(self, log: Any, file: Any, device: Any) -> None:
        self.log, self.file, self.device = log, file, device
        self.last_loss: float | None = None  # the loss of the last event written, for the progress bar
        self._reset()

    def _reset(self) -> None:
        self.n, self.loss, self.parts = 0, 0.0, {k: 0.0 for k in self.PARTS}
        self.step, self.data, self.samples = 0.0, 0.0, 0

    def add(self, res: dict[str, Any], seconds: float, data_seconds: float, samples: int) -> None:
        self.n += 1
        self.loss = self.loss + res["loss"].detach()
        for k in self.PARTS:
            self.parts[k] = self.parts[k] + res[k].detach()
        self.step, self.data, self.samples = self.step + seconds, self.data + data_seconds, self.samples + samples

    def write(self, iteration: int) -> None:
        if not self.n:
            return
        fields: dict[str, Any] = {
            "parts": {k: _round(float(v) / self.n) for k, v in self.parts.items()}, "iterations": self.n,
            "step_time": self.step / self.n, "data_time": self.data / self.n,
            "samples_per_second": self.samples / self.step if self.step > 0 else None}
        if self.device.type == "cuda":
            import torch

            fields["device_memory"] = int(torch.cuda.max_memory_allocated(self.device))
            torch.cuda.reset_peak_memory_stats(self.device)
        loss = _round(float(self.loss) / self.n)  # NaN and infinities become null in the JSON (LEARN-2)
        self.log.metrics(iteration, loss, **fields)
        self.file.metrics(iteration, loss, **fields)
        self.last_loss = loss
        self._reset()


def _round(x: float) -> float:
    """Seven significant digits: what a float32 loss holds."""
    return float(f"{x:.7g}")


def eta_seconds(plan: planning.RunPlan, iteration: int, durations: list[float], save_times: list[float]) -> float | None:
    """Seconds to the end by the wall-time model of chapter 9, with this run's steady step and save times."""
    if len(durations) <= planning.DEFAULT_WARMUP:
        return None
    step = planning.steady_step_time(durations[-200:] if len(durations) > 205 else durations)
    save = sum(save_times) / len(save_times) if save_times else 0.0
    left_ckpts = len(plan.checkpoint_iterations()) - len(plan.checkpoint_iterations(upto=iteration, final=False))
    return step * (plan.iterations - iteration) + save * left_ckpts


def train_distributed(root: str | Path, out: str | Path, config: dict[str, Any], world_size: int,
                      timeout: float = 600) -> Path:
    """Run ``realdex train`` under ``torchrun --nproc_per_node=world_size`` on this machine; the run log's path.

    The configuration travels as command-line flags; a failure raises ``RuntimeError`` with the
    processes' last output (a refused plan, ``ValueError``, with its message).
    """
    import subprocess

    config = make_config(**config)
    flags: list[str] = []
    for key, value in config.items():
        if value is None or key in ("root", "interrupt_at", "kl_weight", "log_every", "startup_time", "save_time"):
            continue
        flag = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            flags.append(flag if value else "--no-" + key.replace("_", "-"))
        else:
            flags += [flag, str(value)]
    realdex = Path(sys.executable).with_name("realdex")
    launcher = [str(realdex)] if realdex.exists() else [sys.executable, "-c",
                                                        "import sys; from realdex_ref.cli import main; sys.exit(main())"]
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={world_size}",
           "--no-python", *launcher, "train", str(root), "--out", str(out), *flags, "--quiet"]
    env = {**os.environ, "OMP_NUM_THREADS": str(config["num_threads"])}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    log = Path(out) / RUN_LOG
    if proc.returncode == 2 and not log.exists():
        raise ValueError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "refused")
    if proc.returncode not in (0, 1) or not log.exists():  # 1: the run finished with findings, the log says which
        raise RuntimeError(f"torchrun exited with {proc.returncode}: {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    return log


# the progress bar of ``realdex train`` (a live bar on a terminal, plain lines in a log): realdex_ref.progress
def ProgressBar(stream: Any = None, every: float | None = None) -> Any:
    from realdex_ref.progress import TrainingProgress

    return TrainingProgress(stream, every=every)
