"""``realdex convert SRC DST --to LAYOUT``: a data root in another layout, all or nothing (SAFE-6..8).

Exit status 0 when converted, 2 when refused or failed (the message says why and how to go on; nothing
was written) or for a usage error. Fields the target layout cannot hold are listed on every successful run.
"""
from __future__ import annotations

import argparse
import json
import warnings

from realdex_ref.cli import common, walkopts


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("src", metavar="SRC", help="data root to read")
    p.add_argument("dst", metavar="DST", help="folder to write (absent or empty, or any with --force)")
    p.add_argument("--to", required=True, choices=common.LAYOUTS, help="layout to write")
    p.add_argument("--layout", choices=common.LAYOUTS, help="layout of SRC to read, when it holds more than one")
    p.add_argument("--force", action="store_true", help="replace DST if it holds data (only once the new root is complete)")
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    common.add_quiet(p)
    walkopts.add_walk_options(p)


def run(args: argparse.Namespace) -> int:
    from realdex_ref.convert import convert_root
    from realdex_ref.errors import RealDexError, printable

    try:
        with warnings.catch_warnings(record=True) as caught, common.progress(args, f"converting {common.short(args.src)}") as bar:
            warnings.simplefilter("always")
            result = convert_root(args.src, args.dst, args.to, layout=args.layout, force=args.force, progress=bar,
                                  **walkopts.walk_kwargs(args))
    except RealDexError as exc:
        return common.fail("convert", f"refused: {exc}")
    except OSError as exc:  # a full disk, a read-only folder: said plainly, and the staging folder is gone
        where = f"{exc.filename}: " if exc.filename else ""
        return common.fail("convert", f"failed, nothing was written: {where}{exc.strerror or exc}")
    for w in caught:
        common.say("convert", f"warning: {w.message}")
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
        return common.CLEAN
    print(
        f"converted {result.samples} samples from {printable(result.source)} ({result.source_layout}) to {printable(result.dest)} "
        f"({result.layout}, {result.files} files)" + (", replacing what was there" if result.replaced else "")
    )
    if result.dropped:
        print(f"dropped fields (layout {result.layout!r} cannot hold them): {', '.join(result.dropped)}")
    else:
        print("dropped fields: none")
    return common.CLEAN
