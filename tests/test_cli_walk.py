"""A scripted walk through the ``realdex`` command line as a new user meets it: every README command and
every ordinary mistake, each run as a separate process (``python -m realdex_ref``).

For every case: no traceback; the documented exit status (README: 0 clean, 1 findings, 2 usage or
refused input); a failure is said on stderr with nothing on stdout; ``--json`` output is JSON alone;
and every flag a message names is a flag of the command that printed it, and every command it
suggests is one the parser accepts (the ones that can run here are run).
"""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from realdex_conformance import synth
from realdex_ref.cli import build_parser, common

REPO = Path(__file__).resolve().parents[1]
SEG = dict(objects=("driller",), segments_per_object=2, frames_per_segment=(6, 6), points=64)


def realdex(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "realdex_ref", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})}, timeout=timeout)


def options_of(command: str) -> set[str]:
    """The flags of ``realdex COMMAND`` (of ``realdex`` itself for a command that does not exist)."""
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return {s for action in sub.choices.get(command, parser)._actions for s in action.option_strings}


FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
# a command a message suggests: in backquotes, after "continue with:", or as a JSON "command"
SUGGESTED = re.compile(r"`(realdex [^`]+)`|continue with: (realdex [^;\n]+?)\s*$|\"command\": \"(realdex [^\"]+)\"", re.M)
# a command named in passing ("or realdex train --calibrate"): its words up to the next punctuation
MENTIONED = re.compile(r"realdex ([a-z-]+)((?:[ \t]+[^\s,;)`\"]+)*)")


def suggested_commands(text: str) -> list[str]:
    return [next(g for g in groups if g) for groups in SUGGESTED.findall(text)]


def check_hints(command: str, text: str) -> None:
    """Every flag named is one of the command it is named for: the printing command's, or that of a
    ``realdex CMD ...`` named around it; every command suggested in full is one the parser accepts."""
    commands = set(_commands())
    rest = text
    for m in MENTIONED.finditer(text):
        if m[1] not in commands:
            continue
        flags = options_of(m[1])
        for flag in FLAG.findall(m[2]):
            assert flag in flags, f"`realdex {m[1]}{m[2]}` (printed by realdex {command}) names {flag}, not a flag of realdex {m[1]}"
        rest = rest.replace(m[0], " ")
    flags = options_of(command)
    for flag in FLAG.findall(rest):
        assert flag in flags, f"realdex {command} names {flag}, which is not one of its flags ({sorted(flags)}):\n{text[-1500:]}"
    for suggestion in suggested_commands(text):
        if "..." in suggestion:
            continue  # a pattern to complete, its flags checked above
        try:
            build_parser().parse_args(shlex.split(suggestion)[1:])
        except SystemExit:
            pytest.fail(f"realdex {command} suggests `{suggestion}`, which the parser refuses")


def _commands() -> list[str]:
    from realdex_ref.cli import COMMANDS

    return list(COMMANDS)


def check(proc: subprocess.CompletedProcess, command: str, status: int, *, json_out: bool = False, says: str = "") -> None:
    """The rules every case keeps (see the module docstring)."""
    both = proc.stdout + proc.stderr
    assert "Traceback" not in both, f"expected no traceback from realdex {command}, found:\n{proc.stderr[-2000:]}"
    assert proc.returncode == status, (f"expected exit status {status} from realdex {command}, found {proc.returncode}:\n"
                                       f"stdout: {proc.stdout[-800:]}\nstderr: {proc.stderr[-800:]}")
    if status == common.REFUSED:
        assert proc.stderr.strip() and not proc.stdout, \
            f"expected the refusal on stderr alone, found stdout {proc.stdout[:300]!r}, stderr {proc.stderr[:300]!r}"
    if json_out and status in (common.CLEAN, common.FINDINGS):
        json.loads(proc.stdout)  # raises, with the position, when stdout holds anything but the JSON
    if says:
        assert says in both, f"expected {says!r} in the output of realdex {command}, found:\n{both[-1500:]}"
    check_hints(command, both)


@pytest.fixture(scope="module")
def place(tmp_path_factory):
    """place/seg: 12 realdex-segment samples (64-point clouds); place/user: 8 converted beside 140 per-frame;
    place/afile: a file; place/tiny: 2 samples, too few for batch 32."""
    base = tmp_path_factory.mktemp("walk")
    synth.write_root(base / "seg", "realdex-segment", **SEG)
    synth.write_user_root(base / "user", frames=140)
    synth.write_root(base / "tiny", "converted", objects=("mug",), segments_per_object=2, frames_per_segment=(1, 1), points=64)
    (base / "afile").write_text("not a folder\n")
    return base


# --- the README's commands -------------------------------------------------------------------

def readme_commands() -> list[str]:
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    return [line.strip().split("  #")[0].strip() for line in lines if line.startswith("    realdex ")]


# each README line -> (argv with {place} and {run} filled in, exit status); optional [...] parts are run as given
README = {
    "realdex inspect ROOT [--layout L] [--json]": (["inspect", "{place}/seg", "--json"], 1),
    "realdex validate ROOT [--layout L]": (["validate", "{place}/user", "--layout", "converted"], 0),  # 2048-point clouds
    "realdex convert SRC DST --to LAYOUT": (["convert", "{place}/seg", "{tmp}/conv", "--to", "converted"], 0),
    "realdex plan --samples 14380 --batch-size 32 --passes 250 --ckpt-every 500 --step-time 0.128 [--json]":
        (["plan", "--samples", "14380", "--batch-size", "32", "--passes", "250", "--ckpt-every", "500", "--step-time", "0.128", "--json"], 0),
    "realdex train ROOT --out RUN --passes 250": (["train", "{place}/seg", "--out", "{tmp}/run", "--passes", "1", "--batch-size", "4",
                                                   "--num-points", "32", "--width", "8", "--latent", "4"], 0),
    "realdex check-run RUN [--json] [--plot plan.png] [--plot-loss loss.png]":
        (["check-run", "{run}", "--json", "--plot", "{tmp}/plan.png", "--plot-loss", "{tmp}/loss.png"], 0),
    "realdex assess ROOT --batch-size 32 --passes 250 --ckpt-every 500 [--step-time 0.128] [--format md|json]":
        (["assess", "{place}/user", "--batch-size", "32", "--passes", "250", "--ckpt-every", "500", "--step-time", "0.128",
          "--format", "json"], 1),
    "realdex assess RUN [--format md|json]": (["assess", "{run}", "--format", "json"], 0),  # met or not measurable
    "realdex synth DEST --layout L": (["synth", "{tmp}/s", "--layout", "converted", "--points", "64"], 0),
    "realdex --version": (["--version"], 0),
    "realdex synth data/seg --layout realdex-segment --objects driller sprayer --segments 2 --frames 20 60":
        (["synth", "{tmp}/data/seg", "--layout", "realdex-segment", "--objects", "driller", "sprayer", "--segments", "2",
          "--frames", "20", "60", "--points", "64"], 0),
    "realdex synth data/frames --layout realdex-frame --frame-orient matrix --points 1024":
        (["synth", "{tmp}/data/frames", "--layout", "realdex-frame", "--frame-orient", "matrix", "--points", "1024",
          "--frames", "2", "3"], 0),
    "realdex synth data/user --layout user-root": (["synth", "{tmp}/data/user", "--layout", "user-root", "--user-frames", "50"], 0),
    "realdex train ROOT --out runs/a --batch-size 32 --passes 250 --ckpt-every 500":
        (["train", "{place}/seg", "--out", "{tmp}/runs/b", "--batch-size", "4", "--passes", "1", "--ckpt-every", "2",
          "--num-points", "32", "--width", "8", "--latent", "4"], 0),
    "realdex train ROOT --out runs/a --config realdex.yaml": (["train", "{place}/seg", "--out", "{tmp}/runs/c", "--config", "{tmp}/realdex.yaml"], 0),
    "realdex train --out runs/a --resume": (["train", "--out", "{tmp}/runs/c", "--resume"], 0),
}


def test_the_walk_covers_every_readme_command():
    assert sorted(readme_commands()) == sorted(README), (
        "expected one case per README command line; README has "
        f"{sorted(set(readme_commands()) - set(README))} without a case, cases without a line: {sorted(set(README) - set(readme_commands()))}")


@pytest.mark.timeout(900)
def test_every_readme_command_runs_as_documented(place, tmp_path):
    """Every README command, in order (check-run and assess RUN read the run that train made), in one
    test so that the runs are made once."""
    (tmp_path / "realdex.yaml").write_text("batch_size: 4\ntotal_epoch: 1\nlearning_rate: 0.001\nnum_points: 32\n"
                                           "width: 8\nlatent: 4\nfreq:\n  save: 2\n", encoding="utf-8")
    for line, (argv, status) in README.items():
        argv = [a.format(place=place, tmp=tmp_path, run=tmp_path / "run") for a in argv]
        proc = realdex(*argv, cwd=tmp_path)
        if argv[0] == "--version":
            assert proc.returncode == 0 and re.fullmatch(r"realdex \d+\.\d+\.\S+\n", proc.stdout), \
                f"expected 'realdex VERSION' on stdout, found {proc.returncode}: {proc.stdout!r} {proc.stderr!r}"
            continue
        check(proc, argv[0], status, json_out="--json" in argv or "json" in argv)
    start = json.loads((tmp_path / "runs/c/run.jsonl").read_text().splitlines()[0])
    assert start["config"]["lr"] == 0.001, f"expected learning_rate 0.001 from the config as lr, found {start['config']['lr']}"
    assert start["config"]["width"] == 8, f"expected the config's width 8, found {start['config']['width']}"


# --- the mistakes of the issue, each its own process ---------------------------------------------

MISTAKES = [
    # (id, argv, exit status, a phrase the message must hold)
    ("synth onto a file", ["synth", "{place}/afile", "--layout", "converted"], 2, "is a file"),
    ("synth negative points", ["synth", "{tmp}/neg", "--layout", "converted", "--points", "-3"], 2, "--points"),
    ("synth into a non-empty folder", ["synth", "{place}/seg", "--layout", "converted"], 2, "--force"),
    ("synth frames reversed", ["synth", "{tmp}/rev", "--layout", "converted", "--frames", "5", "2"], 2, "A <= B"),
    ("train out onto a file", ["train", "{place}/seg", "--out", "{place}/afile", "--passes", "1"], 2, "is a file"),
    ("train plot into a missing folder", ["train", "{place}/seg", "--out", "{tmp}/r1", "--passes", "1", "--plot", "{tmp}/no/such/p.png"], 2, "does not exist"),
    ("train plot with an unknown suffix", ["train", "{place}/seg", "--out", "{tmp}/r2", "--passes", "1", "--plot-loss", "{tmp}/loss.txt"], 2, "image file name"),
    ("check-run plot into a missing folder", ["check-run", "{tmp}/none.jsonl", "--plot", "{tmp}/no/p.png"], 2, "does not exist"),
    ("train without passes", ["train", "{place}/seg", "--out", "{tmp}/r3"], 2, "--passes"),
    ("train a plan that trains nothing", ["train", "{place}/tiny", "--out", "{tmp}/r4", "--passes", "1", "--batch-size", "32", "--num-points", "32"], 2, "--no-drop-last"),
    ("train a mixed root", ["train", "{place}/user", "--out", "{tmp}/r5", "--passes", "1"], 2, "--layout realdex-frame"),
    ("train on a missing root", ["train", "{tmp}/nowhere", "--out", "{tmp}/r6", "--passes", "1"], 2, "expected a folder"),
    ("train resume with flags", ["train", "--out", "{tmp}/r7", "--resume", "--passes", "2"], 2, "--resume"),
    ("validate a misspelt layout", ["validate", "{place}/seg", "--layout", "realdex-frme"], 2, "invalid choice"),
    ("validate a missing root", ["validate", "{tmp}/nowhere"], 2, "expected a folder"),
    ("validate --json a missing root", ["validate", "{tmp}/nowhere", "--json"], 2, "expected a folder"),
    ("inspect a missing root", ["inspect", "{tmp}/nowhere", "--json"], 2, "expected a folder"),
    ("inspect a mixed root", ["inspect", "{place}/user"], 1, "--layout realdex-frame"),
    ("validate a mixed root", ["validate", "{place}/user"], 1, "MIXED_LAYOUTS"),
    ("plan over a missing root", ["plan", "--data", "{tmp}/nowhere", "--passes", "1"], 2, "expected a folder"),
    ("plan --data without passes: refused before the walk", ["plan", "--data", "{tmp}/nowhere"], 2, "missing --passes"),
    ("plan a mixed root", ["plan", "--data", "{place}/user", "--passes", "1"], 2, "--layout realdex-frame"),
    ("plan 8 samples at 32 (README)", ["plan", "--samples", "8", "--batch-size", "32", "--drop-last"], 2, "--no-drop-last"),
    ("plan a negative batch size", ["plan", "--samples", "8", "--batch-size", "-1", "--passes", "1"], 2, "--batch-size"),
    ("plan without samples", ["plan", "--passes", "1"], 2, "--samples"),
    ("plan a config with a typo", ["plan", "--samples", "100", "--config", "{tmp}/typo.yaml"], 0, "did you mean 'batch_size'"),
    ("plan a missing config", ["plan", "--samples", "100", "--config", "{tmp}/none.yaml", "--passes", "1"], 2, "none.yaml"),
    ("convert a missing root", ["convert", "{tmp}/nowhere", "{tmp}/c1", "--to", "converted"], 2, "expected a folder"),
    ("convert onto data", ["convert", "{place}/seg", "{place}/user", "--to", "converted"], 2, "--force"),
    ("convert a mixed root", ["convert", "{place}/user", "{tmp}/c2", "--to", "converted"], 2, "--layout realdex-frame"),
    ("assess a missing root", ["assess", "{tmp}/nowhere", "--passes", "1"], 2, "expected a data root"),
    ("assess without passes", ["assess", "{place}/seg"], 2, "--passes"),
    ("check-run a missing log", ["check-run", "{tmp}/none.jsonl", "--json"], 2, "none.jsonl"),
    ("an unknown command", ["trian"], 2, "invalid choice"),
]


@pytest.mark.timeout(600)
@pytest.mark.parametrize("case", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_a_mistake_is_one_message_and_its_status(place, tmp_path, case):
    _id, argv, status, says = case
    (tmp_path / "typo.yaml").write_text("bach_size: 16\ntotal_epoch: 2\n", encoding="utf-8")
    argv = [a.format(place=place, tmp=tmp_path) for a in argv]
    proc = realdex(*argv)
    check(proc, argv[0], status, json_out="--json" in argv, says=says)
    if argv[0] == "train" and status == 2:
        out = Path(argv[argv.index("--out") + 1])
        assert not (out / "run.jsonl").exists(), f"expected a refused run to write no run log, found one in {out}"


def test_a_suggested_validate_command_runs(place, tmp_path):
    bad = tmp_path / "root"
    synth.write_root(bad, "converted", objects=("mug",), segments_per_object=1, frames_per_segment=(4, 4), points=64)
    (bad / "mug_0" / "broken.npz").write_bytes(b"PK\x03\x04 not really a zip")
    proc = realdex("train", str(bad), "--out", str(tmp_path / "run"), "--passes", "1", "--batch-size", "2")
    check(proc, "train", 2, says="realdex validate")
    suggested = suggested_commands(proc.stderr)
    assert suggested, f"expected a suggested command in {proc.stderr}"
    for suggestion in suggested:
        argv = shlex.split(suggestion)[1:]
        check(realdex(*argv), argv[0], common.FINDINGS, says="INVALID_FILE")


def test_plan_and_train_make_the_same_batches(place, tmp_path):
    """plan and train share their defaults: the plan's iterations are the run's."""
    plan = realdex("plan", "--data", str(place / "seg"), "--batch-size", "5", "--epochs", "2", "--json")
    check(plan, "plan", 0, json_out=True)
    run = realdex("train", str(place / "seg"), "--out", str(tmp_path / "run"), "--batch-size", "5", "--epochs", "2",
                  "--num-points", "32", "--width", "8", "--latent", "4", "--quiet")
    check(run, "train", 0)
    logged = json.loads((tmp_path / "run" / "run.jsonl").read_text().splitlines()[0])["plan"]
    planned = json.loads(plan.stdout)
    # 12 samples at batch 5 with drop_last: 2 batches per pass (without it: 3), 4 iterations in 2 passes
    assert (planned["batches_per_epoch"], planned["iterations"]) == (2, 4), f"expected 2 batches per pass, 4 iterations: {planned}"
    assert {k: logged[k] for k in ("batches_per_epoch", "iterations", "drop_last")} == \
        {k: planned[k] for k in ("batches_per_epoch", "iterations", "drop_last")}, f"plan {planned} and run {logged} disagree"


def test_plot_without_matplotlib_is_refused_before_the_run(place, tmp_path, monkeypatch, capsys):
    import importlib.util

    from realdex_ref.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name, *a))
    status = main(["train", str(place / "seg"), "--out", str(tmp_path / "run"), "--passes", "1", "--plot", str(tmp_path / "p.png")])
    err = capsys.readouterr().err
    assert status == 2 and "needs matplotlib" in err, f"expected exit 2 naming matplotlib, found {status}: {err}"
    assert not (tmp_path / "run").exists(), "expected the refusal before the run folder is made"


# --- what every command offers --------------------------------------------------------------------

def test_every_flag_has_help_and_no_help_cites_a_file_that_does_not_ship():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name, parser in sub.choices.items():
        for action in parser._actions:
            assert action.help, f"realdex {name}: {action.option_strings or action.dest} has no help text"
            assert "realdex-facts.md" not in action.help, f"realdex {name}: help cites a file that does not ship: {action.help}"


def test_layouts_and_defaults_agree_with_the_library():
    from realdex_ref import layouts, trainer
    from realdex_ref.cli import plan

    assert common.LAYOUTS == tuple(layouts.LAYOUTS), f"expected the CLI's layouts {common.LAYOUTS} to be {layouts.LAYOUTS}"
    assert (plan.DEFAULT_BATCH_SIZE, plan.DEFAULT_DROP_LAST) == (trainer.DEFAULTS["batch_size"], trainer.DEFAULTS["drop_last"]), \
        "expected plan's defaults to be the trainer's"


def test_plot_suffixes_are_those_matplotlib_writes():
    pytest.importorskip("matplotlib")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    supported = {"." + k for k in FigureCanvasAgg(Figure()).get_supported_filetypes()}
    assert set(common.PLOT_SUFFIXES) <= supported, f"suffixes matplotlib cannot write: {set(common.PLOT_SUFFIXES) - supported}"


def test_help_imports_no_numpy():
    code = ("import sys; from realdex_ref.cli import build_parser; build_parser().format_help(); "
            "print(sorted(m for m in ('numpy', 'scipy', 'torch', 'tqdm', 'matplotlib') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "[]", f"expected --help to import none of the heavy modules, found {proc.stdout} {proc.stderr}"


def test_python_dash_m_realdex_ref_is_the_command():
    proc = realdex("--help")
    assert proc.returncode == 0 and "usage: realdex" in proc.stdout and "exit status" in proc.stdout, proc.stdout + proc.stderr


def test_conformance_sh_never_deletes_a_folder_it_did_not_make(tmp_path):
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "thesis.tex").write_text("years of work")
    run = lambda out: subprocess.run(["bash", "-c", f". scripts/outdir.sh && prepare_out {shlex.quote(str(out))}"],
                                     cwd=REPO, capture_output=True, text=True, timeout=30)
    proc = run(theirs)
    assert proc.returncode == 2 and (theirs / "thesis.tex").exists(), f"expected a refusal and the file kept: {proc.stderr}"
    ours = tmp_path / "ours"
    assert run(ours).returncode == 0 and ours.is_dir(), "expected a new folder made"
    (ours / "report.json").write_text("{}")
    assert run(ours).returncode == 0 and not (ours / "report.json").exists(), "expected the folder it made emptied"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run(empty).returncode == 0, "expected an empty folder used"
    (empty / "report.json").write_text("{}")
    assert run(empty).returncode == 2 and (empty / "report.json").exists(), \
        "expected a folder it did not make left alone on the next run"
