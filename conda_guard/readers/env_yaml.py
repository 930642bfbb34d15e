"""Read environment YAML files: ``conda env export`` states and spec files.

An export with exact ``name=version=build`` entries is a state; a hand-written
file (versions or names only) is not, but :func:`read_env_specs` still gives
its specs. Also home of :func:`load_yaml`, the YAML entry point of the
file readers (the loader itself is :mod:`~conda_guard.readers.yaml_loader`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from conda_guard.exceptions import InputError
from conda_guard.models import Record, State
from conda_guard.readers.explicit import most_common_subdir
from conda_guard.readers.history import (
    build_number_from_build,
    spec_name,
    split_channel,
)
from conda_guard.readers.pip_dists import pip_record
from conda_guard.readers.source import display_name, read_text
from conda_guard.readers.validate import unique_records
from conda_guard.readers.yaml_loader import load_yaml_text

if TYPE_CHECKING:
    from pathlib import Path

_EXACT_RE = re.compile(r"([^\s=<>!~\[\]]+)=([^\s=<>!~\[\]]+)=([^\s=<>!~\[\]]+)")
_PIP_PINNED_RE = re.compile(
    r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*==\s*(\S+)"
)


def load_yaml(path: str | Path, data: bytes | None = None) -> Any:
    """Parse a YAML file (or ``data`` read from it) with the readers' one loader."""
    return load_yaml_text(read_text(path, data), display_name(path))


def _dependencies(path: str, data: Any) -> list[Any]:
    if not isinstance(data, dict) or "dependencies" not in data:
        raise InputError(path, "not an environment file (no 'dependencies' list)")
    deps = data["dependencies"] or []
    if not isinstance(deps, list):
        raise InputError(path, "'dependencies' is not a list")
    return deps


def _pip_entries(path: str, dep: dict[Any, Any]) -> list[str]:
    entries = dep.get("pip") or []
    if not isinstance(entries, list):
        raise InputError(path, "the 'pip' entry is not a list")
    return [str(e) for e in entries if e is not None]


def read_env_specs(path: str | Path, data: bytes | None = None) -> dict[str, str]:
    """Conda specs of an environment file, name → spec as written.

    Works for hand-written files (``numpy=1.20``, ``pytorch::pytorch``,
    ``blas[build=mkl]``) and exports. The ``pip:`` section is left out.
    """
    p = display_name(path)
    specs: dict[str, str] = {}
    for dep in _dependencies(p, load_yaml(path, data)):
        if isinstance(dep, dict):
            continue  # pip section
        if not isinstance(dep, (str, int, float)):
            raise InputError(p, f"bad dependency entry {dep!r}"[:120])
        text = str(dep).strip()
        try:
            specs[spec_name(text)] = text
        except ValueError as exc:
            raise InputError(p, str(exc)) from None
    return specs


def _exact_record(text: str, source: str) -> Record | None:
    body = text.strip()
    channel = subdir = ""
    if "::" in body:
        chan, body = body.split("::", 1)
        channel, subdir = split_channel(chan)
    m = _EXACT_RE.fullmatch(body.strip())
    if not m:
        return None
    name, version, build = m.groups()
    return Record(
        name=name,
        version=version,
        build=build,
        build_number=build_number_from_build(build),
        channel=channel,
        subdir=subdir,
        source=source,
    )


def read_env_yaml(
    path: str | Path,
    *,
    platform: str | None = None,
    environment: str | None = None,
    data: bytes | None = None,
) -> State:
    """Read a ``conda env export`` file (exact builds) into a :class:`State`."""
    p = display_name(path)
    doc = load_yaml(path, data)
    deps = _dependencies(p, doc)
    records: list[Record] = []
    inexact: list[str] = []
    for dep in deps:
        if isinstance(dep, dict):
            for entry in _pip_entries(p, dep):
                m = _PIP_PINNED_RE.fullmatch(entry.strip())
                if m:
                    records.append(pip_record(m.group(1), m.group(2), f"{p} (pip)"))
            continue
        if not isinstance(dep, (str, int, float)):
            raise InputError(p, f"bad dependency entry {dep!r}"[:120])
        rec = _exact_record(str(dep), p)
        if rec is None:
            inexact.append(str(dep))
        else:
            records.append(rec)
    if inexact:
        shown = ", ".join(repr(s) for s in inexact[:3])
        raise InputError(
            p,
            f"has no exact builds ({shown}{' …' if len(inexact) > 3 else ''}); "
            "an environment spec is not a state (use 'conda env export' output)",
        )
    # ``channels:`` is not per record: records keep channel "" unless the
    # entry says ``channel::name=version=build``.
    prefix = doc.get("prefix") if isinstance(doc, dict) else None
    conda_records = [r for r in records if not r.pip]
    return State.from_records(
        unique_records(p, records),
        source=p,
        kind="env-yaml",
        prefix=str(prefix) if isinstance(prefix, str) else None,
        platform=most_common_subdir(conda_records),
    )
