"""Progress of long work, on stderr: a live bar on a terminal, a plain line every few seconds in a log.

On a terminal the bar is tqdm's: it follows the terminal's width, shows the elapsed time, the rate
and the time left, and appears only once the work has taken more than a second. When stderr is
not a terminal (a batch system's log, a pipe) there is no bar and no carriage return: one plain
line every ``REALDEX_PROGRESS_EVERY`` seconds (default 30), and a last one at the end when any was
written, so a log that stays silent for hours is never a question (``REALDEX_PROGRESS_DELAY``, default
1 s, is how long work runs before a bar appears). Nothing here touches stdout, so ``--json`` output
stays JSON.

tqdm rather than rich: one small package with no dependencies of its own (rich brings pygments and
markdown-it-py), imported only once there is progress to draw (the command line must start fast), and
its ``format_meter`` gives the plain lines the same wording as the bar.
"""
from __future__ import annotations

import math
import os
import sys
import time
from typing import Any, TextIO

EVERY_ENV, DEFAULT_EVERY = "REALDEX_PROGRESS_EVERY", 30.0
DELAY_ENV, DEFAULT_DELAY = "REALDEX_PROGRESS_DELAY", 1.0  # seconds of work before a bar appears: quick commands print nothing


def _seconds(name: str, default: float) -> float:
    """Seconds from the environment variable ``name``; a bad value falls back to ``default``."""
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value >= 0 and math.isfinite(value) else default


def line_every() -> float:
    """Seconds between plain lines when stderr is not a terminal (``REALDEX_PROGRESS_EVERY``, default 30)."""
    return _seconds(EVERY_ENV, DEFAULT_EVERY)


def clock(seconds: float) -> str:
    """``h:mm:ss``, whole seconds rounded up."""
    s = max(0, int(math.ceil(seconds)))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


class Progress:
    """Progress of ``total`` units of work named ``what`` (``total`` may be unknown, or change).

    ``update(done)`` takes the absolute count done; ``note`` is shown after the counts (the loss, the
    pass). Usable as ``progress(done, total)``, the callback of the root walks, and as a context
    manager whose exit ends the bar's line cleanly, on an interruption too.
    """

    def __init__(self, what: str, total: int | None = None, unit: str = "file", *, initial: int = 0,
                 stream: TextIO | None = None, enabled: bool = True, every: float | None = None,
                 delay: float | None = None, eta_in_note: bool = False) -> None:
        self.what, self.total, self.unit = what, total, unit
        self.initial = self.done = initial
        self.note = ""
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.every = line_every() if every is None else every
        self.delay = _seconds(DELAY_ENV, DEFAULT_DELAY) if delay is None else delay
        self.eta_in_note = eta_in_note  # the caller's note gives the time left (training: the duration model)
        self.started = time.monotonic()
        self.last_line: float | None = None
        self.lines = 0
        self._bar: Any = None
        self._tty = enabled and _isatty(self.stream)

    # --- the two renderings -------------------------------------------------------------------
    def _text(self) -> str:
        """The plain line: what, counts, percentage, elapsed, rate, time left, note."""
        from tqdm import tqdm

        elapsed = time.monotonic() - self.started
        total = self.total if self.total else None
        fmt = "{desc}: {n_fmt}" + ("/{total_fmt} {unit} ({percentage:.0f}%)" if total else " {unit}") \
              + " [{elapsed} elapsed" + (", {remaining} left" if total and not self.eta_in_note else "") + ", {rate_fmt}]"
        text = tqdm.format_meter(self.done, total, elapsed, unit=self.unit, prefix=self.what,
                                 bar_format=fmt, initial=self.initial)
        return text + (f" {self.note}" if self.note else "")

    def _open_bar(self) -> Any:
        from tqdm import tqdm

        bar = tqdm(total=self.total or None, initial=self.initial, desc=self.what, unit=self.unit, file=self.stream,
                   dynamic_ncols=True, mininterval=0.2, delay=self.delay, leave=True, smoothing=0.1,
                   bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}, {rate_fmt}{postfix}]" if self.eta_in_note else None)
        bar.start_t -= time.monotonic() - self.started  # the elapsed time counts from the start of the work
        return bar

    # --- the calls ----------------------------------------------------------------------------
    def update(self, done: int, total: int | None = None, note: str | None = None) -> None:
        self.done = done
        if total is not None:
            self.total = total
        if note is not None:
            self.note = note
        if not self.enabled:
            return
        if self._tty:
            if self._bar is None:
                self._bar = self._open_bar()
            bar = self._bar
            if total is not None and bar.total != total:
                bar.total = total
            if note is not None:
                bar.set_postfix_str(note, refresh=False)
            bar.update(done - bar.n)
            return
        now = time.monotonic()
        if now - (self.last_line if self.last_line is not None else self.started) >= self.every:
            self._write_line(now)

    def __call__(self, done: int, total: int | None = None) -> None:
        self.update(done, total)

    def _write_line(self, now: float) -> None:
        self.last_line = now
        self.lines += 1
        try:
            self.stream.write(self._text() + "\n")
            self.stream.flush()
        except (OSError, ValueError):  # a log that has gone away must not end the work
            self.enabled = False

    def close(self) -> None:
        """End the bar's line (or write the last plain line, when any was written); idempotent."""
        if self._bar is not None:
            bar, self._bar = self._bar, None
            try:
                bar.close()
            except (OSError, ValueError):
                pass
        elif self.enabled and not self._tty and self.lines and self.last_line is not None:
            self._write_line(time.monotonic())
        self.enabled = False

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


class TrainingProgress:
    """The trainer's progress callback, ``progress(iteration, plan, eta_seconds, loss=None)``, as a Progress bar
    of iterations with the pass, the loss and the time left by the duration model of chapter 9."""

    def __init__(self, stream: TextIO | None = None, *, every: float | None = None, delay: float = 0.0) -> None:
        self.stream, self.every, self.delay = stream, every, delay
        self.bar: Progress | None = None
        self.iteration: int | None = None

    def __call__(self, iteration: int, plan: Any, eta: float | None, loss: float | None = None) -> None:
        if self.bar is None:  # the first call is where this segment starts (a resume starts mid-run)
            self.bar = Progress("train", plan.iterations, "it", initial=iteration, stream=self.stream,
                                every=self.every, delay=self.delay, eta_in_note=True)
        self.iteration = iteration
        per_pass = plan.iterations_per_epoch or 1
        parts = [f"pass {min(iteration // per_pass + 1, max(plan.passes, 1))}/{plan.passes}"]
        if loss is not None:
            parts.append(f"loss {loss:.3g}")
        if eta is None:  # before the duration model has its steady step time: this segment's own rate
            elapsed, done = time.monotonic() - self.bar.started, iteration - self.bar.initial
            eta = (plan.iterations - iteration) * elapsed / done if done > 0 else None
        if eta is not None:
            parts.append(f"ETA {clock(eta)}")
        self.bar.update(iteration, note=", ".join(parts))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
