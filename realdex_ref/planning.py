"""Planned work and expected duration of a training run (spec chapter 9).

Units: a *pass* is one pass of every rank's loader over its share of the data; an
*iteration* is one optimizer step (``grad_accum`` batches per rank); an *epoch counter* of
``step_epoch`` iterations is a third thing and is never reported as a pass. The batch
arithmetic is the batch plan's (``batching.batch_plan``); this module only builds on it.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

from realdex_ref import batching
from realdex_ref.errors import DataError, PlanError

DEFAULT_BAND = 2.0  # the prediction band is [expected / band, expected * band] (PLAN-10)
DEFAULT_WARMUP = 5  # calibration iterations excluded from the step time (PLAN-11)


@dataclass(frozen=True)
class RunPlan:
    # inputs
    num_samples: int
    batch_size: int
    world_size: int
    drop_last: bool
    grad_accum: int
    max_iterations: int | None
    ckpt_every: int | None
    # counts; "epoch" in a name means one pass over the data (PLAN-1)
    batches_per_epoch: int  # per rank
    iterations_per_epoch: int
    passes: int  # passes begun
    iterations: int
    periodic_checkpoints: int
    checkpoints: int  # distinct checkpoints, the final one included once
    passes_per_checkpoint: float | None
    samples_per_epoch: int  # drawn by all ranks in one full pass, padding included
    samples_seen: int
    # wall-time model (None without a step time)
    step_time: float | None = None
    startup_time: float = 0.0
    save_time: float = 0.0
    eval_every: int | None = None
    eval_time: float = 0.0
    evaluations: int = 0
    band: float = DEFAULT_BAND
    expected_seconds: float | None = None
    expected_seconds_low: float | None = None
    expected_seconds_high: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def checkpoint_iterations(self, upto: int | None = None, final: bool = True) -> list[int]:
        """Iterations at which checkpoints are written, up to ``upto`` (default: the plan's end).

        ``final`` adds the last iteration's checkpoint, once, even when it is also periodic.
        """
        last = self.iterations if upto is None else min(upto, self.iterations)
        marks = list(range(self.ckpt_every, last + 1, self.ckpt_every)) if self.ckpt_every else []
        if final and (not marks or marks[-1] != last):
            marks.append(last)
        return marks

    def step_time_for(self, total_seconds: float) -> float:
        """The steady step time that makes the whole run take ``total_seconds`` under the model."""
        fixed = self.startup_time + self.save_time * self.checkpoints + self.eval_time * self.evaluations
        return (total_seconds - fixed) / self.iterations


def _positive_int(name: str, value: Any, least: int = 1) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < least:
        raise PlanError(f"{name} must be an int >= {least}, found {value!r}")
    return value


def _time(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise PlanError(f"{name} must be a number of seconds >= 0, found {value!r}")
    return float(value)


def plan_run(
    num_samples: int,
    batch_size: int,
    passes: int | None = None,
    max_iterations: int | None = None,
    drop_last: bool = False,
    world_size: int = 1,
    grad_accum: int = 1,
    ckpt_every: int | None = None,
    step_time: float | None = None,
    startup_time: float = 0.0,
    save_time: float = 0.0,
    eval_every: int | None = None,
    eval_time: float = 0.0,
    band: float = DEFAULT_BAND,
    refuse_empty: bool = True,
) -> RunPlan:
    """The planned work of a run (PLAN-1..10).

    ``refuse_empty=False`` is for the run verdict, which must describe a run that did train on
    empty passes rather than refuse to look at it.
    """
    bp = batching.batch_plan(num_samples, batch_size, world_size, drop_last)
    if refuse_empty:
        batching.check_plan(bp)
    _positive_int("grad_accum", grad_accum)
    if passes is None and max_iterations is None:
        raise PlanError("a plan needs passes (data passes, e.g. total_epoch) or max_iterations; neither was given")
    if passes is not None:
        _positive_int("passes", passes, least=0)
    if max_iterations is not None:
        _positive_int("max_iterations", max_iterations, least=0)
    if ckpt_every is not None:
        _positive_int("ckpt_every", ckpt_every)
    if eval_every is not None:
        _positive_int("eval_every", eval_every)
    if isinstance(band, bool) or not isinstance(band, (int, float)) or not band >= 1:
        raise PlanError(f"band must be a factor >= 1, found {band!r}")

    batches = bp.batches_per_epoch
    per_pass = -(-batches // grad_accum)  # the last iteration of a pass takes the leftover batches (PLAN-3)
    if passes is not None:
        iterations = passes * per_pass if max_iterations is None else min(passes * per_pass, max_iterations)
    else:
        iterations = max_iterations
    if per_pass == 0:  # only reachable with refuse_empty=False: an empty pass has no iteration to run
        iterations = 0
    if per_pass:
        begun = -(-iterations // per_pass)
    else:  # empty passes: no iteration ever happens, so the passes are all the plan can say
        begun = passes if passes is not None else 0
    # samples per rank drawn in one full pass: whole batches with drop_last, every (padded) sample without
    used_per_rank = batches * batch_size if drop_last else bp.samples_per_rank
    samples_per_epoch = world_size * used_per_rank
    full, rest = (divmod(iterations, per_pass) if per_pass else (begun, 0))
    partial = min(rest * grad_accum * batch_size, used_per_rank) * world_size
    samples_seen = full * samples_per_epoch + partial

    periodic = iterations // ckpt_every if ckpt_every else 0
    final_is_periodic = bool(ckpt_every) and iterations > 0 and iterations % ckpt_every == 0
    checkpoints = periodic + (0 if final_is_periodic else 1)
    evaluations = iterations // eval_every if eval_every else 0

    expected = low = high = None
    if step_time is not None:
        step = _time("step_time", step_time)
        start, save, ev = _time("startup_time", startup_time), _time("save_time", save_time), _time("eval_time", eval_time)
        expected = start + step * iterations + save * checkpoints + ev * evaluations
        low, high = expected / band, expected * band
    return RunPlan(
        num_samples=num_samples,
        batch_size=batch_size,
        world_size=world_size,
        drop_last=bool(drop_last),
        grad_accum=grad_accum,
        max_iterations=max_iterations,
        ckpt_every=ckpt_every,
        batches_per_epoch=batches,
        iterations_per_epoch=per_pass,
        passes=begun,
        iterations=iterations,
        periodic_checkpoints=periodic,
        checkpoints=checkpoints,
        passes_per_checkpoint=(ckpt_every / per_pass) if (ckpt_every and per_pass) else None,
        samples_per_epoch=samples_per_epoch,
        samples_seen=samples_seen,
        step_time=None if step_time is None else float(step_time),
        startup_time=float(startup_time),
        save_time=float(save_time),
        eval_every=eval_every,
        eval_time=float(eval_time),
        evaluations=evaluations,
        band=float(band),
        expected_seconds=expected,
        expected_seconds_low=low,
        expected_seconds_high=high,
    )


def plan_inputs(plan: dict[str, Any]) -> dict[str, Any]:
    """The inputs of ``plan_run`` found in a plan mapping (as logged in a run log's ``run_start``)."""
    names = ("num_samples", "batch_size", "passes", "max_iterations", "drop_last", "world_size", "grad_accum",
             "ckpt_every", "step_time", "startup_time", "save_time", "eval_every", "eval_time", "band")
    return {k: plan[k] for k in names if plan.get(k) is not None}


# --- calibration (PLAN-11) -------------------------------------------------------------------

def steady_step_time(durations: list[float], warmup: int = DEFAULT_WARMUP) -> float:
    """The median step duration after the first ``warmup`` steps are excluded."""
    steady = list(durations)[warmup:]
    if not steady:
        raise PlanError(
            f"a calibration of {len(durations)} step(s) with {warmup} warm-up step(s) leaves no steady step "
            f"to measure; run at least {warmup + 1} steps (more give a steadier median)"
        )
    return float(statistics.median(steady))


def calibrate(step: Callable[[], Any], steps: int = 20, warmup: int = DEFAULT_WARMUP,
              clock: Callable[[], float] = time.perf_counter) -> dict[str, Any]:
    """Run ``step`` ``steps`` times and return the steady step time with the durations measured."""
    durations = []
    for _ in range(steps):
        t0 = clock()
        step()
        durations.append(clock() - t0)
    return {"step_time": steady_step_time(durations, warmup), "warmup": warmup, "durations": durations}


# --- RealDex-style configuration (PLAN-12, PLAN-13) -----------------------------------------

# key -> (plan input it gives, unit, meaning)
CONFIG_KEYS: dict[str, tuple[str | None, str, str]] = {
    "batch_size": ("batch_size", "samples per batch", "samples one rank's loader yields per batch"),
    "total_epoch": ("passes", "passes", "passes over the data: the outer loop runs total_epoch times"),
    "freq.save": ("ckpt_every", "iterations", "a checkpoint every freq.save iterations (optimizer steps)"),
    "freq.step_epoch": (None, "iterations per epoch-counter tick",
                        "the 'epoch' counter that names checkpoints and drives the learning-rate schedule "
                        "goes up every step_epoch iterations; it is not a pass over the data"),
    "num_workers": (None, "processes", "loader worker processes; they change speed, not the plan"),
    "drop_last": ("drop_last", "bool", "drop each rank's last partial batch (RealDex's own loader hard-codes True)"),
    "world_size": ("world_size", "ranks", "data-parallel processes sharing each pass"),
    "grad_accum": ("grad_accum", "batches per iteration", "batches accumulated into one optimizer step"),
    "max_iterations": ("max_iterations", "iterations", "a cap on optimizer steps"),
}


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def read_config(path: str | Path) -> dict[str, Any]:
    """Read a RealDex-style YAML configuration and say what each key means in plan units.

    Returns ``{"inputs": {plan input: value}, "step_epoch": int | None, "keys": [{key, value,
    unit, meaning, used}]}``; keys the plan does not use are listed with ``used: False``.
    """
    import yaml

    from realdex_ref.safefile import open_regular, read_bounded
    from realdex_ref.safejson import MAX_BYTES, MAX_DEPTH, depth_ok

    path = Path(path)
    what = "a training configuration (YAML)"
    fh, _ = open_regular(path, what)
    try:
        with fh:
            text = read_bounded(fh, MAX_BYTES, path, what).decode("utf-8")
        # an alias repeats a node without its bytes (a "billion laughs" grows without bound): none in a config
        if any(isinstance(e, yaml.AliasEvent) for e in yaml.parse(text, Loader=yaml.SafeLoader)):
            raise DataError("expected a plain YAML mapping; found an alias (*name), which a training configuration "
                            "does not need. Write the value out", path=path)
        data = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError, ValueError) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"cannot read the training configuration: {str(exc)[:300]}", path=path) from None
    if not depth_ok(data, MAX_DEPTH):
        raise DataError(f"expected a configuration nested at most {MAX_DEPTH} deep, found it nested deeper", path=path)
    if not isinstance(data, dict):
        raise DataError(f"expected a YAML mapping of configuration keys, found {type(data).__name__}", path=path)
    flat = _flatten(data)
    inputs: dict[str, Any] = {}
    keys = []
    for key, value in flat.items():
        if key in CONFIG_KEYS:
            target, unit, meaning = CONFIG_KEYS[key]
            if target is not None:
                inputs[target] = value
            keys.append({"key": key, "value": value, "unit": unit, "meaning": meaning, "used": True})
        else:
            keys.append({"key": key, "value": value, "unit": None, "meaning": "not used by the plan", "used": False})
    step_epoch = flat.get("freq.step_epoch")
    return {"path": str(path), "inputs": inputs, "step_epoch": step_epoch, "keys": keys}


def epoch_counter_warning(plan: RunPlan, step_epoch: int | None) -> str | None:
    """PLAN-13: a warning when an epoch counter of ``step_epoch`` iterations outruns the passes."""
    if not step_epoch:
        return None
    final = plan.iterations // step_epoch
    if final <= plan.passes:
        return None
    return (
        f"the epoch counter (one tick every step_epoch={step_epoch} iterations) ends at {final}, above the "
        f"{plan.passes} passes planned: it counts iterations, not passes. A trainer that resumes with it as the "
        f"pass index starts past the last pass and ends at once; resume from the checkpoint's iteration instead "
        f"(pass = iteration // {plan.iterations_per_epoch})."
    )
