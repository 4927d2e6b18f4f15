"""Per-file clauses for readers that only read whole roots (spec chapter 4, "Readers without a
per-file reader").

Research loaders read a root from a configuration; few have a function that reads one file.
An adapter that declares ``root`` and no ``read:*`` capability is still held to the per-file
clauses of chapters 1, 2, 3 and 13: the suite places each file it would hand to ``read_file``
in a root of its own (the same folder name and file name, so that names mean what they meant)
and reads it there with ``read_root``; ``detect_layout`` is the layout the inventory of that
root finds, or the error it reports for the file.
"""
from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Any

import pytest


class FileUnreadable(Exception):
    """The inventory of a one-file root reports the file as unreadable: its code and message."""


def needs_shim(adapter: Any) -> bool:
    caps = set(adapter.capabilities)
    return "root" in caps and not any(c.startswith("read:") for c in caps)


def _place(source: Path, place: Path) -> None:
    """Put at ``place`` what ``source`` is: the same file (a hard link, else a copy), the same
    symbolic link, an empty folder for a folder, a pipe for a pipe, a link to anything else."""
    try:
        mode = source.lstat().st_mode
    except OSError:
        return  # nothing there: the root is empty, as the folder was
    if stat.S_ISLNK(mode):
        os.symlink(os.readlink(source), place)
    elif stat.S_ISDIR(mode):
        place.mkdir()
    elif stat.S_ISFIFO(mode):
        os.mkfifo(place)
    elif stat.S_ISREG(mode):
        try:
            os.link(source, place)
        except OSError:
            shutil.copy2(source, place)  # another file system, or links refused: a copy reads the same
    else:
        os.symlink(os.path.abspath(source), place)  # a device or a socket: reached through a link


class RootFileReader:
    """The adapter as the suite sees it, with ``read_file`` and ``detect_layout`` made of roots."""

    def __init__(self, adapter: Any, workdir: Path) -> None:
        object.__setattr__(self, "_adapter", adapter)
        object.__setattr__(self, "_workdir", workdir)
        object.__setattr__(self, "_count", 0)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._adapter, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._adapter, name, value)

    def remove_workdir(self) -> None:
        """Remove the one-file roots made so far (at session end)."""
        shutil.rmtree(self._workdir, ignore_errors=True)

    @property
    def unguarded(self) -> Any:
        return getattr(self._adapter, "unguarded", self._adapter)

    def _root_of(self, path: str | Path) -> Path:
        """A new root holding ``path`` alone, at ``<its folder's name>/<its name>``."""
        path = Path(path)
        object.__setattr__(self, "_count", self._count + 1)
        root = self._workdir / f"file-{self._count}"
        place = root / (path.parent.name or "data") / path.name
        place.parent.mkdir(parents=True)
        _place(path, place)
        return root

    def read_file(self, path: str | Path) -> list[dict[str, Any]]:
        if Path(path).is_dir() and not Path(path).is_symlink():
            pytest.skip(f"{path} is a folder: a reader of whole roots walks into it, so read_file on it does not apply")
        root = self._root_of(path)
        placed = str(root / (Path(path).parent.name or "data") / Path(path).name)
        try:
            samples = self._adapter.read_root(root, None)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        for sample in samples:  # metadata names the file the suite asked for, not its place in the one-file root
            if isinstance(sample, dict) and isinstance(sample.get("source"), str) and sample["source"].startswith(placed):
                sample["source"] = str(path) + sample["source"][len(placed):]
        return samples

    def detect_layout(self, path: str | Path) -> str:
        root = self._root_of(path)
        try:
            inventory = self._adapter.inspect_root(root)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        errors = [p for p in inventory.get("problems", []) if p.get("severity") == "error" and p.get("code") != "EMPTY_ROOT"]
        if errors:
            raise FileUnreadable("; ".join(f"{Path(path).name}: {p.get('code')}: {p.get('message')}" for p in errors))
        found = [layout for layout, count in (inventory.get("layouts") or {}).items() if count or count == 0]
        if len(found) != 1:
            raise FileUnreadable(f"{path}: the inventory of a root holding only this file names layouts {found!r}, "
                                 "expected exactly one")
        return found[0]

    def __repr__(self) -> str:
        return f"RootFileReader({self._adapter!r})"


def workdir() -> Path:
    """A folder of the kit's own for these one-file roots, outside any folder a test watches."""
    return Path(tempfile.mkdtemp(prefix="realdex-one-file-roots-"))
