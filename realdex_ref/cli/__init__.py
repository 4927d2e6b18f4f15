"""The ``realdex`` command line: one module per command, each with ``add_arguments`` and ``run``."""
from __future__ import annotations

import argparse
import importlib
import os
import sys

# command name -> (module under realdex_ref.cli, one-line help)
COMMANDS = {
    "synth": ("synth", "write deterministic RealDex-like data in any layout"),
    "inspect": ("inspect_cmd", "count the samples of a data root by layout and object"),
    "validate": ("validate", "check a data root and list every finding"),
    "convert": ("convert", "convert a data root to another layout, all or nothing"),
    "plan": ("plan", "planned work and expected duration of a training run"),
    "train": ("train", "train the reference grasp model"),
    "check-run": ("check_run", "check a run log against its plan"),
    "assess": ("assess", "the training assessment of a data root before a run, or of a run log after it"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="realdex", description="RealDex data and training-run tools (reference implementation)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        try:
            mod = importlib.import_module(f"realdex_ref.cli.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"realdex_ref.cli.{module}":
                raise
            p.set_defaults(_module=None, _name=name)
            continue
        mod.add_arguments(p)
        p.set_defaults(_module=mod, _name=name)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args._module is None:
        print(f"realdex {args._name}: not available in this version", file=sys.stderr)
        return 2
    try:
        return int(args._module.run(args) or 0)
    except KeyboardInterrupt:
        print(f"realdex {args._name}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader of our output has gone (`realdex inspect ROOT | head`): end quietly, as coreutils do;
        # stdout is pointed at /dev/null so that the interpreter's last flush finds no closed pipe
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 141  # 128 + SIGPIPE, what a shell reports for a program ended by a closed pipe


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
