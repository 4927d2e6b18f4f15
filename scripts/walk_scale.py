"""Walks of a large per-frame root, for the projection to RealDex's size (issue figures; not a test).

    .venv/bin/python scripts/walk_scale.py DEST [--files 200000] [--jobs 2]

Writes DEST (once: a root of FILES per-frame files, every frame distinct, made from one file of the
kit's generator), then times a serial walk, a walk in JOBS workers, a first walk through an empty
index and a reopen through it (what ``realdex inspect`` runs: the inventory and the data checks),
and prints one JSON line per walk as it ends (seconds, ms per file, load), then the peak resident memory.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from realdex_conformance import synth  # noqa: E402
from realdex_ref import datachecks, index  # noqa: E402


def write(dest: Path, files: int) -> None:
    template = dest.parent / (dest.name + "-template")
    synth.write_root(template, "realdex-frame", objects=("mug",), segments_per_object=1, frames_per_segment=(2, 3), points=8)
    arrays = dict(np.load(sorted(template.rglob("*.npz"))[0]))
    shutil.rmtree(template)
    per_folder = 2000  # a recording of 2,000 frames, as RealDex's are (a few thousand)
    for i in range(files):
        folder = dest / f"mug_{i // per_folder}"
        if i % per_folder == 0:
            folder.mkdir(parents=True, exist_ok=True)
        frame = {k: (v + 1e-4 * i if k in ("hand_transl", "object_transl") else v) for k, v in arrays.items()}
        np.savez(folder / f"{i % per_folder}.npz", **frame)


def timed(what: str, fn) -> dict:
    t = time.perf_counter()
    inv, findings = fn()
    return {"what": what, "seconds": round(time.perf_counter() - t, 2), "files": len(inv.files),
            "frames": inv.total_samples, "findings": len(findings)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("dest", type=Path)
    ap.add_argument("--files", type=int, default=200_000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--runs", nargs="*", help="which walks, in order (default: serial, jobs=J, first indexed, reopen)")
    args = ap.parse_args()
    if not args.dest.exists():
        t = time.perf_counter()
        write(args.dest, args.files)
        print(f"wrote {args.files} files in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        time.sleep(index.RACY_NS / 1e9 + 0.5)  # every stamp older than the racy window: kept by the index
    ix = index.Index(args.dest.parent / (args.dest.name + "-index"))
    shutil.rmtree(ix.folder, ignore_errors=True)
    plan = {"serial": lambda: datachecks.scan_and_check(args.dest, 8),
            f"jobs={args.jobs}": lambda: datachecks.scan_and_check(args.dest, 8, jobs=args.jobs),
            f"first indexed, jobs={args.jobs}": lambda: datachecks.scan_and_check(args.dest, 8, jobs=args.jobs, index=ix),
            "reopen": lambda: datachecks.scan_and_check(args.dest, 8, jobs=args.jobs, index=ix)}
    for what in args.runs or list(plan):
        r = timed(what, plan[what])
        r["ms_per_file"] = round(1000 * r["seconds"] / max(r["files"], 1), 3)
        r["load"] = os.getloadavg()[0]
        print(json.dumps(r), flush=True)  # each walk as it ends: a long run cut short keeps what it measured
    print(json.dumps({"index_bytes": ix.path_for(args.dest).stat().st_size if ix.path_for(args.dest).exists() else 0,
                      "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
