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
