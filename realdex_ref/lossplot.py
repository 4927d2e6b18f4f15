"""Drawings of a run verdict (spec chapters 10 and 14): the loss and its parts, and time in units that fit.

``plot_loss`` draws, against the iteration, the loss and each of its parts on their own axes and
the step time below them, with every resume and interruption marked and each finding of
chapter 14 placed at the event where it shows. It needs matplotlib (the optional dependency
``plot``); a run log without ``metrics`` events gives a figure that says so.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from realdex_ref.learning import series

# (seconds at least, divisor, unit): the largest unit that still shows a run of that length in numbers above 1
_UNITS = ((7200, 3600, "h"), (120, 60, "min"), (2, 1, "s"), (0, 1e-3, "ms"))


def time_unit(seconds: float) -> tuple[float, str]:
    """(divisor, unit) for showing a span of ``seconds``: hours for hours-long runs, minutes, seconds, ms."""
    for low, div, unit in _UNITS:
        if seconds >= low:
            return div, unit
    return _UNITS[-1][1:]


def _finite(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else None


def plot_loss(verdict: Any, dest: str | Path) -> Path:
    """The loss, its parts and the step time of ``verdict``'s run log against the iteration, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, _ = series(verdict.events)
    parts = sorted({k for r in rows if isinstance(r.get("parts"), dict) for k in r["parts"]})
    steps = [(r["iteration"], _finite(r.get("step_time"))) for r in rows if _finite(r.get("step_time"))]
    panels = ["loss", *parts] + (["step_time"] if steps else [])
    fig, axes = plt.subplots(len(panels), 1, figsize=(8, 2.2 * len(panels) + 0.8), sharex=True, squeeze=False)
    axes = [a[0] for a in axes]
    title = f"{Path(verdict.path).name}: " + ("clean" if verdict.clean else f"{len(verdict.findings)} finding(s)")
    if not rows:
        axes[0].text(0.5, 0.5, "no metrics events in this run log:\nlearning and resource use not measured",
                     ha="center", va="center", transform=axes[0].transAxes)
    for ax, name in zip(axes, panels):
        if name == "step_time":
            div, unit = time_unit(max(s for _, s in steps))
            ax.plot([i for i, _ in steps], [s / div for _, s in steps], color="tab:green", linewidth=1)
            ax.set_ylabel(f"step time ({unit})")
            continue
        pick = (lambda r: r.get("loss")) if name == "loss" else (lambda r, n=name: (r.get("parts") or {}).get(n))
        pts = [(r["iteration"], _finite(pick(r))) for r in rows]
        good = [(i, v) for i, v in pts if v is not None]
        if good:
            ax.plot(*zip(*good), color="tab:blue" if name == "loss" else "tab:purple", linewidth=1)
            if min(v for _, v in good) > 0:
                ax.set_yscale("log")
        bad = [i for i, v in pts if v is None]
        if bad:  # non-finite values: a red tick at the bottom of the axes, where no number can be drawn
            ax.plot(bad, [0.02] * len(bad), "|", color="tab:red", transform=ax.get_xaxis_transform(),
                    markersize=10, label="not finite")
            ax.legend(loc="upper right", fontsize=7)
        ax.set_ylabel(name if name == "loss" else f"{name} (loss part)")
    _mark_segments(verdict, axes)
    _place_findings(verdict, axes, panels)
    axes[-1].set_xlabel("iteration (optimizer steps completed)")
    axes[0].set_title(title)
    fig.tight_layout()
    fig.savefig(dest, dpi=100)
    plt.close(fig)
    return Path(dest)


def _mark_segments(verdict: Any, axes: list[Any]) -> None:
    """A resume as a solid grey line at the iteration it resumed from; a stop that is not the end as dashed."""
    for e in verdict.events:
        resume = e.get("resume") if e.get("event") == "run_start" else None
        if isinstance(resume, dict) and isinstance(resume.get("iteration"), int):
            for ax in axes:
                ax.axvline(resume["iteration"], color="grey", linewidth=1)
            axes[0].annotate("resumed", (resume["iteration"], 1), xycoords=("data", "axes fraction"),
                             fontsize=7, color="grey", va="top")
        if e.get("event") == "run_end" and e.get("status") == "aborted" and isinstance(e.get("iteration"), int):
            for ax in axes:
                ax.axvline(e["iteration"], color="grey", linestyle="--", linewidth=1)
            axes[0].annotate(e.get("reason", "stopped"), (e["iteration"], 0.9), xycoords=("data", "axes fraction"),
                             fontsize=7, color="grey", va="top")


def _place_findings(verdict: Any, axes: list[Any], panels: list[str]) -> None:
    by_line = {e["line"]: e for e in verdict.events}
    for f in verdict.findings:
        e = by_line.get(f.get("line"))
        if e is None or e.get("event") != "metrics" or not isinstance(e.get("iteration"), int):
            continue
        ax = axes[panels.index("step_time")] if f["code"] == "RUN-SLOWDOWN" and "step_time" in panels else axes[0]
        ax.axvline(e["iteration"], color="tab:red", linewidth=1, alpha=0.6)
        ax.annotate(f["code"], (e["iteration"], 0.5), xycoords=("data", "axes fraction"), fontsize=7,
                    color="tab:red", rotation=90, va="center")
