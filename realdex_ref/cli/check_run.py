"""``realdex check-run``: the verdict on a run log against its plan (spec chapter 10)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from realdex_ref.cli import common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help="a run log (JSON Lines), or a run folder holding run.jsonl")
    parser.add_argument("--json", action="store_true", help="print the verdict as one JSON object on stdout")
    parser.add_argument("--plot", metavar="FILE.png", help="draw planned against actual iterations over time (needs matplotlib)")
    parser.add_argument("--plot-loss", metavar="FILE.png",
                        help="draw the loss, its parts and the step time against the iteration (chapter 14; needs matplotlib)")


def run(args: argparse.Namespace) -> int:
    from realdex_ref import checkrun
    from realdex_ref.errors import printable
    from realdex_ref.runlog import LogError

    common.check_plot("--plot", args.plot)
    common.check_plot("--plot-loss", args.plot_loss)
    path = Path(args.run)
    if path.is_dir():
        path = path / "run.jsonl"
    try:
        verdict = checkrun.verdict(path)
    except LogError as exc:
        return common.fail("check-run", exc)
    if args.plot:
        plot(verdict, args.plot)
    if args.plot_loss:
        from realdex_ref.lossplot import plot_loss

        plot_loss(verdict, args.plot_loss)
    if args.json:
        out = verdict.as_dict()
        print(json.dumps(out, indent=2))
    else:
        plan = verdict.plan
        print(f"{printable(path)}: {verdict.segments} segment(s), iteration {verdict.iteration if verdict.iteration is not None else '?'} "
              f"of {plan['iterations']:,} planned, {verdict.wall_seconds:,.1f} s of wall time"
              + (f" (model: {plan['expected_seconds_low']:,.0f} to {plan['expected_seconds_high']:,.0f} s)"
                 if plan.get("expected_seconds_low") is not None else ""))
        for f in verdict.findings:
            where = f" (line {f['line']})" if f["line"] else ""
            print(f"  {f['code']}{where}: {printable(f['message'])}")
        unmeasured = sorted({why for why in verdict.learning.measured.values() if why != "measured"})
        if unmeasured:
            print("  learning and resource use (chapter 14): " + "; ".join(unmeasured))
        print("clean: the run did its plan" if verdict.clean else f"{len(verdict.findings)} finding(s)")
    return 0 if verdict.clean else 1


def plot(verdict, dest: str | Path) -> Path:
    """Planned iterations over time (a line, with the model's band) against the logged iterations."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from realdex_ref.lossplot import time_unit

    plan, events = verdict.plan, verdict.events
    t0 = events[0]["time"]
    div, unit = time_unit(max(events[-1]["time"] - t0, plan.get("expected_seconds_high") or 0))
    points = [((e["time"] - t0) / div, e["iteration"]) for e in events if isinstance(e.get("iteration"), int)]
    fig, ax = plt.subplots(figsize=(7, 4))
    if plan.get("expected_seconds"):
        for seconds, style, label in ((plan["expected_seconds"], "-", "planned"),
                                      (plan["expected_seconds_low"], ":", "band"), (plan["expected_seconds_high"], ":", None)):
            ax.plot([plan["startup_time"] / div, seconds / div], [0, plan["iterations"]], style, color="tab:blue", label=label)
    else:
        ax.axhline(plan["iterations"], color="tab:blue", linestyle="--", label="planned iterations")
    if points:
        xs, ys = zip(*points)
        ax.plot(xs, ys, "o-", color="tab:red", markersize=2, label="logged")
    for e in events:  # resumes and stops that are not the end, where they happened
        if (e["event"] == "run_start" and e["line"] != events[0]["line"]) or \
                (e["event"] == "run_end" and e.get("status") == "aborted"):
            x = (e["time"] - t0) / div
            ax.axvline(x, color="grey", linestyle="-" if e["event"] == "run_start" else "--", linewidth=1)
            ax.annotate("resumed" if e["event"] == "run_start" else str(e.get("reason", "stopped")), (x, 0),
                        fontsize=7, color="grey", rotation=90, va="bottom")
    for f in verdict.findings:
        if f["line"]:
            ev = next((e for e in events if e["line"] == f["line"]), None)
            if ev is not None:
                ax.annotate(f["code"], ((ev["time"] - t0) / div, ev.get("iteration") or 0), fontsize=7)
    ax.set_xlabel(f"wall time since the first run_start ({unit})")
    ax.set_ylabel("iterations completed")
    ax.set_title(f"{Path(verdict.path).name}: {'clean' if verdict.clean else f'{len(verdict.findings)} finding(s)'}")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(dest, dpi=100)
    plt.close(fig)
    return Path(dest)
