"""The implementer's snapshots (spec chapter 12, REPORT-17): what an implementation produces on
the kit's fixed inputs, stored as stable text in a folder of the implementer's own repository.

``produce`` calls the adapter on the fixed inputs and returns one document per snapshot file;
``update`` writes them; ``compare`` says which differ from the stored ones, with a unified
diff each. The kit's golden files are never read or written here: a snapshot folder inside the
kit is refused (``check_dir``). Layout of a snapshot folder::

    DIR/canonical-form/<layout>.json     the kit's fixed sample (3 frames) as read from each layout read
    DIR/batch-plans.json                 batch_plan of the user's and the 8-sample figures
    DIR/run-plans.json                   plan_run of the user's table and of 8 samples
    DIR/root-inventory.json              inspect_root of the kit's fixed user root
    DIR/check-verdicts.json              check_root of the kit's fixed roots: codes, severities, paths, counts

Messages are left out of the verdicts: they are for people, and rewording one is no change of
verdict. A member that raises is snapshotted as ``{"raises": "<exception type>"}``.
"""
from __future__ import annotations

import difflib
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import realdex_spec
from realdex_conformance import rawfiles, synth
from realdex_conformance.collect import SUITE_DIR
from realdex_conformance.golden import _same
from realdex_conformance.snapshots import plain

# (num_samples, batch_size, world_size, drop_last): the user's root, its 8 converted samples, four ranks
BATCH_CASES = [(14_380, 32, 1, False), (14_380, 32, 1, True), (8, 32, 1, False), (8, 32, 1, True), (14_380, 32, 4, True)]
# plan_run of the user's table (chapter 9) and of the 8 converted samples
PLAN_CASES = {
    "users-table-keep-last": dict(num_samples=14_380, batch_size=32, passes=250, drop_last=False, ckpt_every=500, step_time=0.128),
    "users-table-drop-last": dict(num_samples=14_380, batch_size=32, passes=250, drop_last=True, ckpt_every=500, step_time=0.128),
    "eight-samples": dict(num_samples=8, batch_size=32, passes=250, ckpt_every=500),
}
MAX_DIFF_LINES = 80


class SnapshotDirError(ValueError):
    """The snapshot folder cannot be used; the message says why and what to pass instead."""


def check_dir(path: str | Path) -> Path:
    """The snapshot folder, refused when it lies inside the installed kit or its spec."""
    folder = Path(path).resolve()
    for kit in (SUITE_DIR, realdex_spec.SPEC_DIR.resolve()):
        if folder == kit or kit in folder.parents:
            raise SnapshotDirError(
                f"--conformance-snapshots={path}: {folder} lies inside the kit ({kit}); the implementer's snapshots "
                "belong in a folder of their own repository, for example --conformance-snapshots=conformance-snapshots"
            )
    if folder.exists() and not folder.is_dir():
        raise SnapshotDirError(f"--conformance-snapshots={path}: {folder} is a file, not a folder")
    return folder


def text(data: Any) -> str:
    """The stable text of a snapshot: floats rounded to 6 significant digits, keys sorted, two-space indents."""
    return json.dumps(plain(data), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _call(func: Callable[[], Any]) -> Any:
    try:
        return func()
    except Exception as exc:  # the implementation's answer to this input is to raise: that is what it produces
        return {"raises": type(exc).__name__}


def _relative(value: Any, root: Path) -> Any:
    """``value`` with the temporary root's path written as ``<root>``, so that snapshots do not depend on it."""
    if isinstance(value, str):
        return value.replace(str(root), "<root>")
    if isinstance(value, dict):
        return {k: _relative(v, root) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_relative(v, root) for v in value]
    return value


def _verdicts(findings: Any, root: Path) -> Any:
    if not isinstance(findings, list):
        return _relative(findings, root)
    kept = [{k: f.get(k) for k in ("code", "severity", "path", "count") if k in f} if isinstance(f, dict) else f
            for f in findings]
    kept = _relative(kept, root)
    return sorted(kept, key=lambda f: json.dumps(f, sort_keys=True, default=str))


def produce(adapter: Any) -> dict[str, Any]:
    """Every snapshot the adapter's capabilities allow: {file name under DIR: document}."""
    from realdex_conformance.test_sample import FIELDS, fixed_segment  # the suite's own fixed sample (SAMPLE-1..3)

    caps = set(adapter.capabilities)
    found: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="realdex-snapshots-") as tmp:
        work = Path(tmp)
        for layout in rawfiles.LAYOUTS:
            if f"read:{layout}" not in caps:
                continue
            files = rawfiles.write_raw(fixed_segment(), work / "fixed" / layout, layout,
                                       orient_encoding="matrix" if layout == "realdex-frame" else "axis-angle")
            samples = []
            for path in files:
                got = _call(lambda: adapter.read_file(path=path))
                samples.append([{name: s.get(name) for name in FIELDS} if isinstance(s, dict) else s for s in got]
                               if isinstance(got, list) else got)
            found[f"canonical-form/{layout}.json"] = {"layout": layout, "files": len(files), "samples": samples}
        if "batching" in caps:
            found["batch-plans.json"] = {
                f"N={n} B={b} W={w} drop_last={str(d).lower()}": _call(
                    lambda: adapter.batch_plan(num_samples=n, batch_size=b, world_size=w, drop_last=d))
                for n, b, w, d in BATCH_CASES
            }
        if "planning" in caps:
            found["run-plans.json"] = {name: _call(lambda: adapter.plan_run(**kw)) for name, kw in PLAN_CASES.items()}
        user = work / "user-root"
        if caps & {"root", "checks"}:
            synth.write_user_root(user, frames=21, converted=8, converted_points=64)
        if "root" in caps:
            found["root-inventory.json"] = _relative(_call(lambda: adapter.inspect_root(root=user)), user)
        if "checks" in caps:
            clean = work / "clean-root"
            synth.write_root(clean, "realdex-segment", frames_per_segment=(4, 6), points=1100)
            found["check-verdicts.json"] = {
                "user-root num_points=1024": _verdicts(_call(lambda: adapter.check_root(root=user, num_points=1024)), user),
                "clean-root num_points=1024": _verdicts(_call(lambda: adapter.check_root(root=clean, num_points=1024)), clean),
            }
    return found


@dataclass
class Outcome:
    """What a snapshot run did: in ``update`` mode the files written, else those that are the
    same, changed (with their diffs) or missing from the folder."""

    dir: Path
    mode: str
    written: list[str] = field(default_factory=list)
    same: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # stored, but no longer produced (a capability dropped)
    errors: list[str] = field(default_factory=list)
    diffs: dict[str, str] = field(default_factory=dict)

    @property
    def differs(self) -> bool:
        return bool(self.changed or self.missing or self.stale or self.errors)

    def to_json(self) -> dict:
        return {"dir": str(self.dir), "mode": self.mode, "written": self.written, "same": self.same,
                "changed": self.changed, "missing": self.missing, "stale": self.stale, "errors": self.errors}


def update(folder: Path, documents: dict[str, Any]) -> Outcome:
    outcome = Outcome(folder, "update")  # a stale file is left for its owner to remove: this folder is theirs
    for name, data in sorted(documents.items()):
        path = folder / name
        new = text(data)
        if path.is_file() and path.read_text(encoding="utf-8") == new:
            outcome.same.append(name)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(new, encoding="utf-8")
        outcome.written.append(name)
    return outcome


def compare(folder: Path, documents: dict[str, Any]) -> Outcome:
    """Each snapshot against its file; numbers within the kit's golden tolerance (a relative 1e-5)."""
    outcome = Outcome(folder, "compare")
    for name, data in sorted(documents.items()):
        path = folder / name
        new = text(data)
        if not path.is_file():
            outcome.missing.append(name)
            outcome.diffs[name] = _diff("", new, name)
            continue
        stored = path.read_text(encoding="utf-8")
        try:
            same = _same(json.loads(stored), json.loads(new))
        except ValueError:
            same = False
        if same:
            outcome.same.append(name)
        else:
            outcome.changed.append(name)
            outcome.diffs[name] = _diff(stored, new, name)
    if folder.is_dir():
        stored_names = {p.relative_to(folder).as_posix() for p in folder.rglob("*.json")}
        outcome.stale = sorted(stored_names - set(documents))
    return outcome


def _diff(old: str, new: str, name: str) -> str:
    lines = list(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                      fromfile=f"stored/{name}", tofile=f"produced/{name}", n=2))
    shown = "".join(lines[:MAX_DIFF_LINES])
    if len(lines) > MAX_DIFF_LINES:
        shown += f"... and {len(lines) - MAX_DIFF_LINES} more lines\n"
    return shown


def describe(outcome: Outcome) -> list[str]:
    """The lines printed at the end of the run."""
    if outcome.mode == "update":
        lines = [f"{len(outcome.written)} snapshots written to {outcome.dir}, {len(outcome.same)} unchanged"]
        lines += [f"  written: {name}" for name in outcome.written]
    else:
        lines = [f"{len(outcome.same)} snapshots in {outcome.dir} match, {len(outcome.changed)} differ, "
                 f"{len(outcome.missing)} missing, {len(outcome.stale)} no longer produced"]
        for name in outcome.changed + outcome.missing:
            lines += outcome.diffs[name].rstrip("\n").splitlines()
        lines += [f"  stored but no longer produced (a capability no longer declared?): {name}" for name in outcome.stale]
        if outcome.changed or outcome.missing or outcome.stale:
            lines.append("review the differences; if they are intended, rerun with --conformance-snapshots-update "
                         "and commit the folder")
    lines += [f"  could not be produced: {e}" for e in outcome.errors]
    return lines
