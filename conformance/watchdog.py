"""Time limits on the implementation under test (spec chapter 13: the run always finishes).

Every member of the adapter that the contract names (``read_file``, ``make_loader``, ...) is
called through ``GuardedAdapter``: one call may take at most ``--conformance-timeout`` seconds,
and one test, all its calls and Hypothesis examples together, at most
``--conformance-test-timeout``. A limit that runs out raises ``AdapterTimeout`` in the test,
naming the member that was running; every later call of that test fails at once with the same
message, without calling the implementation again. ``AdapterTimeout`` derives from
``BaseException``, so neither Hypothesis (which would replay and shrink the hanging example,
one hang per replay) nor an ``except Exception`` of a test can swallow it.

The limits are kept with ``SIGALRM`` where there is one (it interrupts sleeps and blocking
reads too) and with an exception raised asynchronously in the test's thread elsewhere; a hang
inside compiled code that never returns to Python is out of reach of both.
"""
from __future__ import annotations

import ctypes
import functools
import signal
import threading
import time
from typing import Any, Callable

from realdex_conformance import contract

MEMBERS = frozenset(member for members in contract.CAPABILITIES.values() for member, _ in members)
_HAS_ALARM = hasattr(signal, "setitimer") and hasattr(signal, "SIGALRM")


class AdapterTimeout(BaseException):
    """A time limit of the kit ran out while the implementation under test was running."""


class Watchdog:
    """The limits of the running test; one per session."""

    def __init__(self, call_limit: float, test_limit: float) -> None:
        self.call_limit = call_limit if call_limit and call_limit > 0 else None
        self.test_limit = test_limit if test_limit and test_limit > 0 else None
        self._test_deadline: float | None = None
        self._call_deadline: float | None = None
        self._running: list[str] = []
        self._last: str | None = None
        self.expired: str | None = None
        self._timer: threading.Timer | None = None
        self._previous: Any = None
        self._alarm = False  # SIGALRM is ours while a phase of the test runs

    # ------------------------------------------------------------------ the running test
    # The clock of a test runs through its set-up, call and tear-down; it is stopped between
    # them, where pytest's own code runs, so that a limit never fires outside the test.
    def begin(self) -> None:
        self.expired, self._running, self._last = None, [], None
        self._test_deadline = time.monotonic() + self.test_limit if self.test_limit else None
        self._call_deadline = None

    def resume(self) -> None:
        if _HAS_ALARM and threading.current_thread() is threading.main_thread():
            self._previous, self._alarm = signal.signal(signal.SIGALRM, self._on_alarm), True
        self._arm()

    def pause(self) -> None:
        self._disarm()
        if self._alarm:
            signal.signal(signal.SIGALRM, self._previous if self._previous is not None else signal.SIG_DFL)
            self._previous, self._alarm = None, False

    # ------------------------------------------------------------------ one adapter call
    def call(self, member: str, func: Callable, args: tuple, kwargs: dict) -> Any:
        if self.expired is not None:
            raise AdapterTimeout(f"{self.expired}; {member}() was not called")
        outer = self._call_deadline
        if self.call_limit is not None and not self._running:
            self._call_deadline = time.monotonic() + self.call_limit
        self._running.append(member)
        self._last = member
        self._arm()
        try:
            return func(*args, **kwargs)
        finally:
            self._running.pop()
            if not self._running:
                self._call_deadline = outer
            self._arm()

    # ------------------------------------------------------------------ timers
    def _deadline(self) -> float | None:
        found = [d for d in (self._test_deadline, self._call_deadline if self._running else None) if d is not None]
        return min(found) if found else None

    def _arm(self) -> None:
        self._disarm()
        deadline = self._deadline()
        if deadline is None:
            return
        delay = max(deadline - time.monotonic(), 0.001)
        if self._alarm:
            signal.setitimer(signal.ITIMER_REAL, delay)
        else:
            target = threading.get_ident()
            self._timer = threading.Timer(delay, self._raise_in, args=(target,))
            self._timer.daemon = True
            self._timer.start()

    def _disarm(self) -> None:
        if self._alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _message(self) -> str:
        now = time.monotonic()
        if self._running and self._call_deadline is not None and now >= self._call_deadline - 1e-3:
            return (
                f"adapter member {self._running[0]}() did not return within {self.call_limit:g} s "
                "(--conformance-timeout): it hangs or is far too slow"
            )
        where = f"in adapter member {self._running[0]}()" if self._running else (
            f"after the last adapter call, {self._last}() (in an object it returned, or in the kit)" if self._last
            else "before any adapter call"
        )
        return f"the test ran past its limit of {self.test_limit:g} s (--conformance-test-timeout), {where}"

    def _on_alarm(self, signum: int, frame: Any) -> None:
        self.expired = self._message()
        raise AdapterTimeout(self.expired)

    def _raise_in(self, thread_id: int) -> None:
        message = self.expired = self._message()
        # only a class can be raised in another thread: one that carries this message
        carrier = type("AdapterTimeout", (AdapterTimeout,), {"__init__": lambda exc: AdapterTimeout.__init__(exc, message)})
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(carrier))


class GuardedAdapter:
    """The adapter as the tests see it: its contract members are called under the watchdog."""

    def __init__(self, adapter: Any, watchdog: Watchdog) -> None:
        object.__setattr__(self, "_adapter", adapter)
        object.__setattr__(self, "_watchdog", watchdog)

    @property
    def unguarded(self) -> Any:
        return self._adapter

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._adapter, name)
        if name not in MEMBERS or not callable(value):
            return value
        watchdog = self._watchdog

        @functools.wraps(value)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            return watchdog.call(name, value, args, kwargs)

        return guarded

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._adapter, name, value)

    def __repr__(self) -> str:
        return f"GuardedAdapter({self._adapter!r})"
