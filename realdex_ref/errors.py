"""The errors of the reference, each naming the file, the key, what was expected and what was found."""
from __future__ import annotations


def printable(name: object) -> str:
    """``name`` as text that cannot forge lines or hide in a terminal: a name holding a control
    character, a line separator or a lone surrogate (a file name that is not UTF-8) is shown as
    ``repr`` shows it, without the quotes; any other name as it is."""
    text = str(name)
    return text if text.isprintable() else repr(text)[1:-1]


class RealDexError(Exception):
    """Base of every error the reference raises on purpose."""


class DataError(RealDexError, ValueError):
    """A data file or root is not what the specification says it must be.

    ``path`` and ``key`` name where; the message says what was expected, what was found and,
    when there is one, the fix.
    """

    def __init__(self, message: str, *, path: object = None, key: str | None = None) -> None:
        self.path = None if path is None else str(path)
        self.key = key
        where = ""
        if self.path is not None:
            where = printable(self.path)
            if key is not None:
                where += f" [{printable(key)}]"
            where += ": "
        super().__init__(where + message)


class LayoutError(DataError):
    """A file matches no layout, or not the layout it was read as."""


class UnsafeFileError(DataError):
    """A file would need unpickling (an object array) or is otherwise refused for safety."""


class PlanError(RealDexError, ValueError):
    """A batch or run plan the invariants reject; the message gives the numbers and the fixes."""
