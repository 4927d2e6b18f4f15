"""``realdex convert SRC DST --to LAYOUT``: a data root in another layout, all or nothing (SAFE-6..8).

Exit status 0 when converted, 1 when refused (the message says why and how to go on), 2 for a
usage error. Fields the target layout cannot hold are listed on every successful run.
"""
from __future__ import annotations

import argparse
import json
import sys
import warnings

from realdex_ref.cli import walkopts
from realdex_ref.layouts import LAYOUTS


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("src", help="data root to read")
    p.add_argument("dst", help="folder to write (absent or empty, or any with --force)")
    p.add_argument("--to", required=True, choices=LAYOUTS, help="layout to write")
    p.add_argument("--layout", choices=LAYOUTS, help="layout of SRC to read, when it holds more than one")
    p.add_argument("--force", action="store_true", help="replace DST if it holds data (only once the new root is complete)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    walkopts.add_walk_options(p)


def run(args: argparse.Namespace) -> int:
    from realdex_ref.convert import convert_root
    from realdex_ref.errors import RealDexError, printable

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = convert_root(args.src, args.dst, args.to, layout=args.layout, force=args.force,
                                      **walkopts.walk_kwargs(args))
    except RealDexError as exc:
        print(f"realdex convert: refused: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a full disk, a read-only folder: said plainly, and the staging folder is gone
        print(f"realdex convert: failed, nothing was written: {exc}", file=sys.stderr)
        return 1
    for w in caught:
        print(f"realdex convert: warning: {w.message}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
        return 0
    print(
        f"converted {result.samples} samples from {printable(result.source)} ({result.source_layout}) to {printable(result.dest)} "
        f"({result.layout}, {result.files} files)" + (", replacing what was there" if result.replaced else "")
    )
    if result.dropped:
        print(f"dropped fields (layout {result.layout!r} cannot hold them): {', '.join(result.dropped)}")
    else:
        print("dropped fields: none")
    return 0
