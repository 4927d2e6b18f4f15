"""Data roots (spec chapter 5): every file found, counted by frames per layout and object, nothing skipped in silence.

A root is walked once; every ``.npz`` is read with ``layouts.load_file`` (which detects its
layout from its content), every other file is listed. A root holding more than one layout is
never read as one of them silently: ``choose_layout`` refuses and says how to choose.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from realdex_ref import layouts, safejson
from realdex_ref.errors import DataError, LayoutError, UnsafeFileError, printable

MANIFEST_NAME = "realdex_manifest.json"
ERROR, WARNING = "error", "warning"


class RootWarning(UserWarning):
    """Something under a data root that is not read (a file of no layout), said out loud."""


@dataclass
class Problem:
    """One finding about a root or a file: ``code`` is a stable name from chapters 5 and 6."""

    path: str
    code: str
    message: str
    severity: str = ERROR
    count: int | None = None  # frames (or values) concerned, where the finding counts them

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class FileEntry:
    path: str
    layout: str
    object: str
    frames: int
    fits: tuple[str, ...] = ()


@dataclass
class Inventory:
    """What a root holds: its readable files and every problem found on the way."""

    root: str
    files: list[FileEntry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    manifest: dict[str, Any] | None = None
    # LAYOUT-11: files that fit both realdex layouts, detected as realdex-frame, counted as this layout
    ambiguous_as: str | None = None

    @property
    def layouts(self) -> dict[str, int]:
        """Samples (frames) per layout present, in the order of ``layouts.LAYOUTS``."""
        counts = {name: 0 for name in layouts.LAYOUTS}
        for f in self.files:
            counts[f.layout] += f.frames
        return {name: n for name, n in counts.items() if any(f.layout == name for f in self.files)}

    @property
    def objects(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for f in self.files:
            counts[f.object] = counts.get(f.object, 0) + f.frames
        return dict(sorted(counts.items()))

    def by_layout(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for name, samples in self.layouts.items():
            mine = [f for f in self.files if f.layout == name]
            objects: dict[str, int] = {}
            for f in mine:
                objects[f.object] = objects.get(f.object, 0) + f.frames
            out[name] = {"samples": samples, "files": len(mine), "objects": dict(sorted(objects.items()))}
        return out

    @property
    def total_samples(self) -> int:
        return sum(f.frames for f in self.files)

    def as_dict(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "total_samples": self.total_samples,
            "layouts": self.layouts,
            "objects": self.objects,
            "by_layout": self.by_layout(),
            "files": len(self.files),
            "unknown_files": [p.path for p in self.problems if p.code == "UNKNOWN_FILE"],
            "manifest": self.manifest,
            "problems": [p.as_dict() for p in self.problems],
        }


def _walk(root: Path, problems: list[Problem]) -> list[Path]:
    """Every non-folder entry under ``root``, sorted, symbolic links to files included (ROOT-11).

    A folder that cannot be listed is reported (``UNREADABLE_FOLDER``, an error: the root would be
    read in part). A symbolic link to a folder is followed, and every real folder is walked once:
    a link to a folder already walked (a loop, or a second link to one folder) is not walked again
    and is reported (``FOLDER_LINK_SKIPPED``, a warning naming the link and where it leads).
    """
    found: list[Path] = []
    seen: dict[tuple[int, int], Path] = {}
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            st = os.stat(folder)
            key = (st.st_dev, st.st_ino)
            if key in seen:
                problems.append(Problem(str(folder), "FOLDER_LINK_SKIPPED",
                                        f"a link to the folder {seen[key]}, which is already walked (a loop, or a "
                                        "second link to one folder); its files are counted once", WARNING))
                continue
            seen[key] = folder
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            problems.append(Problem(str(folder), "UNREADABLE_FOLDER",
                                    f"a folder that cannot be entered ({exc.strerror or exc}): its files would be "
                                    "missing from the root. Fix: make it readable, or move it out of the root"))
            continue
        subfolders = []
        for entry in entries:
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError:
                is_dir = False  # a link loop or an unreachable target: read (and refused) as a file
            (subfolders if is_dir else found).append(Path(entry.path))
        stack.extend(reversed(subfolders))
    return sorted(found)


def _load_problem(path: Path, exc: DataError) -> Problem:
    code = "UNSAFE_FILE" if isinstance(exc, UnsafeFileError) else "NOT_A_LAYOUT" if isinstance(exc, LayoutError) else "INVALID_FILE"
    return Problem(str(path), code, str(exc))


def scan(root: str | Path, *, visit: Callable[[layouts.FileData], None] | None = None,
         progress: Callable[[int, int], None] | None = None) -> Inventory:
    """Walk ``root`` once; ``visit`` sees each readable file's columns while they are in memory;
    ``progress(files_done, files_total)`` is called after each file."""
    root = Path(root)
    if not root.is_dir():
        raise DataError("expected a folder (a data root), found " + ("nothing" if not root.exists() else "a file"), path=root)
    inv = Inventory(str(root))
    paths = _walk(root, inv.problems)
    for done, path in enumerate(paths):
        if progress is not None and done:
            progress(done, len(paths))
        if path.name == MANIFEST_NAME and path.parent == root:
            continue
        if path.suffix != ".npz":
            inv.problems.append(Problem(str(path), "UNKNOWN_FILE", "not an .npz file, so not read as data; "
                                        "move it out of the root if it is not data", WARNING))
            continue
        try:
            data = layouts.load_file(path)
        except DataError as exc:
            inv.problems.append(_load_problem(path, exc))
            continue
        inv.files.append(FileEntry(str(path), data.layout, data.object, data.num_frames, data.fits))
        if visit is not None:
            visit(data)
    if progress is not None and paths:
        progress(len(paths), len(paths))
    _place_ambiguous(inv)
    present = inv.layouts
    if len(present) > 1:
        inv.problems.append(Problem(str(root), "MIXED_LAYOUTS", _mixed_message(inv), WARNING))
    if not present:
        inv.problems.append(Problem(str(root), "EMPTY_ROOT", "holds no file of any RealDex layout: 0 samples", ERROR))
    _check_manifest(root, inv)
    return inv


def _place_ambiguous(inv: Inventory, prefer: str | None = None) -> None:
    """LAYOUT-11: a one-frame file with a rotation-vector orientation fits both realdex layouts. It is
    detected as realdex-frame; it counts as realdex-segment in a root whose other realdex files are all
    segments, or when that layout is asked for and no file is surely a per-frame file."""
    both = {"realdex-segment", "realdex-frame"}
    ambiguous = [f for f in inv.files if both <= set(f.fits)]
    sure = {f.layout for f in inv.files if not both <= set(f.fits)}
    if ambiguous and "realdex-frame" not in sure and ("realdex-segment" in sure or prefer == "realdex-segment"):
        for f in ambiguous:
            f.layout = "realdex-segment"
        inv.ambiguous_as = "realdex-segment"


def detected_as(inv: Inventory, chosen: str) -> set[str]:
    """The layouts that files counted as ``chosen`` were detected as (what a ``visit`` saw in ``data.layout``)."""
    return {chosen, "realdex-frame"} if inv.ambiguous_as == chosen else {chosen}


def inspect_root(root: str | Path, *, progress: Callable[[int, int], None] | None = None) -> Inventory:
    return scan(root, progress=progress)


def _describe_layouts(inv: Inventory) -> str:
    return ", ".join(f"{name}: {d['samples']} samples in {d['files']} files" for name, d in inv.by_layout().items())


def _mixed_message(inv: Inventory) -> str:
    biggest = max(inv.layouts.items(), key=lambda kv: kv[1])[0]
    return (
        f"holds {len(inv.layouts)} layouts ({_describe_layouts(inv)}); a root is read as one layout, never as one "
        f"while another is ignored: choose with layout={biggest!r} (command line: --layout {biggest}), "
        "or move the other layout's files to another root"
    )


def choose_layout(inv: Inventory, layout: str | None = None) -> str:
    """The layout to read: ``layout`` when the root holds it, else the root's only one; refuses otherwise."""
    present = inv.layouts
    if layout is not None:
        if layout not in layouts.LAYOUTS:
            raise ValueError(f"unknown layout {layout!r}; expected one of {', '.join(layouts.LAYOUTS)}")
        if layout not in present:
            _place_ambiguous(inv, prefer=layout)
            present = inv.layouts
        if layout not in present:
            held = _describe_layouts(inv) or "no file of any layout"
            raise LayoutError(f"holds no file of layout {layout!r}; it holds {held}", path=inv.root)
        return layout
    if not present:
        unknown = [p.path for p in inv.problems if p.code != "EMPTY_ROOT"]
        raise DataError(
            "holds no file of any RealDex layout, so 0 samples"
            + (f"; files found but not read: {', '.join(unknown[:10])}" + (" …" if len(unknown) > 10 else "") if unknown else "")
            + ". Point to the folder that holds the <object>/ folders of .npz files",
            path=inv.root,
        )
    if len(present) > 1:
        raise LayoutError(_mixed_message(inv), path=inv.root)
    return next(iter(present))


def _check_manifest(root: Path, inv: Inventory) -> None:
    """Compare the counts a manifest declares with those found; a shortfall is an error (ROOT-7)."""
    path = root / MANIFEST_NAME
    if not os.path.lexists(path):
        return
    try:
        declared = safejson.read_json(path, "a manifest (a JSON object of counts)")
        if not isinstance(declared, dict):
            raise DataError(f"expected a JSON object, found {type(declared).__name__}", path=path)
    except DataError as exc:
        inv.problems.append(Problem(str(path), "INVALID_MANIFEST", f"cannot be read as a manifest: {exc}"))
        return
    inv.manifest = declared
    checks: list[tuple[str, Any, int]] = []
    if "total_samples" in declared:
        checks.append(("samples in all", declared["total_samples"], inv.total_samples))
    for group, found in (("layouts", inv.layouts), ("objects", inv.objects)):
        table = declared.get(group) or {}
        if not isinstance(table, dict):
            inv.problems.append(Problem(str(path), "INVALID_MANIFEST",
                                        f"{group}: expected an object of counts, found {type(table).__name__}"))
            continue
        for name, count in table.items():
            what = f"samples of layout {name!r}" if group == "layouts" else f"samples of object {name!r}"
            checks.append((what, count, found.get(name, 0)))
    for what, want, got in checks:
        if not isinstance(want, int) or isinstance(want, bool):
            inv.problems.append(Problem(str(path), "INVALID_MANIFEST", f"{what}: expected an integer count, found {want!r}"))
        elif got < want:
            inv.problems.append(Problem(str(path), "MANIFEST_SHORTFALL",
                                        f"declares {want} {what}, found {got}: {want - got} missing", ERROR, want - got))
        elif got > want:
            inv.problems.append(Problem(str(path), "MANIFEST_EXCESS",
                                        f"declares {want} {what}, found {got}: {got - want} more than declared", WARNING, got - want))


BLOCKING = ("INVALID_FILE", "UNSAFE_FILE", "NOT_A_LAYOUT", "MANIFEST_SHORTFALL", "INVALID_MANIFEST", "UNREADABLE_FOLDER")


def refuse_blocking(inv: Inventory) -> None:
    """Raise when files could not be read or the manifest is short; warn about files that are not data."""
    blocking = [p for p in inv.problems if p.code in BLOCKING]
    if blocking:
        lines = "\n".join(f"  - {p.code}: {printable(p.path)}: {p.message}" for p in blocking[:20])
        more = f"\n  … and {len(blocking) - 20} more" if len(blocking) > 20 else ""
        raise DataError(
            f"cannot be read as training data: {len(blocking)} problem(s) (run `realdex validate {inv.root}` for all findings):\n"
            + lines + more,
            path=inv.root,
        )
    skipped = [p for p in inv.problems if p.code == "FOLDER_LINK_SKIPPED"]
    if skipped:
        warnings.warn(f"{printable(inv.root)}: {len(skipped)} folder link(s) not walked again: "
                      + "; ".join(f"{printable(p.path)}: {p.message}" for p in skipped[:10]), RootWarning, stacklevel=3)
    unknown = [printable(p.path) for p in inv.problems if p.code == "UNKNOWN_FILE"]
    if unknown:
        warnings.warn(
            f"{inv.root}: {len(unknown)} file(s) are not data and were not read: {', '.join(unknown[:10])}"
            + (" …" if len(unknown) > 10 else ""),
            RootWarning,
            stacklevel=3,
        )


def open_root(root: str | Path, layout: str | None = None, *, visit: Callable[[layouts.FileData], None] | None = None,
              progress: Callable[[int, int], None] | None = None) -> tuple[Inventory, str]:
    """Scan ``root``, refuse what cannot be trained on, and return the inventory and the chosen layout."""
    inv = scan(root, visit=visit, progress=progress)
    refuse_blocking(inv)  # first: a root whose files are broken is refused for them, not for what is left
    chosen = choose_layout(inv, layout)
    return inv, chosen


def read_root(root: str | Path, layout: str | None = None, *,
              progress: Callable[[int, int], None] | None = None) -> list[dict[str, Any]]:
    """The canonical samples of one layout of ``root``, file by file in path order (ROOT-3..6)."""
    seen: list[layouts.FileData] = []
    inv, chosen = open_root(root, layout, visit=seen.append, progress=progress)
    wanted = detected_as(inv, chosen)
    return [s for data in seen if data.layout in wanted for s in data.samples()]
