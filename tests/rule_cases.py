"""Real before/after states for the rule tests, from ``data/rule_cases.json.xz``
(cut from public lock-file histories by ``data/make_rule_cases.py``)."""

from __future__ import annotations

import json
import lzma
from functools import cache
from pathlib import Path

from conda_guard.models import Record, State, channel_name

CASES = Path(__file__).resolve().parent / "data" / "rule_cases.json.xz"


@cache
def _data() -> dict:
    return json.loads(lzma.decompress(CASES.read_bytes()))


def _record(raw: dict) -> Record:
    return Record(
        name=raw["name"],
        version=raw["version"],
        build=raw.get("build", ""),
        build_number=int(raw.get("build_number", 0)),
        channel=channel_name(raw.get("channel", "")),
        subdir=raw.get("subdir", ""),
        depends=tuple(raw.get("depends", ())),
        constrains=tuple(raw.get("constrains", ())),
        track_features=tuple(raw.get("track_features", ())),
        noarch=raw.get("noarch"),
        url=raw.get("url"),
        md5=raw.get("md5"),
        sha256=raw.get("sha256"),
        timestamp=raw.get("timestamp"),
        pip=bool(raw.get("pip", False)),
    )


KINDS = {"conda-lock.yml": "conda-lock", "pixi.lock": "pixi-lock"}


def case(name: str) -> tuple[State, State]:
    """The (before, after) states of one case, as the lock file's reader gives them."""
    c = _data()["cases"][name]
    src = _data()["sources"][c["source"]]
    kind = KINDS.get(Path(src["path"]).name, "explicit")
    return tuple(
        State.from_records(
            (_record(r) for r in recs),
            source=f"{src['repo']}:{src['path']}@{commit[:9]}",
            kind=kind,
            platform=c["platform"],
        )
        for recs, commit in zip(c["states"], c["commits"], strict=True)
    )


def names() -> list[str]:
    """Every case id."""
    return sorted(_data()["cases"])
