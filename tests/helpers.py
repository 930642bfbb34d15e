"""Shared test helpers: where the real data is, and records/states built from it."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from conda_guard.models import Record, State, channel_name

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DATA = SHARED / "data"
HARVESTED = DATA / "channels" / "harvested"
PYTORCH = DATA / "channels" / "pytorch-linux-64"
EXAMPLES = ROOT / "examples"

#: the one skip marker for tests that read ../shared/data (see its README.md)
needs_data = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"the real test data is not at {DATA} (../shared/data)"
)


@cache
def _repodata(channel_dir: Path, channel: str) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for sub in sorted(p for p in channel_dir.iterdir() if p.is_dir()):
        path = sub / "repodata.json"
        if not path.is_file():
            continue
        data = json.loads(path.read_text())
        for key in ("packages", "packages.conda"):
            for fn, rec in data.get(key, {}).items():
                rec = dict(rec, fn=fn, subdir=rec.get("subdir") or sub.name)
                out[fn] = rec
                out.setdefault(f"{rec['name']}-{rec['version']}-{rec['build']}", rec)
    return out


def record_from_repodata(rec: dict, channel: str) -> Record:
    """A Record from one real repodata entry."""
    tf = rec.get("track_features") or ""
    return Record(
        name=rec["name"],
        version=rec["version"],
        build=rec["build"],
        build_number=int(rec.get("build_number", 0)),
        channel=channel_name(channel),
        subdir=rec.get("subdir", ""),
        depends=tuple(rec.get("depends", ())),
        constrains=tuple(rec.get("constrains", ())),
        track_features=tuple(tf.split() if isinstance(tf, str) else tf),
        noarch=rec.get("noarch") or None,
        md5=rec.get("md5"),
        sha256=rec.get("sha256"),
        fn=rec.get("fn"),
    )


def real(dist: str, channel: str = "conda-forge") -> Record:
    """The real record ``name-version-build`` of the harvested or pytorch channel."""
    source = PYTORCH if channel == "pytorch" else HARVESTED
    recs = _repodata(source, channel)
    if dist not in recs:
        raise KeyError(f"{dist} is not in {source}")
    return record_from_repodata(recs[dist], channel)


def state(*records: Record, source: str = "test", **kw) -> State:
    """A State of records."""
    return State.from_records(records, source=source, kind=kw.pop("kind", "test"), **kw)


def all_records(channel: str = "conda-forge") -> list[Record]:
    """Every record of the harvested channel (one per file name)."""
    source = PYTORCH if channel == "pytorch" else HARVESTED
    return [
        record_from_repodata(r, channel)
        for key, r in _repodata(source, channel).items()
        if key.endswith((".conda", ".tar.bz2"))
    ]


def run_cli(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m conda_guard ARGV`` in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "conda_guard", *argv],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=300,
    )
