"""``realdex inspect ROOT``: what a data root holds, by layout and object, counted by frames (spec chapter 5),
with the findings of the data checks (chapter 6) of the same walk among its problems. Exit status 1 when
a problem is an error (as ``realdex validate`` counts them), 0 otherwise."""
from __future__ import annotations

import argparse
import json

from realdex_ref.cli import common, walkopts


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("root", metavar="ROOT", help="the data root (a folder)")
    parser.add_argument("--layout", choices=common.LAYOUTS,
                        help="the layout to check in a root that holds several (then MIXED_LAYOUTS is no error); "
                             "every layout is counted either way")
    parser.add_argument("--json", action="store_true", help="print the inventory as one JSON object on stdout")
    parser.add_argument("--num-points", type=common.positive_int, default=1024, metavar="K",
                        help="object points a loader samples per item, for the small-cloud check (default 1024, as RealDex)")
    common.add_quiet(parser)
    walkopts.add_walk_options(parser)


def render(inv: dict) -> str:
    from realdex_ref.errors import printable

    lines = [f"{printable(inv['root'])}: {inv['total_samples']} samples (frames) in {inv['files']} data file(s)"]
    for name, d in inv["by_layout"].items():
        lines.append(f"  layout {name}: {d['samples']} samples in {d['files']} file(s)")
        for obj, n in d["objects"].items():
            lines.append(f"    {printable(obj)}: {n}")
    if inv["problems"]:
        lines.append(f"{len(inv['problems'])} problem(s):")
        lines += ["  " + common.problem_line(p) for p in inv["problems"]]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from realdex_ref import datachecks

    with common.walk_progress(args, args.root) as bar:
        inventory, checked = datachecks.scan_and_check(args.root, args.num_points, args.layout, progress=bar,
                                                              **walkopts.walk_kwargs(args))
    inv = inventory.as_dict()
    inv["problems"] = [p.as_dict() for p in datachecks.classify(args.root, inventory, checked, args.layout)]
    print(json.dumps(inv, indent=2) if args.json else render(inv))
    return common.FINDINGS if any(p["severity"] == "error" for p in inv["problems"]) else common.CLEAN
