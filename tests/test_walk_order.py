"""The reference's walk (``dataroot._walk``) lists a root depth first, each folder sorted by its entries' keys,
rather than sorting every path: these tests hold it to the definition, ``sorted(paths, key=path_order(root))``
over ``Path`` objects (ROOT-5), with the paths written as ``str(Path(root) / relative)`` writes them."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from realdex_ref import dataroot

NAMES = ["10.npz", "2.npz", "007.npz", "7.npz", "2b.npz", "a.txt", ".npz", "..npz", "B.npz", "b.npz", "0.NPZ",
         "é.npz", "~.npz", "3.npz.bak"]
FOLDERS = ["driller_10", "driller_2", "1", "3.npz", "a", "A", "zz"]


def _tree(top: Path) -> None:
    for folder in ["", *FOLDERS, "driller_2/inner", "a/b/c", "3.npz/x"]:
        d = top / folder
        d.mkdir(parents=True, exist_ok=True)
        for name in NAMES:
            (d / name).write_bytes(b"")
    os.symlink(top / "a" / "b", top / "zz" / "link_to_b")  # a second way to one folder: walked once
    os.symlink(top / "2.npz", top / "driller_10" / "link.npz")  # a link to a file is a file


def _definition(root: str, found: list[str]) -> list[str]:
    return [str(p) for p in sorted(map(Path, found), key=dataroot.path_order(Path(root)))]


@pytest.mark.parametrize("how", ["absolute", "relative", "dot", "trailing-slash"])
def test_the_walk_is_in_the_order_of_path_order(tmp_path, monkeypatch, how):
    top = tmp_path / "root"
    top.mkdir()
    _tree(top)
    monkeypatch.chdir(tmp_path if how != "dot" else top)
    root = {"absolute": str(top), "relative": "root", "dot": ".", "trailing-slash": "root/"}[how]
    problems: list = []
    found = dataroot._walk(Path(root), problems)
    # rglob does not enter the linked folder zz/link_to_b, and a link to a folder is no file
    expected = sorted(str(Path(root) / p.relative_to(top)) for p in top.rglob("*") if not p.is_dir())
    assert sorted(found) == expected, f"expected every file once, as Path writes it; extra {set(found) - set(expected)}, missing {set(expected) - set(found)}"
    assert found == _definition(root, found), "expected the walk in ROOT-5's order (path_order), found another order"
    assert [p.code for p in problems] == ["FOLDER_LINK_SKIPPED"], f"expected the second way to a/b reported once, found {problems}"
    first = [f for f in found if os.sep not in f.removeprefix(str(Path(root)) + os.sep).removeprefix(str(Path(root)))]
    assert first[:4] == [str(Path(root) / n) for n in ("2.npz", "007.npz", "7.npz", "10.npz")], (
        f"expected the numbered files first, by number (code point between equal numbers), found {first[:4]}")
