"""The run-log API for other people's loops (``realdex_conformance.runlog_api``, docs/runlog.md).

Its logs are judged by the reference's run verdict (``realdex_ref.checkrun``), its plan is compared
with the reference's planner, and its misuse must raise at once with the fix.

The small plan of the loop tests (numbers worked out by hand): 10 samples, batch 4, drop_last
false -> ceil(10 / 4) = 3 batches per pass; 2 passes -> 6 iterations; ckpt_every 4 -> a periodic
checkpoint at 4 and the final one at 6; 2 x 10 = 20 samples seen.
"""
from __future__ import annotations

import ast
import importlib.util
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import realdex_spec
from realdex_conformance import runlog_api as rl
from realdex_ref import checkrun, planning
from realdex_ref.errors import PlanError

REPO = Path(__file__).resolve().parents[1]
API = REPO / "conformance" / "runlog_api.py"
SCHEMA = json.loads((Path(realdex_spec.__file__).parent / "runlog.schema.json").read_text(encoding="utf-8"))
PLAN = dict(num_samples=10, batch_size=4, passes=2, ckpt_every=4)


def codes(path: Path) -> list[str]:
    return [f["code"] for f in checkrun.check_run(path)]


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def loop(log: rl.RunLogWriter, plan: dict, start: int = 0, stop_at: int | None = None,
         reason: str | None = None, resume: dict | None = None, raise_at: int | None = None,
         exc: type[BaseException] = RuntimeError) -> int:
    """A plain loop without a model (world size 1, grad_accum 1, drop_last false): the calls a training
    loop makes. Stops after ``stop_at`` iterations (saving there, then ``end(reason)``), or raises
    ``exc`` after ``raise_at`` iterations inside the segment block. Returns the iterations completed."""
    per_pass, total, n, b, every = (plan["iterations_per_epoch"], plan["iterations"], plan["num_samples"],
                                    plan["batch_size"], plan["ckpt_every"])
    it = start
    with log.segment(config={"batch_size": b}, plan=plan, resume=resume):
        while it < total:
            p = it // per_pass
            log.pass_start(p, it)
            drawn = seen = 0
            while True:
                size = min(b, n - (it % per_pass) * b)  # the last batch of a pass is short
                it, drawn, seen = it + 1, drawn + 1, seen + size
                log.add_loss(it, 1.0 / it)
                if raise_at is not None and it == raise_at:
                    raise exc("the loop failed")
                pass_over = it % per_pass == 0 or it == total
                if pass_over:
                    log.pass_end(p, it, batches=drawn, samples_seen=seen)
                saved = bool(every) and it % every == 0 or it == total
                if saved:
                    log.checkpoint(it, f"ckpt_{it}.pt", final=it == total)
                if stop_at is not None and it == stop_at:
                    if not saved:
                        log.checkpoint(it, f"ckpt_{it}.pt")
                    log.end(reason, it)
                    return it
                if pass_over:
                    break
        log.end(reason or "completed", it)
    return it


# --- what it may import -------------------------------------------------------------------------------

def test_the_api_imports_the_standard_library_only():
    tree = ast.parse(API.read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    foreign = sorted(imported - set(sys.stdlib_module_names) - {"__future__"})
    assert not foreign, f"expected runlog_api to import the standard library only, it imports {foreign}"
    code = ("import sys, realdex_conformance.runlog_api; "
            "print(sorted(m for m in ('numpy', 'torch', 'pytest', 'hypothesis', 'yaml', 'scipy', 'jsonschema', "
            "'realdex_ref') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]", f"expected importing the API to load no third-party module, loaded {out.stdout}"


def test_the_api_writes_a_clean_log_where_no_third_party_package_is_installed(tmp_path):
    """The package's two files alone, on a Python started without site-packages (-S) or the environment (-I)."""
    package = tmp_path / "site" / "realdex_conformance"
    package.mkdir(parents=True)
    for name in ("__init__.py", "runlog_api.py"):
        (package / name).write_bytes((REPO / "conformance" / name).read_bytes())
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); from realdex_conformance import runlog_api as rl; "
        "log = rl.RunLogWriter(sys.argv[2]); plan = rl.make_plan(10, 4, passes=1)\n"
        "with log.segment(config={}, plan=plan):\n"
        "    log.pass_start(0, 0); [log.add_loss(i, 1.0 / i) for i in (1, 2, 3)]\n"
        "    log.pass_end(0, 3, 3, 10); log.checkpoint(3, 'c.pt', final=True); log.end('completed', 3)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'torch', 'pytest')))")
    log = tmp_path / "run.jsonl"
    out = subprocess.run([sys.executable, "-I", "-S", "-c", script, str(package.parent), str(log)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "[]", \
        f"expected the API to run on the standard library alone, got exit {out.returncode}: {out.stdout}{out.stderr}"
    assert codes(log) == [], f"expected that log clean, got {checkrun.check_run(log)}"


# --- the plan ------------------------------------------------------------------------------------------

def test_the_plan_of_the_realdex_figures():
    """Spec chapter 9's table: N 14,380, B 32, P 250, K 500."""
    for drop_last, batches, iterations, periodic in ((False, 450, 112_500, 225), (True, 449, 112_250, 224)):
        plan = rl.make_plan(14_380, 32, passes=250, ckpt_every=500, drop_last=drop_last)
        got = (plan["batches_per_epoch"], plan["iterations"], plan["periodic_checkpoints"], plan["checkpoints"])
        assert got == (batches, iterations, periodic, 225), \
            f"drop_last={drop_last}: expected (batches, iterations, periodic, checkpoints) {(batches, iterations, periodic, 225)}, got {got}"


OPTIONAL = st.none() | st.integers(0, 60)


@settings(max_examples=400, deadline=None)
@given(n=st.integers(0, 300), b=st.integers(1, 40), w=st.integers(1, 8), drop_last=st.booleans(),
       g=st.integers(1, 5), passes=OPTIONAL, max_iterations=OPTIONAL, ckpt_every=st.none() | st.integers(1, 50),
       step_time=st.none() | st.floats(0, 10), startup=st.floats(0, 100), eval_every=st.none() | st.integers(1, 20))
def test_the_plan_is_the_reference_planners(n, b, w, drop_last, g, passes, max_iterations, ckpt_every, step_time,
                                            startup, eval_every):
    kw = dict(num_samples=n, batch_size=b, world_size=w, drop_last=drop_last, grad_accum=g, passes=passes,
              max_iterations=max_iterations, ckpt_every=ckpt_every, step_time=step_time, startup_time=startup,
              save_time=0.5, eval_every=eval_every, eval_time=2.0)
    for refuse in (False, True):
        try:
            want = planning.plan_run(**kw, refuse_empty=refuse).as_dict()
        except PlanError as exc:
            with pytest.raises(rl.RunLogUsageError):
                rl.make_plan(**kw, refuse_empty=refuse)
            assert isinstance(exc, ValueError), "the reference's refusal is a ValueError too"
            continue
        got = rl.make_plan(**kw, refuse_empty=refuse)
        assert got.keys() == want.keys(), f"expected the keys of the reference's plan, {sorted(want)}, got {sorted(got)}"
        differ = {k: (got[k], want[k]) for k in want if got[k] != want[k] or type(got[k]) is not type(want[k])}
        assert not differ, f"{kw}: expected the reference's plan; differ (api, reference): {differ}"


def test_an_empty_plan_is_refused_with_its_inputs_and_the_fixes():
    with pytest.raises(ValueError) as err:
        rl.make_plan(8, 32, passes=250, drop_last=True)
    for needed in ("num_samples=8", "batch_size=32", "world_size=1", "drop_last=True", "batch size 8", "drop_last=False"):
        assert needed in str(err.value), f"expected the refusal to give {needed!r} (PLAN-9), got: {err.value}"


# --- logs the verdict accepts ----------------------------------------------------------------------

def test_a_finished_loop_is_clean_and_every_line_fits_the_schema(tmp_path):
    log = rl.RunLogWriter(tmp_path / "run.jsonl", metrics_every=2)
    assert loop(log, rl.make_plan(**PLAN)) == 6, "the loop must make the plan's 6 iterations"
    assert codes(log.path) == [], f"expected no finding, got {checkrun.check_run(log.path)}"
    evs = lines(log.path)
    for number, e in enumerate(evs, 1):
        errors = [err.message for err in jsonschema.Draft202012Validator(SCHEMA).iter_errors(e)]
        assert not errors, f"line {number} {e}: expected it to fit spec/runlog.schema.json, found {errors}"
    ends = [(e["pass"], e["batches"], e["samples_seen"]) for e in evs if e["event"] == "epoch_end"]
    assert ends == [(0, 3, 10), (1, 3, 10)], f"expected 2 passes of 3 batches and 10 samples, got {ends}"
    assert [e["iteration"] for e in evs if e["event"] == "metrics"] == [2, 4, 6], \
        f"expected metrics every 2 iterations, got {[e for e in evs if e['event'] == 'metrics']}"


def test_a_folder_gets_run_jsonl(tmp_path):
    for given, want in ((tmp_path, tmp_path / "run.jsonl"), (tmp_path / "new", tmp_path / "new" / "run.jsonl"),
                        (tmp_path / "log.jsonl", tmp_path / "log.jsonl")):
        got = rl.RunLogWriter(given).path
        assert got == want, f"expected {given} to mean the log {want}, got {got}"


def test_counts_that_already_cover_the_whole_pass_are_kept(tmp_path):
    """Resumed at iteration 2 (pass 0 had drawn 2 batches, 8 samples); the loop counts the whole pass itself."""
    log = rl.RunLogWriter(tmp_path / "run.jsonl")
    with log.segment(config={}, plan=planning.plan_run(**PLAN), resume={"iteration": 2}):  # the reference's RunPlan
        log.pass_start(0, 2)
        log.pass_end(0, 3, batches=3, samples_seen=10, whole_pass=True)
        log.end("interrupted", np.int64(3))
    end = next(e for e in lines(log.path) if e["event"] == "epoch_end")
    assert (end["batches"], end["samples_seen"]) == (3, 10), f"expected the loop's whole-pass counts kept, got {end}"


def test_max_iterations_is_clean(tmp_path):
    plan = rl.make_plan(10, 4, max_iterations=5, ckpt_every=4)  # passes 0 (3) and 1 cut at 2
    log = rl.RunLogWriter(tmp_path / "run.jsonl")
    assert loop(log, plan, reason="max-iterations") == 5, "the loop must stop at max_iterations"
    ends = [(e["pass"], e["batches"]) for e in lines(log.path) if e["event"] == "epoch_end"]
    assert ends == [(0, 3), (1, 2)], f"expected pass 1 cut at 2 batches, got {ends}"
    assert codes(log.path) == [], f"expected no finding, got {checkrun.check_run(log.path)}"


# a stop that claims the run is done is also held to the plan's samples (RUNLOG-14): pass 1 never ended, so the
# passes logged drew 10 samples of the 20 planned
@pytest.mark.parametrize("reason, found", [("completed", ["RUN-ENDED-EARLY", "RUN-SAMPLES-MISMATCH"]),
                                           ("interrupted", ["RUN-NOT-FINISHED"]), ("time-limit", ["RUN-NOT-FINISHED"]),
                                           ("early-stopping", ["RUN-NOT-FINISHED"])])
def test_a_loop_that_stops_early(tmp_path, reason, found):
    log = rl.RunLogWriter(tmp_path / "run.jsonl")
    loop(log, rl.make_plan(**PLAN), stop_at=5, reason=reason)
    end = lines(log.path)[-1]
    status = "success" if reason == "completed" else "aborted"
    assert (end["event"], end["status"], end["iteration"]) == ("run_end", status, 5), \
        f"expected run_end {status} at iteration 5, got {end}"
    assert codes(log.path) == found, f"expected {found} for a stop at 5 of 6 with {reason!r}, got {codes(log.path)}"


@pytest.mark.parametrize("exc, reason", [(KeyboardInterrupt, "interrupted"), (RuntimeError, "error")])
def test_an_exception_in_the_segment_ends_it_and_goes_on(tmp_path, exc, reason):
    log = rl.RunLogWriter(tmp_path / "run.jsonl")
    with pytest.raises(exc):
        loop(log, rl.make_plan(**PLAN), raise_at=5, exc=exc)
    evs = lines(log.path)
    end = evs[-1]
    assert (end["event"], end["status"], end["reason"], end["iteration"]) == ("run_end", "aborted", reason, 5), \
        f"expected run_end aborted/{reason} at the 5 iterations made, got {end}"
    metrics = [e["iteration"] for e in evs if e["event"] == "metrics"]
    assert metrics[-1:] == [5], f"expected the pending losses written at iteration 5 (LEARN-2), got metrics at {metrics}"
    assert codes(log.path) == ["RUN-NOT-FINISHED"], f"expected only RUN-NOT-FINISHED, got {checkrun.check_run(log.path)}"
    assert not log.open, "expected the segment closed after its run_end"


def test_a_block_that_forgets_end_is_told(tmp_path):
    log = rl.RunLogWriter(tmp_path / "run.jsonl")
    with pytest.raises(rl.RunLogUsageError, match=r"without end\(\)"):
        with log.segment(config={}, plan=rl.make_plan(**PLAN)):
            log.pass_start(0, 0)
    assert codes(log.path) == ["RUN-NO-END"], f"expected the verdict to see no run_end, got {codes(log.path)}"


def test_a_resume_mid_pass_appends_a_segment_that_reports_whole_passes(tmp_path):
    plan = rl.make_plan(**PLAN)
    loop(rl.RunLogWriter(tmp_path / "run.jsonl"), plan, stop_at=2, reason="interrupted")
    before = (tmp_path / "run.jsonl").read_bytes()
    log = rl.RunLogWriter(tmp_path / "run.jsonl")  # a new process
    loop(log, plan, start=2, resume={"iteration": 2, "checkpoint": "ckpt_2.pt"})
    assert log.path.read_bytes().startswith(before), "expected the resumed segment appended, the first one untouched"
    evs = lines(log.path)
    starts = [e for e in evs if e["event"] == "run_start"]
    assert [s["resume"] for s in starts] == [None, {"iteration": 2, "pass": 0, "checkpoint": "ckpt_2.pt"}], \
        f"expected the second segment to resume at iteration 2 in pass 2 // 3 = 0, got {[s['resume'] for s in starts]}"
    # the resumed pass 0 drew 1 batch (2 of 10 samples: the last short one) after the checkpoint's 2 batches (8)
    ends = [(e["pass"], e["batches"], e["samples_seen"]) for e in evs if e["event"] == "epoch_end"]
    assert ends == [(0, 3, 10), (1, 3, 10)], f"expected whole passes of 3 batches and 10 samples, got {ends}"
    assert codes(log.path) == [], f"expected no finding for a run interrupted and resumed, got {checkrun.check_run(log.path)}"


def test_resuming_a_finished_run_says_already_complete(tmp_path):
    plan = rl.make_plan(**PLAN)
    loop(rl.RunLogWriter(tmp_path / "run.jsonl"), plan)
    log = rl.RunLogWriter(tmp_path / "run.jsonl")
    with log.segment(config={}, plan=plan, resume={"iteration": 6, "pass": 2, "checkpoint": "ckpt_6.pt"}):
        log.end("already-complete", 6)
    assert codes(log.path) == [], f"expected a finished run resumed again to be clean, got {codes(log.path)}"
    log = rl.RunLogWriter(tmp_path / "run.jsonl")
    with log.segment(config={}, plan=plan, resume={"iteration": 6, "pass": 2}):
        log.end("completed", 6)
    assert "RUN-RESUMED-FINISHED" in codes(log.path), \
        f"expected a resume past the end that claims to have worked flagged, got {codes(log.path)}"


def test_an_epoch_counter_used_as_a_pass_is_written_as_told(tmp_path):
    """The writer does not correct the loop: a pass index that jumps reaches the verdict."""
    plan = rl.make_plan(**PLAN)
    log = rl.RunLogWriter(tmp_path / "run.jsonl")
    with log.segment(config={}, plan=plan):
        log.pass_start(0, 0)
        log.pass_end(0, 3, batches=3, samples_seen=10)
        log.pass_start(3, 3)  # "epoch" 3 after 3 iterations of step_epoch 1
        log.checkpoint(4, "ckpt_4.pt")
        log.pass_end(3, 6, batches=3, samples_seen=10)
        log.checkpoint(6, "ckpt_6.pt", final=True)
        log.end("completed", 6)
    assert "RUN-PASS-JUMP" in codes(log.path), f"expected RUN-PASS-JUMP, got {codes(log.path)}"


def test_a_torn_last_line_is_dropped_before_the_next_segment(tmp_path):
    plan = rl.make_plan(**PLAN)
    loop(rl.RunLogWriter(tmp_path / "run.jsonl"), plan, stop_at=4, reason="interrupted")
    with open(tmp_path / "run.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"event": "epoch_end", "ti')  # killed mid-write
    loop(rl.RunLogWriter(tmp_path / "run.jsonl"), plan, start=4, resume={"iteration": 4, "pass": 1})
    text = (tmp_path / "run.jsonl").read_text(encoding="utf-8")
    assert '"ti\n' not in text and '"ti{' not in text, "expected the half line dropped, not joined to the next one"
    assert codes(tmp_path / "run.jsonl") == [], f"expected no finding, got {checkrun.check_run(tmp_path / 'run.jsonl')}"


# --- values ------------------------------------------------------------------------------------------

def test_losses_are_averaged_and_a_nonfinite_one_is_null(tmp_path):
    log = rl.RunLogWriter(tmp_path / "run.jsonl", metrics_every=3)
    with log.segment(config={}, plan=rl.make_plan(**PLAN)):
        for it, loss in zip(range(1, 4), (1.0, 2.0, 6.0)):
            log.add_loss(it, loss, parts={"kl": loss / 2}, step_time=0.5, samples=4)
        log.add_loss(4, float("nan"))
        log.end("interrupted", 4)
    m = [e for e in lines(log.path) if e["event"] == "metrics"]
    assert m[0]["loss"] == 3.0 and m[0]["parts"] == {"kl": 1.5} and m[0]["iterations"] == 3, \
        f"expected the mean loss (1 + 2 + 6) / 3 = 3 and kl 1.5 over 3 iterations, got {m[0]}"
    assert m[0]["step_time"] == 0.5 and m[0]["samples_per_second"] == 8.0, \
        f"expected a step time of 0.5 s and 12 samples in 1.5 s = 8 per second, got {m[0]}"
    assert (m[1]["iteration"], m[1]["loss"]) == (4, None), f"expected the NaN loss as null at iteration 4, got {m[1]}"
    assert "NaN" not in log.path.read_text(encoding="utf-8"), "expected no NaN token in the log (LEARN-2)"


def test_numpy_values_and_paths_are_plain_json(tmp_path):
    log = rl.RunLogWriter(tmp_path / "run.jsonl")
    with log.segment(config={"lr": np.float32(0.5), "out": tmp_path, "sizes": (1, 2)},
                     plan=rl.make_plan(np.int64(10), np.int64(4), passes=np.int64(2), ckpt_every=4),
                     dataset={"root": tmp_path, "layout": "converted", "counts": {"converted": np.int64(10)}}):
        log.pass_start(np.int64(0), np.int64(0))
        log.checkpoint(np.int64(0), tmp_path / "c.pt", final=np.bool_(False))
        log.end("interrupted")
    start = lines(log.path)[0]
    assert start["config"] == {"lr": 0.5, "out": str(tmp_path), "sizes": [1, 2]}, f"expected plain values, got {start['config']}"
    assert start["dataset"] == {"root": str(tmp_path), "layout": "converted", "samples": 10, "counts": {"converted": 10}}, \
        f"expected the dataset with samples defaulting to the plan's 10, got {start['dataset']}"


def test_a_disabled_writer_checks_calls_and_writes_nothing(tmp_path):
    log = rl.RunLogWriter(tmp_path / "run.jsonl", enabled=False)
    loop(log, rl.make_plan(**PLAN))
    assert not log.path.exists(), "expected a disabled writer (another rank) to write no file"
    with pytest.raises(rl.RunLogUsageError):
        log.pass_end(0, 0, 1, 1)


# --- misuse ------------------------------------------------------------------------------------------

def started(tmp_path: Path) -> rl.RunLogWriter:
    log = rl.RunLogWriter(tmp_path / "run.jsonl")
    log.start(config={}, plan=rl.make_plan(**PLAN))
    return log


MISUSE = {
    "pass_end before pass_start": (lambda log: log.pass_end(0, 3, 3, 10), r"pass_end\(0\) before pass_start\(0\)"),
    "pass_end of another pass": (lambda log: (log.pass_start(0, 0), log.pass_end(1, 3, 3, 10)),
                                 r"pass_end\(1\) while pass 0 is open"),
    "two passes open": (lambda log: (log.pass_start(0, 0), log.pass_start(1, 3)), r"pass_start\(1\) while pass 0"),
    "negative batches": (lambda log: (log.pass_start(0, 0), log.pass_end(0, 3, -1, 10)), r"batches must be an int >= 0, found -1"),
    "negative iteration": (lambda log: log.checkpoint(-4, "c.pt"), r"iteration must be an int >= 0, found -4"),
    "float count": (lambda log: (log.pass_start(0, 0), log.pass_end(0, 3, 3, 10.0)), r"samples_seen must be an int"),
    "bool count": (lambda log: log.pass_start(True, 0), r"pass_index must be an int >= 0, found the bool"),
    "int for a bool": (lambda log: log.checkpoint(1, "c.pt", final=1), r"final must be a bool, found int 1"),
    "iteration going back": (lambda log: (log.progress(5), log.checkpoint(4, "c.pt")), r"iteration=4 is below the 5"),
    "unknown reason": (lambda log: log.end("done"), r"unknown stop reason 'done'"),
    "start twice": (lambda log: log.start(config={}, plan=rl.make_plan(**PLAN)), r"start\(\) while the segment"),
    "unknown metrics field": (lambda log: log.metrics(1, 0.5, lr=0.1), r"unknown metrics field\(s\) lr"),
    "metrics at 0": (lambda log: log.metrics(0, 0.5), r"metrics\(\) at iteration 0"),
}


@pytest.mark.parametrize("case", list(MISUSE))
def test_misuse_raises_with_the_fix(tmp_path, case):
    call, message = MISUSE[case]
    log = started(tmp_path)
    with pytest.raises(rl.RunLogUsageError, match=message):
        call(log)


def test_events_outside_a_segment_are_refused(tmp_path):
    log = rl.RunLogWriter(tmp_path / "run.jsonl")
    with pytest.raises(rl.RunLogUsageError, match=r"pass_start\(\) before start\(\)"):
        log.pass_start(0, 0)
    log.start(config={}, plan=rl.make_plan(**PLAN))
    log.end("interrupted", 0)
    with pytest.raises(rl.RunLogUsageError, match=r"checkpoint\(\) after end\(\)"):
        log.checkpoint(0, "c.pt")


def test_a_plan_without_its_inputs_is_refused(tmp_path):
    log = rl.RunLogWriter(tmp_path / "run.jsonl")
    with pytest.raises(rl.RunLogUsageError, match=r"missing: batch_size"):
        log.start(config={}, plan={"num_samples": 10, "passes": 2})
    assert not log.path.exists(), "expected nothing written for a refused start"
    log.start(config={}, plan={"num_samples": 10, "batch_size": 4, "passes": 2})
    logged = lines(log.path)[0]["plan"]
    assert (logged["batches_per_epoch"], logged["iterations"]) == (3, 6), \
        f"expected the counts computed from the inputs (3 batches, 6 iterations), got {logged}"


def test_sigint_sets_the_stop_flag_and_a_second_one_interrupts():
    with rl.stop_on_signals() as stop:
        assert not stop, "expected no stop requested before a signal"
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.requested == "SIGTERM", f"expected the flag to name SIGTERM, got {stop.requested!r}"
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler, "expected the SIGINT handler restored"


# --- the worked example (docs/runlog.md) -----------------------------------------------------------

@pytest.fixture(scope="module")
def example():
    pytest.importorskip("torch", reason="the worked example is a PyTorch loop")
    spec = importlib.util.spec_from_file_location("plain_loop", REPO / "examples" / "plain_loop.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_example_loop_writes_a_clean_log(example, tmp_path):
    log = example.train(tmp_path / "run")
    assert codes(log) == [], f"expected the example's log accepted with no finding, got {checkrun.check_run(log)}"
    evs = lines(log)
    # 96 samples, batch 16: 6 batches per pass, 6 passes = 36 iterations; checkpoints at 10, 20, 30 and 36
    got = [e["iteration"] for e in evs if e["event"] == "checkpoint"]
    assert got == [10, 20, 30, 36], f"expected the checkpoints at 10, 20, 30 and the final 36, got {got}"


def test_the_example_interrupted_and_resumed(example, tmp_path):
    log = example.train(tmp_path / "run", interrupt_at=13)
    assert codes(log) == ["RUN-NOT-FINISHED"], f"expected an interrupted run to be not finished, got {codes(log)}"
    log = example.train(tmp_path / "run", resume=True)
    assert codes(log) == [], f"expected the resumed run clean, got {checkrun.check_run(log)}"
    log = example.train(tmp_path / "run", resume=True)
    assert lines(log)[-1]["reason"] == "already-complete" and codes(log) == [], \
        f"expected a third start to do nothing and say already-complete, got {lines(log)[-1]} and {codes(log)}"
    assert sum(e["samples_seen"] for e in lines(log) if e["event"] == "epoch_end") == 6 * 96, \
        "expected 6 passes of 96 samples logged over the segments"
