"""The reference implementation of the RealDex specification: loader, planner and trainer.

``realdex_ref.ADAPTER`` is what the conformance suite tests (``--impl=realdex_ref``). It and
``__version__`` are loaded on first use, so that ``realdex --help`` imports neither numpy nor scipy.
"""
from __future__ import annotations

from typing import Any

__all__ = ["ADAPTER", "__version__"]


def _version() -> str:
    from importlib import metadata

    try:  # one source for the version: the distribution's, set from realdex_conformance.__version__
        return metadata.version("realdex-conformance")
    except metadata.PackageNotFoundError:  # run from a checkout that is not installed
        from realdex_conformance import __version__

        return __version__


def __getattr__(name: str) -> Any:
    if name == "__version__":
        value = _version()
    elif name == "ADAPTER":
        from realdex_ref.adapter import ADAPTER as value
    else:
        raise AttributeError(f"module 'realdex_ref' has no attribute {name!r}")
    globals()[name] = value
    return value
