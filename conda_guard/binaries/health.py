"""What an environment's own binaries prove is broken already (``check``).

:func:`environment_links` reads every binary of a prefix (the files its
``conda-meta`` records list, and the compiled files of pip-installed
distributions the current Python sees) and resolves what each one needs the
way the dynamic loader would:

- a ``DT_NEEDED`` soname is provided when a file of that name exists in one
  of the binary's ``RUNPATH``/``RPATH`` directories (``$ORIGIN`` resolved),
  anywhere in the prefix (a library already loaded by another object
  satisfies the name, so a prefix-wide match proves nothing is missing), in
  an absolute ``RUNPATH`` directory outside it, or in the system's library
  directories (:class:`~conda_guard.binaries.system.SystemLibraries`; glibc
  and the dynamic loader always count). A soname nothing provides is a
  ``soname`` finding (high), naming the files that link it;
- symbol versions a binary needs (``GLIBCXX_3.4.32``, ``CXXABI_1.3.15``,
  ``GLIBC_2.34``, a library's own) are compared with those the library it
  would load defines (the prefix's ``libstdc++.so.6``, the system's
  ``libc.so.6`` …): missing ones are a ``cxx-runtime`` finding (C/C++
  runtime and C library) or a ``soname`` finding (high).

Libraries of the GPU or graphics driver are the machine's, not the prefix's:
a missing one is a note. A prefix made for another platform than this
machine's is checked only against itself. Standard library + the readers.
"""

from __future__ import annotations

import os
import posixpath
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from conda_guard.binaries.file_facts import installed_files
from conda_guard.binaries.findings import (
    CXX_RUNTIME_SONAMES,
    full,
    scanner_notes,
    symbol_gap,
)
from conda_guard.binaries.index import search_dirs
from conda_guard.binaries.links import LinkReport
from conda_guard.binaries.pip import active_dists
from conda_guard.binaries.scan import is_candidate, is_library_name
from conda_guard.binaries.system import SystemLibraries, host_subdir
from conda_guard.models import Finding, PackageMove, Severity

if TYPE_CHECKING:
    from collections.abc import Iterable

    from conda_guard.binaries.formats import BinaryInfo
    from conda_guard.binaries.pip import PipDist
    from conda_guard.binaries.scan import Scanner, ScannerPool
    from conda_guard.models import State

#: libraries whose missing symbol versions are ``cxx-runtime`` findings
RUNTIME_SONAMES = CXX_RUNTIME_SONAMES | {"libc.so.6", "libm.so.6"}
_MAX_EVIDENCE = 12


@dataclass
class _Owner:
    label: str
    moves: tuple[PackageMove, ...]
    files: list[str]


@dataclass
class _Found:
    """What the scan found, per (owner label, soname)."""

    missing: defaultdict[tuple[str, str], list[str]] = field(
        default_factory=lambda: defaultdict(list)
    )
    versions: defaultdict[tuple[str, str], dict[str, list[str]]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    #: (owner, soname) → (where the library is, what it is, its version names)
    provider: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = field(
        default_factory=dict
    )
    host: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    outside: set[str] = field(default_factory=set)
    stats: dict[str, int] = field(
        default_factory=lambda: {"packages_scanned": 0, "files_scanned": 0}
    )


class _Resolver:
    """Finds the file the loader would take a soname from, for one prefix."""

    def __init__(
        self, prefix: Path, strings: tuple[str, ...], system: SystemLibraries | None
    ) -> None:
        self.prefix = prefix
        self._root = str(prefix)
        self.strings = strings
        self.system = system
        self._listing: dict[str, frozenset[str]] = {}
        self.anywhere: dict[str, list[str]] = defaultdict(list)
        #: prefix-relative path → the label of the package that installed it
        self.owner: dict[str, str] = {}

    def listing(self, directory: str) -> frozenset[str]:
        """The names in a prefix-relative directory (read once)."""
        if directory not in self._listing:
            try:
                names = frozenset(os.listdir(os.path.join(self._root, directory)))
            except OSError:
                names = frozenset()
            self._listing[directory] = names
        return self._listing[directory]

    def index_dirs(self, paths: Iterable[str]) -> None:
        """Add the libraries in the directories of ``paths`` to the prefix index."""
        for directory in sorted({posixpath.dirname(p) for p in paths}):
            for name in self.listing(directory):
                if is_library_name(name) or ".so." in name:
                    self.anywhere[name].append(directory)

    def _exists(self, relpath: str) -> bool:
        return os.path.exists(os.path.join(self._root, relpath))

    def in_prefix(self, soname: str, dirs: list[str]) -> str | None:
        """The prefix-relative path of ``soname``: RUNPATH first, then anywhere."""
        for directory in dirs:
            if soname in self.listing(directory):
                path = f"{directory}/{soname}" if directory else soname
                if self._exists(path):
                    return path
        candidates = sorted(
            self.anywhere.get(soname, ()),
            key=lambda d: (not d.startswith("lib"), d.count("/"), d),
        )
        for directory in candidates:
            path = f"{directory}/{soname}" if directory else soname
            if self._exists(path):
                return path
        return None

    def outside(self, soname: str, info: BinaryInfo) -> str | None:
        """An absolute RUNPATH directory outside the prefix that has ``soname``."""
        for entry in info.runpath:
            if entry.startswith("/") and not any(
                entry == s or entry.startswith(s + "/") for s in self.strings
            ):
                path = os.path.join(entry, soname)
                if os.path.exists(path):
                    return path
        return None


def _owners(state: State, prefix: Path, dists: Iterable[PipDist]) -> list[_Owner]:
    owners = []
    for record in state:
        if record.pip or record.name.startswith("__"):
            continue
        files = record.files or installed_files(prefix, record) or ()
        binaries = [p for p in files if is_candidate(p)]
        if binaries:
            owners.append(
                _Owner(
                    f"{record.name} {record.version}",
                    (PackageMove(record.name, record, record),),
                    binaries,
                )
            )
    for dist in dists:
        if dist.extensions:
            rec = dist.record()
            owners.append(
                _Owner(
                    dist.label,
                    (PackageMove(dist.name, rec, rec),),
                    list(dist.extensions),
                )
            )
    return owners


def environment_links(
    state: State,
    prefix: Path,
    *,
    pool: ScannerPool,
    dists: tuple[PipDist, ...] = (),
    system: SystemLibraries | None = None,
) -> LinkReport:
    """The ``soname`` and ``cxx-runtime`` findings of a prefix as it is.

    Files that could not be read (or have no reader) are the report's
    ``warnings``: they make "no findings" doubtful.

    ``state`` is the prefix read (records with their ``files``); ``dists``
    the pip-installed distributions found in it (those the current Python
    does not see are left out here). ``system`` defaults to this machine's
    library directories when the prefix is for this machine's platform.
    Never writes inside ``prefix``.
    """
    prefix = Path(prefix)
    pool.keep_out_of(prefix)
    foreign = state.platform is not None and state.platform != host_subdir()
    if system is None and not foreign:
        system = SystemLibraries()
    strings = tuple(
        {
            s.rstrip("/")
            for s in (str(prefix), os.path.abspath(prefix), state.prefix)
            if s
        }
    )
    resolver = _Resolver(prefix, strings, None if foreign else system)
    owners = _owners(state, prefix, active_dists(dists, state.get("python")))
    resolver.index_dirs(p for o in owners for p in o.files)
    resolver.owner = {p: o.label for o in owners for p in o.files}
    scanner = pool.get(prefix)
    found = _Found()
    versions = _VersionSource(pool, scanner)
    for owner in owners:
        found.stats["packages_scanned"] += 1
        for relpath in owner.files:
            info = scanner.info(relpath)
            if info is None or info.format != "elf":
                continue
            found.stats["files_scanned"] += 1
            _check_binary(owner, relpath, info, resolver, versions, found)
    findings = _findings(owners, found)
    notes = _notes(state, prefix, found, foreign) + pool.notes()
    stats = dict(found.stats)
    stats.update(pool.stats())
    # Windows launchers in a Linux prefix (pip's *.exe) are never loaded here
    warnings = scanner_notes(pool.all(), _foreign_formats(state.platform))
    return LinkReport(tuple(findings), tuple(notes), stats, tuple(warnings))


class _VersionSource:
    """The symbol versions a library defines, read once per path."""

    def __init__(self, pool: ScannerPool, prefix_scanner: Scanner) -> None:
        self.pool = pool
        self.prefix = prefix_scanner
        self._defs: dict[str, tuple[str, ...]] = {}

    def defs(self, path: str, in_prefix: bool) -> tuple[str, ...]:
        key = ("p:" if in_prefix else "s:") + path
        if key not in self._defs:
            if in_prefix:
                info = self.prefix.info(path, follow=True)
            else:  # one scanner per system directory: its cache is outside it
                directory, name = os.path.split(path)
                info = self.pool.get(Path(directory)).info(name, follow=True)
            self._defs[key] = info.version_defs if info is not None else ()
        return self._defs[key]


def _check_binary(
    owner: _Owner,
    relpath: str,
    info: BinaryInfo,
    resolver: _Resolver,
    versions: _VersionSource,
    found: _Found,
) -> None:
    dirs = search_dirs(relpath, info, resolver.strings)
    system = resolver.system
    where: dict[str, tuple[str, bool]] = {}
    for soname in info.needed:
        if "/" in soname:
            continue  # a path, not a name: the loader opens it as it is
        path = resolver.in_prefix(soname, dirs)
        if path is not None:
            where[soname] = (path, True)
            continue
        outside = resolver.outside(soname, info)
        if outside is not None:
            where[soname] = (outside, False)
            continue
        if system is None:
            found.outside.add(soname)
            continue
        sys_path = system.find(soname)
        if sys_path is not None:
            where[soname] = (str(sys_path), False)
        elif system.host_only(soname):
            found.host[soname].add(f"{owner.label}: {relpath}")
        elif soname not in system.glibc:
            found.missing[owner.label, soname].append(relpath)
    for library, needed in info.version_needs:
        if library not in where:
            continue
        path, in_prefix = where[library]
        defs = versions.defs(path, in_prefix)
        missing = [v for v in needed if v not in defs] if defs else []
        if missing:
            found.versions[owner.label, library][relpath] = missing
            of = resolver.owner.get(path) if in_prefix else None
            found.provider[owner.label, library] = (
                (f"{path} of {of}" if of else path)
                if in_prefix
                else f"the system's {path}",
                defs,
            )


def _foreign_formats(subdir: str | None) -> set[str]:
    """Binary formats that never load on ``subdir``'s platform."""
    native = {"linux": "elf", "osx": "macho", "win": "pe"}.get(
        (subdir or "").split("-", 1)[0]
    )
    return {"elf", "macho", "pe"} - {native} if native else set()


def _findings(owners: list[_Owner], found: _Found) -> list[Finding]:
    by_label = {o.label: o for o in owners}
    out = []
    for (label, soname), files in sorted(found.missing.items()):
        owner = by_label[label]
        more = len(files) - _MAX_EVIDENCE
        evidence = [f"{rel}: DT_NEEDED {soname}" for rel in sorted(files)]
        evidence = evidence[:_MAX_EVIDENCE] + (
            [f"… and {more} more files"] if more > 0 else []
        )
        evidence.append(
            f"no {soname} in their RUNPATH directories, anywhere in the prefix, or "
            "in the system's library directories (/etc/ld.so.conf and the loader's "
            "defaults)"
        )
        out.append(
            Finding(
                rule="soname",
                severity=Severity.HIGH,
                message=f"{label} links {soname}, which nothing in the prefix or on "
                "this system provides",
                packages=owner.moves,
                evidence=tuple(evidence),
            )
        )
    for (label, soname), per_file in sorted(found.versions.items()):
        out.append(_version_finding(by_label[label], soname, per_file, found))
    return out


def _version_finding(
    owner: _Owner, soname: str, per_file: dict[str, list[str]], found: _Found
) -> Finding:
    where, defs = found.provider[owner.label, soname]
    gap = symbol_gap(per_file, defs, soname)
    provides = (
        f"defines up to {gap.have}" if gap.have else f"does not define {gap.needs}"
    )
    return Finding(
        rule="cxx-runtime" if soname in RUNTIME_SONAMES else "soname",
        severity=Severity.HIGH,
        message=f"{owner.label} needs {gap.needs}, but the {soname} it loads ({where}) "
        f"{provides}",
        packages=owner.moves,
        evidence=(*gap.evidence, f"{where} defines up to {gap.defined}"),
    )


def _notes(state: State, prefix: Path, found: _Found, foreign: bool) -> list[str]:
    notes = []
    unlisted = sorted(
        full(r)
        for r in state
        if not r.pip
        and not r.name.startswith("__")
        and not r.files
        and installed_files(prefix, r) is None
    )
    conda = [r for r in state if not r.pip and not r.name.startswith("__")]
    if unlisted and len(unlisted) == len(conda):
        notes.append(
            "link-level checks skipped: no installed files are known for "
            f"{prefix} (conda-meta records without 'files')"
        )
    elif unlisted:
        notes.append(
            f"{len(unlisted)} package(s) list no files in conda-meta; their "
            f"binaries were not checked: {', '.join(unlisted[:5])}"
            + (f" and {len(unlisted) - 5} more" if len(unlisted) > 5 else "")
        )
    if foreign and found.outside:
        notes.append(
            f"the prefix is for {state.platform}, this machine is "
            f"{host_subdir() or 'another platform'}: libraries from outside the "
            f"prefix ({', '.join(sorted(found.outside)[:5])}) were not checked"
        )
    for soname, users in sorted(found.host.items()):
        notes.append(
            f"{soname} comes with the GPU or graphics driver and this machine has "
            f"none: {', '.join(sorted(users)[:3])} cannot be loaded here (not an "
            "error of the environment)"
        )
    return notes
