"""``realdex plan``: the planned work and expected duration of a training run (spec chapter 9)."""
from __future__ import annotations

import argparse
import json
from typing import Any

from realdex_ref.cli import common, walkopts


def add_arguments(parser: argparse.ArgumentParser, *, with_samples: bool = True) -> None:
    """The plan's flags: shared by ``plan``, ``assess`` (without ``--samples``/``--data``) and, in name and
    default, by ``train``."""
    if with_samples:
        src = parser.add_mutually_exclusive_group()
        src.add_argument("--samples", type=common.positive_int, metavar="N", help="number of samples (frames) in the training set")
        src.add_argument("--data", metavar="ROOT", help="a data root: its samples are counted (chapter 5)")
        parser.add_argument("--layout", choices=common.LAYOUTS,
                            help="with --data: the layout of the root to count (default: its only one; a root "
                                 "holding several is refused until one is chosen)")
    add_plan_flags(parser)
    parser.add_argument("--world-size", type=common.positive_int, metavar="W", help="data-parallel ranks (default 1)")
    parser.add_argument("--startup-time", type=common.seconds, default=0.0, metavar="S", help="seconds before the first iteration (default 0)")
    parser.add_argument("--save-time", type=common.seconds, default=0.0, metavar="S", help="seconds per checkpoint (default 0)")
    parser.add_argument("--eval-every", type=common.positive_int, metavar="E", help="an evaluation every E iterations (default: none)")
    parser.add_argument("--eval-time", type=common.seconds, default=0.0, metavar="S", help="seconds per evaluation (default 0)")
    parser.add_argument("--json", action="store_true", help="print the plan as one JSON object on stdout")
    if with_samples:
        common.add_quiet(parser)
        walkopts.add_walk_options(parser)


def add_plan_flags(parser: argparse.ArgumentParser) -> None:
    """The flags ``plan``, ``assess`` and ``train`` share: one name, one meaning and one default each."""
    parser.add_argument("--config", metavar="FILE",
                        help="a RealDex-style YAML config (batch_size, total_epoch, freq.save, learning_rate, ...); flags win")
    parser.add_argument("--batch-size", type=common.positive_int, metavar="B",
                        help=f"samples per batch per rank (config: batch_size; default {DEFAULT_BATCH_SIZE})")
    parser.add_argument("--passes", "--epochs", dest="passes", type=common.count, metavar="P",
                        help="passes over the data (config: total_epoch). --epochs is the same flag: a RealDex "
                             "'epoch' of total_epoch is one pass over the data, not the step_epoch counter")
    parser.add_argument("--max-iterations", type=common.count, metavar="M", help="a cap on iterations (optimizer steps)")
    parser.add_argument("--drop-last", dest="drop_last", action=argparse.BooleanOptionalAction, default=None,
                        help="drop each rank's last partial batch (config: drop_last; default: on, as RealDex's loader)")
    parser.add_argument("--ckpt-every", type=common.positive_int, metavar="K", help="a checkpoint every K iterations (config: freq.save)")
    parser.add_argument("--grad-accum", type=common.positive_int, metavar="G", help="batches per optimizer step (default 1)")
    parser.add_argument("--step-time", type=common.positive_float, metavar="S",
                        help="steady seconds per iteration, measured or supplied, for the expected duration")


# the defaults of the plan are the trainer's (realdex_ref.trainer.DEFAULTS; a test checks they agree)
DEFAULT_BATCH_SIZE = 32
DEFAULT_DROP_LAST = True
MISSING_PASSES = "--passes P (or --epochs P) or --max-iterations M"


def _count_root(args: argparse.Namespace) -> int:
    from realdex_ref import dataroot

    with common.walk_progress(args, args.data) as bar:
        inv = dataroot.inspect_root(args.data, progress=bar, **walkopts.walk_kwargs(args))
    return int(inv.layouts[dataroot.choose_layout(inv, args.layout)])


def build(args: argparse.Namespace, *, count: bool = True) -> tuple[dict[str, Any], list[dict[str, Any]], int | None]:
    """(inputs of plan_run, explained config keys, step_epoch) from the flags, the config and the defaults;
    flags win. Refuses (Refused) a plan without its passes before any root is walked; with ``count`` the
    root of ``--data`` is counted last, once the rest is known to be complete."""
    from realdex_ref import planning

    inputs: dict[str, Any] = {}
    keys: list[dict[str, Any]] = []
    step_epoch = None
    if args.config:
        cfg = planning.read_config(args.config)
        inputs.update(cfg["inputs"])
        keys, step_epoch = cfg["keys"], cfg["step_epoch"]
        for warning in common.config_for_trainer(keys)[1]:
            common.say(getattr(args, "_name", "plan"), f"{args.config}: {warning}")
    flags = {"batch_size": args.batch_size, "passes": args.passes, "max_iterations": args.max_iterations,
             "drop_last": args.drop_last, "ckpt_every": args.ckpt_every, "world_size": getattr(args, "world_size", None),
             "grad_accum": args.grad_accum, "step_time": args.step_time, "eval_every": getattr(args, "eval_every", None)}
    inputs.update({k: v for k, v in flags.items() if v is not None})
    inputs.setdefault("batch_size", DEFAULT_BATCH_SIZE)
    inputs.setdefault("drop_last", DEFAULT_DROP_LAST)
    inputs.update(startup_time=getattr(args, "startup_time", 0.0), save_time=getattr(args, "save_time", 0.0),
                  eval_time=getattr(args, "eval_time", 0.0))
    samples = getattr(args, "samples", None)
    if samples is not None:
        inputs["num_samples"] = samples
        # a batch plan that trains nothing is refused with its fixes, whatever else is missing
        from realdex_ref import batching

        batching.check_plan(batching.batch_plan(samples, inputs["batch_size"], inputs.get("world_size", 1), inputs["drop_last"]))
    if not {"passes", "max_iterations"} & inputs.keys():
        raise common.Refused(f"missing {MISSING_PASSES} (or a --config that gives total_epoch)")
    if count and getattr(args, "data", None):
        inputs["num_samples"] = _count_root(args)
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
                     f"{plan['step_time']:.4g} s per iteration)")
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

    if args.samples is None and not args.data:
        return common.fail("plan", "missing --samples N or --data ROOT: the number of samples to plan over")
    inputs, keys, step_epoch = build(args)  # a refusal (PlanError, Refused, DataError) exits 2 in main
    plan = planning.plan_run(**inputs)
    warning = planning.epoch_counter_warning(plan, step_epoch)
    out = plan.as_dict()
    if args.json:
        out.update(config_keys=keys, step_epoch=step_epoch, warnings=[warning] if warning else [])
        print(json.dumps(out, indent=2))
    else:
        print(_text(out, keys, warning))
    return common.CLEAN
