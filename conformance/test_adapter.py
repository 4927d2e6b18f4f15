"""Chapter 4: the adapter contract. The plugin refuses an unusable adapter at session start;
these tests state the same clauses against the adapter under test, so that they are reported."""
from __future__ import annotations

import inspect

import numpy as np
import pytest

import realdex_spec
from realdex_conformance import contract
from realdex_conformance.plugin import require


@pytest.mark.clause("ADAPTER-1")
def test_adapter_declares_name_version_spec_version_and_capabilities(adapter):
    for attr in ("name", "version", "spec_version"):
        value = getattr(adapter, attr, None)
        assert isinstance(value, str) and value, f"expected {attr!r} to be a non-empty str, found {value!r}"
    caps = getattr(adapter, "capabilities", None)
    assert caps is not None and not isinstance(caps, str), f"expected a collection of capability names, found {caps!r}"


@pytest.mark.clause("ADAPTER-2")
def test_adapter_targets_this_major_version(adapter):
    ours, theirs = realdex_spec.VERSION.split(".")[0], adapter.spec_version.split(".")[0]
    assert theirs == ours, f"expected spec_version {ours}.x, found {adapter.spec_version!r}"


@pytest.mark.clause("ADAPTER-3", "ADAPTER-4")
def test_every_declared_capability_is_known_and_complete(adapter):
    unknown = sorted(set(adapter.capabilities) - set(contract.CAPABILITIES))
    assert not unknown, f"expected only capabilities of chapter 4, found unknown {unknown}"
    for cap in sorted(adapter.capabilities):
        for member, params in contract.CAPABILITIES[cap]:
            func = getattr(adapter, member, None)
            assert callable(func), f"capability {cap!r}: expected callable {member}, found {func!r}"
            sig = inspect.signature(func)
            accepts_any = any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())
            missing = [p for p in params if p not in sig.parameters and not accepts_any]
            assert not missing, f"capability {cap!r}: expected {member} to accept {missing}, found {member}{sig}"


@pytest.mark.clause("ADAPTER-5")
@pytest.mark.parametrize("layout", contract.LAYOUTS, ids=list(contract.LAYOUTS))
def test_samples_cross_the_adapter_as_plain_dicts(adapter, layout, tmp_path):
    require(adapter, f"read:{layout}")
    from realdex_conformance import synth

    synth.write_root(tmp_path, layout, objects=("mug",), segments_per_object=1, frames_per_segment=(2, 2), points=16, seed=3)
    files = sorted(tmp_path.rglob("*.npz"))
    assert files, f"expected the kit to have written {layout} files under {tmp_path}, found none"
    samples = adapter.read_file(files[0])
    assert isinstance(samples, list) and samples, f"expected a non-empty list of samples from {files[0]}, found {type(samples).__name__}"
    allowed = (np.ndarray, float, str, type(None))
    for s in samples:
        assert type(s) is dict, f"expected a plain dict per sample, found {type(s).__name__}"
        bad = {k: type(v).__name__ for k, v in s.items() if not isinstance(v, allowed)}
        assert not bad, f"expected ndarray, float, str or None values, found {bad}"


@pytest.mark.clause("ADAPTER-7")
def test_features_declared_unsupported_are_known_and_give_a_reason(adapter):
    from realdex_conformance import features

    declared = getattr(adapter, "unsupported", {})
    problems = features.problems(declared)
    assert not problems, f"expected 'unsupported' to map features of chapter 4 to reasons, found: {'; '.join(problems)}"
    caps = set(adapter.capabilities)
    narrowed = {name: features.FEATURES[name][0] for name in declared}
    stray = {name: cap for name, cap in narrowed.items()
             if not any(c == cap or c.startswith(cap + ":") for c in caps) and not (cap == "read" and "root" in caps)}
    assert not stray, (f"expected features of declared capabilities only; these narrow capabilities the adapter does not "
                       f"declare: {stray}")


@pytest.mark.clause("ADAPTER-8")
def test_configure_when_present_is_callable_with_the_options(adapter):
    hook = getattr(adapter, "configure", None)
    if hook is None:
        return  # MAY: without it, --impl-option pairs stop the run (tests/test_foreign.py shows the message)
    assert callable(hook), f"expected configure to be callable as configure(options), found {type(hook).__name__}"
    params = [p for p in inspect.signature(hook).parameters.values() if p.kind not in (p.VAR_KEYWORD,)]
    assert params or any(p.kind is p.VAR_KEYWORD for p in inspect.signature(hook).parameters.values()), (
        f"expected configure to take the options mapping, found configure{inspect.signature(hook)}")


@pytest.mark.clause("ADAPTER-9")
def test_loader_items_when_present_name_paths(adapter):
    from realdex_conformance import items

    spec = getattr(adapter, "loader_items", None)
    if spec is None:
        return  # MAY: without it the suite reads items["hand_pose"], ["object_points"], ["index"]
    problems = items.problems(spec)
    assert not problems, f"expected loader_items of chapter 4's form, found: {'; '.join(problems)}"
