"""What each side of a transaction provides: files by package, sonames by path.

:class:`Side` maps the files one side (before or after) provides to their
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

from conda_guard.binaries.file_facts import installed_files
from conda_guard.binaries.scan import is_library_name
from conda_guard.diff import same_package
from conda_guard.graph import dep_name

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from conda_guard.binaries.formats import BinaryInfo
    from conda_guard.models import PackageMove, Record, State


@dataclass(slots=True)
class Owner:
    """A staying package (or pip dist) whose binaries are checked."""

    label: str
    moves: tuple[PackageMove, ...]
    files: list[str] = field(default_factory=list)


def dep_names(record: Record) -> set[str]:
    """The names of the packages ``record`` depends on."""
    return {name for name in map(dep_name, record.depends) if name}


def package_files(directory: Path) -> tuple[str, ...]:
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


def meta_files(prefix: Path, record: Record) -> tuple[str, ...]:
    """``files`` from ``conda-meta/<dist>.json`` when the record came without them."""
    try:
        with open(prefix / "conda-meta" / f"{record.dist}.json", encoding="utf-8") as f:
            data = json.load(f)
        return tuple(str(p) for p in data.get("files", ()))
    except (OSError, ValueError, AttributeError):
        return ()


class Side:
    """The files one side of the transaction provides: path → package name."""

    def __init__(self) -> None:
        self.owner: dict[str, str] = {}
        self.by_name: dict[str, list[str]] = defaultdict(list)

    def add(self, package: str, files: Iterable[str]) -> None:
        """Record that ``package`` provides ``files``."""
        for path in files:
            path = path.replace("\\", "/")
            self.owner[path] = package
            base = path.rsplit("/", 1)[-1]
            if is_library_name(base) or ".so." in base:
                self.by_name[base].append(path)

    def find(self, soname: str, dirs: Iterable[str]) -> str | None:
        """The path of ``soname`` in the first of ``dirs`` that has it."""
        for directory in dirs:
            path = f"{directory}/{soname}" if directory else soname
            if path in self.owner:
                return path
        return None

    def anywhere(self, soname: str) -> str | None:
        """A path of ``soname`` anywhere (``lib/`` and shallow paths first)."""
        paths = self.by_name.get(soname)
        if not paths:
            return None
        preferred = [p for p in paths if p.startswith("lib/")]
        return sorted(preferred or paths, key=lambda p: (p.count("/"), p))[0]


def search_dirs(
    relpath: str, info: BinaryInfo, prefix_strings: tuple[str, ...]
) -> list[str]:
    """The prefix directories a binary's RUNPATH points to ($ORIGIN resolved)."""
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


def affected(
    staying: Mapping[str, Record], changed: set[str], scan_all: bool
) -> set[str]:
    """Staying packages that depend, directly or transitively, on ``changed``."""
    if scan_all:
        return set(staying)
    dependents: dict[str, set[str]] = defaultdict(set)
    for name, record in staying.items():
        for dep in dep_names(record):
            dependents[dep].add(name)
    todo = [name.lower() for name in changed]
    seen: set[str] = set()
    while todo:
        for dependent in dependents.get(todo.pop(), ()):
            if dependent not in seen:
                seen.add(dependent)
                todo.append(dependent.lower())
    return seen


@dataclass
class FileIndex:
    """One transaction over a prefix: its packages and the files each side has.

    ``staying``: the same artifact on both sides; ``old``: removed or replaced;
    ``new``: installed, or the replacement. ``files`` lists the files of the
    staying and old packages; ``incoming_files`` those of new packages whose
    extracted directory is known (``incoming``); ``unknown`` are the new ones
    without (a dry run, an empty package cache).
    """

    prefix: Path
    staying: dict[str, Record]
    old: dict[str, Record]
    new: dict[str, Record]
    incoming: dict[str, Path]
    files: dict[str, tuple[str, ...]] = field(default_factory=dict)
    incoming_files: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unknown: dict[str, Record] = field(default_factory=dict)
    before: Side = field(default_factory=lambda: Side())
    after: Side = field(default_factory=lambda: Side())
    #: the spellings of the prefix that absolute RUNPATH entries may start with
    prefix_strings: tuple[str, ...] = ()

    @property
    def changed(self) -> set[str]:
        """Names of the packages that move."""
        return set(self.old) | set(self.new)

    @property
    def has_files(self) -> bool:
        """True when some staying or old package lists its files."""
        return any(self.files.values())


def index_transaction(
    before: State,
    after: State,
    prefix: Path,
    incoming: Mapping[str, Path],
    after_prefix: Path | None = None,
) -> FileIndex:
    """Split ``before`` → ``after`` into staying/old/new and index their files.

    A new package's files come from its extracted directory in ``incoming``,
    else, when ``after_prefix`` is a prefix on disk that has it installed,
    from that prefix (its ``conda-meta`` ``files``; the prefix is then the
    package's directory).
    """
    staying: dict[str, Record] = {}
    old: dict[str, Record] = {}
    for name, record in before.records.items():
        if record.pip or name.startswith("__"):
            continue
        other = after.get(name)
        if other is not None and same_package(record, other):
            staying[name] = record
        else:
            old[name] = record
    new = {
        name: record
        for name, record in after.records.items()
        if not record.pip and not name.startswith("__") and name not in staying
    }
    index = FileIndex(prefix, staying, old, new, dict(incoming))
    if old or new:
        _read_files(index, after_prefix)
    spellings = (str(prefix), os.path.abspath(prefix), before.prefix)
    index.prefix_strings = tuple({s.rstrip("/") for s in spellings if s})
    return index


def _read_files(index: FileIndex, after_prefix: Path | None) -> None:
    for name, record in {**index.staying, **index.old}.items():
        index.files[name] = record.files or meta_files(index.prefix, record)
    for name in index.staying:
        index.before.add(name, index.files[name])
        index.after.add(name, index.files[name])
    for name in index.old:
        index.before.add(name, index.files[name])
    for name, record in index.new.items():
        directory = index.incoming.get(name)
        if directory is not None and Path(directory).is_dir():
            index.incoming_files[name] = package_files(Path(directory))
        elif after_prefix is not None and (
            files := installed_files(after_prefix, record)
        ):
            index.incoming[name] = after_prefix
            index.incoming_files[name] = files
        else:
            index.unknown[name] = record
            continue
        index.after.add(name, index.incoming_files[name])
