"""The reference implementation of the RealDex specification: loader, planner and trainer.

``realdex_ref.ADAPTER`` is what the conformance suite tests (``--impl=realdex_ref``).
"""
__version__ = "0.1.0"

from realdex_ref.adapter import ADAPTER  # noqa: E402  (the adapter needs __version__)

__all__ = ["ADAPTER", "__version__"]
