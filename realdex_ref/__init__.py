"""The reference implementation of the RealDex specification: loader, planner and trainer.

``realdex_ref.ADAPTER`` is what the conformance suite tests (``--impl=realdex_ref``).
"""
from importlib import metadata as _metadata

try:  # one source for the version: the distribution's, set from realdex_conformance.__version__
    __version__ = _metadata.version("realdex-conformance")
except _metadata.PackageNotFoundError:  # run from a checkout that is not installed
    from realdex_conformance import __version__

from realdex_ref.adapter import ADAPTER  # noqa: E402  (the adapter needs __version__)

__all__ = ["ADAPTER", "__version__"]
