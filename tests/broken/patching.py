"""One helper for the broken adapters that change the reference from outside, for the length of one call."""
from __future__ import annotations

from contextlib import contextmanager


@contextmanager
def patched(owner, **members):
    """``owner`` (a module or class) with some members replaced, for one call; the suite runs one test at a time."""
    old = {name: getattr(owner, name) for name in members}
    for name, member in members.items():
        setattr(owner, name, member)
    try:
        yield
    finally:
        for name, member in old.items():
            setattr(owner, name, member)
