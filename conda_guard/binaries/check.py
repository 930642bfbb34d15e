"""The state of one link check: what staying and incoming binaries need.

Standard library + the readers of :mod:`conda_guard.binaries.formats`.
"""

from __future__ import annotations

import os
import posixpath
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from conda_guard.abi import load_table
from conda_guard.binaries.findings import (
    CXX_RUNTIME_SONAMES,
    _full,
    _glibc_finding,
    _soname_finding,
    _stem,
    _version_finding,
    _version_key,
)
from conda_guard.binaries.index import (
    _affected,
    _dep_names,
    _meta_files,
    _Owner,
    _package_files,
    _search_dirs,
    _Side,
)
from conda_guard.binaries.scan import (
    Scanner,
    default_cache_dir,
    inside,
    is_candidate,
    is_library_name,
)
from conda_guard.diff import compare_versions, same_package
from conda_guard.models import Finding, PackageMove, Record

if TYPE_CHECKING:
    from conda_guard.binaries.formats import BinaryInfo
    from conda_guard.binaries.pip import PipDist
    from conda_guard.models import State


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
