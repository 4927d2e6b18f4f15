"""``realdex assess ROOT|RUN``: the training assessment, before a run (a data root) or after one (a run log).

``ROOT`` with the plan's flags (those of ``realdex plan``, or ``--config``): the layouts and samples
found, the problems, the root cause and ranked fixes when the plan trains nothing or little, the
expected performance and the success criteria. ``RUN`` (a run log, or a run folder holding
``run.jsonl``): those criteria checked on the log. ``--format md`` (default) or ``json``. Exit
status 0 when nothing is wrong (before: no root cause and no error; after: every criterion
met), 1 when something is, 2 when the input cannot be read.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from realdex_ref.cli import walkopts


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from realdex_ref.cli import plan

    parser.add_argument("target", metavar="ROOT|RUN", help="a data root (before a run), or a run log / run folder")
    plan.add_arguments(parser)  # the plan's flags, as in realdex plan (--samples/--data are not used here)
    walkopts.add_walk_options(parser)
    parser.add_argument("--format", choices=("md", "json"), default=None, help="Markdown (default) or JSON")
    parser.add_argument("--num-points", type=int, default=1024, metavar="K",
                        help="object points a loader samples per item, for the data checks (default 1024)")
    parser.set_defaults(drop_last=None)


def _run_log(target: Path) -> Path | None:
    if target.is_file():
        return target
    if (target / "run.jsonl").is_file():
        return target / "run.jsonl"
    return None


def run(args: argparse.Namespace) -> int:
    from realdex_ref import assess
    from realdex_ref.errors import RealDexError

    fmt = args.format or ("json" if args.json else "md")
    target = Path(args.target)
    try:
        log = _run_log(target)
        if log is not None:
            from realdex_ref import checkrun

            report = assess.after(checkrun.verdict(log))
            bad = any(c["status"] == assess.NOT_MET for c in report["criteria"])
        else:
            report = _before(args, target)
            bad = bool(report["root_cause"]) or any(p.get("severity") == "error" for p in report["problems"])
    except (RealDexError, ValueError, OSError) as exc:
        print(f"realdex assess: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2) if fmt == "json" else assess.markdown(report), end="" if fmt == "md" else "\n")
    return 1 if bad else 0


def _before(args: argparse.Namespace, root: Path) -> dict:
    from realdex_ref import assess, datachecks
    from realdex_ref.cli import plan

    if not root.is_dir():
        raise ValueError(f"{root}: expected a data root (a folder) or a run log, found neither")
    args.samples = args.data = None
    inputs, _keys, _step_epoch = plan.build(args)
    inputs.pop("num_samples", None)
    inputs.setdefault("drop_last", True)  # RealDex's DataLoader and the reference trainer drop the last batch
    missing = [flag for key, flag in (("batch_size", "--batch-size"),) if key not in inputs]
    if not {"passes", "max_iterations"} & inputs.keys():
        missing.append("--epochs or --max-iterations")
    if missing:
        raise ValueError(f"missing {', '.join(missing)} (or a --config that gives them)")
    inventory, findings = datachecks.scan_and_check(root, args.num_points, **walkopts.walk_kwargs(args))
    inv = inventory.as_dict()
    return assess.before(inv, inv["problems"] + [p.as_dict() for p in findings], inputs, layout=args.layout)
