"""What each side of a transaction provides: files by package, sonames by path.

:class:`_Side` maps the files one side (before or after) provides to their
package and indexes shared-library names; the helpers read a package's file
list (an extracted package's ``info/paths.json``, a prefix record's
``conda-meta`` entry), resolve ``DT_RUNPATH`` entries to prefix directories
and find the staying packages a change can affect. Standard library only.
"""

from __future__ import annotations

import json
import os
import posixpath
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from conda_guard.binaries.scan import is_library_name
from conda_guard.graph import dep_name

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from conda_guard.binaries.formats import BinaryInfo
    from conda_guard.models import PackageMove, Record


@dataclass(slots=True)
class _Owner:
    """A staying package (or pip dist) whose binaries are checked."""

    label: str
    moves: tuple[PackageMove, ...]
    files: list[str] = field(default_factory=list)


def _dep_names(record: Record) -> set[str]:
    return {name for name in map(dep_name, record.depends) if name}


def _package_files(directory: Path) -> tuple[str, ...]:
    """Files of an extracted package: ``info/paths.json``, else a walk."""
    paths_json = directory / "info" / "paths.json"
    try:
        with open(paths_json, encoding="utf-8") as stream:
            data = json.load(stream)
        return tuple(str(p["_path"]) for p in data["paths"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    out = []
    for root, dirs, files in os.walk(directory):
        rel_root = Path(root).relative_to(directory).as_posix()
        if rel_root == ".":
            dirs[:] = [d for d in dirs if d != "info"]
            rel_root = ""
        for name in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            out.append(f"{rel_root}/{name}" if rel_root else name)
    return tuple(sorted(out))


def _meta_files(prefix: Path, record: Record) -> tuple[str, ...]:
    """``files`` from ``conda-meta/<dist>.json`` when the record came without them."""
    try:
        with open(prefix / "conda-meta" / f"{record.dist}.json", encoding="utf-8") as f:
            data = json.load(f)
        return tuple(str(p) for p in data.get("files", ()))
    except (OSError, ValueError, AttributeError):
        return ()


class _Side:
    """The files one side of the transaction provides: path → package name."""

    def __init__(self) -> None:
        self.owner: dict[str, str] = {}
        self.by_name: dict[str, list[str]] = defaultdict(list)

    def add(self, package: str, files: Iterable[str]) -> None:
        for path in files:
            path = path.replace("\\", "/")
            self.owner[path] = package
            base = path.rsplit("/", 1)[-1]
            if is_library_name(base) or ".so." in base:
                self.by_name[base].append(path)

    def find(self, soname: str, dirs: Iterable[str]) -> str | None:
        for directory in dirs:
            path = f"{directory}/{soname}" if directory else soname
            if path in self.owner:
                return path
        return None

    def anywhere(self, soname: str) -> str | None:
        paths = self.by_name.get(soname)
        if not paths:
            return None
        preferred = [p for p in paths if p.startswith("lib/")]
        return sorted(preferred or paths, key=lambda p: (p.count("/"), p))[0]


def _search_dirs(
    relpath: str, info: BinaryInfo, prefix_strings: tuple[str, ...]
) -> list[str]:
    origin = posixpath.dirname(relpath)
    dirs: list[str] = []
    for entry in info.runpath:
        entry = entry.replace("${ORIGIN}", "$ORIGIN")
        if entry.startswith("$ORIGIN"):
            path = origin + entry[len("$ORIGIN") :]
        else:
            for base in prefix_strings:
                if entry == base or entry.startswith(base + "/"):
                    path = entry[len(base) :].lstrip("/")
                    break
            else:
                continue
        path = posixpath.normpath(path) if path else "."
        if path == ".":
            path = ""
        if path == ".." or path.startswith("../") or path.startswith("/"):
            continue
        if path not in dirs:
            dirs.append(path)
    return dirs


def _affected(
    staying: Mapping[str, Record], changed: set[str], scan_all: bool
) -> set[str]:
    """Staying packages that depend, directly or transitively, on ``changed``."""
    if scan_all:
        return set(staying)
    dependents: dict[str, set[str]] = defaultdict(set)
    for name, record in staying.items():
        for dep in _dep_names(record):
            dependents[dep].add(name)
    todo = [name.lower() for name in changed]
    seen: set[str] = set()
    while todo:
        for dependent in dependents.get(todo.pop(), ()):
            if dependent not in seen:
                seen.add(dependent)
                todo.append(dependent.lower())
    return seen
