"""The walk index (spec chapter 5, ROOT-11..ROOT-13): what a walk of a data root found, per file, kept
so that a second walk of an unchanged root reads no file again.

Where it lives: one JSON file per root, named by a hash of the root's resolved path, in a folder that
is never inside the data root unless the user names one there:

- ``--index DIR`` (or ``Index(DIR)``) when given;
- else ``$REALDEX_INDEX`` when set;
- else ``$XDG_CACHE_HOME/realdex/index``, or ``~/.cache/realdex/index`` without ``XDG_CACHE_HOME``.

What it holds per file: its stamp (size, mtime_ns, ctime_ns, inode, device) and what the walk
recorded (layout, object, frames, the layouts it fits, or the problem it raised) with the summary
of the data checks when they ran; beside it (``<hash>.fps.json``) the loader's farthest-point
samples of each cloud, under the same stamps. A file's record is used only while its stamp is unchanged; a file
whose stamp is within ``RACY_NS`` of the moment it was recorded is never trusted (a rewrite inside the
file system's timestamp resolution would keep its stamp), so it is read again. A cache that cannot be
read, is not an index, or belongs to another root is ignored with a note, and rewritten.
JSON only: nothing in it is ever unpickled.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import warnings
from pathlib import Path

FORMAT = "realdex-walk-index"
VERSION = 1
RACY_NS = 2_000_000_000  # a stamp this close to its recording is not trusted (timestamp resolution, clock steps)
MAX_INDEX_BYTES = 1024**3  # a larger file is not read as an index


def default_folder() -> Path:
    """``$REALDEX_INDEX``, else ``$XDG_CACHE_HOME/realdex/index``, else ``~/.cache/realdex/index``."""
    if os.environ.get("REALDEX_INDEX"):
        return Path(os.environ["REALDEX_INDEX"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "realdex" / "index"


def stamp_of(st: os.stat_result) -> list[int]:
    """What must be unchanged for a record to be used: size, mtime_ns, ctime_ns, inode, device."""
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


class IndexWarning(UserWarning):
    """A walk index that was ignored or could not be written, said out loud (the walk goes on without it)."""


class Index:
    """The index of walks kept in ``folder`` (``default_folder()`` when None)."""

    def __init__(self, folder: str | Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else default_folder()
        self.notes: list[str] = []  # what was ignored (a corrupt or foreign cache), also warned as IndexWarning

    def _note(self, text: str) -> None:
        self.notes.append(text)
        warnings.warn(text, IndexWarning, stacklevel=4)

    def path_for(self, root: str | Path, kind: str = "walk") -> Path:
        # by the root as resolved and as written: the records' messages name files as the caller wrote the root
        key = f"{os.path.realpath(root)}\0{root}".encode("utf-8", "surrogateescape")
        return self.folder / f"{hashlib.sha256(key).hexdigest()[:32]}{'' if kind == 'walk' else '.' + kind}.json"

    def load(self, root: str | Path, kind: str = "walk") -> dict[str, list]:
        """relative path -> [stamp, record] of the last walk of ``root`` (``kind`` "walk"), or of the results kept
        per file of another kind (the loader's ``"fps"``); empty when there is none to trust."""
        path = self.path_for(root, kind)
        try:
            if path.stat().st_size > MAX_INDEX_BYTES:
                self._note(f"{path}: larger than {MAX_INDEX_BYTES} bytes, not read as an index; ignored")
                return {}
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, RecursionError) as exc:
            self._note(f"{path}: the index cannot be read ({type(exc).__name__}); ignored, and written anew")
            return {}
        if not (isinstance(data, dict) and data.get("format") == FORMAT and data.get("version") == VERSION
                and data.get("kind", "walk") == kind):
            self._note(f"{path}: not a realdex walk index of version {VERSION}; ignored, and written anew")
            return {}
        if data.get("root") != os.path.realpath(root) or not isinstance(data.get("files"), dict):
            self._note(f"{path}: an index of another root ({str(data.get('root'))[:200]}); ignored")
            return {}
        return {k: v for k, v in data["files"].items()
                if isinstance(v, list) and len(v) == 2 and isinstance(v[0], list) and isinstance(v[1], dict)}

    def save(self, root: str | Path, files: dict[str, list], kind: str = "walk") -> None:
        """Replace the index of ``root`` (written whole to a temporary file, then renamed over the old one)."""
        path = self.path_for(root, kind)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    # entry by entry with the C encoder: 5x faster than json.dump, and never the whole text in memory
                    head = {"format": FORMAT, "version": VERSION, "kind": kind, "root": os.path.realpath(root)}
                    fh.write(json.dumps(head, separators=(",", ":"))[:-1] + ',"files":{')
                    for i, (name, entry) in enumerate(files.items()):
                        fh.write(("," if i else "") + json.dumps(name) + ":" + json.dumps(entry, separators=(",", ":")))
                    fh.write("}}")
                os.replace(tmp, path)
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError as exc:  # a read-only cache folder never stops a walk
            self._note(f"{path}: the index cannot be written ({exc.strerror or exc}); the next walk reads every file")


def trusted(stamp: list[int], recorded_at_ns: int) -> bool:
    """A stamp taken at ``recorded_at_ns`` may be kept: the file's times are older than RACY_NS then."""
    return max(stamp[1], stamp[2]) < recorded_at_ns - RACY_NS


def now_ns() -> int:
    return time.time_ns()


def skipped_in(root: Path, folder: Path | None) -> str | None:
    """The path prefix, as the walk of ``root`` writes paths, of the index ``folder`` when it lies inside
    ``root`` (it is then not data); None when it does not."""
    if folder is None:
        return None
    real_root, real_folder = os.path.realpath(root), os.path.realpath(folder)
    if os.path.commonpath([real_root, real_folder]) != real_root or real_root == real_folder:
        return None
    return os.path.join(str(root), os.path.relpath(real_folder, real_root), "")


class MemoryIndex(Index):
    """An index held in memory for the life of the object: what the adapter uses, since reading through
    the adapter writes nothing anywhere (SAFE-5). Records are copied in and out as JSON, like a file's."""

    def __init__(self) -> None:
        super().__init__(os.devnull)
        self.folder = None  # type: ignore[assignment]  # nothing on disk, so nothing inside a root to skip
        self.kept: dict[tuple[str, str], str] = {}

    def path_for(self, root: str | Path, kind: str = "walk") -> Path:
        return Path(f"{os.path.realpath(root)}\0{root}\0{kind}")

    def load(self, root: str | Path, kind: str = "walk") -> dict[str, list]:
        text = self.kept.get((str(self.path_for(root, kind)), kind))
        return json.loads(text) if text is not None else {}

    def save(self, root: str | Path, files: dict[str, list], kind: str = "walk") -> None:
        self.kept[(str(self.path_for(root, kind)), kind)] = json.dumps(files, separators=(",", ":"))

