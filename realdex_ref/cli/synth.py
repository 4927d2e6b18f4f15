"""``realdex synth DEST --layout L``: deterministic RealDex-like data, written by the kit's generator.

All or nothing, like ``realdex convert``: the root is written into a staging folder beside DEST and
renamed into place once complete, so an interrupted or failed run leaves no partial root. A DEST that
holds anything is refused unless ``--force`` (then replaced, once the new root is complete).
"""
from __future__ import annotations

import argparse
import os
import shutil
import warnings
from pathlib import Path

from realdex_ref.cli import common

LAYOUT_CHOICES = (*common.LAYOUTS, "user-root")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dest", metavar="DEST", help="folder to write (absent or empty, or any with --force)")
    parser.add_argument(
        "--layout", required=True, choices=LAYOUT_CHOICES,
        help="a layout, or user-root: 8 converted samples beside 14,380 per-frame files with 8-point placeholder "
             "clouds (the root of a RealDex run that 'finished' in seconds)",
    )
    parser.add_argument("--objects", nargs="+", default=["driller", "sprayer"], metavar="NAME", help="object names (default: driller sprayer)")
    parser.add_argument("--segments", type=common.positive_int, default=2, metavar="N", help="segments per object (default: 2)")
    parser.add_argument("--frames", type=common.positive_int, nargs=2, default=[20, 60], metavar=("A", "B"),
                        help="frames per segment, drawn in [A, B], 1 <= A <= B (default: 20 60)")
    parser.add_argument("--points", type=common.positive_int, default=7000, metavar="P", help="points of each object cloud (default: 7000)")
    parser.add_argument("--seed", type=common.count, default=0, metavar="S", help="seed: the same seed writes the same bytes (default: 0)")
    parser.add_argument(
        "--frame-orient", choices=("matrix", "axis-angle"), default="matrix",
        help="object_orient of per-frame files: (1, 3, 3) matrix or (1, 3) axis-angle (default: matrix)",
    )
    parser.add_argument("--user-frames", type=common.positive_int, default=14380, metavar="N", help="user-root only: per-frame files (default: 14380)")
    parser.add_argument("--force", action="store_true", help="replace DEST if it holds anything (only once the new root is complete)")
    common.add_quiet(parser)


def _check_dest(dest: Path, force: bool) -> None:
    if dest.exists() and not dest.is_dir():
        raise common.Refused(f"{dest}: is a file; expected a folder to write (absent or empty). Fix: choose another DEST")
    common.check_folder_target("DEST", str(dest))
    if dest.is_dir() and any(dest.iterdir()) and not force:
        n = sum(1 for _ in dest.iterdir())
        raise common.Refused(f"{dest}: expected an empty or absent folder, found {n} entr{'y' if n == 1 else 'ies'} "
                             "(writing into it would mix two roots); nothing was written. Pass --force to replace it "
                             "once the new root is complete, or choose another DEST")


def run(args: argparse.Namespace) -> int:
    low, high = args.frames
    if high < low:
        return common.fail("synth", f"--frames A B needs A <= B, found {low} {high}")
    dest = Path(args.dest)
    _check_dest(dest, args.force)
    from realdex_conformance import synth
    from realdex_ref.convert import _move_into_place, recover
    from realdex_ref.errors import printable

    dest.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        recover(dest)  # the staging folder of a synth or convert that was killed
    for w in caught:
        common.say("synth", f"warning: {w.message}")
    staging = dest.parent / f".{dest.name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        with common.progress(args, f"writing {common.short(dest)}") as bar:
            if args.layout == "user-root":
                info = synth.write_user_root(staging, frames=args.user_frames, seed=args.seed, progress=bar)
            else:
                info = synth.write_root(
                    staging, args.layout, objects=tuple(args.objects), segments_per_object=args.segments,
                    frames_per_segment=(low, high), points=args.points, seed=args.seed, frame_orient=args.frame_orient,
                    progress=bar,
                )
        replaced = _move_into_place(staging, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # all or nothing: an interruption leaves no partial root
        raise
    shown = printable(dest)
    note = ", replacing what was there" if replaced else ""
    if args.layout == "user-root":
        conv, frames = info["converted"], info["realdex-frame"]
        print(f"wrote {shown}: the user's root, {info['samples']} samples in all{note}")
        print(f"  converted:     {conv['files']} files, {conv['samples']} samples")
        print(f"  realdex-frame: {frames['files']} files, {frames['samples']} samples "
              f"in {len(frames['recordings'])} recordings (8-point placeholder clouds, (1, 3, 3) object_orient)")
        return common.CLEAN
    print(f"wrote {shown}: {args.layout}, {info['num_files']} files, {info['num_frames']} frames (samples){note}")
    for name in args.objects:
        files = [f for f in info["files"] if f["object"] == name]
        print(f"  {printable(name)}: {len(files)} files, {sum(f['frames'] for f in files)} frames")
    return common.CLEAN
