"""``realdex synth DEST --layout L``: deterministic RealDex-like data, written by the kit's generator."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

LAYOUT_CHOICES = ("realdex-segment", "realdex-frame", "converted", "user-root")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dest", metavar="DEST", help="folder to write into (created if missing)")
    parser.add_argument(
        "--layout", required=True, choices=LAYOUT_CHOICES,
        help="a layout, or user-root: 8 converted samples beside 14,380 per-frame files (the failure of realdex-facts.md)",
    )
    parser.add_argument("--objects", nargs="+", default=["driller", "sprayer"], metavar="NAME", help="object names (default: driller sprayer)")
    parser.add_argument("--segments", type=int, default=2, metavar="N", help="segments per object (default: 2)")
    parser.add_argument("--frames", type=int, nargs=2, default=[20, 60], metavar=("A", "B"), help="frames per segment, drawn in [A, B] (default: 20 60)")
    parser.add_argument("--points", type=int, default=7000, metavar="P", help="points of each object cloud (default: 7000)")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="seed: the same seed writes the same bytes (default: 0)")
    parser.add_argument(
        "--frame-orient", choices=("matrix", "axis-angle"), default="matrix",
        help="object_orient of per-frame files: (1, 3, 3) matrix or (1, 3) axis-angle (default: matrix)",
    )
    parser.add_argument("--user-frames", type=int, default=14380, metavar="N", help="user-root only: per-frame files (default: 14380)")


def run(args: argparse.Namespace) -> int:
    from realdex_conformance import synth

    dest = Path(args.dest)
    if args.layout == "user-root":
        info = synth.write_user_root(dest, frames=args.user_frames, seed=args.seed)
        conv, frames = info["converted"], info["realdex-frame"]
        print(f"wrote {dest}: the user's root, {info['samples']} samples in all")
        print(f"  converted:     {conv['files']} files, {conv['samples']} samples")
        print(f"  realdex-frame: {frames['files']} files, {frames['samples']} samples "
              f"in {len(frames['recordings'])} recordings (8-point placeholder clouds, (1, 3, 3) object_orient)")
        return 0
    low, high = args.frames
    if low < 1 or high < low:
        print(f"realdex synth: --frames A B needs 1 <= A <= B, found {low} {high}", file=sys.stderr)
        return 2
    info = synth.write_root(
        dest, args.layout, objects=tuple(args.objects), segments_per_object=args.segments,
        frames_per_segment=(low, high), points=args.points, seed=args.seed, frame_orient=args.frame_orient,
    )
    print(f"wrote {dest}: {args.layout}, {info['num_files']} files, {info['num_frames']} frames (samples)")
    for name in args.objects:
        files = [f for f in info["files"] if f["object"] == name]
        print(f"  {name}: {len(files)} files, {sum(f['frames'] for f in files)} frames")
    return 0
