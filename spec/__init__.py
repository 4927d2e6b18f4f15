"""The RealDex specification, shipped as data so that any installed copy of the kit can read it.

The chapters are Markdown files beside this module; each requirement is a numbered clause
written as ``**ID** (MUST|SHOULD|MAY)``. ``schema.json`` holds the tables the chapters refer
to (joints and limits, sample fields, layout keys, tolerances); ``pose_stats.json`` the published
pose statistics that generated data and the reference model's normalisation use.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SPEC_DIR = Path(__file__).resolve().parent
VERSION = "1.0.0-draft"

_CLAUSE = re.compile(r"\*\*([A-Z]+-\d+)\*\*\s*\((MUST NOT|MUST|SHOULD NOT|SHOULD|MAY)\)\s*(.*)")


@dataclass(frozen=True)
class Clause:
    id: str
    level: str  # MUST, MUST NOT, SHOULD, SHOULD NOT or MAY
    text: str
    chapter: str  # file name of the chapter that states it


def chapters() -> list[Path]:
    """The chapter files, in reading order (their names start with a two-digit number)."""
    return sorted(p for p in SPEC_DIR.glob("[0-9][0-9]-*.md"))


@lru_cache(maxsize=1)
def clauses() -> dict[str, Clause]:
    """Every clause of every chapter, by id. A duplicated id is an error in the spec."""
    found: dict[str, Clause] = {}
    for chapter in chapters():
        for line in chapter.read_text(encoding="utf-8").splitlines():
            m = _CLAUSE.search(line)
            if not m:
                continue
            cid, level, text = m.groups()
            if cid in found:
                raise ValueError(f"{chapter.name}: clause id {cid} is already used in {found[cid].chapter}")
            found[cid] = Clause(cid, level, text.strip(), chapter.name)
    return found


@lru_cache(maxsize=1)
def schema() -> dict:
    """The tables of ``schema.json``."""
    return json.loads((SPEC_DIR / "schema.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def pose_stats() -> dict:
    """The published per-dimension mean and std of the 28-value RealDex pose (``pose_stats.json``:
    ``order``, ``mean``, ``std``), a copy of the statistics shipped with the RealDex code."""
    return json.loads((SPEC_DIR / "pose_stats.json").read_text(encoding="utf-8"))


def joint_names() -> list[str]:
    return [j["name"] for j in schema()["joints"]]
