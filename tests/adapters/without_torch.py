"""The reference without its loader and trainer: an implementation that does not use PyTorch.

Every capability of the reference but ``loader``, ``training*`` and ``batching`` (whose shuffled
order is torch's ``randperm``), so the suite can be run against it where torch is not installed
(``scripts/check-environments.sh``): readers, writers, roots, data checks, planning and run logs.
"""
from __future__ import annotations

from realdex_ref.adapter import ReferenceAdapter


class WithoutTorch(ReferenceAdapter):
    name = "realdex_ref-without-torch"
    capabilities = frozenset(c for c in ReferenceAdapter.capabilities if c not in ("loader", "batching") and not c.startswith("training"))


ADAPTER = WithoutTorch()
