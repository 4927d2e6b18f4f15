"""``realdex assess ROOT|RUN``: the training assessment, before a run (a data root) or after one (a run log).

``ROOT`` with the plan's flags (those of ``realdex plan``, or ``--config``): the layouts and samples
found, the problems, the root cause and ranked fixes when the plan trains nothing or little, the
expected performance and the success criteria. ``RUN`` (a run log, or a run folder holding
``run.jsonl``): those criteria checked on the log. ``--format md`` (default) or ``json``. Exit
status 0 when nothing is wrong (before: no root cause and no error; after: every criterion
met), 1 when something is, 2 when the input cannot be read or is refused.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from realdex_ref.cli import common, walkopts


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from realdex_ref.cli import plan

    parser.add_argument("target", metavar="ROOT|RUN", help="a data root (before a run), or a run log / run folder")
    parser.add_argument("--layout", choices=common.LAYOUTS,
                        help="the layout of ROOT to assess (default: its only one, or the root cause when it holds several)")
    plan.add_arguments(parser, with_samples=False)  # the plan's flags and defaults, as in realdex plan and train
    parser.add_argument("--format", choices=("md", "json"), default=None, help="Markdown (default) or JSON (as --json)")
    parser.add_argument("--num-points", type=common.positive_int, default=1024, metavar="K",
                        help="object points a loader samples per item, for the data checks (default 1024)")
    common.add_quiet(parser)
    walkopts.add_walk_options(parser)


def _run_log(target: Path) -> Path | None:
    if target.is_file():
        return target
    if (target / "run.jsonl").is_file():
        return target / "run.jsonl"
    return None


def run(args: argparse.Namespace) -> int:
    from realdex_ref import assess

    fmt = args.format or ("json" if args.json else "md")
    target = Path(args.target)
    log = _run_log(target)
    if log is not None:
        from realdex_ref import checkrun

        report = assess.after(checkrun.verdict(log))
        bad = any(c["status"] == assess.NOT_MET for c in report["criteria"])
    else:
        report = _before(args, target)
        bad = bool(report["root_cause"]) or any(p.get("severity") == "error" for p in report["problems"])
    print(json.dumps(report, indent=2) if fmt == "json" else assess.markdown(report), end="" if fmt == "md" else "\n")
    return common.FINDINGS if bad else common.CLEAN


def _before(args: argparse.Namespace, root: Path) -> dict:
    from realdex_ref import assess, datachecks
    from realdex_ref.cli import plan

    if not root.is_dir():
        raise common.Refused(f"{root}: expected a data root (a folder) or a run log, found "
                             + ("nothing" if not root.exists() else "a file that is not a run log"))
    inputs, _keys, _step_epoch = plan.build(args, count=False)  # refuses a plan without passes before the walk
    with common.walk_progress(args, root) as bar:
        inventory, findings = datachecks.scan_and_check(root, args.num_points, progress=bar, **walkopts.walk_kwargs(args))
    inv = inventory.as_dict()
    return assess.before(inv, inv["problems"] + [p.as_dict() for p in findings], inputs, layout=args.layout)
