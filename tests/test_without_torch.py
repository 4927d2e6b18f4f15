"""A reader-only implementation is checked where PyTorch is not installed (the kit needs torch
only for the capabilities that hand out tensors or train).

The run below cannot import torch: a ``sitecustomize`` on its path refuses the import, as an
environment without PyTorch would. ``scripts/check-environments.sh`` does the same in a fresh
virtual environment that really has no torch, at the kit's minimum versions.
"""
from __future__ import annotations

import textwrap

import pytest

from tests.kit import run_suite

READER = ("conformance/test_sample.py", "conformance/test_layouts.py", "conformance/test_equivalence.py",
          "conformance/test_adapter.py", "conformance/test_planning.py", "conformance/test_loader.py")
NO_TORCH = textwrap.dedent(
    """
    import sys

    class NoTorch:
        '''An environment without PyTorch: importing it fails as it would there.'''
        def find_spec(self, name, path=None, target=None):
            if name == "torch" or name.startswith("torch."):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, NoTorch())
    """
)


@pytest.mark.clause("REPORT-9")
def test_a_reader_only_adapter_runs_without_torch(tmp_path):
    (tmp_path / "sitecustomize.py").write_text(NO_TORCH, encoding="utf-8")
    run = run_suite("tests.adapters.without_torch:ADAPTER", *READER, extra=("--conformance-levels",),
                    pythonpath=(str(tmp_path),))
    assert run.tests, f"expected the suite to run without torch, found:\n{run.describe()}"
    bad = [(t["id"], t["outcome"], t["message"][:200]) for t in run.tests if t["outcome"] not in ("passed", "skipped")]
    assert not bad, f"expected every test to pass or skip without torch, found {bad[:8]}"
    reader = next(level for level in run.document["levels"] if level["name"] == "reader")
    assert reader["status"] == "reached", f"expected the reader level reached without torch, found {reader}"
    skipped_loader = [t for t in run.tests if t["id"].startswith("test_loader.py::") and t["outcome"] == "skipped"]
    assert skipped_loader, "expected the loader's tests skipped (capability not declared), not failed or missing"
    assert "No module named 'torch'" not in run.output, f"expected nothing to need torch, found:\n{run.output[-2000:]}"
