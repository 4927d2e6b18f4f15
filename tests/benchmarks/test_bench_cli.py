"""How fast ``realdex --help`` starts, against the interpreter alone (``python -c pass``): the ratio of
the two medians is the figure (README: help is read often, and must not wait for numpy, scipy or torch)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(sys.executable).with_name("realdex")  # the console script installed beside this interpreter


def _run(*cmd: str) -> str:
    proc = subprocess.run(list(cmd), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"expected exit 0 from {cmd}, found {proc.returncode}: {proc.stderr[-500:]}"
    return proc.stdout


def test_bench_realdex_help(benchmark):
    cmd = (str(SCRIPT),) if SCRIPT.exists() else (sys.executable, "-m", "realdex_ref")
    out = benchmark.pedantic(_run, args=(*cmd, "--help"), rounds=15, iterations=1, warmup_rounds=1)
    assert out.startswith("usage: realdex"), f"expected the help text, found {out[:200]!r}"


def test_bench_realdex_subcommand_help(benchmark):
    cmd = (str(SCRIPT),) if SCRIPT.exists() else (sys.executable, "-m", "realdex_ref")
    out = benchmark.pedantic(_run, args=(*cmd, "train", "--help"), rounds=15, iterations=1, warmup_rounds=1)
    assert "--passes" in out, f"expected train's help text, found {out[:200]!r}"


def test_bench_python_alone(benchmark):
    out = benchmark.pedantic(_run, args=(sys.executable, "-c", "pass"), rounds=15, iterations=1, warmup_rounds=1)
    assert out == "", f"expected no output from python -c pass, found {out!r}"
