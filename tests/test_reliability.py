"""The reference under hostile files, roots and faults (spec chapter 13, SAFE-11..14): bounded
JSON, the root walk, convert's recovery, check-run's verdict on the trainer's own histories,
and the command line on a closed pipe, Ctrl-C and names with control characters."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from realdex_conformance import malformed, synth
from realdex_ref import checkrun, convert, dataroot, npzio, safejson
from realdex_ref.cli import main
from realdex_ref.errors import DataError, printable

SMALL = dict(objects=("driller",), segments_per_object=2, frames_per_segment=(3, 4), points=32)


# --- bounded JSON ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, says", [
    ("[" * 1000 + "]" * 1000, "nested at most 64 deep"),
    ('{"n": ' + "7" * 5001 + "}", "more than the 100 allowed"),
    ('{"a": 1,\n "b": }', "invalid JSON"),
    (b'{"a": "\xff"}', "expected UTF-8"),
])
def test_json_beyond_its_bounds_is_a_typed_error_naming_the_file(tmp_path, text, says):
    path = tmp_path / "x.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(safejson.JSONFileError) as info:
        safejson.read_json(path)
    assert str(path) in str(info.value) and says in str(info.value), f"expected {says!r} naming {path}: {info.value}"


def test_invalid_json_names_its_line(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"a": 1,\n "b": }')
    with pytest.raises(safejson.JSONFileError) as info:
        safejson.read_json(path)
    assert info.value.key == "line 2", f"expected the error at line 2, found {info.value.key!r}: {info.value}"


@pytest.mark.timeout(10)
@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
def test_json_from_a_pipe_a_device_or_a_folder_is_refused_at_once(tmp_path, kind):
    path = tmp_path / "x.json"
    {"fifo": lambda: os.mkfifo(path), "device": lambda: path.symlink_to("/dev/zero"), "folder": path.mkdir}[kind]()
    with pytest.raises(safejson.JSONFileError) as info:
        safejson.read_json(path)
    assert "expected a JSON file" in str(info.value), f"expected a refusal of the {kind}, found {info.value}"


def test_json_larger_than_its_bound_is_refused_without_reading_on(tmp_path):
    path = tmp_path / "x.json"
    path.write_text("[" + "1, " * 1000 + "1]")
    with pytest.raises(safejson.JSONFileError) as info:
        safejson.read_json(path, max_bytes=100)
    assert "at most 100 bytes" in str(info.value), f"expected the size bound in the message: {info.value}"


@pytest.mark.parametrize("manifest", ['{"layouts": [1, 2]}', '{"objects": "driller"}', "[" * 5000 + "]" * 5000, "fifo"])
def test_a_hostile_manifest_is_an_invalid_manifest_not_a_crash(tmp_path, manifest):
    root = tmp_path / "root"
    synth.write_root(root, "realdex-segment", **SMALL)
    path = root / dataroot.MANIFEST_NAME
    if manifest == "fifo":
        os.mkfifo(path)
    else:
        path.write_text(manifest)
    inv = dataroot.inspect_root(root)
    codes = [p.code for p in inv.problems]
    assert "INVALID_MANIFEST" in codes, f"expected INVALID_MANIFEST for {manifest[:30]!r}, found {codes}"


# --- npz limits ---------------------------------------------------------------------------------------

def test_a_file_inflating_beyond_the_file_limit_is_refused(tmp_path, monkeypatch):
    path = malformed.put(tmp_path, malformed.valid_npz())
    monkeypatch.setattr(npzio, "MAX_FILE_BYTES", 1000)
    with pytest.raises(DataError) as info:
        npzio.load_npz(path)
    assert "allowed for one file" in str(info.value), f"expected the per-file bound: {info.value}"


def test_more_members_than_allowed_are_refused_from_the_end_record(tmp_path, monkeypatch):
    monkeypatch.setattr(npzio, "MAX_MEMBERS", 3)
    path = malformed.put(tmp_path, malformed.valid_npz())
    with pytest.raises(DataError) as info:
        npzio.load_npz(path)
    assert "more than the 3 allowed" in str(info.value), f"expected the member-count bound: {info.value}"


# --- the root walk and convert --------------------------------------------------------------------

def test_convert_refuses_a_source_with_a_folder_it_cannot_enter(tmp_path):
    src = tmp_path / "src"
    synth.write_root(src, "realdex-segment", **SMALL)
    try:
        malformed.unenterable(src)
    except Exception as exc:  # unittest.SkipTest where no such folder can be made
        pytest.skip(str(exc))
    dst = tmp_path / "dst"
    with pytest.raises(DataError) as info:
        convert.convert_root(src, dst, "converted")
    assert "UNREADABLE_FOLDER" in str(info.value) and str(src / "sprayer") in str(info.value), (
        f"expected the refusal to name the folder it cannot enter: {info.value}")
    assert not dst.exists(), "expected nothing written for a partial source"


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_convert_removes_a_dead_conversions_staging_folder_and_keeps_a_live_ones(tmp_path):
    dst = tmp_path / "dst"
    dead, live = tmp_path / f".dst.partial-{_dead_pid()}", tmp_path / f".dst.partial-{os.getppid()}"
    for folder in (dead, live):
        folder.mkdir()
        (folder / "half.npz").write_bytes(b"PK")
    with pytest.warns(convert.RecoveredWarning):
        done = convert.recover(dst)
    assert not dead.exists() and live.exists(), f"expected only the dead process's staging removed: {done}"


def test_a_swap_killed_between_its_renames_is_put_back(tmp_path):
    dst = tmp_path / "dst"
    old = tmp_path / f".dst.replaced-{_dead_pid()}"
    old.mkdir()
    (old / "data.npz").write_bytes(b"old")
    with pytest.warns(convert.RecoveredWarning, match="restored"):
        convert.recover(dst)
    assert (dst / "data.npz").read_bytes() == b"old", "expected the old destination back under its name"


def test_a_swap_killed_after_its_renames_loses_only_the_old_copy(tmp_path):
    dst = tmp_path / "dst"
    dst.mkdir()
    (dst / "data.npz").write_bytes(b"new")
    old = tmp_path / f".dst.replaced-{_dead_pid()}"
    old.mkdir()
    with pytest.warns(convert.RecoveredWarning, match="removed"):
        convert.recover(dst)
    assert not old.exists() and (dst / "data.npz").read_bytes() == b"new", "expected the finished swap kept"


# --- check-run on the trainer's own histories ------------------------------------------------------

def _events(path: Path, *events: dict) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return path


PLAN = {"num_samples": 100, "batch_size": 10, "world_size": 1, "drop_last": False, "grad_accum": 1, "passes": 1,
        "max_iterations": None, "ckpt_every": 5}


def _start(t, resume=None):
    return {"event": "run_start", "time": t, "format": "realdex-runlog/1", "config": {}, "plan": PLAN,
            "dataset": {"root": "/d", "layout": "realdex-frame", "samples": 100, "counts": {"realdex-frame": 100}},
            "resume": resume}


def _pass(t, ckpts=(5, 10)):
    out = [{"event": "epoch_start", "time": t, "pass": 0, "iteration": 0}]
    out += [{"event": "checkpoint", "time": t + i, "iteration": i, "path": f"ckpt_{i}.pt", "final": i == 10}
            for i in ckpts]
    out.insert(-1, {"event": "epoch_end", "time": t + 10, "pass": 0, "iteration": 10, "samples_seen": 100, "batches": 10})
    return out


def test_a_finished_run_resumed_after_a_kill_past_run_end_is_clean(tmp_path):
    log = _events(tmp_path / "run.jsonl", _start(0), *_pass(0),
                  {"event": "run_end", "time": 11, "status": "success", "reason": "completed", "iteration": 10},
                  _start(20, {"iteration": 10, "pass": 1, "checkpoint": "ckpt_10.pt"}),
                  {"event": "run_end", "time": 21, "status": "success", "reason": "already-complete", "iteration": 10})
    assert checkrun.check_run(log) == [], "expected no finding: the trainer resumed a finished run and said so"


def test_a_checkpoint_published_but_not_logged_before_a_kill_is_not_missing(tmp_path):
    # killed after ckpt_5.pt was renamed into place, before its log line; resumed from it
    log = _events(tmp_path / "run.jsonl", _start(0), {"event": "epoch_start", "time": 0, "pass": 0, "iteration": 0},
                  _start(10, {"iteration": 5, "pass": 0, "checkpoint": "ckpt_5.pt"}),
                  {"event": "epoch_start", "time": 10, "pass": 0, "iteration": 5},
                  {"event": "epoch_end", "time": 15, "pass": 0, "iteration": 10, "samples_seen": 100, "batches": 10},
                  {"event": "checkpoint", "time": 15, "iteration": 10, "path": "ckpt_10.pt", "final": True},
                  {"event": "run_end", "time": 16, "status": "success", "reason": "completed", "iteration": 10})
    assert checkrun.check_run(log) == [], "expected no finding: the resume proves ckpt_5 was published"


def test_a_torn_last_line_is_left_out(tmp_path):
    log = tmp_path / "run.jsonl"
    _events(log, _start(0))
    with log.open("a") as fh:
        fh.write('{"event": "epoch_st')
    codes = [f["code"] for f in checkrun.check_run(log)]
    assert "RUN-NO-END" in codes, (
        f"expected the torn line left out and the run reported without an end, found {codes}")


# --- the command line -------------------------------------------------------------------------------

def test_printable_escapes_what_could_forge_a_line():
    assert printable("a\nerror FAKE") == "a\\nerror FAKE", "expected the newline escaped"
    assert printable("größe/电钻") == "größe/电钻", "expected printable names shown as they are"
    assert printable(os.fsdecode(b"\xff.npz")) == "\\udcff.npz", "expected a lone surrogate escaped"


def test_inspect_escapes_a_name_with_a_newline(tmp_path, capsys):
    root = tmp_path / "root"
    synth.write_root(root, "realdex-segment", **SMALL)
    evil = root / "x\nerror FORGED: all is well"
    evil.mkdir()
    (evil / "notes.txt").write_text("hi")
    # 32-point clouds are too small for 1024 points: errors, so exit 1 (the README's table)
    assert main(["inspect", str(root)]) == 1, "expected inspect to report the root, exit 1 for its small clouds"
    out = capsys.readouterr().out
    assert not any(line.startswith("error FORGED") for line in out.splitlines()), f"a name forged a line:\n{out}"
    assert "x\\nerror FORGED" in out, f"expected the name shown escaped:\n{out}"


def test_ctrl_c_exits_130_without_a_traceback(monkeypatch, capsys):
    from realdex_ref.cli import plan

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(plan, "run", interrupted)
    assert main(["plan", "--samples", "10", "--batch-size", "2", "--epochs", "1"]) == 130, "expected exit 130"
    assert "interrupted" in capsys.readouterr().err, "expected one line saying the command was interrupted"


@pytest.mark.timeout(60)
def test_a_closed_pipe_ends_the_command_quietly(tmp_path):
    root = tmp_path / "root"
    synth.write_root(root, "realdex-segment", **SMALL)
    cmd = [sys.executable, "-c", "import sys; from realdex_ref.cli import main; sys.exit(main())", "inspect", str(root),
           "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader is gone before the first line is written
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "Traceback" not in err and "BrokenPipeError" not in err, f"expected a quiet end, found:\n{err}"
    assert proc.returncode == 141, f"expected exit status 141 (a closed pipe), found {proc.returncode}: {err}"


@pytest.mark.timeout(10)
@pytest.mark.parametrize("config, says", [
    ("a: &x [1, 2]\nb: [*x, *x]\n", "found an alias"),
    ("batch_size: " + "[" * 200 + "]" * 200 + "\n", "nested at most 64 deep"),
    ("fifo", "found a named pipe"),
])
def test_a_hostile_config_is_refused_naming_the_file(tmp_path, config, says):
    from realdex_ref import planning

    path = tmp_path / "realdex.yaml"
    if config == "fifo":
        os.mkfifo(path)
    else:
        path.write_text(config)
    with pytest.raises(DataError) as info:
        planning.read_config(path)
    assert str(path) in str(info.value) and says in str(info.value), f"expected {says!r} naming {path}: {info.value}"
