"""``realdex inspect ROOT``: what a data root holds, by layout and object, counted by frames (spec chapter 5),
with the findings of the data checks (chapter 6) of the same walk among its problems."""
from __future__ import annotations

import argparse
import json

from realdex_ref.cli import walkopts


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("root", metavar="ROOT", help="the data root (a folder)")
    parser.add_argument("--json", action="store_true", help="print the inventory as one JSON object")
    parser.add_argument("--num-points", type=int, default=1024, metavar="K",
                        help="object points a loader samples per item, for the small-cloud check (default 1024, as RealDex)")
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
        lines += [f"  {p['severity']} {p['code']}: {printable(p['path'])}: {printable(p['message'])}" for p in inv["problems"]]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from realdex_ref import datachecks
    from realdex_ref.errors import DataError

    try:
        inventory, findings = datachecks.scan_and_check(args.root, args.num_points, **walkopts.walk_kwargs(args))
        inv = inventory.as_dict()
        inv["problems"] += [p.as_dict() for p in findings]
    except DataError as exc:
        print(f"realdex inspect: {exc}")
        return 2
    print(json.dumps(inv, indent=2) if args.json else render(inv))
    return 0
