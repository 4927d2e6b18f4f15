"""The adapter contract of spec chapter 4, in machine-readable form.

``CAPABILITIES`` maps each capability name to the members an adapter declaring it must have,
each with the parameter names it must accept. ``check_adapter`` returns every problem at once,
so that an unusable adapter is described in one message.
"""
from __future__ import annotations

import importlib
import inspect
from typing import Any

import realdex_spec
from realdex_conformance import features, items

LAYOUTS = ("realdex-segment", "realdex-frame", "converted")

_READ = [("detect_layout", ("path",)), ("read_file", ("path",))]
_WRITE = [("write_samples", ("samples", "dest", "layout"))]

CAPABILITIES: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    **{f"read:{layout}": _READ for layout in LAYOUTS},
    **{f"write:{layout}": _WRITE for layout in LAYOUTS},
    "root": [("inspect_root", ("root",)), ("read_root", ("root", "layout"))],
    "validate": [("validate_sample", ("sample",))],
    "checks": [("check_root", ("root", "num_points"))],
    "batching": [
        ("batch_plan", ("num_samples", "batch_size", "world_size", "drop_last")),
        ("epoch_batches", ("num_samples", "batch_size", "world_size", "rank", "drop_last", "seed", "epoch", "shuffle")),
        ("check_plan", ("num_samples", "batch_size", "world_size", "drop_last", "min_batches")),
    ],
    "loader": [
        ("make_dataset", ("root", "layout", "num_points", "point_sampling", "seed")),
        ("make_loader", ("dataset", "batch_size", "world_size", "rank", "drop_last", "seed", "shuffle", "num_workers")),
    ],
    "planning": [
        ("plan_run", ("num_samples", "batch_size", "passes", "max_iterations", "drop_last", "world_size", "grad_accum",
                      "ckpt_every", "step_time", "startup_time", "save_time", "eval_every", "eval_time", "band")),
        ("steady_step_time", ("durations", "warmup")),
        ("read_config", ("path",)),
    ],
    "runlog": [("check_run", ("path",))],
    "training": [("train", ("root", "out", "config")), ("resume", ("out",)), ("checkpoint_weights", ("path",))],
    "training:distributed": [("train_distributed", ("root", "out", "config", "world_size"))],
}

BASE_ATTRIBUTES = ("name", "version", "spec_version", "capabilities")


class AdapterError(Exception):
    """The adapter named by --impl cannot be used; the message lists every reason."""


def load_adapter(spec: str) -> Any:
    """Import ``module`` or ``module:attribute``; a bare module gives its ``ADAPTER`` or itself."""
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # any import failure is the user's to see, with its cause
        raise AdapterError(f"--impl={spec}: cannot import module {module_name!r}: {type(exc).__name__}: {exc}") from exc
    if attr:
        obj = module
        for part in attr.split("."):
            if not hasattr(obj, part):
                raise AdapterError(f"--impl={spec}: module {module_name!r} has no attribute {attr!r}")
            obj = getattr(obj, part)
        return obj
    return getattr(module, "ADAPTER", module)


def configure(adapter: Any, options: dict[str, str], spec: str) -> None:
    """Hand the ``--impl-option`` pairs to the adapter's ``configure(options)`` (ADAPTER-8)."""
    if not options:
        return
    hook = getattr(adapter, "configure", None)
    if not callable(hook):
        raise AdapterError(
            f"--impl-option {', '.join(sorted(options))}: the adapter {spec!r} has no configure(options) member to receive "
            "them (ADAPTER-8); add one, or drop the options")
    try:
        hook(dict(options))
    except Exception as exc:  # the adapter refusing an option is the user's to see, with its words
        raise AdapterError(f"--impl-option: the adapter {spec!r} refused its options {options}: {type(exc).__name__}: {exc}") from exc


def parse_options(pairs: list[str]) -> dict[str, str]:
    """``KEY=VALUE`` strings as a mapping; a pair without ``=`` or with an empty key is refused."""
    options: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise AdapterError(f"--impl-option {pair!r}: expected KEY=VALUE, for example --impl-option step_epoch=True")
        options[key.strip()] = value
    return options


def _accepts(func: Any, params: tuple[str, ...]) -> list[str]:
    """Names in ``params`` that ``func`` cannot take by keyword."""
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return []  # builtins without a signature: nothing to check
    kinds = {p.kind for p in sig.parameters.values()}
    if inspect.Parameter.VAR_KEYWORD in kinds:
        return []
    names = {n for n, p in sig.parameters.items() if p.kind is not inspect.Parameter.POSITIONAL_ONLY}
    return [p for p in params if p not in names]


def check_adapter(adapter: Any, spec_version: str = realdex_spec.VERSION) -> list[str]:
    """Every reason the adapter is unusable (ADAPTER-1..4), or an empty list."""
    problems: list[str] = []
    for attr in BASE_ATTRIBUTES:
        if not hasattr(adapter, attr):
            problems.append(f"missing attribute {attr!r} (ADAPTER-1)")
    for attr in ("name", "version", "spec_version"):
        value = getattr(adapter, attr, None)
        if hasattr(adapter, attr) and not (isinstance(value, str) and value):
            problems.append(f"{attr!r} must be a non-empty str, found {value!r} (ADAPTER-1)")
    declared = getattr(adapter, "capabilities", None)
    if declared is not None and (isinstance(declared, str) or not hasattr(declared, "__iter__")):
        problems.append(f"'capabilities' must be a collection of names, found {declared!r} (ADAPTER-1)")
        declared = None
    version = getattr(adapter, "spec_version", None)
    if isinstance(version, str) and version and version.split(".")[0] != spec_version.split(".")[0]:
        problems.append(
            f"spec_version {version!r} targets another major version than this suite's {spec_version!r} (ADAPTER-2)"
        )
    if hasattr(adapter, "error_types"):
        types = getattr(adapter, "error_types")
        if not (isinstance(types, tuple) and types and all(isinstance(t, type) and issubclass(t, Exception) for t in types)):
            problems.append(f"'error_types' must be a non-empty tuple of Exception subclasses, found {types!r} (ADAPTER-6)")
    if hasattr(adapter, "unsupported"):
        problems.extend(features.problems(getattr(adapter, "unsupported")))
    if hasattr(adapter, "loader_items"):
        problems.extend(items.problems(getattr(adapter, "loader_items")))
    if hasattr(adapter, "configure") and not callable(getattr(adapter, "configure")):
        problems.append(f"'configure' must be callable as configure(options), found {type(adapter.configure).__name__} (ADAPTER-8)")
    for cap in sorted(declared or ()):
        if cap not in CAPABILITIES:
            problems.append(
                f"unknown capability {cap!r} (ADAPTER-4); known: {', '.join(sorted(CAPABILITIES))}"
            )
            continue
        for member, params in CAPABILITIES[cap]:
            func = getattr(adapter, member, None)
            if func is None:
                problems.append(f"capability {cap!r} needs member {member}({', '.join(params)}), which is missing (ADAPTER-3)")
            elif not callable(func):
                problems.append(f"capability {cap!r} needs {member} to be callable, found {type(func).__name__} (ADAPTER-3)")
            else:
                missing = _accepts(func, params)
                if missing:
                    problems.append(
                        f"{member} must accept parameter(s) {', '.join(missing)} for capability {cap!r}; "
                        f"its signature is {member}{inspect.signature(func)} (ADAPTER-3)"
                    )
    return list(dict.fromkeys(problems))
