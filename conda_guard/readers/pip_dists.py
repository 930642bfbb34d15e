"""Python distributions in a prefix that conda did not install (``pypi_0``).

``conda list`` shows a ``*.dist-info`` (or ``*.egg-info``) whose
``INSTALLER`` is not ``conda`` and whose metadata file no conda record owns
as a ``pypi`` package; :func:`read_pip_records` finds the same, and
:func:`merge_pip` adds them to the conda records the way conda does.
Standard library only.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from conda_guard.models import Record

if TYPE_CHECKING:
    from typing import Any

_PIP_NAME_RE = re.compile(r"[-_.]+")


def normalize_pip_name(name: str) -> str:
    """PEP 503 name: lower case, runs of ``-_.`` become ``-``."""
    return _PIP_NAME_RE.sub("-", name).lower()


def pip_record(name: str, version: str, source: str, **extra: Any) -> Record:
    """A record for a package installed by pip (``conda list`` shows ``pypi_0``)."""
    return Record(
        name=normalize_pip_name(name),
        version=version,
        build="pypi_0",
        channel="pypi",
        subdir="pypi",
        pip=True,
        source=source,
        **extra,
    )


def _site_packages_dirs(prefix: Path, records: dict[str, Record]) -> list[Path]:
    dirs: list[Path] = []
    for rec in records.values():
        if rec.python_site_packages_path:
            dirs.append(prefix / rec.python_site_packages_path)
    lib = prefix / "lib"
    if lib.is_dir():
        try:
            for entry in sorted(os.scandir(lib), key=lambda e: e.name):
                if entry.name.startswith("python") and entry.is_dir():
                    dirs.append(Path(entry.path) / "site-packages")
        except OSError:
            pass
    dirs.append(prefix / "Lib" / "site-packages")
    out: list[Path] = []
    seen: set[str] = set()
    for d in dirs:
        key = os.path.normcase(os.path.realpath(d))
        if key not in seen and d.is_dir():
            seen.add(key)
            out.append(d)
    return out


def _read_small(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _metadata_fields(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break  # the body (long description) starts after a blank line
        key, sep, value = line.partition(":")
        if sep and key in ("Name", "Version") and key not in fields:
            fields[key] = value.strip()
    return fields


def _metadata_file(entry: Path) -> Path:
    """The metadata file of a ``.dist-info``/``.egg-info`` entry."""
    if entry.name.endswith(".dist-info"):
        return entry / "METADATA"
    return entry / "PKG-INFO" if entry.is_dir() else entry


def read_pip_records(prefix: str | Path, records: dict[str, Record]) -> list[Record]:
    """Python distributions in site-packages that conda did not install.

    A ``*.dist-info`` (or ``*.egg-info`` directory or file) counts when its
    ``INSTALLER`` is not ``conda`` and no conda record lists its metadata file
    (``METADATA``/``PKG-INFO``) among its files.
    """
    root = Path(prefix)
    found: list[Record] = []
    owned: set[str] | None = None
    for site in _site_packages_dirs(root, records):
        try:
            infos = sorted(
                e.name
                for e in os.scandir(site)
                if e.name.endswith((".dist-info", ".egg-info"))
            )
        except OSError:
            continue
        for info in infos:
            entry = site / info
            meta_file = _metadata_file(entry)
            installer = ""
            if entry.is_dir():
                installer = (_read_small(entry / "INSTALLER") or "").strip().lower()
            if installer == "conda":
                continue
            if owned is None:
                owned = {f for r in records.values() for f in r.files}
            try:
                rel = meta_file.relative_to(root).as_posix()
            except ValueError:
                rel = ""
            if rel in owned:
                continue
            meta = _metadata_fields(_read_small(meta_file) or "")
            stem = info.rsplit(".", 1)[0]
            dir_name, _, dir_version = stem.partition("-")
            dir_version = dir_version.split("-", 1)[0]  # drop "-py3.11" of eggs
            name = meta.get("Name") or dir_name
            version = meta.get("Version") or dir_version
            if not name or not version:
                continue
            found.append(pip_record(name, version, str(entry)))
    return found


def merge_pip(records: dict[str, Record], pip: list[Record]) -> dict[str, Record]:
    """Add pip records; one clobbering a conda package replaces it (as conda does)."""
    if not pip:
        return records
    by_norm = {normalize_pip_name(name): name for name in records}
    out = dict(records)
    for rec in pip:
        conda_name = by_norm.get(rec.name)
        if conda_name is not None:
            out.pop(conda_name, None)
        out[rec.name] = rec
    return out
