"""Known failures owned by the implementer (spec chapter 12, REPORT-7 and REPORT-8).

The file holds one entry per line, ``TEST-ID  # REASON``. Entries are matched against the
tests' stable ids (``test_batching.py::test_plan_counts[user-8]`` for a test of the suite,
whatever directory or ``--pyargs`` name the suite was run with; the node id for any other
test that names a clause), never as substrings:

- ``test_batching.py::test_plan_counts[user-8]`` is that one test;
- ``test_batching.py::test_plan_counts`` is every case of that test (its ``[...]`` ids);
- ``*`` stands for any run of characters (``test_loader.py::*[converted]``); nothing else is
  special, so brackets in an entry are literal.

A leading ``conformance/`` or ``realdex_conformance/`` (as a node id shows it from a
checkout) is dropped. Entries that match nothing are stale and reported as such.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

SEPARATOR = " #"
_PREFIXES = ("realdex_conformance/", "conformance/")


class XfailsError(Exception):
    """The known-failures file cannot be used; the message names the file and the line."""


@dataclass
class Entry:
    fragment: str  # the test id or pattern, as normalised
    reason: str
    line: int
    matched: list[str] = field(default_factory=list)

    def where(self, path: Path | str) -> str:
        return f"{path}:{self.line}"

    def matches(self, test_id: str) -> bool:
        if "*" in self.fragment:
            return _pattern(self.fragment).fullmatch(test_id) is not None
        return test_id == self.fragment or test_id.split("[", 1)[0] == self.fragment


def _pattern(text: str) -> re.Pattern:
    return re.compile(".*".join(re.escape(part) for part in text.split("*")), re.DOTALL)


def normalise(text: str) -> str:
    text = text.strip()
    for prefix in _PREFIXES:
        if text.startswith(prefix):
            return text[len(prefix):]
    return text


def load(path: Path | str) -> list[Entry]:
    """Read the entries of ``path``; every malformed line is named in one XfailsError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise XfailsError(f"--xfails-file={path}: cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise XfailsError(f"--xfails-file={path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    entries: list[Entry] = []
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fragment, sep, reason = line.partition(SEPARATOR)
        fragment, reason = normalise(fragment), reason.strip().lstrip("#").strip()
        if not sep or not reason:
            problems.append(
                f"{path}:{number}: {line!r} has no reason; write 'TEST-ID  # why it fails' "
                "(a known failure without a reason cannot be reviewed)"
            )
        elif not fragment:
            problems.append(f"{path}:{number}: {line!r} has no test id before ' # '")
        else:
            entries.append(Entry(fragment, reason, number))
    if problems:
        raise XfailsError("the known-failures file is malformed:\n  - " + "\n  - ".join(problems))
    return entries


def match(entries: list[Entry], test_ids: Mapping[str, str] | Iterable[str]) -> dict[str, Entry]:
    """The first entry matching each test; records on every entry the stable ids it matches.

    ``test_ids`` maps each node id to its stable id (or lists ids that are both).
    """
    pairs = test_ids.items() if isinstance(test_ids, Mapping) else ((t, t) for t in test_ids)
    found: dict[str, Entry] = {}
    for nodeid, test_id in pairs:
        for entry in entries:
            if entry.matches(test_id):
                entry.matched.append(test_id)
                found.setdefault(nodeid, entry)
    return found


def stale(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if not e.matched]
