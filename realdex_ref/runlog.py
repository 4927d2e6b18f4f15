"""The run log (spec chapter 10): a JSON Lines writer any trainer can use, and a reader.

One line per event, appended and flushed when the event happens, so that a run killed
half-way leaves a readable log; a resumed run appends a new ``run_start`` to the same file.

    log = RunLog("runs/a/run.jsonl")
    log.run_start(config=cfg, dataset={"root": root, "layout": "realdex-frame", "samples": 14380,
                  "counts": {"realdex-frame": 14380}}, plan=plan.as_dict())
    log.epoch_start(0, iteration=0)
    log.epoch_end(0, iteration=450, samples_seen=14380, batches=450)
    log.checkpoint(500, "runs/a/ckpt_500.pt")
    log.run_end("success", "completed", iteration=112500)
"""
from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any, Callable

from realdex_ref import safejson
from realdex_ref.errors import DataError

FORMAT = "realdex-runlog/1"
EVENTS = ("run_start", "epoch_start", "epoch_end", "checkpoint", "run_end", "metrics")

# stop reason -> status it goes with, and whether it allows ending before the plan (RUNLOG-5, RUNLOG-11)
STOP_REASONS: dict[str, tuple[str, bool]] = {
    "completed": ("success", False),
    "max-iterations": ("success", False),
    "already-complete": ("success", False),
    "interrupted": ("aborted", True),
    "error": ("aborted", True),
    "time-limit": ("aborted", True),
    "early-stopping": ("aborted", True),
}


class LogError(DataError):
    """A run log that cannot be read: names the file and the line."""


def _jsonable(value: Any) -> Any:
    """Paths, numpy scalars and tuples as plain JSON values; anything else by its str."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, bool, int)) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "item"):  # numpy scalar
        return _jsonable(value.item())
    return str(value)


class RunLog:
    """Appends run-log events to ``path``; every method writes one flushed line.

    ``clock`` gives the timestamp (seconds since the Unix epoch); tests pass a fake one.
    """

    def __init__(self, path: str | Path, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.clock = clock
        self._drop_torn_tail()

    def _drop_torn_tail(self) -> None:
        """A process killed mid-write leaves a last line without its newline: drop that half event,
        so that the events appended next stay one JSON object per line."""
        if not self.path.exists():
            return
        with self.path.open("rb+") as fh:
            data = fh.read()
            if data and not data.endswith(b"\n"):
                fh.truncate(data.rfind(b"\n") + 1)

    def write(self, event: str, **fields: Any) -> dict[str, Any]:
        if event not in EVENTS:
            raise ValueError(f"unknown run-log event {event!r}; the events are {', '.join(EVENTS)}")
        record = {"event": event, "time": float(self.clock()), **_jsonable(fields)}
        line = json.dumps(record, sort_keys=False, allow_nan=False)
        # open per line: a crash never leaves a buffered event unwritten, and resumes append
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
            fh.flush()
        return record

    def run_start(self, config: dict[str, Any], dataset: dict[str, Any], plan: dict[str, Any],
                  resume: dict[str, Any] | None = None, model: dict[str, Any] | None = None) -> dict[str, Any]:
        """``dataset``: root, layout, samples (trained on), counts (samples per layout under root).

        ``resume``: None for a fresh run, else iteration, pass and checkpoint path resumed from.
        ``model``: optional, ``{"parameters": N}`` (chapter 14: the capacity memorisation is judged against).
        """
        extra = {} if model is None else {"model": model}
        return self.write("run_start", format=FORMAT, config=config, dataset=dataset, plan=plan, resume=resume, **extra)

    def metrics(self, iteration: int, loss: float, **fields: Any) -> dict[str, Any]:
        """Chapter 14: ``loss`` (mean over the iterations since the last metrics event) and optional ``parts``,
        ``iterations``, ``step_time``, ``data_time``, ``samples_per_second``, ``device_memory``; a value that is
        not finite is written as null."""
        return self.write("metrics", iteration=iteration, loss=loss, **fields)

    def epoch_start(self, pass_index: int, iteration: int) -> dict[str, Any]:
        return self.write("epoch_start", **{"pass": pass_index, "iteration": iteration})

    def epoch_end(self, pass_index: int, iteration: int, samples_seen: int, batches: int) -> dict[str, Any]:
        """``samples_seen``: samples all ranks drew in this pass; ``batches``: batches one rank drew."""
        return self.write("epoch_end", **{"pass": pass_index, "iteration": iteration,
                                          "samples_seen": samples_seen, "batches": batches})

    def checkpoint(self, iteration: int, path: str | Path, final: bool = False) -> dict[str, Any]:
        return self.write("checkpoint", iteration=iteration, path=str(path), final=final)

    def run_end(self, status: str, reason: str, iteration: int) -> dict[str, Any]:
        if reason not in STOP_REASONS:
            raise ValueError(f"unknown stop reason {reason!r}; the reasons are {', '.join(STOP_REASONS)}")
        expected = STOP_REASONS[reason][0]
        if status != expected:
            raise ValueError(f"stop reason {reason!r} goes with status {expected!r}, not {status!r} (RUNLOG-5)")
        return self.write("run_end", status=status, reason=reason, iteration=iteration)


def read_log(path: str | Path) -> list[dict[str, Any]]:
    """The events of a run log, each with its 1-based ``line`` added (RUNLOG-16 refusals name it).

    Read within the bounds of ``safejson`` (a regular file, bounded lines, depth and integers).
    A last line without its newline that is not JSON is the half event of a process killed
    mid-write: it is left out, as the writer itself drops it before appending (``RunLog``).
    """
    path = Path(path)
    events = []
    for number, raw, ended in safejson.iter_lines(path, "a run log (JSON Lines)", error=LogError):
        if not raw.strip():
            continue
        where = f"line {number}"
        try:
            record = safejson.loads(raw, path, where, error=LogError)
        except LogError:
            if not ended:
                break  # a torn last line
            raise
        if not isinstance(record, dict):
            raise LogError(f"expected a JSON object, found {type(record).__name__}", path=path, key=where)
        if not isinstance(record.get("event"), str):
            raise LogError(f"expected an 'event' name, found {str(record.get('event'))[:80]!r}", path=path, key=where)
        t = record.get("time")
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t):
            raise LogError(f"expected a numeric 'time' (seconds since the epoch), found {str(t)[:80]!r}",
                           path=path, key=where)
        events.append({**record, "line": number})
    if not any(e["event"] == "run_start" for e in events):
        raise LogError("expected at least one run_start event; found none (is this a run log?)", path=path, key="line 1")
    return events
