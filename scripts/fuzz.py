"""Fuzz the reference's readers: byte mutations of valid files of every layout, and of a valid run log.

    .venv/bin/python scripts/fuzz.py [--inputs 10000] [--seed 0] [--json]

Each input is a valid file (``conformance/malformed.py: valid_files``) or run log with one to four
mutations (``malformed.mutate``: bit flips, overwritten ranges, cuts, repeats, zeroed ranges and
2- or 4-byte integers set to their maximum or to random values). It is read with
``layouts.load_file`` (files) or ``checkrun.verdict`` (logs). Counted: reads, refusals
(``DataError``), tracebacks (any other exception: a defect), blow-ups (an input costing more than
64 MiB of Python allocations or 5 s). The process's peak RSS bounds the worst case. Exit status 1
when any traceback or blow-up was found, each listed with the mutations that reproduce it.
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
import tracemalloc
import traceback
import warnings
from pathlib import Path

from realdex_conformance import malformed
from realdex_ref import checkrun, layouts
from realdex_ref.errors import DataError

MEMORY, SECONDS = 64 * 2**20, 5.0


def valid_log() -> bytes:
    plan = {"num_samples": 100, "batch_size": 10, "world_size": 1, "drop_last": False, "grad_accum": 1,
            "passes": 2, "max_iterations": None, "ckpt_every": 5}
    events = [{"event": "run_start", "time": 0.0, "format": "realdex-runlog/1", "config": {"batch_size": 10},
               "dataset": {"root": "/d", "layout": "realdex-frame", "samples": 100, "counts": {"realdex-frame": 100}},
               "plan": plan, "resume": None}]
    for p in range(2):
        events.append({"event": "epoch_start", "time": p * 10.0, "pass": p, "iteration": p * 10})
        events.append({"event": "checkpoint", "time": p * 10 + 5.0, "iteration": p * 10 + 5, "path": "c.pt", "final": False})
        events.append({"event": "epoch_end", "time": p * 10 + 10.0, "pass": p, "iteration": p * 10 + 10,
                       "samples_seen": 100, "batches": 10})
        events.append({"event": "checkpoint", "time": p * 10 + 10.0, "iteration": p * 10 + 10, "path": "c.pt",
                       "final": p == 1})
    events.append({"event": "run_end", "time": 21.0, "status": "success", "reason": "completed", "iteration": 20})
    return "".join(json.dumps(e) + "\n" for e in events).encode()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inputs", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    bases = {**malformed.valid_files(), "run-log": valid_log()}
    names = sorted(bases)
    counts = {"inputs": 0, "read": 0, "refused": 0, "tracebacks": 0, "blowups": 0}
    worst = {"peak_bytes": 0, "seconds": 0.0}
    defects: list[dict] = []
    t_start = time.perf_counter()
    tracemalloc.start()
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for n in range(args.inputs):
            base = names[n % len(names)]
            ops = [(rng.choice(malformed.MUTATIONS), rng.randrange(2**20), rng.randrange(2**32))
                   for _ in range(rng.randint(1, 4))]
            data = malformed.mutate(bases[base], ops)
            path = Path(tmp) / ("run.jsonl" if base == "run-log" else "driller/0.npz")
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(data)
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
            t0 = time.perf_counter()
            outcome = "read"
            try:
                checkrun.verdict(path) if base == "run-log" else layouts.load_file(path)
            except DataError:
                outcome = "refused"
            except Exception as exc:  # a traceback a user would see: the defect this script hunts
                outcome = "tracebacks"
                defects.append({"base": base, "ops": ops, "error": f"{type(exc).__name__}: {exc}"[:300],
                                "where": traceback.format_tb(exc.__traceback__)[-1].strip()[:300]})
            seconds = time.perf_counter() - t0
            peak = tracemalloc.get_traced_memory()[1] - before
            counts["inputs"] += 1
            counts[outcome] += 1
            if peak > worst["peak_bytes"]:
                worst.update(peak_bytes=peak, peak_base=base, peak_ops=ops)
            worst["seconds"] = max(worst["seconds"], seconds)
            if peak > MEMORY or seconds > SECONDS:
                counts["blowups"] += 1
                defects.append({"base": base, "ops": ops, "blowup": {"peak_bytes": peak, "seconds": seconds}})
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux
    report = {**counts, "seed": args.seed, "wall_seconds": round(time.perf_counter() - t_start, 1),
              "peak_rss_bytes": rss, "worst_input_peak_bytes": worst["peak_bytes"],
              "worst_input_seconds": round(worst["seconds"], 4), "worst_input": {"base": worst.get("peak_base"),
                                                                                 "ops": worst.get("peak_ops")},
              "defects": defects[:50]}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{counts['inputs']:,} inputs (seed {args.seed}): {counts['read']:,} read, {counts['refused']:,} refused, "
              f"{counts['tracebacks']} traceback(s), {counts['blowups']} blow-up(s) in {report['wall_seconds']} s")
        print(f"worst input: {worst['peak_bytes'] / 2**20:.2f} MiB of Python allocations ({worst.get('peak_base')}), "
              f"slowest {worst['seconds'] * 1000:.1f} ms; peak RSS of the process {rss / 2**20:.0f} MiB")
        for d in defects[:20]:
            print(f"  {d}")
    return 1 if counts["tracebacks"] or counts["blowups"] else 0


if __name__ == "__main__":
    sys.exit(main())
