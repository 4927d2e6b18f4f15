"""Memory as the operating system sees it (spec chapter 8, LOADER-10; chapter 13, SAFE-4).

``tracemalloc`` sees what Python and numpy allocate, not what torch, a C extension or a memory
map takes. The suite measures these clauses in a child process instead: it loads the adapter
there (with the run's ``--impl-option`` pairs), calls one member once to warm up imports and
caches, resets the process's peak resident set, makes the measured call, and reports the peak
and the resident memory held after it, beyond what the process held before the call.

On Linux the peak is reset through ``/proc/self/clear_refs``; elsewhere the figure is the growth
of ``ru_maxrss``, which can only under-count. Large blocks are returned to the system when freed
(``MALLOC_MMAP_THRESHOLD_``), so that the warm-up does not hide the measured call's allocations.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

_MARK = "REALDEX-MEMPROBE "

_CHILD = r'''
import gc, json, os, sys
req = json.loads(sys.stdin.read())
sys.path[:0] = req["path"]
from realdex_conformance import contract

def status(key):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None

def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return status("VmHWM") is not None
    except OSError:
        return False

def maxrss():
    import resource
    value = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return value if sys.platform == "darwin" else value * 1024

adapter = contract.load_adapter(req["impl"])
contract.configure(adapter, req["options"], req["impl"])
member = getattr(adapter, req["member"])
if req["warmup"] is not None:
    try:
        warm = member(**req["warmup"])
        len(warm) if hasattr(warm, "__len__") else None
    except Exception:
        pass
    warm = None
gc.collect()
exact = reset_peak()
before = status("VmRSS") if exact else maxrss()
result = {"method": "VmHWM after clear_refs" if exact else "ru_maxrss growth (may under-count)"}
try:
    out = member(**req["kwargs"])
    result["outcome"] = "returned"
    result["length"] = len(out) if hasattr(out, "__len__") else None
except Exception as exc:
    out = None
    result["outcome"] = "raised"
    result["error"] = (type(exc).__name__ + ": " + str(exc))[:800]
peak = status("VmHWM") if exact else maxrss()
held = status("VmRSS") if exact else None
result["peak"] = max(0, peak - before)
result["held"] = None if held is None else max(0, held - before)
print(%r + json.dumps(result), flush=True)
''' % _MARK


@dataclass
class Measure:
    """What one call cost: peak and held bytes beyond the process's memory before it."""

    outcome: str
    peak: int
    held: int | None
    method: str
    length: int | None = None
    error: str | None = None


class ProbeError(AssertionError):
    """The child process could not measure the call: what it printed, for the user."""


def measure(impl: str, options: dict[str, str], member: str, kwargs: dict[str, Any],
            warmup: dict[str, Any] | None = None, timeout: float = 300.0) -> Measure:
    """Call ``member(**kwargs)`` of the adapter ``impl`` in a child process and measure it.
    Arguments must be JSON values (paths as strings)."""
    request = {"path": [p for p in sys.path if p], "impl": impl, "options": options, "member": member,
               "kwargs": kwargs, "warmup": warmup}
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "131072", "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        done = subprocess.run([sys.executable, "-c", _CHILD], input=json.dumps(request), capture_output=True, text=True,
                              timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise ProbeError(f"{member}({kwargs}) in a child process: no answer within {timeout:.0f} s") from None
    lines = [line for line in done.stdout.splitlines() if line.startswith(_MARK)]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-12:]
        raise ProbeError(f"{member}({kwargs}) in a child process (to measure its memory) ended with status "
                         f"{done.returncode} and no measurement:\n  " + "\n  ".join(tail))
    data = json.loads(lines[-1][len(_MARK):])
    return Measure(outcome=data["outcome"], peak=int(data["peak"]), held=data.get("held"), method=data["method"],
                   length=data.get("length"), error=data.get("error"))


def mib(n: int | None) -> str:
    return "?" if n is None else f"{n / 2**20:.1f} MiB"
