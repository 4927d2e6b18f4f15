"""Optional features (spec chapter 4, ADAPTER-7) and the outcome *not supported*.

An adapter may declare, in its attribute ``unsupported``, the features of a capability it
declares that the implementation does not have, each with the reason::

    unsupported = {"loader:state": "no resumable loader yet", "field:object_colors": "colours are not loaded"}

A test of such a feature is reported *not supported* with the reason: never passed, never
failed. A property that draws the feature among other values draws only what is supported.
Not carrying an optional field (``field:NAME``) is no failure; a field the reader returns is
compared like any other, so carrying it wrong, or inventing it, still fails.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

import realdex_spec

OPTIONAL_FIELDS = tuple(f["name"] for f in realdex_spec.schema()["fields"] if not f["required"])

# feature -> (the capability it narrows, what the implementation does not do)
FEATURES: dict[str, tuple[str, str]] = {
    **{f"field:{name}": ("read", f"carry the optional field {name!r}: its reader returns it absent") for name in OPTIONAL_FIELDS},
    "batching:keep-last": ("batching", "plans and epochs with drop_last=False"),
    "loader:keep-last": ("loader", "make_loader(drop_last=False): a short last batch"),
    "loader:ranks": ("loader", "make_loader with world_size > 1 (one rank of several)"),
    "loader:workers": ("loader", "make_loader with num_workers > 0"),
    "loader:state": ("loader", "state_dict() / load_state_dict(): resuming inside an epoch"),
    "loader:random-points": ("loader", "point_sampling='random'"),
    "loader:fps": ("loader", "point_sampling='fps' (farthest-point sampling)"),
    "planning:max-iterations": ("planning", "plans bounded by max_iterations"),
    "planning:grad-accum": ("planning", "plans with grad_accum > 1"),
    "planning:config": ("planning", "read_config: reading a RealDex training configuration"),
}

PREFIX = "not supported: "
OUTCOME = "not supported"

_declared: dict[str, str] = {}


def problems(unsupported: Any) -> list[str]:
    """Why an adapter's ``unsupported`` attribute is unusable (ADAPTER-7), or an empty list."""
    if not isinstance(unsupported, Mapping):
        return [f"'unsupported' must be a mapping of feature name to reason, found {type(unsupported).__name__} (ADAPTER-7)"]
    found = []
    for name, reason in unsupported.items():
        if name not in FEATURES:
            found.append(f"unknown feature {name!r} in 'unsupported' (ADAPTER-7); known: {', '.join(sorted(FEATURES))}")
        elif not (isinstance(reason, str) and reason.strip()):
            found.append(f"feature {name!r} in 'unsupported' needs a reason (a non-empty str), found {reason!r} (ADAPTER-7)")
    return found


def configure(adapter: Any) -> None:
    """Remember the features the adapter under test declares unsupported (once per session)."""
    _declared.clear()
    _declared.update(declared(adapter))


def declared(adapter: Any) -> dict[str, str]:
    found = getattr(adapter, "unsupported", None)
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, Mapping) else {}


def supports(adapter: Any, feature: str) -> bool:
    if feature not in FEATURES:
        raise ValueError(f"the kit asks for feature {feature!r}, which chapter 4 does not define")
    return feature not in declared(adapter)


def need(adapter: Any, *needed: str) -> None:
    """Report the running test *not supported* unless the adapter supports every feature named."""
    for feature in needed:
        if not supports(adapter, feature):
            pytest.skip(f"{PREFIX}{feature} ({declared(adapter)[feature]})")


def carries(field: str) -> bool:
    """Whether the reader under test carries ``field`` (every required field is carried)."""
    return f"field:{field}" not in _declared


def reason_in(message: str) -> str:
    """The reason a *not supported* skip message gives, or '' when it gives none."""
    text = message.removeprefix("Skipped: ").removeprefix(PREFIX)
    _, _, rest = text.partition(" ")
    return rest[1:-1] if rest.startswith("(") and rest.endswith(")") else rest


def from_message(message: str) -> str | None:
    """The feature a skip message names when it reports *not supported*, else None."""
    text = message.removeprefix("Skipped: ")
    if not text.startswith(PREFIX):
        return None
    return text[len(PREFIX):].split(" ", 1)[0]
