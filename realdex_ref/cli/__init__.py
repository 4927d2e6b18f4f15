"""The ``realdex`` command line: one module per command, each with ``add_arguments`` and ``run``.

Every command shares one error path (``realdex_ref.cli.common``): an expected failure is one message on
stderr and a documented exit status, never a traceback. Command modules import only what their
arguments need, so ``realdex --help`` starts without numpy, scipy or torch.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from realdex_ref.cli import common

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

EPILOG = ("exit status: 0 clean, 1 findings, 2 usage error or refused input (nothing done), 130 interrupted, "
          "141 output closed (as by | head). Progress goes to stderr; data and --json to stdout.")


class _Version(argparse.Action):
    """``--version``, read only when asked (reading the distribution's metadata costs a tenth of a second)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from realdex_ref import __version__

        print(f"realdex {__version__}")
        parser.exit()


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or, with ``only``, the parser whose one command ``only`` has its
    arguments (what ``main`` builds: ``realdex --help`` then imports no command module at all)."""
    parser = argparse.ArgumentParser(prog="realdex", epilog=EPILOG,
                                     description="RealDex data and training-run tools (reference implementation)")
    parser.add_argument("--version", action=_Version, help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text, epilog=EPILOG)
        if only is not None and name != only:
            continue
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
    argv = sys.argv[1:] if argv is None else list(argv)
    # the command is the first word that is not an option (realdex itself takes no option with a value)
    command = next((a for a in argv if not a.startswith("-")), "")
    args = build_parser(only=command).parse_args(argv)
    name = args._name
    if args._module is None:
        return common.fail(name, "not available in this version")
    from realdex_ref.errors import RealDexError

    try:
        return int(args._module.run(args) or 0)
    except KeyboardInterrupt:
        # a progress bar has ended its line on the way out (its context manager); a partial output was removed
        common.say(name, "interrupted")
        return common.INTERRUPTED
    except BrokenPipeError:
        # the reader of our output has gone (`realdex inspect ROOT | head`): end quietly, as coreutils do;
        # stdout is pointed at /dev/null so that the interpreter's last flush finds no closed pipe
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return common.CLOSED_PIPE  # 128 + SIGPIPE, what a shell reports for a program ended by a closed pipe
    except (common.Refused, RealDexError) as exc:
        return common.fail(name, exc)
    except OSError as exc:  # a file where a folder should be, a read-only folder, a full disk
        where = f"{exc.filename}: " if exc.filename else ""
        return common.fail(name, f"{where}{exc.strerror or exc}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
