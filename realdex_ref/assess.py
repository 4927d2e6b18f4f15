"""The training assessment (``realdex assess``): what the user once wrote by hand, computed.

``before`` reads a data root's inventory and data-check problems with the plan's inputs and
says what a run would do: the layouts and samples found (by frames), the problems, the root
cause when a plan trains nothing or little, the fixes ranked with their numbers, the expected
performance and the success criteria a run will be checked on. ``after`` checks those criteria
on a run log's verdict (chapters 10 and 14): each ``met``, ``not met`` or ``not measurable``,
with the figures. ``markdown`` renders either for people; both are plain JSON-ready mappings.
The numbers all come from the plan (chapter 9) and the verdict; nothing is estimated here.
"""
from __future__ import annotations

from typing import Any

from realdex_ref import learning, planning
from realdex_ref.errors import PlanError

MET, NOT_MET, NOT_MEASURABLE, TO_CHECK = "met", "not met", "not measurable", "to be checked"
HOURS = (1, 4, 6)  # durations quoted as a step-time budget when no step time is known
REFERENCE_MODEL = {"width": 64, "latent": 16}  # the reference trainer's default model, for the capacity check


def _plan(num_samples: int, inputs: dict[str, Any]) -> dict[str, Any]:
    return planning.plan_run(num_samples=num_samples, **inputs, refuse_empty=False).as_dict()


def _trains(plan: dict[str, Any]) -> str:
    """'nothing' (0 batches per pass), 'little' (one batch holds the whole pass) or 'enough'."""
    if plan["batches_per_epoch"] == 0 or plan["iterations"] == 0:
        return "nothing"
    return "little" if plan["batches_per_epoch"] == 1 else "enough"


def reference_parameters() -> int:
    from realdex_ref.model import GraspCVAE

    return sum(p.numel() for p in GraspCVAE(**REFERENCE_MODEL).parameters())


def _summary(plan: dict[str, Any]) -> dict[str, Any]:
    keys = ("num_samples", "batch_size", "world_size", "drop_last", "batches_per_epoch", "iterations_per_epoch",
            "passes", "iterations", "ckpt_every", "periodic_checkpoints", "checkpoints", "passes_per_checkpoint",
            "samples_seen", "step_time", "expected_seconds", "expected_seconds_low", "expected_seconds_high")
    return {k: plan[k] for k in keys}


def _fixes(root: str, layout: str, plan: dict[str, Any], counts: dict[str, int], inputs: dict[str, Any]) -> list[dict]:
    """Every fix of a plan that trains nothing or little, with the plan it gives, ranked by samples then iterations."""
    fixes: list[dict] = []
    n, b, w = plan["num_samples"], plan["batch_size"], plan["world_size"]
    for other, count in counts.items():
        if other == layout or count <= n:
            continue
        alt = _plan(count, inputs)
        fixes.append({"fix": f"read the root's {other!r} layout: a loader that handles it trains on {count:,} samples",
                      "command": f"realdex train {root} --layout {other} ...", "plan": _summary(alt), "kind": "layout"})
        fixes.append({"fix": f"convert the {other!r} files to {layout!r}, for a loader that reads only {layout!r} "
                             "(realdex convert lists the fields the target layout cannot hold)",
                      "command": f"realdex convert {root} {root.rstrip('/')}_{layout} --layout {other} --to {layout}",
                      "plan": _summary(alt), "kind": "convert"})
    per_rank = n // w if plan["drop_last"] else -(-n // w)
    if 0 < per_rank < b:
        smaller = {**inputs, "batch_size": per_rank}
        fixes.append({"fix": f"a smaller batch: batch_size {per_rank} makes one full batch of the {n:,} sample(s)",
                      "command": f"--batch-size {per_rank}", "plan": _summary(_plan(n, smaller)), "kind": "batch"})
    if plan["drop_last"] and plan["batches_per_epoch"] == 0 and n > 0:
        kept = {**inputs, "drop_last": False}
        fixes.append({"fix": "keep the last partial batch (drop_last=False): one short batch per pass",
                      "command": "--no-drop-last", "plan": _summary(_plan(n, kept)), "kind": "drop_last"})
    need = b * w * 2 if plan["drop_last"] else b * w + 1
    fixes.append({"fix": f"more data: at least {need:,} samples for two batches per pass at batch {b}",
                  "command": None, "plan": None, "kind": "data"})
    fixes.sort(key=lambda f: (-(f["plan"] or {}).get("num_samples", -1), -(f["plan"] or {}).get("iterations", -1)))
    for rank, f in enumerate(fixes, start=1):
        f["rank"] = rank
    return fixes


def _expected(plan: dict[str, Any]) -> dict[str, Any]:
    out = _summary(plan)
    step = plan["step_time"]
    if step is not None and plan["ckpt_every"]:
        out["seconds_between_checkpoints"] = step * plan["ckpt_every"] + plan["save_time"]
    if step is None and plan["iterations"]:
        out["step_time_for_hours"] = {str(h): planning.RunPlan(**plan).step_time_for(h * 3600) for h in HOURS}
    return out


def _criteria_before(plan: dict[str, Any], params: int) -> list[dict[str, Any]]:
    if plan["expected_seconds"] is not None:
        duration = (f"all {plan['iterations']:,} iterations in {_hours(plan['expected_seconds_low'])} to "
                    f"{_hours(plan['expected_seconds_high'])} (expected {_hours(plan['expected_seconds'])}); "
                    "no RUN-TOO-FAST, RUN-ENDED-EARLY")
    else:
        duration = (f"all {plan['iterations']:,} iterations, run_end completed; a duration band needs a step time "
                    "(--step-time S, or realdex train --calibrate)")
    small = plan["num_samples"] * learning.POSE_VALUES * learning.CAPACITY_FACTOR <= params
    return [
        {"name": "duration", "target": duration, "status": TO_CHECK},
        {"name": "samples loaded", "target": f"{plan['num_samples']:,} samples loaded, {plan['samples_seen']:,} drawn "
                                              "over the run; no RUN-WRONG-LAYOUT, RUN-SAMPLES-MISMATCH", "status": TO_CHECK},
        {"name": "learning progress",
         "target": "finite losses, the last quarter of the loss series below the first (LEARN-4, -5), no rise (LEARN-6)"
                   + (f"; warning: {plan['num_samples']:,} samples are far smaller than a {params:,}-parameter model, "
                      "a falling loss will be memorisation (LEARN-7)" if small else "; no memorisation (LEARN-7)"),
         "status": TO_CHECK},
        {"name": "resource usage", "target": "a steady step time: no tenth of the run at 1.5 times the first quarter's "
                                             "step time or slower (LEARN-8), sustained over the whole duration",
         "status": TO_CHECK},
    ]


def _hours(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.2f} h"
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.1f} s"


def before(inventory: dict[str, Any], problems: list[dict[str, Any]], inputs: dict[str, Any],
           layout: str | None = None, params: int | None = None) -> dict[str, Any]:
    """The assessment of a data root before training.

    ``inventory``: ``Inventory.as_dict()``; ``problems``: its problems and the data checks'; ``inputs``: the
    plan's inputs but ``num_samples``; ``layout``: the layout the loader reads (default: every layout is
    judged and the smallest is the one in question when the root mixes them); ``params``: the model's size
    (default: the reference model's).
    """
    params = reference_parameters() if params is None else params
    root = inventory["root"]
    counts: dict[str, int] = dict(inventory["layouts"])
    if not counts:
        raise PlanError(f"{root}: holds no file of any RealDex layout, so 0 samples; nothing to assess")
    plans = {name: _plan(n, inputs) for name, n in counts.items()}
    if layout is not None and layout not in counts:
        raise PlanError(f"{root}: holds no file of layout {layout!r}; it holds {', '.join(counts)}")
    current = layout or min(counts, key=counts.get)  # a loader that reads one layout of a mixed root: the worst case
    best = max(counts, key=counts.get)
    plan = plans[current]
    trains = _trains(plan)
    cause, fixes = None, []
    if trains != "enough":
        n, b = plan["num_samples"], plan["batch_size"]
        what = (f"the plan trains nothing: {n:,} sample(s) at batch {b} with drop_last={plan['drop_last']} give "
                f"{plan['batches_per_epoch']} batches per pass, {plan['iterations']} iterations in all") \
            if trains == "nothing" else (f"the plan trains little: {n:,} sample(s) fit in one batch of {b}, each pass is "
                                         f"one step, {plan['iterations']:,} iterations in all")
        if best != current and counts[best] > n:
            cause = (f"data format mismatch: {what}, while {counts[best]:,} samples sit beside them in layout {best!r}, "
                     f"which a loader reading only {current!r} does not see")
        else:
            cause = f"too little data for the batch: {what}"
        fixes = _fixes(root, current, plan, counts, inputs)
    target = next((f["plan"] for f in fixes if f["plan"] and _trains(f["plan"]) == "enough"), None)
    expected_plan = plan
    if target is not None:
        expected_plan = _plan(target["num_samples"], {**inputs, "batch_size": target["batch_size"],
                                                      "drop_last": target["drop_last"]})
    layouts = [{"layout": name, "samples": d["samples"], "files": d["files"], "objects": d["objects"],
                "batches_per_epoch": plans[name]["batches_per_epoch"], "iterations": plans[name]["iterations"],
                "trains": _trains(plans[name])} for name, d in inventory["by_layout"].items()]
    values = plan["num_samples"] * learning.POSE_VALUES
    memorises = values * learning.CAPACITY_FACTOR <= params
    capacity = (f"{plan['num_samples']:,} samples x {learning.POSE_VALUES} pose values = {values:,} values against "
                f"{params:,} model parameters: " + ("far smaller than the model, a run on them memorises (LEARN-7)"
                                                    if memorises else "not far smaller than the model"))
    return {"kind": "before", "root": root, "capacity": capacity, "memorises": memorises, "total_samples": inventory["total_samples"], "layouts": layouts,
            "layout_assessed": current, "problems": problems, "plan": _summary(plan), "trains": trains,
            "root_cause": cause, "fixes": fixes, "expected": _expected(expected_plan),
            "criteria": _criteria_before(expected_plan, params)}


# --- after a run ------------------------------------------------------------------------------

_CRITERIA = {  # criterion -> the finding codes that make it "not met"
    "duration": ("RUN-TOO-FAST", "RUN-ENDED-EARLY", "RUN-EMPTY-PASS", "RUN-RESUMED-FINISHED", "RUN-PASS-JUMP",
                 "RUN-NOT-FINISHED"),
    "samples loaded": ("RUN-WRONG-LAYOUT", "RUN-SAMPLES-MISMATCH", "RUN-EMPTY-PASS"),
    "learning progress": ("RUN-LOSS-NONFINITE", "RUN-NO-LEARNING", "RUN-DIVERGED", "RUN-MEMORISED"),
    "resource usage": ("RUN-SLOWDOWN",),
}


def after(verdict: Any) -> dict[str, Any]:
    """The success criteria checked on a run log's verdict (``checkrun.verdict``)."""
    plan, codes = verdict.plan, {f["code"] for f in verdict.findings}
    lrn = verdict.learning
    start = next(e for e in reversed(verdict.events) if e["event"] == "run_start")
    ds = start.get("dataset") or {}
    reached = verdict.iteration or 0
    criteria = []
    for name, bad in _CRITERIA.items():
        hit = [f for f in verdict.findings if f["code"] in bad]
        figures: dict[str, Any] = {}
        if name == "duration":
            figures = {"iterations": reached, "planned_iterations": plan["iterations"],
                       "wall_seconds": verdict.wall_seconds, "expected_seconds_low": plan.get("expected_seconds_low"),
                       "expected_seconds_high": plan.get("expected_seconds_high")}
            why = "the run is still going or died without a run_end" if "RUN-NO-END" in codes else None
        elif name == "samples loaded":
            figures = {"samples": ds.get("samples"), "counts": ds.get("counts"), "planned_samples_seen": plan["samples_seen"]}
            why = None
        elif name == "learning progress":
            figures = {k: lrn.figures.get(k) for k in ("losses", "first_loss", "last_loss", "head_median", "tail_median",
                                                       "p_decrease", "nonfinite_losses", "collapse_ratio")}
            trend = lrn.measured.get("RUN-NO-LEARNING", "")
            why = None if trend == "measured" else trend.replace("not measurable: ", "") or "no metrics events"
        else:
            figures = {k: lrn.figures.get(k) for k in ("early_step_time", "slowest_window_step_time", "window")}
            figures["wall_seconds"] = verdict.wall_seconds
            trend = lrn.measured.get("RUN-SLOWDOWN", "")
            why = None if trend == "measured" else trend.replace("not measurable: ", "") or "no metrics events"
            if reached == 0:  # the user's "immediate termination": nothing ran, so nothing was used
                hit = hit or [{"code": "RUN-EMPTY-PASS" if "RUN-EMPTY-PASS" in codes else "RUN-ENDED-EARLY",
                               "message": f"the run did 0 iterations in {verdict.wall_seconds:.1f} s"}]
        status = NOT_MET if hit else (NOT_MEASURABLE if why else MET)
        criteria.append({"name": name, "status": status, "findings": [f["code"] for f in hit],
                         "why": "; ".join(f["message"] for f in hit) if hit else why, "figures": figures})
    return {"kind": "run", "path": verdict.path, "clean": verdict.clean, "plan": _summary(plan),
            "findings": verdict.findings, "criteria": criteria,
            "metrics_events": lrn.metrics_events}


# --- Markdown ----------------------------------------------------------------------------------

def _n(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.4g}"
    return str(v)


def _plan_lines(p: dict[str, Any]) -> list[str]:
    lines = [f"- Samples: {_n(p['num_samples'])} at batch {p['batch_size']} (world size {p['world_size']}, "
             f"drop_last={p['drop_last']})",
             f"- Batches per pass: {_n(p['batches_per_epoch'])} per rank; passes: {_n(p['passes'])}; "
             f"iterations: {_n(p['iterations'])}",
             f"- Checkpoints: {_n(p['checkpoints'])}" + (f", every {_n(p['ckpt_every'])} iterations "
                                                         f"(every {p['passes_per_checkpoint']:.2f} passes)"
                                                         if p["ckpt_every"] and p["passes_per_checkpoint"] else "")]
    if p.get("seconds_between_checkpoints") is not None:
        lines.append(f"- Wall time between checkpoints: {_hours(p['seconds_between_checkpoints'])}")
    if p["expected_seconds"] is not None:
        lines.append(f"- Duration: {_hours(p['expected_seconds'])} expected at {p['step_time']:.4g} s per iteration, "
                     f"band {_hours(p['expected_seconds_low'])} to {_hours(p['expected_seconds_high'])}")
    elif p.get("step_time_for_hours"):
        lines.append("- Duration: no step time given (--step-time S, or realdex train --calibrate); "
                     + ", ".join(f"{h} h needs {s:.3f} s per iteration" for h, s in p["step_time_for_hours"].items()))
    return lines


def markdown(report: dict[str, Any]) -> str:
    return _md_before(report) if report["kind"] == "before" else _md_after(report)


def _md_before(r: dict[str, Any]) -> str:
    status = "ISSUE DETECTED" if r["root_cause"] or any(p.get("severity") == "error" for p in r["problems"]) else "READY"
    out = [f"# RealDex training assessment: {r['root']}", "", f"**Status:** {status}", "",
           "## Dataset size analysis", "", f"{_n(r['total_samples'])} samples (frames) under the root.", "",
           "| layout | samples | files | batches per pass | iterations | trains |", "|---|---:|---:|---:|---:|---|"]
    for lay in r["layouts"]:
        out.append(f"| {lay['layout']} | {_n(lay['samples'])} | {_n(lay['files'])} | {_n(lay['batches_per_epoch'])} | "
                   f"{_n(lay['iterations'])} | {lay['trains']} |")
    for lay in r["layouts"]:
        out += ["", f"{lay['layout']}: " + ", ".join(f"{k} {_n(v)}" for k, v in lay["objects"].items())]
    out += ["", "## Problems", ""]
    out += [f"- {p.get('severity', '')} {p.get('code', '')}: {p.get('path', '')}: {p.get('message', '')}"
            for p in r["problems"]] or ["- none found"]
    out += ["", f"## Plan for layout {r['layout_assessed']!r}", "", *_plan_lines(r["plan"]),
            f"- Capacity: {r['capacity']}", ""]
    if r["root_cause"]:
        out += ["## Root cause", "", r["root_cause"], "", "## Fixes, ranked", ""]
        for f in r["fixes"]:
            p = f["plan"]
            numbers = (f": {_n(p['num_samples'])} samples, {_n(p['batches_per_epoch'])} batches per pass, "
                       f"{_n(p['iterations'])} iterations" if p else "")
            cmd = f" (`{f['command']}`)" if f["command"] else ""
            out.append(f"{f['rank']}. {f['fix']}{numbers}{cmd}")
        out.append("")
    out += ["## Expected training performance" + (" (with fix 1)" if r["root_cause"] else ""), "",
            *_plan_lines(r["expected"]), "", "## Success criteria (checked by `realdex assess RUN`)", ""]
    out += [f"- **{c['name']}**: {c['target']}" for c in r["criteria"]]
    return "\n".join(out) + "\n"


def _md_after(r: dict[str, Any]) -> str:
    verdict = "clean" if r["clean"] else f"{len(r['findings'])} finding(s)"
    out = [f"# RealDex run assessment: {r['path']}", "",
           f"**Verdict:** {verdict}; "
           f"{_n(r['metrics_events'])} metrics event(s)", "", "## Success criteria", "",
           "| criterion | status | figures |", "|---|---|---|"]
    for c in r["criteria"]:
        figs = ", ".join(f"{k} {_n(v)}" for k, v in c["figures"].items() if v is not None and not isinstance(v, dict))
        out.append(f"| {c['name']} | {c['status']} | {figs} |")
    out += ["", "## Why", ""]
    out += [f"- **{c['name']}** ({c['status']}): {c['why']}" for c in r["criteria"] if c["why"]] or ["- every criterion met"]
    out += ["", "## Plan", "", *_plan_lines(r["plan"])]
    return "\n".join(out) + "\n"
