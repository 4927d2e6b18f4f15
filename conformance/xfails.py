"""Known failures owned by the implementer (spec chapter 12, REPORT-7 and REPORT-8).

The file holds one entry per line, ``FRAGMENT  # REASON``; a test is a known failure when its
node id contains the fragment. Entries that match nothing are stale and reported as such.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

SEPARATOR = " #"


class XfailsError(Exception):
    """The known-failures file cannot be used; the message names the file and the line."""


@dataclass
class Entry:
    fragment: str
    reason: str
    line: int
    matched: list[str] = field(default_factory=list)

    def where(self, path: Path | str) -> str:
        return f"{path}:{self.line}"


def load(path: Path | str) -> list[Entry]:
    """Read the entries of ``path``; every malformed line is named in one XfailsError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise XfailsError(f"--xfails-file={path}: cannot read it: {exc.strerror or exc}") from None
    entries: list[Entry] = []
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fragment, sep, reason = line.partition(SEPARATOR)
        fragment, reason = fragment.strip(), reason.strip().lstrip("#").strip()
        if not sep or not reason:
            problems.append(
                f"{path}:{number}: {line!r} has no reason; write 'FRAGMENT  # why it fails' "
                "(a known failure without a reason cannot be reviewed)"
            )
        elif not fragment:
            problems.append(f"{path}:{number}: {line!r} has no test-id fragment before ' # '")
        else:
            entries.append(Entry(fragment, reason, number))
    if problems:
        raise XfailsError("the known-failures file is malformed:\n  - " + "\n  - ".join(problems))
    return entries


def match(entries: list[Entry], nodeids: Iterable[str]) -> dict[str, Entry]:
    """The first entry matching each node id; records on every entry the node ids it matches."""
    found: dict[str, Entry] = {}
    for nodeid in nodeids:
        for entry in entries:
            if entry.fragment in nodeid:
                entry.matched.append(nodeid)
                found.setdefault(nodeid, entry)
    return found


def stale(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if not e.matched]
