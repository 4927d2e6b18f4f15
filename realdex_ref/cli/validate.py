"""``realdex validate ROOT``: every finding of the data checks (spec chapter 6); exit 1 on an error (or, with ``--strict``, any finding)."""
from __future__ import annotations

import argparse
import json

from realdex_ref.cli import common, walkopts


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("root", metavar="ROOT", help="the data root (a folder)")
    parser.add_argument("--num-points", type=common.positive_int, default=1024, metavar="K",
                        help="object points the loader samples per item (default 1024, as RealDex)")
    parser.add_argument("--layout", choices=common.LAYOUTS, help="check only this layout of a root that holds several")
    parser.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    parser.add_argument("--json", action="store_true", help="print the findings as a JSON list on stdout")
    common.add_quiet(parser)
    walkopts.add_walk_options(parser)


def run(args: argparse.Namespace) -> int:
    from realdex_ref import datachecks
    from realdex_ref.errors import printable

    with common.walk_progress(args, args.root) as bar:
        findings = [f.as_dict() for f in datachecks.check_root(args.root, args.num_points, args.layout, progress=bar,
                                                                    **walkopts.walk_kwargs(args))]
    errors = [f for f in findings if f["severity"] == "error"]
    if args.json:
        print(json.dumps(findings, indent=2))
    else:
        for f in findings:
            print(common.problem_line(f))
        print(f"{printable(args.root)}: {len(errors)} error(s), {len(findings) - len(errors)} warning(s)")
    return common.FINDINGS if errors or (args.strict and findings) else common.CLEAN
