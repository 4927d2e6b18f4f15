"""What every ``realdex`` command shares: its exit statuses, its one error path, argument checks that run
before any walk or training, and its progress.

Exit statuses (the README's table): 0 clean, 1 findings (errors in the data, a run that did not do its
plan, criteria not met), 2 a usage error or refused input (nothing was done), 130 interrupted, 141 the
reader of the output went away (``realdex ... | head``).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

CLEAN, FINDINGS, REFUSED, INTERRUPTED, CLOSED_PIPE = 0, 1, 2, 130, 141

# the layouts a data root can hold (realdex_ref.layouts.LAYOUTS, written out so that --help imports no numpy;
# tests/test_cli_walk.py checks the two agree)
LAYOUTS = ("realdex-segment", "realdex-frame", "converted")

# image formats matplotlib's Agg backend writes (FigureCanvasAgg.get_supported_filetypes, checked by a test)
PLOT_SUFFIXES = (".png", ".pdf", ".svg", ".eps", ".ps", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".raw", ".rgba", ".pgf", ".svgz")


class Refused(Exception):
    """An input refused before any work: printed as one line on stderr, exit status 2."""


def say(command: str, message: object) -> None:
    """One line (or paragraph) on stderr, prefixed with the command."""
    from realdex_ref.errors import printable

    text = "\n".join(printable(line) for line in str(message).split("\n"))
    try:
        print(f"realdex {command}: {text}", file=sys.stderr)
    except (OSError, ValueError):
        pass


def fail(command: str, message: object, status: int = REFUSED) -> int:
    say(command, message)
    return status


# --- argparse types: numbers in range, checked while the arguments are parsed ---------------------

def _int_at_least(least: int) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, found {text!r}") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {least}, found {value}")
        return value

    parse.__name__ = f"int>={least}"
    return parse


positive_int = _int_at_least(1)
count = _int_at_least(0)


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, found {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number > 0, found {text}")
    return value


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds (a number), found {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected seconds >= 0, found {text}")
    return value


def add_quiet(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", action="store_true",
                        help="no progress on stderr (default: a bar on a terminal, a plain line every "
                             "$REALDEX_PROGRESS_EVERY seconds, 30 by default, otherwise)")


# --- checks of outputs, before any work ---------------------------------------------------------

def check_plot(flag: str, dest: str | None) -> None:
    """Refuse a plot that could not be written: no matplotlib, an unknown suffix, a missing folder."""
    if dest is None:
        return
    import importlib.util

    path = Path(dest)
    if path.suffix.lower() not in PLOT_SUFFIXES:
        raise Refused(f"{flag} {dest}: expected an image file name ending in one of {', '.join(PLOT_SUFFIXES[:4])} "
                      f"(or {', '.join(PLOT_SUFFIXES[4:])}), found {path.suffix or 'no suffix'!s}. Fix: {flag} plot.png")
    folder = path.parent
    if not folder.is_dir():
        raise Refused(f"{flag} {dest}: the folder {folder} does not exist. Fix: create it, or write the plot elsewhere")
    if path.is_dir():
        raise Refused(f"{flag} {dest}: is a folder; expected a file name. Fix: {flag} {path / 'plot.png'}")
    if not os.access(folder, os.W_OK):
        raise Refused(f"{flag} {dest}: the folder {folder} is not writable")
    if importlib.util.find_spec("matplotlib") is None:
        raise Refused(f"{flag} needs matplotlib, which is not installed. Fix: pip install 'realdex-conformance[plot]', "
                      f"or run without {flag}")


def check_folder_target(flag: str, dest: str) -> None:
    """Refuse an output folder that is a file, or whose parent is missing or not writable."""
    path = Path(dest)
    if path.exists() and not path.is_dir():
        raise Refused(f"{flag} {dest}: is a file; expected a folder (absent, or one to write into). "
                      "Fix: choose another path")
    parent = path.parent if not path.exists() else path
    while not parent.exists() and parent != parent.parent:  # mkdir -p makes the missing ones
        parent = parent.parent
    if not parent.is_dir():
        raise Refused(f"{flag} {dest}: {parent} is a file, so the folder cannot be made. Fix: choose another path")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise Refused(f"{flag} {dest}: {parent} is not writable. Fix: choose a folder you can write to")


# --- progress --------------------------------------------------------------------------------------

def progress(args: argparse.Namespace, what: str, total: int | None = None, unit: str = "files") -> Any:
    """A Progress on stderr for ``what``, off with ``--quiet``."""
    from realdex_ref.progress import Progress

    return Progress(what, total, unit, enabled=not getattr(args, "quiet", False))


def walk_progress(args: argparse.Namespace, root: object) -> Any:
    return progress(args, f"reading {short(root)}", None, "files")


def short(path: object) -> str:
    """A folder's own name, for a progress bar that must fit a terminal (the command line names the whole path)."""
    from realdex_ref.errors import printable

    return printable(Path(str(path)).name or str(path))


# --- RealDex-style configurations ----------------------------------------------------------------

def config_for_trainer(keys: list[dict[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    """From the keys ``planning.read_config`` explained: the trainer's settings they give beyond the plan's
    (``learning_rate`` as ``lr``, ``num_workers``, ...), and one warning per key nobody reads, naming the
    nearest known key."""
    import difflib

    from realdex_ref import planning, trainer

    known = sorted(set(planning.CONFIG_KEYS) | set(trainer.CONFIG_ALIASES) | trainer.CONFIG_KEYS)
    values: dict[str, Any] = {}
    warnings: list[str] = []
    for k in keys:
        key = k["key"]
        if planning.CONFIG_KEYS.get(key, (None,))[0] is not None:
            continue  # a plan input: read_config gave it
        name = trainer.CONFIG_ALIASES.get(key, key)
        if name in trainer.CONFIG_KEYS:
            values[name] = k["value"]
        elif key not in planning.CONFIG_KEYS:
            near = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            warnings.append(f"unknown key {key!r}, not read" + (f"; did you mean {near[0]!r}?" if near else
                            f"; the keys read are {', '.join(known)}"))
    return values, warnings


def problem_line(p: dict[str, Any]) -> str:
    """``severity CODE: path: message``, the path once (a message read from a DataError already begins with
    ``path: `` or ``path [key]: ``)."""
    from realdex_ref.errors import printable

    path, message = printable(p["path"]), printable(p["message"])
    if message.startswith((path + ": ", path + " [")):
        return f"{p['severity']} {p['code']}: {message}"
    return f"{p['severity']} {p['code']}: {path}: {message}"
