"""The walk options every command that walks a data root takes: ``--jobs``, ``--index``, ``--no-index``.

``add_walk_options(parser)`` adds them (once, however many times it is called on one parser;
``jobs=False`` leaves out ``--jobs``, for ``train``, whose loader reads every file in its own process);
``walk_kwargs(args)`` turns them into the keywords of ``dataroot.scan`` and its callers
(``jobs``, ``index``). The walk index and where it lives: ``realdex_ref/index.py`` (spec ROOT-11..13).
"""
from __future__ import annotations

import argparse
import os
from typing import Any


def cores() -> int:
    """The cores this process may run on (its affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _jobs(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of worker processes, found {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1 worker process, found {n}")
    return n


def add_walk_options(parser: argparse.ArgumentParser, *, jobs: bool = True) -> None:
    if any("--index" in action.option_strings for action in parser._actions):
        return  # a command that borrows another's flags (assess takes plan's) has them already
    group = parser.add_argument_group("walking the data root")
    if jobs:
        group.add_argument("--jobs", type=_jobs, default=None, metavar="N",
                           help=f"worker processes that read and check the files (default: the cores, here {cores()}); "
                                "the results are those of a serial walk. Faster only with cores to spare: on a busy "
                                "machine --jobs 1 can be as fast or faster")
    group.add_argument("--index", metavar="DIR",
                       help="folder of the walk index, which lets a second walk of an unchanged root read no file again "
                            "(default: $REALDEX_INDEX, else $XDG_CACHE_HOME/realdex/index, else ~/.cache/realdex/index; "
                            "never inside the data root unless named there)")
    group.add_argument("--no-index", action="store_true", help="read every file, and neither use nor write the walk index")


def walk_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """``jobs`` and ``index`` for ``dataroot.scan`` and its callers, from the parsed walk options."""
    from realdex_ref.index import Index

    jobs = getattr(args, "jobs", None) or cores()
    index = None if getattr(args, "no_index", False) else Index(getattr(args, "index", None))
    return {"jobs": jobs, "index": index}
