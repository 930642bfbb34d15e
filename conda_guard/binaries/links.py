"""Prove link breaks: sonames that disappear, symbol versions that go missing.

:func:`check_links` compares what binaries that stay in a prefix need
(``DT_NEEDED`` sonames and the symbol versions bound to them) with what the
prefix will provide after a transaction: files of staying packages plus the
files of incoming packages, read from their extracted directories. Only
binaries that can be affected are read: those of staying packages that depend,
directly or transitively, on a changed package, and pip-installed extensions.
Standard library + the readers of :mod:`conda_guard.binaries.formats`.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from conda_guard.abi import load_table
from conda_guard.binaries.formats import readers
from conda_guard.binaries.pip import (
    PipDist,
    active_dists,
    find_pip_dists,
    pip_findings,
)
from conda_guard.binaries.scan import (
    Scanner,
    default_cache_dir,
    inside,
    is_candidate,
    is_library_name,
)
from conda_guard.diff import compare_versions, same_package
from conda_guard.graph import dep_name
from conda_guard.models import Finding, PackageMove, Record, Severity

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from conda_guard.binaries.formats import BinaryInfo
    from conda_guard.models import State

#: Sonames whose symbol versions are proof for ``cxx-runtime`` (others: ``soname``).
CXX_RUNTIME_SONAMES = frozenset({"libstdc++.so.6", "libgcc_s.so.1"})

_VERSION_TAIL = re.compile(r"^(.*?)_?([0-9]+(?:\.[0-9]+)*)$")
_MAX_EVIDENCE = 12


@dataclass(frozen=True, slots=True)
class LinkReport:
    """What :func:`check_links` found.

    ``notes`` are sentences about checks that could not be made (incoming
    files not known, unreadable files, formats without a reader). ``stats``
    counts ``packages_scanned``, ``files_scanned``, ``files_read`` (cache
    misses) and ``cache_hits``.
    """

    findings: tuple[Finding, ...] = ()
    notes: tuple[str, ...] = ()
    stats: Mapping[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class _Owner:
    """A staying package (or pip dist) whose binaries are checked."""

    label: str
    moves: tuple[PackageMove, ...]
    files: list[str] = field(default_factory=list)


def _dep_names(record: Record) -> set[str]:
    return {name for name in map(dep_name, record.depends) if name}


def _full(record: Record) -> str:
    return f"{record.name} {record.version} {record.build}".strip()


def _version_key(name: str) -> tuple[str, tuple[int, ...]] | None:
    """``GLIBCXX_3.4.30`` → ``("GLIBCXX", (3, 4, 30))``; ``None`` when not numeric."""
    match = _VERSION_TAIL.match(name)
    if not match:
        return None
    return match.group(1), tuple(int(p) for p in match.group(2).split("."))


def _highest(names: Iterable[str]) -> dict[str, str]:
    """Family (``GLIBCXX``, ``CXXABI`` …) → highest version name."""
    best: dict[str, tuple[tuple[int, ...], str]] = {}
    for name in names:
        key = _version_key(name)
        if key is None:
            continue
        family, number = key
        if family not in best or number > best[family][0]:
            best[family] = (number, name)
    return {family: name for family, (_, name) in best.items()}


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


def check_links(
    before: State,
    after: State,
    *,
    prefix: Path,
    incoming: Mapping[str, Path] | None = None,
    cache_dir: Path | None | bool = None,
    pip: bool = True,
    scan_all: bool = False,
    check_incoming: bool = True,
) -> LinkReport:
    """Check the binaries that stay in ``prefix`` against the state ``after``.

    ``before`` is the installed state (records carry ``files``; missing ones
    are read from ``conda-meta``); ``after`` the proposed one. ``incoming``
    maps a package name to its extracted package directory (conda's package
    cache); a changed package without one is "not known yet" and produces a
    note instead of a guess. ``cache_dir`` overrides :func:`default_cache_dir`
    (``False`` disables the cache). ``pip`` adds pip-installed extensions
    (scanned always) and :func:`~conda_guard.binaries.pip.pip_findings`;
    ``scan_all`` scans every staying package, not only dependents of changed
    ones. ``check_incoming`` also checks the binaries of incoming packages
    that depend on the C/C++ runtime against the ``libstdc++.so.6`` /
    ``libgcc_s.so.1`` the prefix keeps (when that runtime stays or is
    downgraded) and, when ``after`` (or ``before``) has a ``__glibc`` virtual
    package, their ``GLIBC_*`` needs against it. Never writes inside
    ``prefix``.
    """
    check = _LinkCheck(before, after, Path(prefix), dict(incoming or {}))
    if not check.old and not check.new:
        return LinkReport((), (), check.stats)
    if not readers():
        return LinkReport(
            (),
            (
                (
                    "link-level checks skipped: pyelftools, a dependency of "
                    "conda-guard, is not importable (pip install pyelftools)"
                ),
            ),
            check.stats,
        )
    dists = (
        active_dists(find_pip_dists(check.prefix), before.get("python")) if pip else ()
    )
    if not check.index_files() and not dists:
        return LinkReport(
            (),
            (
                (
                    "link-level checks skipped: no installed files are known for "
                    f"{check.prefix} (conda-meta records without 'files')"
                ),
            ),
            check.stats,
        )
    check.open_scanners(cache_dir)
    check.scan_staying(scan_all, dists)
    if check_incoming:
        glibc = after.get("__glibc") or before.get("__glibc")
        check.scan_incoming(glibc)
    findings = check.findings()
    if pip:
        findings += pip_findings(
            before, after, check.prefix, dists=dists, scanner=check.scanner
        )
    notes = check.notes()
    return LinkReport(tuple(findings), tuple(notes), check.stats)


class _LinkCheck:
    """The state of one :func:`check_links` run."""

    def __init__(
        self, before: State, after: State, prefix: Path, incoming: dict[str, Path]
    ) -> None:
        self.prefix = prefix
        self.incoming = incoming
        self.before_prefix = before.prefix
        self.stats = {
            "packages_scanned": 0,
            "files_scanned": 0,
            "files_read": 0,
            "cache_hits": 0,
        }
        # staying: same artifact on both sides; old: removed or replaced;
        # new: installed, or the replacement
        self.staying: dict[str, Record] = {}
        self.old: dict[str, Record] = {}
        for name, record in before.records.items():
            if record.pip or name.startswith("__"):
                continue
            other = after.get(name)
            if other is not None and same_package(record, other):
                self.staying[name] = record
            else:
                self.old[name] = record
        self.new = {
            name: record
            for name, record in after.records.items()
            if not record.pip and not name.startswith("__") and name not in self.staying
        }
        self.files: dict[str, tuple[str, ...]] = {}
        self.before_side, self.after_side = _Side(), _Side()
        self.unknown: dict[str, Record] = {}
        self.incoming_files: dict[str, tuple[str, ...]] = {}
        self.owners: dict[str, _Owner] = {}
        self.prefix_strings: tuple[str, ...] = ()
        # (owner key, soname) → evidence lines / provider package (before)
        self.broken: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.broken_provider: dict[tuple[str, str], str] = {}
        # (owner key, soname) → relpath → missing versions
        self.versions: dict[tuple[str, str], dict[str, list[str]]] = defaultdict(
            lambda: defaultdict(list)
        )
        # (owner key, soname) → (runtime after, runtime before, its path, its info)
        self.versions_provider: dict[
            tuple[str, str], tuple[Record, Record | None, str, BinaryInfo]
        ] = {}
        # owner key → relpath → GLIBC_ versions above the system's
        self.glibc: dict[str, dict[str, set[str]]] = defaultdict(
            lambda: defaultdict(set)
        )
        self.glibc_record: Record | None = None
        # provider package → soname → owner label → files
        self.unknown_links: dict[str, dict[str, dict[str, list[str]]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(list))
        )

    def index_files(self) -> bool:
        """Fill both sides' path → package maps; False when no file is known."""
        for name, record in {**self.staying, **self.old}.items():
            self.files[name] = record.files or _meta_files(self.prefix, record)
        for name in self.staying:
            self.before_side.add(name, self.files[name])
            self.after_side.add(name, self.files[name])
        for name in self.old:
            self.before_side.add(name, self.files[name])
        for name, record in self.new.items():
            directory = self.incoming.get(name)
            if directory is None or not Path(directory).is_dir():
                self.unknown[name] = record
                continue
            self.incoming_files[name] = _package_files(Path(directory))
            self.after_side.add(name, self.incoming_files[name])
        spellings = (str(self.prefix), os.path.abspath(self.prefix), self.before_prefix)
        self.prefix_strings = tuple({s.rstrip("/") for s in spellings if s})
        return any(self.files.values())

    def open_scanners(self, cache_dir: Path | None | bool) -> None:
        """The prefix's scanner; incoming packages get theirs on first use."""
        if cache_dir is None:
            cache_dir = default_cache_dir()
        if cache_dir not in (None, False, True) and inside(
            Path(cache_dir), self.prefix
        ):
            cache_dir = False  # never write into the prefix
        self.cache_dir = cache_dir
        self.scanner = Scanner(self.prefix, cache_dir)
        self.package_scanners: dict[str, Scanner] = {}

    def incoming_scanner(self, name: str) -> Scanner:
        """The scanner of incoming package ``name``'s extracted directory."""
        if name not in self.package_scanners:
            self.package_scanners[name] = Scanner(
                Path(self.incoming[name]), self.cache_dir
            )
        return self.package_scanners[name]

    def scan_staying(self, scan_all: bool, dists: tuple[PipDist, ...]) -> None:
        """Check what staying binaries (and pip extensions) link."""
        changed = set(self.old) | set(self.new)
        for name in sorted(_affected(self.staying, changed, scan_all)):
            record = self.staying[name]
            binaries = [p for p in self.files[name] if is_candidate(p)]
            if binaries:
                self.owners[name] = _Owner(
                    label=f"{record.name} {record.version}",
                    moves=(PackageMove(name, record, record),),
                    files=binaries,
                )
        for dist in dists:
            if dist.extensions:
                rec = dist.record()
                self.owners[f"pip:{dist.name}"] = _Owner(
                    label=dist.label,
                    moves=(PackageMove(dist.name, rec, rec),),
                    files=list(dist.extensions),
                )
        for key, owner in list(self.owners.items()):
            self.stats["packages_scanned"] += 1
            for relpath in owner.files:
                info = self.scanner.info(relpath)
                if info is None:
                    continue
                self.stats["files_scanned"] += 1
                dirs = _search_dirs(relpath, info, self.prefix_strings)
                for soname in info.needed:
                    self._check_needed(key, owner, relpath, info, dirs, soname)

    def _check_needed(
        self,
        key: str,
        owner: _Owner,
        relpath: str,
        info: BinaryInfo,
        dirs: list[str],
        soname: str,
    ) -> None:
        soname = soname.rsplit("/", 1)[-1]
        before_side, after_side = self.before_side, self.after_side
        provider = before_side.find(soname, dirs) or before_side.anywhere(soname)
        if provider is None:
            return  # not from the prefix (the system's libc …)
        provider_pkg = before_side.owner[provider]
        if provider_pkg in self.staying:
            return
        found = after_side.find(soname, [*dirs, posixpath.dirname(provider)])
        if found is None:
            if self.unknown:
                self.unknown_links[provider_pkg][soname][owner.label].append(relpath)
                return
            self.broken[key, soname].append(
                f"{relpath}: DT_NEEDED {soname}; provided today by "
                f"{provider} of {_full(self.old[provider_pkg])}"
            )
            self.broken_provider[key, soname] = provider_pkg
            return
        needs = info.needs_from(soname)
        new_owner = after_side.owner[found]
        if not needs or new_owner not in self.incoming_files:
            return
        lib = self.incoming_scanner(new_owner).info(found, follow=True)
        if lib is None or not lib.version_defs:
            return
        missing = [v for v in needs if v not in lib.version_defs]
        if missing:
            self.versions[key, soname][relpath].extend(missing)
            self.versions_provider[key, soname] = (
                self.new[new_owner],
                self.old[provider_pkg],
                found,
                lib,
            )

    def scan_incoming(self, glibc: Record | None) -> None:
        """Incoming binaries against the C/C++ runtime the prefix keeps.

        With ``glibc`` (the ``__glibc`` virtual package) every incoming binary
        is also checked for ``GLIBC_*`` versions above the system's.
        """
        runtime: dict[str, tuple[str, Record, Record | None]] = {}
        for soname in sorted(CXX_RUNTIME_SONAMES):
            path = self.after_side.anywhere(soname)
            if path is None:
                continue
            name = self.after_side.owner[path]
            if name in self.staying:
                runtime[soname] = (path, self.staying[name], self.staying[name])
            elif name in self.new and name in self.old:
                before, after = self.old[name], self.new[name]
                if compare_versions(after.version, before.version) < 0:
                    runtime[soname] = (path, after, before)
        glibc_key = _version_key(f"GLIBC_{glibc.version}") if glibc else None
        if not runtime and glibc_key is None:
            return
        names = set(load_table().members("cxx-runtime"))
        names |= {record.name for _, record, _ in runtime.values()}
        for name in sorted(self.incoming_files):
            record = self.new[name]
            uses_runtime = (
                bool(runtime) and name not in names and bool(_dep_names(record) & names)
            )
            if not uses_runtime and glibc_key is None:
                continue
            key = f"incoming:{name}"
            binaries = [p for p in self.incoming_files[name] if is_candidate(p)]
            self.owners[key] = _Owner(
                label=f"{record.name} {record.version}",
                moves=(PackageMove(name, self.old.get(name), record),),
                files=binaries,
            )
            self._count("incoming_packages_scanned")
            scan = self.incoming_scanner(name)
            for relpath in binaries:
                info = scan.info(relpath)
                if info is None:
                    continue
                self._count("incoming_files_scanned")
                if uses_runtime:
                    for soname, (path, after, before) in runtime.items():
                        self._check_runtime(
                            key, relpath, info, soname, path, after, before
                        )
                if glibc is not None and glibc_key is not None:
                    self._check_glibc(key, relpath, info, glibc, glibc_key[1])

    def _check_glibc(
        self,
        key: str,
        relpath: str,
        info: BinaryInfo,
        glibc: Record,
        have: tuple[int, ...],
    ) -> None:
        for library, versions in info.version_needs:
            for version in versions:
                parsed = _version_key(version)
                if parsed and parsed[0] == "GLIBC" and parsed[1] > have:
                    self.glibc[key][relpath].add(version)
                    self.glibc_record = glibc

    def _check_runtime(
        self,
        key: str,
        relpath: str,
        info: BinaryInfo,
        soname: str,
        path: str,
        after: Record,
        before: Record | None,
    ) -> None:
        needs = info.needs_from(soname)
        if not needs:
            return
        provider = self.after_side.owner[path]
        source = (
            self.incoming_scanner(provider)
            if provider in self.incoming_files
            else self.scanner
        )
        lib = source.info(path, follow=True)
        if lib is None or not lib.version_defs:
            return
        missing = [v for v in needs if v not in lib.version_defs]
        if missing:
            self.versions[key, soname][relpath].extend(missing)
            self.versions_provider[key, soname] = (after, before, path, lib)

    def _count(self, stat: str) -> None:
        self.stats[stat] = self.stats.get(stat, 0) + 1

    def findings(self) -> list[Finding]:
        """One finding per (binary owner, soname)."""
        out = []
        for (key, soname), evidence in sorted(self.broken.items()):
            provider = self.broken_provider[key, soname]
            replacement = self.new.get(provider)
            shipped = (
                self._shipped(replacement.name, soname)
                if replacement is not None
                else []
            )
            out.append(
                _soname_finding(
                    self.owners[key],
                    soname,
                    self.old[provider],
                    replacement,
                    shipped,
                    evidence,
                )
            )
        for (key, soname), per_file in sorted(self.versions.items()):
            runtime, previous, path, lib = self.versions_provider[key, soname]
            out.append(
                _version_finding(
                    self.owners[key], soname, runtime, previous, path, lib, per_file
                )
            )
        for key, per_file in sorted(self.glibc.items()):
            assert self.glibc_record is not None
            out.append(_glibc_finding(self.owners[key], self.glibc_record, per_file))
        return out

    def _shipped(self, name: str, soname: str) -> list[str]:
        """Sonames of the replacement's libraries that share ``soname``'s stem."""
        stem = _stem(soname)
        shipped: set[str] = set()
        for path in self.incoming_files.get(name, ()):
            base = path.rsplit("/", 1)[-1]
            if not is_library_name(base) and ".so." not in base:
                continue
            if _stem(base) != stem:
                continue
            info = self.incoming_scanner(name).info(path, follow=True)
            shipped.add(info.soname if info is not None and info.soname else base)
        return sorted(shipped)

    def notes(self) -> list[str]:
        """Checks that could not be made; saves the caches."""
        notes = []
        waiting = ", ".join(_full(r) for _, r in sorted(self.unknown.items()))
        for name, by_soname in sorted(self.unknown_links.items()):
            record, replaced = self.old[name], self.new.get(name)
            sonames = ", ".join(sorted(by_soname))
            if replaced is not None and replaced.name in self.unknown:
                what = f"whether {_full(replaced)} still ships {sonames}"
            else:
                what = f"whether another incoming package provides {sonames}"
            gone = ", which is being removed" if replaced is None else ""
            users: dict[str, set[str]] = defaultdict(set)
            for per_owner in by_soname.values():
                for label, paths in per_owner.items():
                    users[label].update(paths)
            linked = "; ".join(
                f"{label}: {', '.join(sorted(paths)[:5])}"
                + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
                for label, paths in sorted(users.items())
            )
            notes.append(
                f"incoming files of {waiting} are not known yet (not extracted: a "
                f"dry run or an empty package cache), so {what}, provided today by "
                f"{_full(record)}{gone}, was not checked (linked by {linked})"
            )
        for scan in (self.scanner, *self.package_scanners.values()):
            self.stats["files_read"] += scan.reads
            self.stats["cache_hits"] += scan.hits
            if scan.unreadable:
                shown = ", ".join(sorted(scan.unreadable)[:3])
                notes.append(
                    f"{len(scan.unreadable)} file(s) under {scan.root} could not be "
                    f"read as binaries and were not checked: {shown}"
                )
            for fmt, count in sorted(scan.unsupported.items()):
                notes.append(
                    f"{count} {fmt} file(s) under {scan.root} were not checked "
                    f"(no {fmt} reader yet)"
                )
            scan.save()
        return notes


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


def _stem(soname: str) -> str:
    for marker in (".so", ".dylib", ".dll"):
        if marker in soname:
            return soname.split(marker, 1)[0]
    return soname


def _soname_finding(
    owner: _Owner,
    soname: str,
    provider: Record,
    replacement: Record | None,
    shipped: list[str],
    evidence: list[str],
) -> Finding:
    today = f"provided today by {_full(provider)}"
    if replacement is None:
        change = "which is being removed"
    else:
        ships = (
            f"shipping only {', '.join(shipped)}"
            if shipped
            else f"shipping no {_stem(soname)} library"
        )
        change = f"which is being replaced by {_full(replacement)} {ships}"
    more = len(evidence) - _MAX_EVIDENCE
    return Finding(
        rule="soname",
        severity=Severity.HIGH,
        message=f"{owner.label} links {soname}, {today}, {change}",
        packages=owner.moves + (PackageMove(provider.name, provider, replacement),),
        evidence=tuple(evidence[:_MAX_EVIDENCE])
        + ((f"… and {more} more files",) if more > 0 else ()),
    )


def _version_finding(
    owner: _Owner,
    soname: str,
    record: Record,
    previous: Record | None,
    path: str,
    lib: BinaryInfo,
    per_file: Mapping[str, list[str]],
) -> Finding:
    missing = sorted(
        {v for names in per_file.values() for v in names},
        key=lambda v: _version_key(v) or (v, ()),
    )
    need_top = _highest(missing)
    have_top = _highest(lib.version_defs)
    needs = " and ".join(need_top[f] for f in sorted(need_top)) or ", ".join(missing)
    have = " and ".join(have_top[f] for f in sorted(need_top) if f in have_top)
    provides = f"provides up to {have}" if have else f"does not define {needs}"
    evidence = [
        f"{rel}: needs {', '.join(sorted(set(names)))} from {soname}"
        for rel, names in sorted(per_file.items())
    ][:_MAX_EVIDENCE]
    evidence.append(
        f"{path} of {_full(record)} defines up to "
        + ", ".join(have_top[f] for f in sorted(have_top))
    )
    return Finding(
        rule="cxx-runtime" if soname in CXX_RUNTIME_SONAMES else "soname",
        severity=Severity.HIGH,
        message=f"{owner.label} needs {needs}, {record.name} {record.version} "
        f"{provides}",
        packages=owner.moves + (PackageMove(record.name, previous, record),),
        evidence=tuple(evidence),
    )


def _glibc_finding(
    owner: _Owner, glibc: Record, per_file: Mapping[str, set[str]]
) -> Finding:
    missing = {v for names in per_file.values() for v in names}
    top = _highest(missing)["GLIBC"]
    evidence = [
        f"{rel}: needs {', '.join(sorted(names, key=_version_key))}"
        for rel, names in sorted(per_file.items())
    ][:_MAX_EVIDENCE]
    evidence.append(f"__glibc {glibc.version}: the system's C library (virtual)")
    return Finding(
        rule="cxx-runtime",
        severity=Severity.HIGH,
        message=f"{owner.label} needs {top}, the system's glibc is "
        f"{glibc.version} (__glibc)",
        packages=owner.moves,
        evidence=tuple(evidence),
    )
