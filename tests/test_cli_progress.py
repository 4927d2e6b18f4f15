"""Progress of the ``realdex`` command: a bar under a (pseudo-)terminal that follows its width, plain
periodic lines when stderr is piped, and a clean end on Ctrl-C (exit 130, no partial root, the resume
command for a training run)."""
from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time

import pytest

from realdex_conformance import synth

TRAIN = ["--batch-size", "2", "--num-points", "16", "--width", "8", "--latent", "4", "--ckpt-every", "50"]
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "realdex_ref", *args]


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    """400 per-frame files (16-point clouds): enough for a walk to report progress more than once."""
    root = tmp_path_factory.mktemp("frames") / "root"
    synth.write_root(root, "realdex-frame", objects=("driller",), segments_per_object=4, frames_per_segment=(100, 100), points=16)
    return root


def run_in_terminal(args: list[str], *, columns: int = 60, until: str | None = None, then_signal: int | None = None,
                    timeout: float = 240, env: dict | None = None) -> tuple[int, str]:
    """Run ``args`` with stdin, stdout and stderr on a pseudo-terminal ``columns`` wide; with ``until``, send
    ``then_signal`` once the output holds it. Returns (exit status, everything written)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, close_fds=True,
                            env={**os.environ, "REALDEX_PROGRESS_DELAY": "0", **(env or {})})
    os.close(slave)
    out = b""
    sent = False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal closed: the process has ended
                break
            if not chunk:
                break
            out += chunk
        if until and not sent and until in out.decode(errors="replace"):
            proc.send_signal(then_signal)
            sent = True
        if proc.poll() is not None and not ready:
            break
    os.close(master)
    try:
        status = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"{args} did not end; output so far:\n{out.decode(errors='replace')[-2000:]}")
    return status, out.decode(errors="replace")


def screen_lines(text: str) -> list[str]:
    """What each carriage return or newline leaves on a line, escape codes dropped."""
    return [part for part in re.split(r"[\r\n]+", ANSI.sub("", text)) if part.strip()]


def test_a_walk_shows_a_bar_as_wide_as_the_terminal(frames):
    status, out = run_in_terminal(command("validate", str(frames), "--num-points", "16"), columns=60)
    assert status == 0, f"expected validate to pass, found {status}:\n{out[-1500:]}"
    bars = [line for line in screen_lines(out) if line.startswith("reading ")]
    assert bars and "\r" in out, f"expected a bar rewritten in place on a terminal, found:\n{out[-1500:]}"
    assert all(len(line) <= 60 for line in bars), f"expected every bar within 60 columns, found {max(map(len, bars))}: {bars[-1]!r}"
    assert re.search(r"400/400", bars[-1]) and "files/s" in bars[-1], f"expected the count and the rate, found {bars[-1]!r}"
    wide = [line for line in screen_lines(run_in_terminal(command("validate", str(frames), "--num-points", "16"), columns=150)[1])
            if line.startswith("reading ")]
    assert max(map(len, wide)) > 60, f"expected a wider bar on a wider terminal, found {wide[-1]!r}"


def test_a_piped_walk_writes_periodic_plain_lines(frames):
    proc = subprocess.run(command("validate", str(frames), "--json", "--num-points", "16"), capture_output=True, text=True, timeout=240,
                          env={**os.environ, "REALDEX_PROGRESS_EVERY": "0"})
    assert proc.returncode == 0, proc.stderr
    assert "\r" not in proc.stderr and "\x1b" not in proc.stderr, f"expected plain lines in a log, found {proc.stderr[:300]!r}"
    lines = [line for line in proc.stderr.splitlines() if line.startswith("reading ")]
    assert len(lines) >= 2, f"expected a line per interval, found {proc.stderr[-800:]!r}"
    assert re.search(r": 400/400 files \(100%\) \[\S+ elapsed, \S+ left, .*files/s\]", lines[-1]), \
        f"expected count, percentage, elapsed, time left and rate in the last line, found {lines[-1]!r}"
    assert proc.stdout.lstrip().startswith("["), "expected stdout to hold the JSON alone"


def test_a_quick_piped_command_writes_no_progress(frames):
    proc = subprocess.run(command("inspect", str(frames)), capture_output=True, text=True, timeout=240)
    assert "reading " not in proc.stderr, f"expected no progress line before 30 s, found {proc.stderr!r}"


def test_the_training_bar_and_ctrl_c(frames, tmp_path):
    out = tmp_path / "run"
    status, text = run_in_terminal(command("train", str(frames), "--out", str(out), "--passes", "20", *TRAIN),
                                   columns=80, until="pass 1/20, loss", then_signal=signal.SIGINT)
    lines = screen_lines(text)
    bars = [line for line in lines if line.startswith("train:")]
    assert status == 130, f"expected exit 130 after Ctrl-C, found {status}:\n{text[-1500:]}"
    assert "Traceback" not in text, f"expected no traceback:\n{text[-2000:]}"
    assert bars and all(len(b) <= 80 for b in bars), f"expected bars within 80 columns, found {bars[-3:]}"
    assert re.search(r"\d+/4000 \[\d\d:\d\d, .*it/s, pass 1/20, loss \S+, ETA \d:\d\d:\d\d\]", bars[-1]), \
        f"expected iterations, elapsed, rate, pass, loss and ETA in the bar, found {bars[-1]!r}"
    message = re.search(r"([\s\S])realdex train: interrupted at iteration (\d+) of 4000.*continue with: (realdex train .*--resume)", text)
    assert message, f"expected the interruption and the resume command, found:\n{text[-1500:]}"
    assert message[1] == "\n", f"expected the bar's line ended before the message, found {message[1]!r}"
    stopped = int(message[2])
    # the suggested command continues the run; its bar starts where the run stopped
    # interrupted as soon as its bar is drawn: a bar redrawn in steps may never show one given iteration
    status, text = run_in_terminal(command(*message[3].split()[1:]), columns=80, until="/4000 [",
                                   then_signal=signal.SIGINT)
    first = next(line for line in screen_lines(text) if line.startswith("train:"))
    assert f"{stopped}/4000" in first, f"expected the resumed bar to start at {stopped}, found {first!r}"
    assert status == 130, f"expected the second Ctrl-C to exit 130 too, found {status}:\n{text[-800:]}"


def test_a_piped_training_writes_lines_with_the_loss(frames, tmp_path):
    proc = subprocess.run(command("train", str(frames), "--out", str(tmp_path / "run"), "--passes", "1", *TRAIN),
                          capture_output=True, text=True, timeout=300, env={**os.environ, "REALDEX_PROGRESS_EVERY": "0"})
    # 1 is a verdict with findings (200 iterations are too few to learn much): the progress is what is checked here
    assert proc.returncode in (0, 1) and "run verdict" in proc.stdout, proc.stdout[-500:] + proc.stderr[-1500:]
    lines = [line for line in proc.stderr.splitlines() if line.startswith("train:")]
    assert lines and "\r" not in proc.stderr, f"expected plain training lines, found {proc.stderr[-600:]!r}"
    assert re.search(r"train: 200/200 it \(100%\) \[\S+ elapsed, .*it/s\] pass 1/1, loss \S+, ETA \d+:\d\d:\d\d",
                     lines[-1]), f"expected the last line to give iterations, times, rate, pass, loss and ETA, found {lines[-1]!r}"


@pytest.mark.parametrize("what", ["synth", "validate", "convert"])
def test_ctrl_c_ends_quietly_and_leaves_no_partial_root(frames, tmp_path, what):
    dest = tmp_path / "dest"
    args = {"synth": ["synth", str(dest), "--layout", "user-root", "--user-frames", "20000"],
            "validate": ["validate", str(frames), "--num-points", "16"],
            "convert": ["convert", str(frames), str(dest), "--to", "converted"]}[what]
    proc = subprocess.Popen(command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "REALDEX_PROGRESS_EVERY": "0"})
    first = proc.stderr.readline()  # the first progress line: the work has begun
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    err = first + err
    assert "Traceback" not in err, f"expected no traceback from {what}:\n{err[-1500:]}"
    assert proc.returncode in (0, 130), f"expected exit 130 (or 0 if it had finished), found {proc.returncode}:\n{err[-800:]}"
    if proc.returncode == 130:
        assert f"realdex {what}: interrupted" in err, f"expected one line saying so, found {err[-500:]!r}"
        if what != "validate":
            left = sorted(p.name for p in tmp_path.iterdir())
            assert left == [], f"expected no partial root and no staging folder, found {left}"
