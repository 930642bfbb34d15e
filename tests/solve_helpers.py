"""Build real-looking conda prefixes from real solver output, for the solve tests.

Each step is solved with py-rattler over a real channel (in the solve worker
subprocess, so the test process never loads rattler): the first step fresh,
later ones with the installed records as locked (preferred) packages and the
earlier requests kept, as ``conda install`` does. The result is written as
``conda-meta/<dist>.json`` PrefixRecords and a ``conda-meta/history`` file with
``# update specs:`` lines, the way conda writes them.
"""

from __future__ import annotations

import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from conda_guard.graph import dep_name as spec_name
from conda_guard.solve import PYTHON_ENV, run_worker

from .helpers import needs_data  # noqa: F401 (the solve tests import it from here)

if TYPE_CHECKING:
    from collections.abc import Sequence

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
HARVESTED = DATA / "channels" / "harvested"
SUBCHANNEL_PY39 = DATA / "channels" / "other" / "subchannel-py39"
HARVESTED_URL = HARVESTED.as_uri()
SUBCHANNEL_PY39_URL = SUBCHANNEL_PY39.as_uri()
#: skip where the worker's Python has no py-rattler or the shared data is missing
needs_rattler = pytest.mark.skipif(
    not os.environ.get(PYTHON_ENV) and importlib.util.find_spec("rattler") is None,
    reason="py-rattler is not installed (pip install 'conda-guard[rattler]')",
)
#: the virtual packages of data/tools/solve_checks.py (a glibc 2.35 x86_64 box)
VIRTUAL = ("__glibc=2.35", "__unix", "__linux=5.15", "__archspec=1=x86_64")


@dataclass(frozen=True)
class Step:
    """One past command: its request and the records it left."""

    specs: tuple[str, ...]
    records: dict[str, dict[str, Any]]


def solve(
    jobs: Sequence[dict[str, Any]],
    *,
    channels: Sequence[str] = (HARVESTED_URL,),
    priority: str = "flexible",
    virtual: Sequence[str] = VIRTUAL,
    platform: str = "linux-64",
    timeout: float = 120.0,
) -> dict[str, dict[str, Any]]:
    """Run jobs in the solve worker; results by label (failures raise)."""
    document = {
        "backend": "rattler",
        "channels": list(channels),
        "platforms": [platform, "noarch"],
        "channel_priority": priority,
        "virtual_packages": list(virtual),
        "jobs": list(jobs),
    }
    outcome = run_worker(document, timeout=timeout)
    if outcome.error or outcome.crashed or outcome.timed_out:
        raise RuntimeError(outcome.error or outcome.crashed or "worker timed out")
    for label, result in outcome.results.items():
        if not result.ok:
            raise RuntimeError(f"{label}: {result.message}")
    return {
        label: {"records": [r.to_repodata() for r in result.records]}
        for label, result in outcome.results.items()
    }


def solve_steps(steps: Sequence[Sequence[str]], **kwargs: Any) -> list[Step]:
    """Solve ``steps`` one after the other, like successive ``conda install``s."""
    out: list[Step] = []
    requested: dict[str, str] = {}
    installed: dict[str, dict[str, Any]] = {}
    for specs in steps:
        for spec in specs:
            requested[spec_name(spec)] = spec
        job = {
            "label": "step",
            "specs": list(requested.values()),
            "locked": list(installed.values()),
        }
        result = solve([job], **kwargs)["step"]
        installed = {r["name"]: r for r in result["records"]}
        out.append(Step(tuple(specs), installed))
    return out


def _dist(rec: dict[str, Any]) -> str:
    return f"{rec['name']}-{rec['version']}-{rec['build']}"


def _history_dist(rec: dict[str, Any]) -> str:
    channel = str(rec.get("channel", "")).rstrip("/")
    return f"{channel}/{rec['subdir']}::{_dist(rec)}"


def write_prefix(
    prefix: Path, steps: Sequence[Step], *, date: str = "2026-01-0{n} 10:00:00"
) -> Path:
    """Write ``steps`` as a prefix: final PrefixRecords plus the full history."""
    meta = prefix / "conda-meta"
    meta.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    before: dict[str, dict[str, Any]] = {}
    requested: dict[str, str] = {}
    for n, step in enumerate(steps, start=1):
        verb = "create" if n == 1 else "install"
        lines.append(f"==> {date.format(n=n)} <==")
        lines.append(f"# cmd: conda {verb} -p {prefix} {' '.join(step.specs)}")
        lines.append("# conda version: 26.7.1")
        removed = sorted(
            _history_dist(r)
            for name, r in before.items()
            if _dist(step.records.get(name, {"name": "", "version": "", "build": ""}))
            != _dist(r)
        )
        added = sorted(
            _history_dist(r)
            for name, r in step.records.items()
            if name not in before or _dist(before[name]) != _dist(r)
        )
        lines.extend(f"-{d}" for d in removed)
        lines.extend(f"+{d}" for d in added)
        lines.append(f"# update specs: {list(step.specs)!r}")
        for spec in step.specs:
            requested[spec_name(spec)] = spec
        before = step.records
    (meta / "history").write_text("\n".join(lines) + "\n")
    for old in meta.glob("*.json"):
        old.unlink()
    for rec in steps[-1].records.values():
        data = dict(rec)
        data["files"] = []
        data["paths_data"] = {"paths": [], "paths_version": 1}
        if rec["name"] in requested:
            data["requested_spec"] = requested[rec["name"]]
        (meta / f"{_dist(rec)}.json").write_text(json.dumps(data, indent=2))
    return prefix


def build_prefix(prefix: Path, steps: Sequence[Sequence[str]], **kwargs: Any) -> Path:
    """Solve ``steps`` with rattler and write the prefix they leave."""
    return write_prefix(prefix, solve_steps(steps, **kwargs))


def record_dict(rec: Any) -> dict[str, Any]:
    """A solved :class:`~conda_guard.models.Record` back in repodata shape."""
    return rec.to_repodata()


def step_from_state(specs: Sequence[str], state: Any) -> Step:
    """The step a dry-run result stands for (to apply it to a test prefix)."""
    return Step(tuple(specs), {r.name: record_dict(r) for r in state if not r.pip})
