"""Kill the trainer with SIGKILL at random moments, resume, and compare with a run never interrupted (SAFE-9).

A driver process imports torch once and runs the uninterrupted reference run; each trial is a
chain of forked children: a training run killed after a seeded random delay, then resumed
(killed again, up to ``KILLS_PER_TRIAL`` times) until one finishes. After every kill the run
folder is checked: the checkpoint ``latest`` names must load whole, and so must every file under
a checkpoint's final name. Forking keeps a trial at the cost of the training itself, not of a
torch import (several seconds per process on a busy machine).
"""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path

import pytest

from tests.kit import REPO

TRIALS = 10
KILLS_PER_TRIAL = 3
SEED = 20240613
CONFIG = dict(batch_size=4, passes=3, ckpt_every=1, num_points=16, width=16, latent=4, seed=0, device="cpu", log_every=1)
ROOT = dict(objects=("driller", "sprayer"), segments_per_object=2, frames_per_segment=(4, 6), points=32)


def _child(root: str | None, out: Path, config: dict | None, resume: bool) -> int:
    pid = os.fork()
    if pid == 0:  # the child trains and leaves without running the parent's cleanup
        code = 0
        try:
            from realdex_ref import trainer

            trainer.train(root, out, config, resume=resume)
        except BaseException:
            traceback.print_exc()
            code = 1
        finally:
            os._exit(code)
    return pid


def _wait(pid: int, limit: float) -> int:
    """The child's exit status (negative: killed by that signal); killed when it runs past ``limit`` s."""
    end = time.monotonic() + limit
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > end:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return -999
        time.sleep(0.005)


def _check_folder(out: Path) -> list[str]:
    """What is wrong with a killed run's folder: a latest that does not load, or a final-named file that is half."""
    from realdex_ref import checkpoint
    from realdex_ref.errors import DataError

    wrong = []
    try:
        latest = checkpoint.latest(out)
        if latest is not None:
            checkpoint.load(latest)
    except DataError as exc:
        wrong.append(f"latest: {exc}")
    for path in sorted(out.glob("ckpt_*.pt")):
        try:
            checkpoint.load(path)
        except DataError as exc:
            wrong.append(f"{path.name}: {exc}")
    return wrong


def drive(root: str, work: str) -> None:
    """Run the reference and the trials; print one JSON line of results."""
    import torch

    from realdex_ref import checkpoint, trainer

    work_path = Path(work)
    trainer.train(root, work_path / "reference", dict(CONFIG))  # also warms torch up for the children
    reference = checkpoint.load(checkpoint.latest(work_path / "reference"))["model"]
    # how long a forked child takes: the window the kills are drawn from
    t0 = time.monotonic()
    code = _wait(_child(root, work_path / "timed", dict(CONFIG), False), 120)
    duration = time.monotonic() - t0
    if code != 0:
        raise RuntimeError(f"an uninterrupted forked run ended with status {code}")
    rng = random.Random(SEED)
    trials = []
    for t in range(TRIALS):
        out = work_path / f"trial-{t}"
        kills, runs, problems, delays = 0, 0, [], []
        while runs < KILLS_PER_TRIAL + 3:
            runs += 1
            try:
                resume = checkpoint.latest(out) is not None
            except Exception as exc:  # noqa: BLE001 - reported as a failure of the trial, with its message
                problems.append(f"after kill {kills}: cannot find the latest checkpoint: {exc}")
                break
            if not resume:
                # killed before the first checkpoint: nothing to resume, the run starts over
                shutil.rmtree(out, ignore_errors=True)
            pid = _child(None if resume else root, out, None if resume else dict(CONFIG), resume)
            if kills < KILLS_PER_TRIAL:
                delay = rng.uniform(0.0, duration)
                delays.append(round(delay, 3))
                time.sleep(delay)
                os.kill(pid, signal.SIGKILL)
            code = _wait(pid, 120)
            if code == -signal.SIGKILL and kills < KILLS_PER_TRIAL:
                kills += 1
                problems += [f"after kill {kills}: {w}" for w in _check_folder(out)]
                continue
            if code != 0:
                problems.append(f"run {runs} ended with status {code}")
            break
        differ = []
        if not problems:
            final = checkpoint.load(checkpoint.latest(out))["model"]
            differ = [k for k in reference if k not in final or not torch.equal(reference[k], final[k])]
        trials.append({"trial": t, "kills": kills, "runs": runs, "delays": delays, "problems": problems, "differ": differ,
                       "iteration": None if problems else int(checkpoint.load(checkpoint.latest(out))["iteration"])})
        shutil.rmtree(out, ignore_errors=True)
    print(json.dumps({"duration": duration, "trials": trials}))


@pytest.mark.timeout(600)
def test_kill_at_random_moments_and_resume_gives_the_uninterrupted_weights(tmp_path: Path) -> None:
    from realdex_conformance import synth

    root = tmp_path / "root"
    synth.write_root(root, "realdex-segment", **ROOT)
    script = f"from tests.test_crash_safety import drive; drive({str(root)!r}, {str(tmp_path)!r})"
    proc = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=580,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, f"the crash driver failed (status {proc.returncode}):\n{proc.stderr[-3000:]}"
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    trials = result["trials"]
    assert len(trials) == TRIALS, f"expected {TRIALS} trials, found {len(trials)}"
    bad = [t for t in trials if t["problems"] or t["differ"]]
    assert not bad, "trials that lost more than the work since the last checkpoint:\n" + "\n".join(
        f"  trial {t['trial']} (kills at {t['delays']} s): problems {t['problems']}; weights differ in {t['differ']}" for t in bad
    ) + f"\nchild output:\n{proc.stderr[-3000:]}"
    killed = sum(t["kills"] for t in trials)
    assert killed >= TRIALS, f"expected at least one kill per trial on average, found {killed} kills in {TRIALS} trials"
