"""How pytest collects the suite: its files are the modules of the installed ``realdex_conformance``.

The suite lives in the folder ``conformance/`` of a checkout and installs as the package
``realdex_conformance``. Left to itself, pytest would import ``conformance/test_sample.py`` by
its folder name, as ``conformance.test_sample``: a second copy of the kit's modules under a name
that another project's own ``conformance`` package shadows or is shadowed by. These collectors
import each file of the suite by the kit's package name instead, and refuse a folder that is not
the installed kit, so that one module is never imported twice under two names.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import pytest

PACKAGE = "realdex_conformance"
SUITE_DIR = Path(__file__).resolve().parent


def _same_file(module: ModuleType, path: Path) -> bool:
    origin = getattr(module, "__file__", None)
    try:
        return origin is not None and Path(origin).resolve() == path.resolve()
    except OSError:
        return False


def import_suite_module(path: Path, config: pytest.Config) -> ModuleType:
    """The module of the installed kit that ``path`` is, imported by its package name."""
    name = PACKAGE if path.name == "__init__.py" else f"{PACKAGE}.{path.stem}"
    try:
        module = importlib.import_module(name)
    except ImportError as exc:
        raise pytest.Collector.CollectError(f"cannot import {name} for {path}: {type(exc).__name__}: {exc}") from exc
    if not _same_file(module, path):
        raise pytest.Collector.CollectError(
            f"{path} is not the installed kit's {name} ({getattr(module, '__file__', None)}): run the suite of the "
            f"installed kit (pytest --pyargs {PACKAGE}), or install this checkout (pip install -e .)"
        )
    config.pluginmanager.consider_module(module)
    return module


class SuitePackage(pytest.Package):
    """The suite's folder, whose ``__init__.py`` is ``realdex_conformance`` itself."""

    def setup(self) -> None:
        import_suite_module(self.path / "__init__.py", self.config)


class SuiteModule(pytest.Module):
    """A test module of the suite, imported as ``realdex_conformance.<name>``."""

    def _getobj(self) -> ModuleType:
        return import_suite_module(self.path, self.config)


def in_suite(path: Path) -> bool:
    try:
        return path.resolve() == SUITE_DIR or SUITE_DIR in path.resolve().parents
    except OSError:
        return False


@pytest.hookimpl(tryfirst=True)
def pytest_collect_directory(path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if path.resolve() == SUITE_DIR:
        return SuitePackage.from_parent(parent, path=path)
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    if module_path.name != "__init__.py" and module_path.resolve().parent == SUITE_DIR:
        return SuiteModule.from_parent(parent, path=module_path)
    return None
