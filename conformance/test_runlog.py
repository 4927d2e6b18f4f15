"""Conformance of the run verdict (spec chapter 10, RUNLOG-n).

Every log here is written by hand, event by event, as some trainer would write it; the
implementation's ``check_run`` must flag each departure from the plan with its own code.
The four real ways a RealDex run ends at once are the four ``test_real_cause_*`` tests.

The small plan used throughout (numbers checked by hand): 100 samples, batch 10, 3 passes,
a checkpoint every 15 iterations -> 10 batches and iterations per pass, 30 iterations,
checkpoints at 15 and 30 (the final one is the second periodic one), 300 samples seen.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.requires("runlog")

T0 = 1_757_000_000.0
CAUSE_CODES = {"RUN-WRONG-LAYOUT", "RUN-EMPTY-PASS", "RUN-RESUMED-FINISHED", "RUN-PASS-JUMP"}
KNOWN_CODES = CAUSE_CODES | {"RUN-ENDED-EARLY", "RUN-NOT-FINISHED", "RUN-NO-END", "RUN-TOO-FAST", "RUN-CKPT-MISSING",
                             "RUN-CKPT-EXTRA", "RUN-SAMPLES-MISMATCH", "RUN-PLAN-MISMATCH"}


def plan(num_samples=100, batch_size=10, passes=3, ckpt_every=15, drop_last=False, step_time=None, **counts):
    """A plan as a trainer logs it: its inputs and, when given, its counts."""
    p = dict(num_samples=num_samples, batch_size=batch_size, world_size=1, drop_last=drop_last, grad_accum=1,
             passes=passes, max_iterations=None, ckpt_every=ckpt_every, step_time=step_time)
    if step_time is not None:
        p.update(expected_seconds=step_time * counts.get("iterations", 0))
        p.update(expected_seconds_low=p["expected_seconds"] / 2, expected_seconds_high=p["expected_seconds"] * 2)
    return {**p, **counts}


SMALL = plan(batches_per_epoch=10, iterations_per_epoch=10, passes=3, iterations=30, periodic_checkpoints=2,
             checkpoints=2, samples_seen=300)


def run_start(t, plan, layout="realdex-frame", samples=None, counts=None, resume=None, config=None):
    samples = plan["num_samples"] if samples is None else samples
    return {"event": "run_start", "time": t, "format": "realdex-runlog/1",
            "config": config or {"batch_size": plan["batch_size"], "total_epoch": plan["passes"]},
            "dataset": {"root": "/data/realdex", "layout": layout, "samples": samples,
                        "counts": counts or {layout: samples}},
            "plan": plan, "resume": resume}


def passes(t, first_pass, last_pass, per_pass, batches, samples, ckpt_every, step, start_iteration=None,
           final=True, stop_at=None):
    """Events of passes first..last (inclusive), a checkpoint at every multiple of ckpt_every.

    Returns (events, time, iteration) after them; ``stop_at`` ends the work at that iteration.
    """
    events, it = [], first_pass * per_pass if start_iteration is None else start_iteration
    for p in range(first_pass, last_pass + 1):
        events.append({"event": "epoch_start", "time": t, "pass": p, "iteration": it})
        while it < (p + 1) * per_pass:  # a resumed pass runs only what is left of it
            if stop_at is not None and it >= stop_at:
                return events, t, it
            it, t = it + 1, t + step
            if ckpt_every and it % ckpt_every == 0:
                events.append({"event": "checkpoint", "time": t, "iteration": it, "path": f"ckpt_{it}.pt", "final": False})
        events.append({"event": "epoch_end", "time": t, "pass": p, "iteration": it, "batches": batches,
                       "samples_seen": samples})
    if final:  # the last periodic checkpoint is the final one when it falls on the last iteration
        last = next((e for e in events if e["event"] == "checkpoint" and e["iteration"] == it), None)
        if last is not None:
            last["final"] = True
        else:
            events.append({"event": "checkpoint", "time": t, "iteration": it, "path": f"ckpt_{it}.pt", "final": True})
    return events, t, it


def run_end(t, iteration, reason="completed"):
    status = "success" if reason in ("completed", "max-iterations", "already-complete") else "aborted"
    return {"event": "run_end", "time": t, "status": status, "reason": reason, "iteration": iteration}


def clean_small(step=1.0):
    body, t, it = passes(T0, 0, 2, per_pass=10, batches=10, samples=100, ckpt_every=15, step=step)
    return [run_start(T0, SMALL), *body, run_end(t, it)]


def write(tmp_path: Path, events: list[dict], name="run.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    return path


def codes(adapter, path) -> list[str]:
    findings = adapter.check_run(path=path)
    return [f["code"] for f in findings]


def assert_flags(adapter, path, code, absent=()):
    got = codes(adapter, path)
    assert code in got, f"expected the verdict on {path.name} to flag {code}, got {got}"
    wrong = sorted(set(got) & set(absent))
    assert not wrong, f"expected {code} without {wrong} (their cause is not in this log), got {got}"


# --- a clean run ---------------------------------------------------------------------------

@pytest.mark.clause("RUNLOG-6", "RUNLOG-1", "RUNLOG-2", "RUNLOG-3", "RUNLOG-4", "RUNLOG-5")
def test_a_clean_run_has_no_finding(adapter, tmp_path):
    got = adapter.check_run(path=write(tmp_path, clean_small()))
    assert got == [], f"expected no finding for a run that did exactly its plan, got {got}"


@pytest.mark.clause("RUNLOG-6", "RUNLOG-1")
def test_a_clean_run_resumed_once_has_no_finding(adapter, tmp_path):
    first, t, it = passes(T0, 0, 1, per_pass=10, batches=10, samples=100, ckpt_every=15, step=1.0, stop_at=15)
    # interrupted at iteration 15, right after its checkpoint, in pass 1; the resume restarts pass 1
    t2 = t + 60
    second, t3, it3 = passes(t2, 1, 2, per_pass=10, batches=10, samples=100, ckpt_every=15, step=1.0, start_iteration=15)
    # the resumed pass 1 runs iterations 16..20; its epoch_end reports the whole pass (RUNLOG-3)
    events = [run_start(T0, SMALL), *first, run_end(t, it, "interrupted"),
              run_start(t2, SMALL, resume={"iteration": 15, "pass": 1, "checkpoint": "ckpt_15.pt"}), *second,
              run_end(t3, it3)]
    assert (it, it3) == (15, 30), f"the hand-made log must stop at 15 and end at 30; it stops at {it}, ends at {it3}"
    got = adapter.check_run(path=write(tmp_path, events))
    assert got == [], f"expected no finding for a run interrupted at iteration 15 and resumed to its end, got {got}"


# --- the four real causes ----------------------------------------------------------------

def wrong_layout_log() -> list[dict]:
    """Cause 1: 8 converted samples load, 14,380 per-frame samples sit beside them; 250 passes of 1 batch of 8."""
    p = plan(num_samples=8, batch_size=32, passes=250, ckpt_every=500, batches_per_epoch=1, iterations=250,
             checkpoints=1, samples_seen=2000)
    body, t, it = passes(T0, 0, 249, per_pass=1, batches=1, samples=8, ckpt_every=500, step=0.004)
    return [run_start(T0, p, layout="converted", samples=8, counts={"converted": 8, "realdex-frame": 14_380}),
            *body, run_end(t, it)]


def empty_pass_log() -> list[dict]:
    """Cause 2: floor(8 / 32) = 0 batches: 250 empty passes, only the final checkpoint ("Saving model at epoch 1")."""
    p = plan(num_samples=8, batch_size=32, passes=250, ckpt_every=500, drop_last=True, batches_per_epoch=0,
             iterations=0, checkpoints=1, samples_seen=0)
    body, t, it = passes(T0, 0, 249, per_pass=0, batches=0, samples=0, ckpt_every=500, step=0.004)
    assert it == 0 and body[-1] == {"event": "checkpoint", "time": t, "iteration": 0, "path": "ckpt_0.pt", "final": True}, (
        f"the hand-made log of empty passes must end at iteration 0 with its one final checkpoint; it ends at {it}: {body[-1]}"
    )
    return [run_start(T0, p, layout="converted", samples=8), *body, run_end(t + 1, it)]


def resumed_finished_log() -> list[dict]:
    """Cause 3: a second segment resumes in the folder of the finished run, from its final checkpoint."""
    earlier = clean_small()
    t = earlier[-1]["time"] + 3600
    return [*earlier, run_start(t, SMALL, resume={"iteration": 30, "pass": 3, "checkpoint": "ckpt_30.pt"}),
            run_end(t + 0.5, 30)]


def pass_jump_log() -> list[dict]:
    """Cause 4: 30 passes of 10 iterations; the epoch counter ticks every step_epoch = 1 iteration and is resumed as the pass."""
    p = plan(passes=30, ckpt_every=15, batches_per_epoch=10, iterations_per_epoch=10, iterations=300,
             periodic_checkpoints=20, checkpoints=20, samples_seen=3000)
    config = {"batch_size": 10, "total_epoch": 30, "freq": {"save": 15, "step_epoch": 1}}
    first, t, it = passes(T0, 0, 4, per_pass=10, batches=10, samples=100, ckpt_every=15, step=1.0, stop_at=45)
    assert it == 45, f"the hand-made first segment must end at iteration 45, it ends at {it}"
    # the resume reads the counter (45 ticks) as the pass index: 45 > 30 passes, the loop never runs
    t2 = t + 60
    return [run_start(T0, p, config=config), *first, run_end(t, it, "interrupted"),
            run_start(t2, p, config=config, resume={"iteration": 45, "pass": 45, "checkpoint": "ckpt_45.pt"}),
            {"event": "checkpoint", "time": t2 + 0.1, "iteration": 45, "path": "ckpt_45.pt", "final": True},
            run_end(t2 + 0.2, 45)]


# the four real ways a RealDex run ends at once, each with the code that must flag it
REAL_CAUSES = {
    "RUN-WRONG-LAYOUT": wrong_layout_log,
    "RUN-EMPTY-PASS": empty_pass_log,
    "RUN-RESUMED-FINISHED": resumed_finished_log,
    "RUN-PASS-JUMP": pass_jump_log,
}


@pytest.mark.clause("RUNLOG-7")
def test_real_cause_1_the_wrong_layout(adapter, tmp_path):
    assert_flags(adapter, write(tmp_path, wrong_layout_log()), "RUN-WRONG-LAYOUT", absent=CAUSE_CODES - {"RUN-WRONG-LAYOUT"})


@pytest.mark.clause("RUNLOG-8")
def test_real_cause_2_drop_last_with_fewer_samples_than_a_batch(adapter, tmp_path):
    assert_flags(adapter, write(tmp_path, empty_pass_log()), "RUN-EMPTY-PASS", absent=CAUSE_CODES - {"RUN-EMPTY-PASS"})


@pytest.mark.clause("RUNLOG-9")
def test_real_cause_3_resuming_in_a_folder_with_a_finished_checkpoint(adapter, tmp_path):
    assert_flags(adapter, write(tmp_path, resumed_finished_log()), "RUN-RESUMED-FINISHED",
                 absent=CAUSE_CODES - {"RUN-RESUMED-FINISHED"})


@pytest.mark.clause("RUNLOG-10", "RUNLOG-3")
def test_real_cause_4_an_epoch_counter_used_as_a_pass_count(adapter, tmp_path):
    assert_flags(adapter, write(tmp_path, pass_jump_log()), "RUN-PASS-JUMP", absent=CAUSE_CODES - {"RUN-PASS-JUMP"})


@pytest.mark.clause("RUNLOG-9")
def test_a_finished_run_resumed_again_that_says_already_complete_is_clean(adapter, tmp_path):
    """A kill after run_end, then a resume: the trainer rightly does nothing and logs already-complete (TRAIN-8)."""
    earlier = clean_small()
    t = earlier[-1]["time"] + 3600
    events = [*earlier, run_start(t, SMALL, resume={"iteration": 30, "pass": 3, "checkpoint": "ckpt_30.pt"}),
              run_end(t + 0.5, 30, "already-complete")]
    got = codes(adapter, write(tmp_path, events))
    assert got == [], f"expected no finding for a finished run resumed that says already-complete, got {got}"


@pytest.mark.clause("RUNLOG-13")
def test_a_checkpoint_resumed_from_but_never_logged_is_not_missing(adapter, tmp_path):
    """A kill between a checkpoint's rename and its log line, then a resume from it: the resume proves it exists."""
    first, t, it = passes(T0, 0, 1, per_pass=10, batches=10, samples=100, ckpt_every=15, step=1.0, stop_at=15,
                          final=False)
    first = [e for e in first if e["event"] != "checkpoint"]  # ckpt 15 published, its line never written
    rest, t2, it2 = passes(t + 60, 1, 2, per_pass=10, batches=10, samples=100, ckpt_every=15, step=1.0,
                           start_iteration=15)
    events = [run_start(T0, SMALL), *first,
              run_start(t + 60, SMALL, resume={"iteration": 15, "pass": 1, "checkpoint": "ckpt_15.pt"}),
              *[e for e in rest if not (e["event"] == "checkpoint" and e["iteration"] == 15)], run_end(t2, it2)]
    got = codes(adapter, write(tmp_path, events))
    assert "RUN-CKPT-MISSING" not in got, f"expected the checkpoint resumed from to count as published, got {got}"


@pytest.mark.clause("RUNLOG-13")
def test_checkpoints_redone_after_a_resume_from_an_earlier_one_are_not_extra(adapter, tmp_path):
    """A resume that passed over a damaged newest checkpoint redoes its iterations and logs them again."""
    first, t, it = passes(T0, 0, 2, per_pass=10, batches=10, samples=100, ckpt_every=15, step=1.0, stop_at=30,
                          final=False)
    rest, t2, it2 = passes(t + 60, 1, 2, per_pass=10, batches=10, samples=100, ckpt_every=15, step=1.0,
                           start_iteration=15)
    events = [run_start(T0, SMALL), *first, run_end(t, it, "interrupted"),
              run_start(t + 60, SMALL, resume={"iteration": 15, "pass": 1, "checkpoint": "ckpt_15.pt"}),
              *rest, run_end(t2, it2)]
    got = codes(adapter, write(tmp_path, events))
    assert "RUN-CKPT-EXTRA" not in got, f"expected checkpoints redone after the resume counted once, got {got}"


@pytest.mark.clause("RUNLOG-10")
def test_skipped_passes_are_a_jump(adapter, tmp_path):
    events = clean_small()
    for e in events:  # the third pass is logged as pass 5
        if e.get("pass") == 2:
            e["pass"] = 5
    assert_flags(adapter, write(tmp_path, events), "RUN-PASS-JUMP")


# --- ends, time, checkpoints, samples ------------------------------------------------------

@pytest.mark.clause("RUNLOG-11", "RUNLOG-5", "RUNLOG-13")
@pytest.mark.parametrize("reason,code", [("completed", "RUN-ENDED-EARLY"), ("interrupted", "RUN-NOT-FINISHED"),
                                         ("error", "RUN-NOT-FINISHED")])
def test_a_run_that_stops_before_its_plan(adapter, tmp_path, reason, code):
    body, t, it = passes(T0, 0, 1, per_pass=10, batches=10, samples=100, ckpt_every=15, step=1.0, final=False)
    events = [run_start(T0, SMALL), *body, run_end(t, it, reason)]
    other = {"RUN-ENDED-EARLY", "RUN-NOT-FINISHED"} - {code}
    path = write(tmp_path, events)
    assert_flags(adapter, path, code, absent=other)
    if reason != "completed":  # stopped between checkpoints (15 planned, 10 done): a stop saves none it owes (RUNLOG-13)
        got = sorted(set(codes(adapter, path)))
        assert got == [code], f"expected only {code} for a run {reason} between checkpoints, found {got}"


@pytest.mark.clause("RUNLOG-11")
def test_a_log_without_run_end(adapter, tmp_path):
    assert_flags(adapter, write(tmp_path, clean_small()[:-1]), "RUN-NO-END")


@pytest.mark.clause("RUNLOG-12")
def test_a_run_done_faster_than_the_model_allows(adapter, tmp_path):
    timed = {**SMALL, "step_time": 10.0, "expected_seconds": 300.0, "expected_seconds_low": 150.0,
             "expected_seconds_high": 600.0}
    fast = [run_start(T0, timed), *clean_small(step=0.01)[1:]]  # 30 iterations in 0.3 s, 150 s at least
    assert_flags(adapter, write(tmp_path, fast, "fast.jsonl"), "RUN-TOO-FAST")
    ok = [run_start(T0, timed), *clean_small(step=9.0)[1:]]  # 270 s: inside the band
    got = codes(adapter, write(tmp_path, ok, "ok.jsonl"))
    assert got == [], f"expected no finding for 270 s against a band of 150 to 600 s, got {got}"


@pytest.mark.clause("RUNLOG-13", "RUNLOG-4")
def test_a_missing_checkpoint(adapter, tmp_path):
    events = [e for e in clean_small() if not (e["event"] == "checkpoint" and e["iteration"] == 15)]
    assert_flags(adapter, write(tmp_path, events), "RUN-CKPT-MISSING", absent={"RUN-CKPT-EXTRA"})


@pytest.mark.clause("RUNLOG-13", "RUNLOG-4")
def test_the_final_checkpoint_logged_twice(adapter, tmp_path):
    events = clean_small()
    end = events.pop()
    events += [{"event": "checkpoint", "time": end["time"], "iteration": 30, "path": "final.pt", "final": True}, end]
    assert_flags(adapter, write(tmp_path, events), "RUN-CKPT-EXTRA", absent={"RUN-CKPT-MISSING"})


@pytest.mark.clause("RUNLOG-14")
def test_samples_seen_differ_from_the_plan(adapter, tmp_path):
    events = clean_small()
    next(e for e in events if e["event"] == "epoch_end")["samples_seen"] = 90
    assert_flags(adapter, write(tmp_path, events), "RUN-SAMPLES-MISMATCH")


@pytest.mark.clause("RUNLOG-15")
def test_a_logged_plan_with_wrong_counts(adapter, tmp_path):
    events = clean_small()
    events[0]["plan"] = {**SMALL, "checkpoints": 3}  # the final checkpoint counted twice
    assert_flags(adapter, write(tmp_path, events), "RUN-PLAN-MISMATCH")


# --- unreadable logs and the form of findings ------------------------------------------------

@pytest.mark.clause("RUNLOG-16", "RUNLOG-1")
@pytest.mark.parametrize("bad", ["not json", '["a list"]', '{"event": "epoch_start"}', '{"time": 1.0}',
                                 '{"event": "epoch_start", "time": "noon"}'])
def test_an_unreadable_line_is_refused_with_its_number(adapter, tmp_path, bad):
    lines = [json.dumps(e) for e in clean_small()]
    lines.insert(6, bad)  # line 7 of the file
    path = tmp_path / "run.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ValueError) as info:
        adapter.check_run(path=path)
    msg = str(info.value)
    assert path.name in msg, f"expected the refusal to name the file {path.name}: {msg}"
    assert re.search(r"\b7\b", msg.replace(str(path), "")), f"expected the refusal to name line 7: {msg}"


@pytest.mark.clause("RUNLOG-16", "RUNLOG-2")
def test_a_log_without_run_start_is_refused(adapter, tmp_path):
    path = write(tmp_path, clean_small()[1:])
    with pytest.raises(ValueError) as info:
        adapter.check_run(path=path)
    assert "run_start" in str(info.value), f"expected the refusal to say run_start is missing: {info.value}"


@pytest.mark.clause("RUNLOG-17", "RUNLOG-6")
def test_findings_are_json_with_known_codes(adapter, tmp_path):
    events = clean_small()[:-1] + [run_end(clean_small()[-1]["time"], 20)]  # claims done at 20 of 30
    findings = adapter.check_run(path=write(tmp_path, events))
    assert findings, "expected findings for a run that claims to be done at iteration 20 of 30"
    back = json.loads(json.dumps(findings))
    for f in back:
        assert f["code"] in KNOWN_CODES, f"expected a code from chapter 10, got {f['code']!r}"
        assert isinstance(f["message"], str) and f["message"], f"expected a message, got {f.get('message')!r}"
        assert f.get("line") is None or isinstance(f["line"], int), f"expected line int or None, got {f.get('line')!r}"


# --- open points decided (spec/appendix-decisions.md) ------------------------------------------

def clean_max_iterations(logged_passes):
    """100 samples, batch 10, max_iterations 25, a checkpoint every 15: passes 0 and 1 whole, pass 2 cut after 5
    batches; checkpoints at 15 and 25 (final); 100 + 100 + 50 = 250 samples seen; 3 passes begun (PLAN-4)."""
    logged = plan(passes=logged_passes, batches_per_epoch=10, iterations_per_epoch=10, iterations=25,
                  periodic_checkpoints=1, checkpoints=2, samples_seen=250)
    logged["max_iterations"] = 25
    body, t, it = passes(T0, 0, 1, per_pass=10, batches=10, samples=100, ckpt_every=15, step=1.0, final=False)
    body.append({"event": "epoch_start", "time": t, "pass": 2, "iteration": it})
    t, it = t + 5.0, it + 5
    body += [{"event": "epoch_end", "time": t, "pass": 2, "iteration": it, "batches": 5, "samples_seen": 50},
             {"event": "checkpoint", "time": t, "iteration": it, "path": f"ckpt_{it}.pt", "final": True}]
    return [run_start(T0, logged, config={"batch_size": 10, "max_iterations": 25}), *body, run_end(t, it, "max-iterations")]


@pytest.mark.clause("RUNLOG-2", "RUNLOG-15")
@pytest.mark.parametrize("logged_passes", [None, 5, 3], ids=["passes-null-the-input", "passes-5-the-input", "passes-3-begun"])
def test_with_max_iterations_the_logged_passes_may_be_the_input_or_the_passes_begun(adapter, tmp_path, logged_passes):
    """A plan cut by max_iterations gives the same iterations from passes null, from the passes asked for and from
    the passes begun (min(P × 10, 25) = 25 for any P ≥ 3): none of them is a plan mismatch."""
    path = write(tmp_path, clean_max_iterations(logged_passes))
    got = codes(adapter, path)
    assert got == [], f"a clean max-iterations run whose plan logs passes={logged_passes!r}: expected no finding, got {got}"


@pytest.mark.clause("RUNLOG-6", "RUNLOG-16")
def test_an_event_of_another_name_is_ignored(adapter, tmp_path):
    """A trainer may log events of its own (an evaluation, a note): they are neither unreadable nor a finding."""
    events = clean_small()
    events.insert(3, {"event": "eval", "time": T0 + 2.5, "iteration": 2, "accuracy": 0.5})
    events.insert(5, {"event": "note", "time": T0 + 3.0, "text": "learning rate halved"})
    got = codes(adapter, write(tmp_path, events))
    assert got == [], f"a clean run that also logs 'eval' and 'note' events: expected no finding, got {got}"


@pytest.mark.clause("RUNLOG-14", "RUNLOG-13")
def test_a_pass_redone_after_a_kill_counts_once(adapter, tmp_path):
    """Killed after pass 1's epoch_end and before its next checkpoint, the run resumes from iteration 15 and redoes
    the rest of pass 1: pass 1 is logged twice, the last epoch_end of a pass is the one that counts (300 samples)."""
    first, t, it = passes(T0, 0, 1, per_pass=10, batches=10, samples=100, ckpt_every=15, step=1.0, final=False)
    t2 = t + 60  # killed: no run_end; the latest checkpoint is ckpt_15
    second, t3, it3 = passes(t2, 1, 2, per_pass=10, batches=10, samples=100, ckpt_every=15, step=1.0, start_iteration=15)
    events = [run_start(T0, SMALL), *first,
              run_start(t2, SMALL, resume={"iteration": 15, "pass": 1, "checkpoint": "ckpt_15.pt"}), *second, run_end(t3, it3)]
    assert (it, it3) == (20, 30), f"the hand-made log must reach 20 before the kill and end at 30; found {it} and {it3}"
    got = codes(adapter, write(tmp_path, events))
    assert got == [], f"a run killed after pass 1 and resumed to its end, pass 1 logged twice: expected no finding, got {got}"


# --- runs of several segments (issue 12): every segment counts, the pauses between them do not ------------

def resumed_at_15(step: float, pause: float, plan: dict) -> list[dict]:
    """The small plan interrupted at iteration 15, right after its checkpoint, and resumed after ``pause`` seconds:
    two segments of 15 iterations of ``step`` seconds each."""
    first, t, it = passes(T0, 0, 1, per_pass=10, batches=10, samples=100, ckpt_every=15, step=step, stop_at=15)
    t2 = t + pause
    second, t3, it3 = passes(t2, 1, 2, per_pass=10, batches=10, samples=100, ckpt_every=15, step=step,
                             start_iteration=15)
    assert (it, it3) == (15, 30), f"the hand-made log must stop at 15 and end at 30; it stops at {it}, ends at {it3}"
    return [run_start(T0, plan), *first, run_end(t, it, "interrupted"),
            run_start(t2, plan, resume={"iteration": 15, "pass": 1, "checkpoint": "ckpt_15.pt"}), *second,
            run_end(t3, it3)]


@pytest.mark.clause("RUNLOG-12")
def test_wall_time_sums_the_segments_not_the_pauses_between_them(adapter, tmp_path):
    """A step time of 10 s: 300 s expected for 30 iterations, 150 s at least. Two segments of 0.15 s a day apart
    did not train for a day; two segments of 135 s an hour apart trained for 270 s, inside the band."""
    timed = {**SMALL, "step_time": 10.0, "expected_seconds": 300.0, "expected_seconds_low": 150.0,
             "expected_seconds_high": 600.0}
    paused = write(tmp_path, resumed_at_15(step=0.01, pause=86_400.0, plan=timed), "fast-a-day-apart.jsonl")
    assert_flags(adapter, paused, "RUN-TOO-FAST")
    halves = write(tmp_path, resumed_at_15(step=9.0, pause=3600.0, plan=timed), "two-halves-in-the-band.jsonl")
    got = codes(adapter, halves)
    assert got == [], (f"expected no finding for two segments of 135 s (270 s in all, the band 150 s to 600 s): "
                       f"the last segment alone is not the run's time; got {got}")


@pytest.mark.clause("RUNLOG-13", "RUNLOG-4")
def test_checkpoints_saved_at_interruptions_are_not_extra(adapter, tmp_path):
    """Interrupted at iterations 12 and 23, between the periodic checkpoints (15, 30): each stop saves and logs a
    checkpoint where it stopped (TRAIN-9) and the next segment resumes from it. Three segments, no finding."""
    first, t, it = passes(T0, 0, 1, per_pass=10, batches=10, samples=100, ckpt_every=15, step=1.0, stop_at=12,
                          final=False)
    t2 = t + 600
    second, t3, it2 = passes(t2, 1, 2, per_pass=10, batches=10, samples=100, ckpt_every=15, step=1.0,
                             start_iteration=12, stop_at=23, final=False)
    t4 = t3 + 600
    third, t5, it3 = passes(t4, 2, 2, per_pass=10, batches=10, samples=100, ckpt_every=15, step=1.0,
                            start_iteration=23)
    assert (it, it2, it3) == (12, 23, 30), (
        f"the hand-made log must stop at 12 and 23 and end at 30; found {it}, {it2}, {it3}")

    def stop(at, when):  # the checkpoint a stopped segment saves where it stopped (TRAIN-9)
        return {"event": "checkpoint", "time": when, "iteration": at, "path": f"ckpt_{at}.pt", "final": False}

    events = [run_start(T0, SMALL), *first, stop(12, t), run_end(t, 12, "interrupted"),
              run_start(t2, SMALL, resume={"iteration": 12, "pass": 1, "checkpoint": "ckpt_12.pt"}), *second,
              stop(23, t3), run_end(t3, 23, "interrupted"),
              run_start(t4, SMALL, resume={"iteration": 23, "pass": 2, "checkpoint": "ckpt_23.pt"}), *third,
              run_end(t5, it3)]
    got = codes(adapter, write(tmp_path, events))
    assert got == [], (f"expected no finding for a run interrupted at 12 and 23, each stop saving where it stopped and "
                       f"resumed from there: those checkpoints are allowed, not extra (RUNLOG-13); got {got}")


def empty_pass_mid_run_log() -> list[dict]:
    """5 passes of 10 iterations, a checkpoint every 15. Interrupted at 20 (the end of pass 1), the run resumes with a
    loader whose state is that of the pass it had finished: pass 2 draws 0 batches; passes 3 (iterations 20 to 30)
    and 4 (30 to 40, interrupted at 35 and resumed) draw theirs. The plan has batches, and so do the first segment,
    the last one and the run's totals."""
    p5 = plan(passes=5, ckpt_every=15, batches_per_epoch=10, iterations_per_epoch=10, iterations=50,
              periodic_checkpoints=3, checkpoints=4, samples_seen=500)
    events, t, it = passes(T0, 0, 1, per_pass=10, batches=10, samples=100, ckpt_every=15, step=1.0, final=False)
    events = [run_start(T0, p5), *events]

    def log(event, **fields):
        events.append({"event": event, "time": t, **fields})

    def train_to(last):  # one second an iteration, a checkpoint at every multiple of 15
        nonlocal t, it
        while it < last:
            it, t = it + 1, t + 1.0
            if it % 15 == 0:
                log("checkpoint", iteration=it, path=f"ckpt_{it}.pt", final=False)

    log("checkpoint", iteration=20, path="ckpt_20.pt", final=False)
    events.append(run_end(t, 20, "interrupted"))
    t += 600
    events.append(run_start(t, p5, resume={"iteration": 20, "pass": 2, "checkpoint": "ckpt_20.pt"}))
    log("epoch_start", **{"pass": 2, "iteration": 20})
    log("epoch_end", **{"pass": 2, "iteration": 20, "batches": 0, "samples_seen": 0})
    log("epoch_start", **{"pass": 3, "iteration": 20})
    train_to(30)
    log("epoch_end", **{"pass": 3, "iteration": 30, "batches": 10, "samples_seen": 100})
    log("epoch_start", **{"pass": 4, "iteration": 30})
    train_to(35)
    log("checkpoint", iteration=35, path="ckpt_35.pt", final=False)
    events.append(run_end(t, 35, "interrupted"))
    t += 600
    events.append(run_start(t, p5, resume={"iteration": 35, "pass": 4, "checkpoint": "ckpt_35.pt"}))
    log("epoch_start", **{"pass": 4, "iteration": 35})
    train_to(40)
    log("epoch_end", **{"pass": 4, "iteration": 40, "batches": 10, "samples_seen": 100})
    log("checkpoint", iteration=40, path="ckpt_40.pt", final=True)
    events.append(run_end(t, 40))
    return events


@pytest.mark.clause("RUNLOG-8")
def test_an_empty_pass_in_the_middle_of_a_run_with_batches_is_named(adapter, tmp_path):
    events = empty_pass_mid_run_log()
    empty = [e for e in events if e["event"] == "epoch_end" and e["batches"] == 0]
    starts = [i for i, e in enumerate(events) if e["event"] == "run_start"]
    assert len(starts) == 3 and len(empty) == 1 and starts[1] < events.index(empty[0]) < starts[2], (
        f"the hand-made log must hold one empty pass, in the second of three segments; found {len(empty)} empty "
        f"pass(es), segments starting at events {starts}")
    got = codes(adapter, write(tmp_path, events))
    assert "RUN-EMPTY-PASS" in got, (
        "expected RUN-EMPTY-PASS for pass 2, which drew 0 batches in the second of three segments while the plan, "
        f"the first and last segments and the run's totals have batches: the other findings are its consequences "
        f"and do not name the cause; got {got}")


@pytest.mark.clause("RUNLOG-14", "RUNLOG-15", "RUNLOG-3")
def test_a_clean_max_iterations_run_with_gradient_accumulation_has_no_finding(adapter, tmp_path):
    """100 samples, batch 10, grad_accum 3 (iterations of 3, 3, 3 and 1 batches: 4 a pass), max_iterations 6, a
    checkpoint every 5: pass 0 whole (10 batches, 100 samples), pass 1 cut after 2 iterations (6 batches, 60
    samples); 160 samples seen (PLAN-8), checkpoints at 5 and 6 (final)."""
    logged = plan(passes=None, ckpt_every=5, batches_per_epoch=10, iterations_per_epoch=4, iterations=6,
                  periodic_checkpoints=1, checkpoints=2, samples_seen=160)
    logged.update(grad_accum=3, max_iterations=6)

    def ev(name, t, **fields):
        return {"event": name, "time": T0 + t, **fields}

    events = [run_start(T0, logged, config={"batch_size": 10, "grad_accum": 3, "max_iterations": 6}),
              ev("epoch_start", 0, **{"pass": 0, "iteration": 0}),
              ev("epoch_end", 4, **{"pass": 0, "iteration": 4, "batches": 10, "samples_seen": 100}),
              ev("epoch_start", 4, **{"pass": 1, "iteration": 4}),
              ev("checkpoint", 5, iteration=5, path="ckpt_5.pt", final=False),
              ev("epoch_end", 6, **{"pass": 1, "iteration": 6, "batches": 6, "samples_seen": 60}),
              ev("checkpoint", 6, iteration=6, path="ckpt_6.pt", final=True),
              run_end(T0 + 6, 6, "max-iterations")]
    got = codes(adapter, write(tmp_path, events))
    assert got == [], (f"expected no finding for a run that did its plan exactly: 6 iterations under grad_accum 3, the "
                       f"cut pass drawing 2 x 3 batches (100 + 60 = 160 samples); got {got}")


def _interrupted_log() -> list[dict]:
    body, t, it = passes(T0, 0, 1, per_pass=10, batches=10, samples=100, ckpt_every=15, step=1.0, final=False)
    return [run_start(T0, SMALL), *body, run_end(t, it, "interrupted")]


def _fast_log() -> list[dict]:
    timed = {**SMALL, "step_time": 10.0, "expected_seconds": 300.0, "expected_seconds_low": 150.0,
             "expected_seconds_high": 600.0}
    return [run_start(T0, timed), *clean_small(step=0.01)[1:]]


def _wrong_counts_log() -> list[dict]:
    events = clean_small()
    events[0]["plan"] = {**SMALL, "checkpoints": 3}
    return events


def _skipped_passes_log() -> list[dict]:
    events = clean_small()
    for e in events:  # the third pass is logged as pass 5
        if e.get("pass") == 2:
            e["pass"] = 5
    return events


@pytest.mark.clause("RUNLOG-17", "RUNLOG-6")
@pytest.mark.parametrize("make, code", [
    (wrong_layout_log, "RUN-WRONG-LAYOUT"), (empty_pass_log, "RUN-EMPTY-PASS"), (pass_jump_log, "RUN-PASS-JUMP"),
    (_interrupted_log, "RUN-NOT-FINISHED"), (_fast_log, "RUN-TOO-FAST"), (_wrong_counts_log, "RUN-PLAN-MISMATCH"),
    (resumed_finished_log, "RUN-RESUMED-FINISHED"), (lambda: _skipped_passes_log(), "RUN-PASS-JUMP"),
], ids=["wrong-layout", "empty-pass", "pass-jump", "not-finished", "too-fast", "plan-mismatch", "resumed-finished",
        "skipped-passes"])
def test_every_finding_has_a_known_code_a_message_and_a_line(adapter, tmp_path, make, code):
    findings = adapter.check_run(path=write(tmp_path, make()))
    assert code in [f.get("code") for f in findings], f"expected {code} among the findings, got {findings}"
    for f in json.loads(json.dumps(findings)):
        assert f["code"] in KNOWN_CODES, f"expected a code from chapter 10, got {f['code']!r} in {f}"
        assert isinstance(f["message"], str) and f["message"].strip(), f"expected a non-empty message, got {f}"
        assert f.get("line") is None or isinstance(f["line"], int), f"expected line int or None, got {f}"
    if code == "RUN-PLAN-MISMATCH":  # the logged plan is on the run_start line, line 1 (RUNLOG-6)
        lines = {f.get("line") for f in findings if f["code"] == code}
        assert lines <= {None, 1}, f"expected RUN-PLAN-MISMATCH on line 1 (run_start, where the plan is), got {lines}"
    if code == "RUN-WRONG-LAYOUT":  # what the log shows and the fix: the layout trained on and the one to train on
        message = next(f["message"] for f in findings if f["code"] == code)
        assert "converted" in message and "realdex-frame" in message, (
            f"expected RUN-WRONG-LAYOUT to name the layout trained on (converted) and the larger one (realdex-frame), "
            f"got {message!r}")


@pytest.mark.clause("RUNLOG-16")
def test_a_log_without_run_start_is_refused_naming_the_file(adapter, tmp_path):
    path = write(tmp_path, clean_small()[1:], name="no-start.jsonl")
    with pytest.raises(ValueError) as info:
        adapter.check_run(path=path)
    assert path.name in str(info.value), f"expected the refusal to name the file {path.name}: {info.value}"


@pytest.mark.clause("RUNLOG-6")
@pytest.mark.parametrize("code", sorted(REAL_CAUSES))
def test_a_real_cause_gives_the_line_it_concerns(adapter, tmp_path, code):
    # each of the four causes concerns a line of the log (RUNLOG-6: "where it has one"): the wrong layout and the
    # resume of a finished run the run_start that records them
    events = REAL_CAUSES[code]()
    found = [f for f in adapter.check_run(path=write(tmp_path, events)) if f["code"] == code]
    assert found, f"expected {code} for its log"
    for f in found:
        line = f.get("line")
        assert isinstance(line, int) and 1 <= line <= len(events), (
            f"{code}: expected the line of the log it concerns (1 to {len(events)}), got {line!r} in {f}")
        if code in ("RUN-WRONG-LAYOUT", "RUN-RESUMED-FINISHED"):
            assert events[line - 1]["event"] == "run_start", (
                f"{code}: expected the line of the run_start that records it, got line {line}: {events[line - 1]}")
