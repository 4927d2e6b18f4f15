"""Data roots (spec chapter 5): every file found, counted by frames per layout and object, nothing skipped in silence.

A root is walked once; every ``.npz`` is read with ``layouts.load_file`` (which detects its
layout from its content), every other file is listed. A root holding more than one layout is
never read as one of them silently: ``choose_layout`` refuses and says how to choose.
"""
from __future__ import annotations

import os
import re
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from realdex_ref import index as index_module
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
    # the file's stamp (``index.stamp_of``) when it was unchanged while read: what results of its content may be kept under
    stamp: list[int] | None = field(default=None, compare=False, repr=False)


@dataclass
class Inventory:
    """What a root holds: its readable files and every problem found on the way."""

    root: str
    files: list[FileEntry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    manifest: dict[str, Any] | None = None
    # LAYOUT-11: files that fit both realdex layouts, detected as realdex-frame, counted as this layout
    ambiguous_as: str | None = None
    summaries: list[dict] = field(default_factory=list, repr=False)  # the checks' summary of each file, with scan(summarise=)

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


_NUMBERED = re.compile(r"[0-9]+\.npz")


def _file_key(name: str) -> tuple:
    """Where a file sorts among its folder's entries (ROOT-5): numbered files (``<digits>.npz``) first, by
    number (code point between equal numbers), then every other name, a folder's ``(1, name)`` too, by code point."""
    if _NUMBERED.fullmatch(name):
        return (0, int(name[:-4]), name)
    return (1, name)


def path_order(root: Path) -> Callable[[Path], tuple]:
    """The sort key of ROOT-5 for paths under ``root``: part by part, the file name by ``_file_key``.

    The frames of a per-frame recording (``<object>_<recording>/<i>.npz``) so come in the order of
    their index, ``2.npz`` before ``10.npz``, and so do the segments ``<object>/<counter>.npz``."""
    prefix = len(root.parts)

    def key(path: Path) -> tuple:
        *folders, name = path.parts[prefix:]
        return (*((1, f) for f in folders), _file_key(name))
    return key


def _walk(root: Path, problems: list[Problem]) -> list[str]:
    """Every non-folder entry under ``root`` in the order of ROOT-5 (``path_order``), symbolic links to files
    included (ROOT-11), each written as ``str(root / relative)`` writes it.

    A folder that cannot be listed is reported (``UNREADABLE_FOLDER``, an error: the root would be
    read in part). A symbolic link to a folder is followed, and every real folder is walked once:
    a link to a folder already walked (a loop, or a second link to one folder) is not walked again
    and is reported (``FOLDER_LINK_SKIPPED``, a warning naming the link and where it leads).

    Each folder's entries are sorted by the key of their last part and walked depth first: that is the
    order of ``sorted(paths, key=path_order(root))`` (a folder's files share its key prefix, so they are
    contiguous there), without a ``Path`` or a key per file.
    """
    found: list[str] = []
    seen: dict[tuple[int, int], str] = {}
    stack: list[tuple[bool, str]] = [(True, str(root))]  # (is a folder, path): popped in walk order
    while stack:
        is_folder, folder = stack.pop()
        if not is_folder:
            found.append(folder)
            continue
        try:
            st = os.stat(folder)
            key = (st.st_dev, st.st_ino)
            if key in seen:
                problems.append(Problem(folder, "FOLDER_LINK_SKIPPED",
                                        f"a link to the folder {seen[key]}, which is already walked (a loop, or a "
                                        "second link to one folder); its files are counted once", WARNING))
                continue
            seen[key] = folder
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError as exc:
            problems.append(Problem(folder, "UNREADABLE_FOLDER",
                                    f"a folder that cannot be entered ({exc.strerror or exc}): its files would be "
                                    "missing from the root. Fix: make it readable, or move it out of the root"))
            continue
        prefix = "" if folder == "." else os.path.join(folder, "")  # as Path joins: "x", never "./x"
        keyed = []
        for entry in entries:
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError:
                is_dir = False  # a link loop or an unreachable target: read (and refused) as a file
            keyed.append(((1, entry.name) if is_dir else _file_key(entry.name), is_dir, prefix + entry.name))
        keyed.sort(key=lambda k: k[0], reverse=True)  # names are unique in a folder: no ties
        stack.extend((is_dir, path) for _, is_dir, path in keyed)
    return found


def _is_npz(path: str) -> bool:
    """``Path(path).suffix == ".npz"``: the name ends in ``.npz`` and is more than that (``.npz`` is a hidden file)."""
    return path.endswith(".npz") and len(path) - path.rfind(os.sep) > 5


def _load_problem(path: Path, exc: DataError) -> Problem:
    code = "UNSAFE_FILE" if isinstance(exc, UnsafeFileError) else "NOT_A_LAYOUT" if isinstance(exc, LayoutError) else "INVALID_FILE"
    return Problem(str(path), code, str(exc))


Summarise = Callable[[layouts.FileData], dict]
Progress = Callable[[int, int], None]
PARALLEL_MIN_FILES = 64  # fewer files to read are read in this process (starting workers costs more)


def _stat(path: str) -> list[int] | None:
    try:
        return index_module.stamp_of(os.stat(path))
    except OSError:
        return None


def _record(path: str, summarise: Summarise | None, visit: Callable[[layouts.FileData], None] | None = None) -> tuple[list[int] | None, dict]:
    """What one ``.npz`` contributes to a walk (its layout, object and frames, or its problem), and the
    file's stamp when it was unchanged while read (None otherwise: the record is then not kept)."""
    before = _stat(path)
    try:
        data = layouts.load_file(path)
    except DataError as exc:
        p = _load_problem(Path(path), exc)
        record: dict[str, Any] = {"problem": [p.code, p.message]}
    else:
        record = {"layout": data.layout, "object": data.object, "frames": data.num_frames, "fits": list(data.fits)}
        if summarise is not None:
            record["checks"] = summarise(data)
        if visit is not None:
            visit(data)
    return (before if before is not None and _stat(path) == before else None), record


def _read_all(paths: list[str], summarise: Summarise | None, jobs: int, done: Callable[[], None]):
    """(stamp, record) of each path, in order; in ``jobs`` worker processes when there are enough files."""
    if jobs <= 1 or len(paths) < PARALLEL_MIN_FILES:
        for path in paths:
            result = _record(path, summarise)
            done()
            yield result
        return
    import concurrent.futures
    import functools

    work = functools.partial(_record, summarise=summarise)
    window = jobs * 256  # tasks in flight at once: memory stays bounded however many files there are
    chunk = max(1, min(32, len(paths) // (jobs * 8)))
    with concurrent.futures.ProcessPoolExecutor(jobs) as pool:
        for lo in range(0, len(paths), window):
            for result in pool.map(work, paths[lo:lo + window], chunksize=chunk):
                done()
                yield result


def scan(root: str | Path, *, visit: Callable[[layouts.FileData], None] | None = None,
         summarise: Summarise | None = None, jobs: int = 1, index: "index_module.Index | None" = None,
         progress: Progress | None = None) -> Inventory:
    """Walk ``root`` once; ``visit`` sees each readable file's columns while they are in memory.

    ``summarise`` (a module-level function, so that workers can run it) gives each readable file's
    summary for the data checks, kept in ``Inventory.summaries`` in path order. ``jobs`` > 1 reads the
    files in that many worker processes (not with ``visit``, whose columns are wanted here); the
    inventory is the same as a serial walk's. ``index`` (``realdex_ref.index.Index``) serves the record
    of every file whose stamp is unchanged since the last walk and keeps this walk's (ROOT-11); with
    ``visit`` every file is read. ``progress(files_done, files_total)`` is called after each file.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError("expected a folder (a data root), found " + ("nothing" if not root.exists() else "a file"), path=root)
    inv = Inventory(str(root))
    skip = index_module.skipped_in(root, index.folder) if index is not None else None
    prefix = os.path.join(str(root), "")
    manifest = ("" if str(root) == "." else prefix) + MANIFEST_NAME  # as the walk writes the root's own manifest
    paths = [p for p in map(str, _walk(root, inv.problems)) if p != manifest and not (skip and p.startswith(skip))]

    def rel(name: str) -> str:  # by slicing where the walk's path begins with the root's (all but root ".")
        return name[len(prefix):] if name.startswith(prefix) else os.path.relpath(name, root)
    total, count = len(paths), [0]

    def done() -> None:
        count[0] += 1
        if progress is not None:
            progress(count[0], total)

    cached = index.load(root) if index is not None else {}
    started = index_module.now_ns()
    records: dict[str, tuple[list[int] | None, dict]] = {}
    todo: list[str] = []
    for name in paths:
        if not _is_npz(name):
            continue
        hit = cached.get(rel(name))
        if visit is None and hit is not None and _stat(name) == hit[0] and (summarise is None or "checks" in hit[1] or "problem" in hit[1]):
            records[name] = (hit[0], hit[1])
            done()
        else:
            todo.append(name)
    if visit is not None:
        for name in todo:
            records[name] = _record(name, summarise, visit)
            done()
    else:
        records.update(zip(todo, _read_all(todo, summarise, jobs, done)))
    keep: dict[str, list] = {}
    changed = bool(todo) or len(todo) + len(records) != len(cached)
    for name in paths:
        if not _is_npz(name):
            inv.problems.append(Problem(name, "UNKNOWN_FILE", "not an .npz file, so not read as data; "
                                        "move it out of the root if it is not data", WARNING))
            done()
            continue
        stamp, record = records[name]
        if "problem" in record:
            code, message = record["problem"]
            inv.problems.append(Problem(name, code, message))
        else:
            inv.files.append(FileEntry(name, record["layout"], record["object"], record["frames"], tuple(record["fits"]), stamp))
            if summarise is not None:
                inv.summaries.append(record["checks"])
        if stamp is not None and index_module.trusted(stamp, started):
            keep[rel(name)] = [stamp, record]
        else:
            changed = True
    records.clear()
    # an unchanged root leaves its index as it was: every record served from it, and none of it gone
    if index is not None and (changed or len(keep) != len(cached)):
        index.save(root, keep)
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


def inspect_root(root: str | Path, *, jobs: int = 1, index: "index_module.Index | None" = None,
                 progress: Progress | None = None) -> Inventory:
    """The inventory of ``root`` (``jobs``, ``index``, ``progress``: as for ``scan``)."""
    return scan(root, jobs=jobs, index=index, progress=progress)


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
              jobs: int = 1, index: "index_module.Index | None" = None,
              progress: Progress | None = None) -> tuple[Inventory, str]:
    """Scan ``root``, refuse what cannot be trained on, and return the inventory and the chosen layout."""
    inv = scan(root, visit=visit, jobs=jobs, index=index, progress=progress)
    refuse_blocking(inv)  # first: a root whose files are broken is refused for them, not for what is left
    chosen = choose_layout(inv, layout)
    return inv, chosen


def read_root(root: str | Path, layout: str | None = None, *, jobs: int = 1, index: "index_module.Index | None" = None,
              progress: Progress | None = None) -> list[dict[str, Any]]:
    """The canonical samples of one layout of ``root``, file by file in path order (ROOT-3..6: numbered files by number)."""
    seen: list[layouts.FileData] = []
    inv, chosen = open_root(root, layout, visit=seen.append, jobs=jobs, index=index, progress=progress)
    wanted = detected_as(inv, chosen)
    return [s for data in seen if data.layout in wanted for s in data.samples()]
