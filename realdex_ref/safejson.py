"""Bounded JSON reading for every JSON file the reference reads: the manifest, run logs, configs.

A JSON file from a stranger is read like an ``.npz`` (chapter 13, SAFE-15): a regular file
only (``safefile.open_regular``: never a named pipe, never ``/dev/zero``), at most
``max_bytes`` of it, no value nested deeper than ``max_depth``, no integer longer than
``MAX_INT_DIGITS`` digits, and every failure a ``JSONFileError`` (a ``DataError``) naming the
file and, for JSON Lines, the line. JSON Lines files are read a line at a time, so memory
follows the longest line, not the file.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

from realdex_ref.errors import DataError
from realdex_ref.safefile import open_regular, read_bounded

MAX_BYTES = 16 * 1024**2  # a manifest, a config, a report
MAX_LINES_BYTES = 1024**3  # a run log: about 1M events fit in a fraction of this
MAX_LINE_BYTES = 1024**2  # one event
MAX_DEPTH = 64
MAX_INT_DIGITS = 100


class JSONFileError(DataError):
    """A JSON file that cannot be read within the bounds; ``key`` is ``line N`` where a line is at fault."""


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"an integer of {len(text.lstrip('-'))} digits, more than the {MAX_INT_DIGITS} allowed")
    return int(text)


def depth_ok(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, (dict, list)):
            if d > limit:
                return False
            stack.extend((c, d + 1) for c in (v.values() if isinstance(v, dict) else v))
    return True


def loads(text: str | bytes, path: str | Path, where: str | None = None, *, max_depth: int = MAX_DEPTH,
          error: type[DataError] = JSONFileError) -> Any:
    """One JSON value from ``text``, bounded in depth and integer size; errors name ``path`` and ``where``."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise error(f"expected UTF-8 text, found byte {exc.object[exc.start]:#04x} at offset {exc.start}",
                        path=path, key=where) from None
    try:
        value = json.loads(text, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        line = f"line {exc.lineno}" if where is None else where
        raise error(f"expected JSON, found invalid JSON ({exc.msg} at column {exc.colno})", path=path,
                    key=line) from None
    except RecursionError:
        raise error(f"expected JSON nested at most {max_depth} deep, found it nested deeper", path=path,
                    key=where) from None
    except (ValueError, MemoryError) as exc:  # _parse_int's refusal, Python's own digit limit
        raise error(f"expected JSON within bounds, found {exc}", path=path, key=where) from None
    if not depth_ok(value, max_depth):
        raise error(f"expected JSON nested at most {max_depth} deep, found it nested deeper", path=path, key=where)
    return value


def read_json(path: str | Path, what: str = "a JSON file", *, max_bytes: int = MAX_BYTES,
              max_depth: int = MAX_DEPTH, error: type[DataError] = JSONFileError) -> Any:
    """The JSON value of the file at ``path``, read within the bounds."""
    fh, _ = open_regular(path, what, error)
    try:
        with fh:
            data = read_bounded(fh, max_bytes, path, what, error)
    except OSError as exc:
        raise error(f"expected {what}; reading it failed: {exc.strerror or exc}", path=path) from None
    return loads(data, path, max_depth=max_depth, error=error)


def iter_lines(path: str | Path, what: str = "a JSON Lines file", *, max_bytes: int = MAX_LINES_BYTES,
               max_line: int = MAX_LINE_BYTES, error: type[DataError] = JSONFileError) -> Iterator[tuple[int, bytes, bool]]:
    """``(line number, raw line without its newline, whether it ended with a newline)`` of each line."""
    fh, _ = open_regular(path, what, error)
    total = 0
    try:
        with fh:
            number = 0
            while True:
                raw = fh.readline(max_line + 2)
                if not raw:
                    return
                number += 1
                total += len(raw)
                ended = raw.endswith(b"\n")
                if not ended and len(raw) > max_line:
                    raise error(f"expected lines of at most {max_line:,} bytes, found a longer one; refusing it",
                                path=path, key=f"line {number}")
                if total > max_bytes:
                    raise error(f"expected {what} of at most {max_bytes:,} bytes, found more; refusing to read on",
                                path=path, key=f"line {number}")
                yield number, raw.rstrip(b"\n").rstrip(b"\r"), ended
    except OSError as exc:
        raise error(f"expected {what}; reading it failed: {exc.strerror or exc}", path=path) from None
