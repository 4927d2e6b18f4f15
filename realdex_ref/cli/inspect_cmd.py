"""``realdex inspect ROOT``: what a data root holds, by layout and object, counted by frames (spec chapter 5)."""
from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("root", metavar="ROOT", help="the data root (a folder)")
    parser.add_argument("--json", action="store_true", help="print the inventory as one JSON object")


def render(inv: dict) -> str:
    lines = [f"{inv['root']}: {inv['total_samples']} samples (frames) in {inv['files']} data file(s)"]
    for name, d in inv["by_layout"].items():
        lines.append(f"  layout {name}: {d['samples']} samples in {d['files']} file(s)")
        for obj, n in d["objects"].items():
            lines.append(f"    {obj}: {n}")
    if inv["problems"]:
        lines.append(f"{len(inv['problems'])} problem(s):")
        lines += [f"  {p['severity']} {p['code']}: {p['path']}: {p['message']}" for p in inv["problems"]]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from realdex_ref import dataroot
    from realdex_ref.errors import DataError

    try:
        inv = dataroot.inspect_root(args.root).as_dict()
    except DataError as exc:
        print(f"realdex inspect: {exc}")
        return 2
    print(json.dumps(inv, indent=2) if args.json else render(inv))
    return 0
