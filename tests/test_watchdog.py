"""The kit's time limits on an implementation (spec chapter 13, "The kit under a misbehaving
implementation"), unit by unit: the alarm in the main thread, the fallback in another thread,
and a test whose limit has run out calling nothing more."""
from __future__ import annotations

import threading
import time

import pytest

from realdex_conformance.watchdog import AdapterTimeout, GuardedAdapter, Watchdog


class Slow:
    name, version, spec_version, capabilities = "slow", "0", "1.0.0-draft", frozenset({"read:converted"})

    def __init__(self) -> None:
        self.calls = 0

    def read_file(self, path):
        self.calls += 1
        if path == "hang":
            time.sleep(3600)
        if path == "spin":
            while True:
                pass
        return [path]


def _guarded(call_limit: float, test_limit: float = 0) -> tuple[Watchdog, GuardedAdapter, Slow]:
    impl = Slow()
    watchdog = Watchdog(call_limit, test_limit)
    return watchdog, GuardedAdapter(impl, watchdog), impl


def test_a_hanging_call_fails_naming_the_member_and_later_calls_are_not_made():
    watchdog, adapter, impl = _guarded(0.3)
    watchdog.begin()
    watchdog.resume()
    try:
        assert adapter.read_file("ok") == ["ok"], "expected a quick call to return its result"
        with pytest.raises(AdapterTimeout) as first:
            adapter.read_file("hang")
        with pytest.raises(AdapterTimeout) as later:
            adapter.read_file("ok")
    finally:
        watchdog.pause()
    assert "adapter member read_file() did not return within 0.3 s" in str(first.value), str(first.value)
    assert "read_file() was not called" in str(later.value), str(later.value)
    assert impl.calls == 2, f"expected the call after the hang not to reach the implementation, it was called {impl.calls} times"


def test_the_limit_of_a_test_covers_time_outside_calls():
    watchdog, adapter, _ = _guarded(0, test_limit=0.3)
    watchdog.begin()
    watchdog.resume()
    try:
        adapter.read_file("ok")
        with pytest.raises(AdapterTimeout) as err:
            while True:  # the kit iterating an object the implementation returned
                pass
    finally:
        watchdog.pause()
    assert "ran past its limit of 0.3 s" in str(err.value) and "read_file()" in str(err.value), str(err.value)


def test_outside_the_main_thread_a_spinning_call_is_stopped_too():
    watchdog, adapter, _ = _guarded(0.3)
    seen: list[BaseException] = []

    def run() -> None:
        watchdog.begin()
        watchdog.resume()
        try:
            adapter.read_file("spin")
        except AdapterTimeout as exc:
            seen.append(exc)
        finally:
            watchdog.pause()

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(30)
    assert not worker.is_alive(), "expected the spinning call to be stopped within the limit"
    assert seen and "did not return within 0.3 s" in str(seen[0]), f"expected an AdapterTimeout naming the limit, found {seen}"


def test_a_paused_test_leaves_no_alarm_behind():
    watchdog, adapter, _ = _guarded(0.2, test_limit=0.2)
    watchdog.begin()
    watchdog.resume()
    adapter.read_file("ok")
    watchdog.pause()
    time.sleep(0.5)  # pytest's own code between phases: no limit may fire here
    assert watchdog.expired is None, f"expected no limit to fire between phases, found {watchdog.expired!r}"


def test_the_guarded_adapter_keeps_signatures_and_attributes():
    import inspect

    _, adapter, impl = _guarded(1)
    assert adapter.name == "slow" and adapter.capabilities == impl.capabilities, "expected attributes passed through"
    assert list(inspect.signature(adapter.read_file).parameters) == ["path"], "expected the member's own signature"
