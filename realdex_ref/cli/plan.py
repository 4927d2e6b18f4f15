"""``realdex plan``: the planned work and expected duration of a training run (spec chapter 9)."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from realdex_ref.cli import walkopts


def add_arguments(parser: argparse.ArgumentParser) -> None:
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--samples", type=int, metavar="N", help="number of samples (frames) in the training set")
    src.add_argument("--data", metavar="ROOT", help="a data root: its samples are counted (chapter 5)")
    parser.add_argument("--layout", help="with --data: the layout of the root to count (default: its only one)")
    parser.add_argument("--config", metavar="FILE", help="a RealDex-style YAML config (batch_size, total_epoch, freq.save, ...)")
    parser.add_argument("--batch-size", type=int, metavar="B", help="samples per batch (config: batch_size)")
    parser.add_argument("--epochs", type=int, metavar="P", help="passes over the data (config: total_epoch)")
    parser.add_argument("--max-iterations", type=int, metavar="M", help="a cap on iterations (optimizer steps)")
    parser.add_argument("--drop-last", action=argparse.BooleanOptionalAction, default=None,
                        help="drop each rank's last partial batch (default: no, or the config's drop_last)")
    parser.add_argument("--ckpt-every", type=int, metavar="K", help="a checkpoint every K iterations (config: freq.save)")
    parser.add_argument("--world-size", type=int, metavar="W", help="data-parallel ranks (default 1)")
    parser.add_argument("--grad-accum", type=int, metavar="G", help="batches per optimizer step (default 1)")
    parser.add_argument("--step-time", type=float, metavar="S", help="steady seconds per iteration, measured or supplied")
    parser.add_argument("--startup-time", type=float, default=0.0, metavar="S", help="seconds before the first iteration")
    parser.add_argument("--save-time", type=float, default=0.0, metavar="S", help="seconds per checkpoint")
    parser.add_argument("--eval-every", type=int, metavar="E", help="an evaluation every E iterations")
    parser.add_argument("--eval-time", type=float, default=0.0, metavar="S", help="seconds per evaluation")
    parser.add_argument("--json", action="store_true", help="print the plan as one JSON object")
    walkopts.add_walk_options(parser)


def _count_root(root: str, layout: str | None, **walk: Any) -> int:
    try:
        from realdex_ref import dataroot
    except ImportError:  # the data-root module is optional to this command
        raise SystemExit("realdex plan: --data needs the data-root reader, which this version lacks; pass --samples N")
    inv = dataroot.inspect_root(root, **walk)
    if hasattr(dataroot, "choose_layout"):
        return int(inv.layouts[dataroot.choose_layout(inv, layout)])
    info = inv.as_dict() if hasattr(inv, "as_dict") else inv
    return int(info["total_samples"])


def build(args: argparse.Namespace) -> tuple[dict[str, Any], list[dict[str, Any]], int | None]:
    """(inputs of plan_run, explained config keys, step_epoch) from the flags and the config; flags win."""
    from realdex_ref import planning

    inputs: dict[str, Any] = {}
    keys: list[dict[str, Any]] = []
    step_epoch = None
    if args.config:
        cfg = planning.read_config(args.config)
        inputs.update(cfg["inputs"])
        keys, step_epoch = cfg["keys"], cfg["step_epoch"]
    flags = {"batch_size": args.batch_size, "passes": args.epochs, "max_iterations": args.max_iterations,
             "drop_last": args.drop_last, "ckpt_every": args.ckpt_every, "world_size": args.world_size,
             "grad_accum": args.grad_accum, "step_time": args.step_time, "eval_every": args.eval_every}
    inputs.update({k: v for k, v in flags.items() if v is not None})
    inputs.update(startup_time=args.startup_time, save_time=args.save_time, eval_time=args.eval_time)
    if args.samples is not None:
        inputs["num_samples"] = args.samples
    elif args.data:
        inputs["num_samples"] = _count_root(args.data, args.layout, **walkopts.walk_kwargs(args))
    return inputs, keys, step_epoch


def _text(plan: dict[str, Any], keys: list[dict[str, Any]], warning: str | None) -> str:
    lines = [
        f"samples            {plan['num_samples']:,} (batch {plan['batch_size']}, world size {plan['world_size']}, "
        f"drop_last={plan['drop_last']}, grad_accum {plan['grad_accum']})",
        f"batches per pass   {plan['batches_per_epoch']:,} per rank",
        f"iterations/pass    {plan['iterations_per_epoch']:,}",
        f"passes             {plan['passes']:,} over the data",
        f"iterations         {plan['iterations']:,} optimizer steps",
        f"checkpoints        {plan['checkpoints']:,} ({plan['periodic_checkpoints']:,} periodic"
        + (f" every {plan['ckpt_every']:,} iterations = every {plan['passes_per_checkpoint']:.2f} passes" if plan["ckpt_every"] else "")
        + ", the final one counted once)",
        f"samples seen       {plan['samples_seen']:,}",
    ]
    if plan["expected_seconds"] is not None:
        lines.append(f"expected time      {plan['expected_seconds'] / 3600:.2f} h "
                     f"(band {plan['expected_seconds_low'] / 3600:.2f} to {plan['expected_seconds_high'] / 3600:.2f} h, "
                     f"{plan['step_time']} s per iteration)")
    else:
        for hours in (1, 4, 6):
            lines.append(f"for {hours} h            {hours * 3600 / plan['iterations']:.3f} s per iteration")
    for k in keys:
        lines.append(f"config {k['key']} = {k['value']!r}: " + (f"{k['unit']}; " if k["unit"] else "") + k["meaning"])
    if warning:
        lines.append("warning: " + warning)
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from realdex_ref import planning
    from realdex_ref.errors import RealDexError

    try:
        inputs, keys, step_epoch = build(args)
        missing = [flag for key, flag in (("num_samples", "--samples N or --data ROOT"), ("batch_size", "--batch-size"))
                   if key not in inputs]
        if not {"passes", "max_iterations"} & inputs.keys():
            missing.append("--epochs or --max-iterations")
        if missing:
            print(f"realdex plan: missing {', '.join(missing)} (or a --config that gives them)", file=sys.stderr)
            return 2
        plan = planning.plan_run(**inputs)
    except (RealDexError, ValueError, OSError) as exc:
        print(f"realdex plan: {exc}", file=sys.stderr)
        return 1
    warning = planning.epoch_counter_warning(plan, step_epoch)
    out = plan.as_dict()
    if args.json:
        out.update(config_keys=keys, step_epoch=step_epoch, warnings=[warning] if warning else [])
        print(json.dumps(out, indent=2))
    else:
        print(_text(out, keys, warning))
    return 0
