"""Conformance of chapter 11: training runs, checked through what the trainer logs and saves.

Every training here is tiny: a root of 22 samples (two segments of 11 frames, 256 points each,
written by the kit's own generator), batches of 4, 64 points per item, 3 passes. The expected
counts are worked out in this module from chapters 7 and 9, not taken from the implementation:

    22 samples, batch 4, world 1:  drop_last=True  -> floor(22 / 4) = 5 batches per pass
                                   drop_last=False -> ceil(22 / 4)  = 6 batches per pass
    3 passes of 5 iterations = 15 iterations; ckpt_every 4 -> checkpoints at 4, 8, 12 and 15 (final)
"""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from realdex_conformance import synth
from realdex_conformance.fswatch import FileWatch

pytestmark = pytest.mark.requires("training")

FRAMES, SEGMENTS, BATCH, PASSES, EVERY = 11, 2, 4, 3, 4
N = FRAMES * SEGMENTS
CONFIG = {"batch_size": BATCH, "passes": PASSES, "max_iterations": None, "ckpt_every": EVERY, "drop_last": True,
          "seed": 0, "num_points": 64}
PER_PASS = {True: N // BATCH, False: -(-N // BATCH)}  # batches per pass, world size 1 (PLAN-2)
ITERATIONS = PASSES * PER_PASS[True]  # 15
CKPTS = [4, 8, 12, 15]
INTERRUPT_AT = 6  # mid-pass (pass 1, its second batch) and not a checkpoint iteration
CHECKPOINT_KEYS = ("model", "optimizer", "iteration", "pass", "position", "rng", "config", "plan")


# --- helpers -------------------------------------------------------------------------------------

def write_tiny_root(dest: Path, name_offset: int = 0, segments: int = SEGMENTS) -> Path:
    """::

        dest/driller/0.npz  (11 frames, one 256-point cloud)
        dest/driller/1.npz  (11 frames)
    """
    info = synth.write_root(dest, "realdex-segment", objects=("driller",), segments_per_object=segments,
                            frames_per_segment=(FRAMES, FRAMES), points=256, seed=0, name_offset=name_offset)
    assert info["num_frames"] == FRAMES * segments, f"the kit wrote {info['num_frames']} frames, expected {FRAMES * segments}"
    return dest


def events(log: str | Path) -> list[dict[str, Any]]:
    lines = Path(log).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def segments(evs: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    out: list[list[dict[str, Any]]] = []
    for e in evs:
        if e["event"] == "run_start" or not out:
            out.append([])
        out[-1].append(e)
    return out


def checkpoint_events(evs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in evs if e["event"] == "checkpoint"]


def final_checkpoint(evs: list[dict[str, Any]]) -> str:
    finals = [e["path"] for e in checkpoint_events(evs) if e.get("final")]
    assert finals, f"expected a checkpoint logged with final: true, found {checkpoint_events(evs)}"
    return finals[-1]


def folder_state(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- the runs, made once per module -----------------------------------------------------------

@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_root(tmp_path_factory.mktemp("root"))


@pytest.fixture(scope="module")
def finished(adapter: Any, root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An uninterrupted run of CONFIG, with the file writes seen while it ran."""
    out = tmp_path_factory.mktemp("finished") / "run"
    with FileWatch() as watch:
        log = adapter.train(str(root), str(out), dict(CONFIG))
    return {"out": out, "log": Path(log), "watch": watch}


@pytest.fixture(scope="module")
def resumed(adapter: Any, root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The same run, interrupted after INTERRUPT_AT iterations and resumed."""
    out = tmp_path_factory.mktemp("resumed") / "run"
    first = Path(adapter.train(str(root), str(out), {**CONFIG, "interrupt_at": INTERRUPT_AT}))
    after_interrupt = events(first)
    log = Path(adapter.resume(str(out)))
    return {"out": out, "log": log, "after_interrupt": after_interrupt}


# --- TRAIN-1: pre-flight ------------------------------------------------------------------------

@pytest.mark.clause("TRAIN-1")
def test_zero_batch_plan_refused_before_any_work(adapter: Any, root: Path, tmp_path: Path) -> None:
    """The user's case in small: fewer samples than one batch with drop_last -> 0 batches per pass."""
    out = tmp_path / "run"
    config = {**CONFIG, "batch_size": 32, "drop_last": True}
    with pytest.raises(ValueError) as err:
        adapter.train(str(root), str(out), config)
    message = str(err.value)
    for needed in (str(N), "32", "drop_last"):
        assert needed in message, f"expected the refusal to give {needed!r} (PLAN-9), found: {message}"
    files = [p for p in out.rglob("*") if p.is_file()] if out.exists() else []
    starts = [str(p) for p in files if b'"run_start"' in p.read_bytes()]
    assert not starts, f"expected no run_start logged for a refused plan, found one in {starts}"
    big = [str(p) for p in files if p.stat().st_size > 4096]  # a model checkpoint is far larger than a log line
    assert not big, f"expected no checkpoint for a refused plan, found the files {big}"


# --- TRAIN-2, 3, 4: the run follows its plan ----------------------------------------------------

@pytest.mark.clause("TRAIN-2", "TRAIN-3", "TRAIN-4")
def test_finished_run_follows_its_plan(finished: dict[str, Any]) -> None:
    evs = events(finished["log"])
    segs = segments(evs)
    assert len(segs) == 1 and segs[0][0]["event"] == "run_start", \
        f"expected one segment beginning with run_start, found {[s[0]['event'] for s in segs]}"
    plan = segs[0][0]["plan"]
    for key, want in (("num_samples", N), ("batch_size", BATCH), ("world_size", 1), ("drop_last", True),
                      ("batches_per_epoch", PER_PASS[True]), ("iterations", ITERATIONS), ("checkpoints", len(CKPTS))):
        assert plan.get(key) == want, f"expected the logged plan's {key} = {want}, found {plan.get(key)!r}"
    end = evs[-1]
    assert end["event"] == "run_end" and end["reason"] == "completed" and end["iteration"] == ITERATIONS, \
        f"expected run_end completed at iteration {ITERATIONS}, found {end}"
    ends = [e for e in evs if e["event"] == "epoch_end"]
    assert [e["pass"] for e in ends] == list(range(PASSES)), f"expected passes 0..{PASSES - 1}, found {[e['pass'] for e in ends]}"
    assert all(e["batches"] == PER_PASS[True] for e in ends), \
        f"expected {PER_PASS[True]} batches in every pass, found {[e['batches'] for e in ends]}"
    got = [e["iteration"] for e in checkpoint_events(evs)]
    assert got == CKPTS, f"expected checkpoints at iterations {CKPTS}, found {got}"
    finals = [e["iteration"] for e in checkpoint_events(evs) if e.get("final")]
    assert finals == [ITERATIONS], f"expected one final checkpoint at {ITERATIONS}, found final ones at {finals}"


@pytest.mark.clause("TRAIN-2", "TRAIN-4")
def test_finished_run_log_has_no_finding(adapter: Any, finished: dict[str, Any]) -> None:
    from realdex_conformance.plugin import require

    require(adapter, "runlog")
    findings = adapter.check_run(str(finished["log"]))
    assert findings == [], f"expected no finding on the log of a finished run, found {findings}"


@pytest.mark.clause("TRAIN-3")
@pytest.mark.parametrize("drop_last", [True, False], ids=["drop_last", "keep_last"])
def test_passes_draw_the_planned_batches(adapter: Any, root: Path, tmp_path: Path, drop_last: bool) -> None:
    log = adapter.train(str(root), str(tmp_path / "run"), {**CONFIG, "passes": 1, "drop_last": drop_last})
    ends = [e for e in events(log) if e["event"] == "epoch_end"]
    assert [e["batches"] for e in ends] == [PER_PASS[drop_last]], \
        f"expected one pass of {PER_PASS[drop_last]} batches ({N} samples, batch {BATCH}, drop_last={drop_last}), " \
        f"found {[e['batches'] for e in ends]}"
    samples = N if not drop_last else PER_PASS[True] * BATCH
    assert ends[0]["samples_seen"] == samples, f"expected {samples} samples drawn, found {ends[0]['samples_seen']}"


@pytest.fixture(scope="module")
def cut_short(adapter: Any, root: Path, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The events of a run of CONFIG cut by max_iterations 7, in mid-pass (pass 1, its second batch)."""
    out = tmp_path_factory.mktemp("cut_short") / "run"
    return events(adapter.train(str(root), str(out), {**CONFIG, "passes": None, "max_iterations": 7}))


@pytest.mark.clause("TRAIN-3")
def test_max_iterations_ends_the_run(cut_short: list[dict[str, Any]]) -> None:
    evs = cut_short
    end = evs[-1]
    assert end["event"] == "run_end" and end["reason"] == "max-iterations" and end["iteration"] == 7, \
        f"expected run_end max-iterations at iteration 7, found {end}"
    ends = [(e["pass"], e["batches"]) for e in evs if e["event"] == "epoch_end"]
    assert ends == [(0, 5), (1, 2)], f"expected pass 0 of 5 batches and pass 1 cut at 2, found {ends}"


# --- TRAIN-5, 6: checkpoints --------------------------------------------------------------------

@pytest.mark.clause("TRAIN-5")
def test_checkpoints_hold_the_state_without_pickle(finished: dict[str, Any]) -> None:
    torch = pytest.importorskip("torch", reason="TRAIN-5 reads the checkpoints with torch.load(weights_only=True)")

    for e in checkpoint_events(events(finished["log"])):
        state = torch.load(e["path"], map_location="cpu", weights_only=True)  # refuses anything needing unpickling
        missing = [k for k in CHECKPOINT_KEYS if k not in state]
        assert not missing, f"{e['path']}: expected the keys {CHECKPOINT_KEYS}, missing {missing}"
        it = e["iteration"]
        assert state["iteration"] == it, f"{e['path']}: logged at iteration {it}, holds iteration {state['iteration']}"
        want = (it // PER_PASS[True], it % PER_PASS[True])
        assert (state["pass"], state["position"]) == want, \
            f"{e['path']}: at iteration {it} of passes of {PER_PASS[True]}, expected (pass, position) {want}, " \
            f"found {(state['pass'], state['position'])}"


@pytest.mark.clause("TRAIN-6")
def test_checkpoints_are_published_by_rename(finished: dict[str, Any]) -> None:
    watch: FileWatch = finished["watch"]
    renamed_to = {dst: src for src, dst in watch.renamed}
    for e in checkpoint_events(events(finished["log"])):
        path = os.path.abspath(e["path"])
        assert path in renamed_to, (
            f"expected checkpoint {path} to appear by renaming a complete temporary file; no rename to it was "
            f"seen (renames seen: {watch.renamed[:6]}). Written in place, a kill mid-write leaves half a checkpoint")
        assert os.path.dirname(renamed_to[path]) == os.path.dirname(path), \
            f"expected the temporary file in the checkpoint's folder (rename is atomic only there), found {renamed_to[path]}"
    # the latest pointer's name is the implementation's: a file of the run folder rewritten in place is one
    # opened for writing (not appending) more than once; a file written once (a configuration) is not
    temporaries = {src for src, _ in watch.renamed}
    writes: dict[str, list[str]] = {}
    for p, how, appends in watch.opened:
        if not appends and p not in temporaries and p.startswith(str(Path(finished["out"]).resolve())):
            writes.setdefault(p, []).append(how)
    rewritten = {p: hows for p, hows in writes.items() if len(hows) > 1}
    assert not rewritten, (
        f"expected the checkpoints and the latest pointer to be replaced by renaming a complete temporary file, never "
        f"rewritten in place; found files of the run folder rewritten in place: {rewritten}")


# --- TRAIN-7, 9: interruption and resume --------------------------------------------------------

@pytest.mark.clause("TRAIN-9")
def test_interruption_saves_and_logs_interrupted(resumed: dict[str, Any]) -> None:
    evs = resumed["after_interrupt"]
    end = evs[-1]
    assert end["event"] == "run_end" and end["reason"] == "interrupted" and end["status"] == "aborted" \
        and end["iteration"] == INTERRUPT_AT, f"expected run_end interrupted/aborted at {INTERRUPT_AT}, found {end}"
    at = [e["iteration"] for e in checkpoint_events(evs)]
    assert at and at[-1] == INTERRUPT_AT, f"expected a checkpoint at the interruption ({INTERRUPT_AT}), found {at}"


@pytest.mark.clause("TRAIN-7")
def test_resume_continues_at_the_checkpoint(resumed: dict[str, Any]) -> None:
    segs = segments(events(resumed["log"]))
    assert len(segs) == 2, f"expected the interrupted segment and the resumed one, found {len(segs)} segment(s)"
    start = segs[1][0]
    want_pass = INTERRUPT_AT // PER_PASS[True]
    got = start.get("resume") or {}
    assert (got.get("iteration"), got.get("pass")) == (INTERRUPT_AT, want_pass), \
        f"expected the resume at iteration {INTERRUPT_AT}, pass {want_pass} ({INTERRUPT_AT} // {PER_PASS[True]}), found {got}"
    first = next(e for e in segs[1] if e["event"] == "epoch_start")
    assert (first["pass"], first["iteration"]) == (want_pass, INTERRUPT_AT), \
        f"expected the resumed segment to start pass {want_pass} at iteration {INTERRUPT_AT}, found {first}"
    end = segs[1][-1]
    assert end["event"] == "run_end" and end["reason"] == "completed" and end["iteration"] == ITERATIONS, \
        f"expected the resumed segment to complete at {ITERATIONS}, found {end}"


@pytest.mark.clause("TRAIN-7")
def test_resume_ends_with_the_same_weights(adapter: Any, finished: dict[str, Any], resumed: dict[str, Any]) -> None:
    evs_a, evs_b = events(finished["log"]), events(resumed["log"])
    ckpts_a = [e["iteration"] for e in checkpoint_events(evs_a)]
    ckpts_b = [e["iteration"] for e in checkpoint_events(evs_b) if e["iteration"] != INTERRUPT_AT]
    assert ckpts_b == ckpts_a, f"expected the resumed run to write the checkpoints {ckpts_a}, found {ckpts_b}"
    a = adapter.checkpoint_weights(final_checkpoint(evs_a))
    b = adapter.checkpoint_weights(final_checkpoint(evs_b))
    assert sorted(a) == sorted(b), f"expected the same parameters, found {sorted(a)} and {sorted(b)}"
    differ = [k for k in a if not np.array_equal(np.asarray(a[k]), np.asarray(b[k]))]
    worst = max((float(np.max(np.abs(np.asarray(a[k], float) - np.asarray(b[k], float)))) for k in differ), default=0.0)
    assert not differ, (f"expected the interrupted-and-resumed run to end with the weights of the uninterrupted one, "
                        f"bit for bit; {len(differ)} of {len(a)} tensors differ (largest difference {worst:.3g}), "
                        f"e.g. {differ[:3]}")


# --- TRAIN-8, 10, 11 ----------------------------------------------------------------------------

@pytest.mark.clause("TRAIN-8")
def test_resuming_a_finished_run_does_nothing(adapter: Any, finished: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "run"
    shutil.copytree(finished["out"], out)
    # the copy's log names the original folder's checkpoints; the files of the copy are compared
    before = folder_state(out)
    log = adapter.resume(str(out))
    seg = segments(events(log))[-1]
    kinds = [e["event"] for e in seg]
    assert kinds == ["run_start", "run_end"], f"expected only run_start and run_end, found {kinds}"
    assert seg[-1]["reason"] == "already-complete" and seg[-1]["status"] == "success" \
        and seg[-1]["iteration"] == ITERATIONS, f"expected run_end already-complete at {ITERATIONS}, found {seg[-1]}"
    after = folder_state(out)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    log_name = str(Path(log).resolve().relative_to(out.resolve()))
    assert changed == [log_name], f"expected only the run log ({log_name}) to change, found {changed}"


@pytest.mark.clause("TRAIN-10")
def test_new_run_into_a_used_folder_is_refused(adapter: Any, root: Path, finished: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "run"
    shutil.copytree(finished["out"], out)
    before = folder_state(out)
    with pytest.raises(ValueError) as err:
        adapter.train(str(root), str(out), dict(CONFIG))
    assert str(out) in str(err.value) or out.name in str(err.value), \
        f"expected the refusal to name the folder {out}, found: {err.value}"
    assert folder_state(out) == before, "expected the folder of the earlier run to be left as it was"


@pytest.mark.clause("TRAIN-11")
def test_resume_over_other_data_is_refused(adapter: Any, tmp_path: Path) -> None:
    data = write_tiny_root(tmp_path / "root")
    out = tmp_path / "run"
    adapter.train(str(data), str(out), {**CONFIG, "interrupt_at": INTERRUPT_AT})
    synth.write_root(data, "realdex-segment", objects=("driller",), segments_per_object=1,
                     frames_per_segment=(FRAMES, FRAMES), points=256, seed=1, name_offset=SEGMENTS)
    with pytest.raises(ValueError) as err:
        adapter.resume(str(out))
    for needed in (str(N), str(N + FRAMES)):
        assert needed in str(err.value), f"expected the refusal to give both sample counts ({N} and {N + FRAMES}), found: {err.value}"
    # and over fewer samples: the run's second segment file and the new one gone (one segment of FRAMES left)
    for extra in sorted(p for p in data.rglob("*.npz"))[1:]:
        extra.unlink()
    with pytest.raises(ValueError) as err:
        adapter.resume(str(out))
    for needed in (N, FRAMES):
        assert re.search(rf"(?<!\d){needed}(?!\d)", str(err.value)), \
            f"expected the refusal over fewer samples to give both sample counts ({N} and {FRAMES}), found: {err.value}"


# --- TRAIN-12: scale-out -----------------------------------------------------------------------
# One two-process run serves both tests below (starting two processes is most of their cost):
# 22 samples over 2 ranks with drop_last: floor(22 / 2) = 11 per rank, floor(11 / 4) = 2 batches per pass,
# 3 passes -> 6 iterations; ckpt_every 5 -> a periodic checkpoint at 5 (pass 2, position 1: mid-pass) and the
# final one at 6 (pass 3, position 0); each pass draws 2 ranks x 2 batches x 4 = 16 samples.
DIST_EVERY = 5


@pytest.fixture(scope="module")
def distributed(adapter: Any, root: Path, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The events of one run of CONFIG (ckpt_every DIST_EVERY) over two processes."""
    out = tmp_path_factory.mktemp("distributed") / "run"
    return events(adapter.train_distributed(str(root), str(out), {**CONFIG, "ckpt_every": DIST_EVERY}, 2))


@pytest.mark.clause("TRAIN-12")
@pytest.mark.requires("training:distributed")
def test_two_processes_write_one_log_and_one_set_of_checkpoints(distributed: list[dict[str, Any]]) -> None:
    evs = distributed
    starts = [e for e in evs if e["event"] == "run_start"]
    assert len(starts) == 1, f"expected one run_start in one run log (one rank logs), found {len(starts)}"
    plan = starts[0]["plan"]
    got = {k: plan.get(k) for k in ("world_size", "batches_per_epoch", "iterations")}
    assert got == {"world_size": 2, "batches_per_epoch": 2, "iterations": 6}, \
        f"expected world size 2, 2 batches per pass, 6 iterations, found {got}"
    seen = [(e["pass"], e["batches"], e["samples_seen"]) for e in evs if e["event"] == "epoch_end"]
    assert seen == [(0, 2, 16), (1, 2, 16), (2, 2, 16)], f"expected 3 passes of 2 batches per rank, 16 samples, found {seen}"
    ckpts = [(e["iteration"], e["path"]) for e in checkpoint_events(evs)]
    assert [i for i, _ in ckpts] == [5, 6], f"expected the checkpoints at 5 (every 5) and 6 (final), each logged once, found {ckpts}"
    assert len({p for _, p in ckpts}) == 2, f"expected one file per checkpoint, found {ckpts}"
    end = evs[-1]
    assert end["event"] == "run_end" and end["reason"] == "completed" and end["iteration"] == 6, \
        f"expected run_end completed at 6, found {end}"


# --- open points decided (spec/appendix-decisions.md) ---------------------------------------------

@pytest.mark.clause("TRAIN-5", "TRAIN-12")
@pytest.mark.requires("training:distributed")
def test_position_is_one_count_for_every_rank(distributed: list[dict[str, Any]]) -> None:
    """TRAIN-5 under 2 ranks: `position` is one int, the batches of its pass that each rank has drawn (every rank
    draws the same number, BATCH-2), not one per rank and not their sum: 2 batches per pass, so the checkpoint
    at 5 is pass 2, position 1, and the final one at 6 is pass 3, position 0."""
    torch = pytest.importorskip("torch", reason="TRAIN-5 reads the checkpoints with torch.load(weights_only=True)")
    per_pass = (N // 2) // BATCH
    found = []
    for e in checkpoint_events(distributed):
        state = torch.load(e["path"], map_location="cpu", weights_only=True)
        it, position = e["iteration"], state["position"]
        assert isinstance(position, int) and not isinstance(position, bool), (
            f"{e['path']}: expected position as one int (batches each rank drew in its pass), found {position!r}")
        found.append((it, state["pass"], position))
    want = [(5, 2, 1), (6, 3, 0)]
    assert want == [(it, it // per_pass, it % per_pass) for it in (5, 6)], "the worked example above is wrong"
    assert found == want, f"2 ranks, {per_pass} batches per pass: expected (iteration, pass, position) {want}, found {found}"


# --- red team, second round (issue 12) --------------------------------------------------------------

@pytest.mark.clause("TRAIN-10")
def test_new_run_into_a_folder_of_checkpoints_alone_is_refused(adapter: Any, root: Path, finished: dict[str, Any],
                                                                tmp_path: Path) -> None:
    """A folder whose run log was moved away (or never copied with it) still holds a run: its checkpoints."""
    out = tmp_path / "run"
    shutil.copytree(finished["out"], out)
    log = out / Path(finished["log"]).name
    log.unlink()
    before = folder_state(out)
    with pytest.raises(ValueError) as err:
        adapter.train(str(root), str(out), dict(CONFIG))
    assert str(out) in str(err.value) or out.name in str(err.value), \
        f"expected the refusal to name the folder {out}, found: {err.value}"
    after = folder_state(out)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    assert not changed, f"expected the checkpoints of the earlier run left as they were, found changed: {changed}"


@pytest.mark.clause("RUNLOG-3", "TRAIN-2")
def test_pass_events_carry_the_iterations_done(finished: dict[str, Any], resumed: dict[str, Any],
                                               cut_short: list[dict[str, Any]]) -> None:
    """epoch_start's iteration: those done before the pass (a resumed one: the resume's); epoch_end's: those done
    after its last step. Passes of 5 iterations: pass p starts at 5p and ends at 5(p + 1); cut at 7, pass 1 ends at 7."""
    per_pass = PER_PASS[True]
    runs = {"the uninterrupted run": events(finished["log"]), "the interrupted and resumed run": events(resumed["log"]),
            "the run cut at max_iterations 7": cut_short}
    for what, evs in runs.items():
        for seg in segments(evs):
            resumed_at = (seg[0].get("resume") or {}).get("iteration")
            ended_at = seg[-1]["iteration"] if seg[-1]["event"] == "run_end" else ITERATIONS
            for e in seg:
                if e["event"] == "epoch_start":
                    want = {e["pass"] * per_pass} | ({resumed_at} if resumed_at is not None else set())
                elif e["event"] == "epoch_end":
                    want = {min((e["pass"] + 1) * per_pass, ended_at)}
                else:
                    continue
                assert e["iteration"] in want, (
                    f"{what}: expected {e['event']} of pass {e['pass']} at iteration {sorted(want)} (passes of "
                    f"{per_pass} iterations), found {e['iteration']}: {e}")


@pytest.mark.clause("TRAIN-4", "RUNLOG-4")
def test_a_run_cut_by_max_iterations_ends_with_its_final_checkpoint(cut_short: list[dict[str, Any]]) -> None:
    """Cut at 7 (ckpt_every 4): the checkpoint at 4, and the final one at 7, logged final: true, in mid-pass."""
    got = [(e["iteration"], bool(e.get("final"))) for e in checkpoint_events(cut_short)]
    assert got == [(4, False), (7, True)], (
        f"expected the checkpoints (iteration, final) [(4, False), (7, True)] of a run cut at max_iterations 7, "
        f"found {got}")


@pytest.mark.clause("TRAIN-14")
def test_another_seed_trains_another_model(adapter: Any, root: Path, finished: dict[str, Any], tmp_path: Path) -> None:
    """seed 1 for 4 iterations against the uninterrupted run's (seed 0) checkpoint at 4: a trainer that never reads
    `seed` gives the same weights (same-seed runs agreeing bit for bit is TRAIN-7's comparison)."""
    log = adapter.train(str(root), str(tmp_path / "run"),
                        {**CONFIG, "seed": 1, "passes": None, "max_iterations": EVERY})
    other = [e for e in checkpoint_events(events(log)) if e["iteration"] == EVERY]
    ours = [e for e in checkpoint_events(events(finished["log"])) if e["iteration"] == EVERY]
    assert other and ours, f"expected a checkpoint at iteration {EVERY} in both runs, found {other} and {ours}"
    a, b = adapter.checkpoint_weights(ours[0]["path"]), adapter.checkpoint_weights(other[0]["path"])
    same = sorted(a) == sorted(b) and all(np.array_equal(np.asarray(a[k]), np.asarray(b[k])) for k in a)
    assert not same, (f"expected runs with seed 0 and seed 1 to train different weights; after {EVERY} iterations "
                      f"all {len(a)} tensors are equal: the configuration's seed is not used")


@pytest.mark.clause("RUNLOG-1")
def test_the_run_log_is_on_disk_when_each_checkpoint_is_published(finished: dict[str, Any]) -> None:
    """When a checkpoint is renamed to its name, every event logged before it is already in the file: a run killed
    then (a kill -9 leaves no time to flush a buffer) keeps a log that says what it did up to that checkpoint."""
    watch: FileWatch = finished["watch"]
    log = os.path.abspath(finished["log"])
    lines = Path(log).read_bytes().splitlines(keepends=True)
    renamed_to = [dst for _, dst in watch.renamed]
    for number, line in enumerate(lines):
        e = json.loads(line)
        if e["event"] != "checkpoint" or os.path.abspath(e["path"]) not in renamed_to:
            continue  # TRAIN-6 speaks of a checkpoint not published by rename
        before = sum(len(x) for x in lines[:number])
        on_disk = watch.sizes_at_rename[renamed_to.index(os.path.abspath(e["path"]))].get(log)
        assert on_disk is not None and on_disk >= before, (
            f"expected the {number} events logged before the checkpoint of iteration {e['iteration']} ({before} bytes "
            f"of {log}) on disk when it was published, found {on_disk} bytes: the log is buffered, not flushed line by "
            "line, and a kill at that moment loses it")


@pytest.mark.clause("RUNLOG-1")
def test_a_resume_appends_to_the_log_of_the_interrupted_segment(resumed: dict[str, Any]) -> None:
    """The resumed run's log begins with the interrupted segment's events, unchanged: a resume appends, never rewrites."""
    before, after = resumed["after_interrupt"], events(resumed["log"])
    assert after[:len(before)] == before, (
        f"expected the log after the resume to begin with the {len(before)} events of the interrupted segment, "
        f"unchanged; found {len(after)} events beginning {[e['event'] for e in after[:4]]} (was "
        f"{[e['event'] for e in before[:4]]})")
