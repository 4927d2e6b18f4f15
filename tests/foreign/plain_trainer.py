"""A foreign trainer: a plain PyTorch loop over a RealDex root, as a user of the data would write it.

It is not the reference trainer and shares none of its code: its own model (a small PointNet:
a per-point MLP, a max-pool, a head to the 28 pose values), its own batch order, its own
checkpoint files. It reads the root with the reference's reader (``realdex_ref.dataroot``; any
reader would do) and writes its run log through ``realdex_conformance.runlog_api`` — the point
of it: the suite's training clauses can be run on a loop that is not the reference.

Run folder: ``run.jsonl`` (the run log), ``ckpt_<iteration>.pt`` (plain dicts, read with
``torch.load(weights_only=True)``), ``latest`` (the name of the newest complete checkpoint).
Every file but the log is written under a temporary name, fsynced and renamed.

Randomness, for a bit-for-bit resume on CPU: the model is initialised from ``seed``; the order
of pass p from a generator seeded with (seed, p); the points of item i in pass p from (seed, p, i).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from realdex_conformance import runlog_api as rl
from realdex_ref import dataroot

LOG, LATEST = "run.jsonl", "latest"
DEFAULTS: dict[str, Any] = {"batch_size": 32, "passes": None, "max_iterations": None, "ckpt_every": None,
                            "drop_last": True, "seed": 0, "num_points": 64, "lr": 1e-3, "width": 64,
                            "interrupt_at": None, "root": None}


class PoseNet(torch.nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.point = torch.nn.Sequential(torch.nn.Linear(3, width), torch.nn.ReLU(), torch.nn.Linear(width, width))
        self.head = torch.nn.Linear(width, 28)

    def forward(self, points: torch.Tensor) -> torch.Tensor:  # (B, P, 3) -> (B, 28)
        return self.head(self.point(points).max(dim=1).values)


class Data:
    """The samples of the layout with the most samples under ``root``: clouds and 28-value poses."""

    def __init__(self, root: str, num_points: int, seed: int) -> None:
        self.counts = dict(dataroot.inspect_root(root).layouts)
        self.layout = max(self.counts, key=self.counts.get) if self.counts else None
        samples = dataroot.read_root(root, self.layout) if self.layout else []
        self.clouds = [torch.as_tensor(s["object_points"], dtype=torch.float32) for s in samples]
        self.poses = torch.stack([torch.as_tensor(
            [*s["hand_transl"], *s["hand_orient"], *s["qpos"]], dtype=torch.float32) for s in samples]) \
            if samples else torch.zeros(0, 28)
        self.root, self.num_points, self.seed = root, num_points, seed

    def __len__(self) -> int:
        return len(self.clouds)

    def batch(self, indices: list[int], pass_index: int) -> tuple[torch.Tensor, torch.Tensor]:
        points = []
        for i in indices:
            g = torch.Generator().manual_seed((self.seed * 1_000_003 + pass_index) * 1_000_003 + i)
            cloud = self.clouds[i]
            pick = torch.randint(len(cloud), (self.num_points,), generator=g)
            points.append(cloud[pick])
        return torch.stack(points), self.poses[indices]

    def record(self) -> dict[str, Any]:
        return {"root": str(self.root), "layout": self.layout, "samples": len(self), "counts": self.counts}


def pass_batches(n: int, batch_size: int, drop_last: bool, seed: int, pass_index: int) -> list[list[int]]:
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed * 7919 + pass_index)).tolist()
    batches = [order[i:i + batch_size] for i in range(0, n, batch_size)]
    return [b for b in batches if len(b) == batch_size] if drop_last else batches


def _publish(folder: Path, name: str, write: Any) -> Path:
    """Write ``name`` in ``folder`` under a temporary name, fsync it, rename it into place."""
    path, tmp = folder / name, folder / f".{name}.tmp"
    with open(tmp, "wb") as fh:
        write(fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


def _make_plan(cfg: dict[str, Any], n: int) -> dict[str, Any]:
    return rl.make_plan(num_samples=n, batch_size=cfg["batch_size"], passes=cfg["passes"],
                        max_iterations=cfg["max_iterations"], drop_last=cfg["drop_last"], ckpt_every=cfg["ckpt_every"])


def train(root: str, out: str, config: dict[str, Any]) -> Path:
    cfg = {**DEFAULTS, **config, "root": str(root)}
    out_dir = Path(out)
    held = [p.name for p in (out_dir / LOG, out_dir / LATEST) if p.exists()] + [p.name for p in out_dir.glob("ckpt_*.pt")]
    if held:
        raise ValueError(f"{out_dir}: the folder already holds a run ({', '.join(held[:3])}); resume it, or choose "
                         "another folder")
    data = Data(cfg["root"], cfg["num_points"], cfg["seed"])
    plan = _make_plan(cfg, len(data))  # refuses a plan with no batch before anything is written
    torch.manual_seed(cfg["seed"])
    model = PoseNet(cfg["width"])
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    out_dir.mkdir(parents=True, exist_ok=True)
    return _loop(out_dir, cfg, data, plan, model, opt, None)


def resume(out: str) -> Path:
    out_dir = Path(out)
    if not (out_dir / LATEST).exists():
        raise ValueError(f"{out_dir}: no checkpoint to resume from (no {LATEST} file)")
    path = out_dir / (out_dir / LATEST).read_text(encoding="utf-8").strip()
    state = torch.load(path, map_location="cpu", weights_only=True)
    cfg = dict(state["config"])
    data = Data(cfg["root"], cfg["num_points"], cfg["seed"])
    if len(data) != state["plan"]["num_samples"]:
        raise ValueError(f"{cfg['root']}: the checkpoint {path} was made over {state['plan']['num_samples']} samples, "
                         f"the root now holds {len(data)}; resume over the same data, or start a new run")
    plan = _make_plan(cfg, len(data))
    model = PoseNet(cfg["width"])
    model.load_state_dict(state["model"])
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    opt.load_state_dict(state["optimizer"])
    torch.set_rng_state(state["rng"]["torch"])
    return _loop(out_dir, cfg, data, plan, model, opt, {**state, "path": str(path)})


def _loop(out: Path, cfg: dict[str, Any], data: Data, plan: dict[str, Any], model: PoseNet, opt: Any,
          state: dict[str, Any] | None) -> Path:
    per_pass, total, every = plan["iterations_per_epoch"], plan["iterations"], cfg["ckpt_every"]
    it = 0 if state is None else int(state["iteration"])
    cut = cfg["max_iterations"] is not None and (cfg["passes"] is None or cfg["max_iterations"] < cfg["passes"] * per_pass)
    log = rl.RunLogWriter(out / LOG)
    resumed = None if state is None else {"iteration": it, "pass": int(state["pass"]), "checkpoint": state["path"]}

    def save(final: bool) -> None:
        ckpt = {"model": model.state_dict(), "optimizer": opt.state_dict(), "iteration": it, "pass": it // per_pass,
                "position": it % per_pass, "rng": {"torch": torch.get_rng_state()}, "config": cfg, "plan": plan}
        path = _publish(out, f"ckpt_{it:08d}.pt", lambda fh: torch.save(ckpt, fh))
        _publish(out, LATEST, lambda fh: fh.write(path.name.encode() + b"\n"))
        log.checkpoint(it, path, final=final)

    with rl.stop_on_signals() as stop, log.segment(config=cfg, plan=plan, dataset=data.record(), resume=resumed,
                                                   model_parameters=sum(p.numel() for p in model.parameters())):
        if it >= total:
            log.end("already-complete", it)
            return out / LOG
        while it < total:
            p = it // per_pass
            batches = pass_batches(len(data), cfg["batch_size"], cfg["drop_last"], cfg["seed"], p)
            position = it % per_pass
            log.pass_start(p, it)
            drawn = seen = 0
            for indices in batches[position:]:
                points, poses = data.batch(indices, p)
                opt.zero_grad()
                loss = torch.nn.functional.mse_loss(model(points), poses)
                loss.backward()
                opt.step()
                it, drawn, seen = it + 1, drawn + 1, seen + len(indices)
                log.add_loss(it, loss.item())
                if position + drawn == len(batches) or it == total:
                    log.pass_end(p, it, batches=drawn, samples_seen=seen)
                saved = (bool(every) and it % every == 0) or it == total
                if saved:
                    save(final=it == total)
                if (stop or it == cfg["interrupt_at"]) and it < total:
                    if not saved:
                        save(final=False)
                    log.end("interrupted", it)
                    return out / LOG
                if it == total:
                    break
        log.end("max-iterations" if cut else "completed", it)
    return out / LOG
