"""The link checks: what binaries need that the transaction takes away.

:func:`find_problems` reads the binaries of a
:class:`~conda_guard.binaries.index.FileIndex` through :class:`Scanners` and
returns :class:`Problems`: sonames whose
provider goes (``broken``), symbol versions a new library no longer defines
(``versions``), ``GLIBC_*`` versions above the system's (``glibc``) and links
that cannot be checked because the incoming files are not known
(``unknown_links``). It checks the staying binaries that depend on a changed
package (and pip-installed extensions), then, optionally, the incoming
binaries against the C/C++ runtime the prefix keeps and against ``__glibc``.
Turning problems into findings and notes is :mod:`conda_guard.binaries.findings`.
Standard library + the readers of :mod:`conda_guard.binaries.read`.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from conda_guard.abi import load_table
from conda_guard.binaries.findings import CXX_RUNTIME_SONAMES, full, version_key
from conda_guard.binaries.index import Owner, affected, dep_names, search_dirs
from conda_guard.binaries.scan import Scanner, ScannerPool, is_candidate
from conda_guard.diff import compare_versions
from conda_guard.models import PackageMove

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from conda_guard.binaries.formats import BinaryInfo
    from conda_guard.binaries.index import FileIndex
    from conda_guard.binaries.pip import PipDist
    from conda_guard.models import Record

#: soname → (its path after, the runtime record after, the record before)
Runtime = dict[str, tuple[str, "Record", "Record | None"]]


class Scanners:
    """The prefix's :class:`Scanner` and one per incoming package's directory.

    They come from ``pool`` (a new :class:`ScannerPool` of ``cache_dir`` when
    none is given), so a directory shared with other checks of the same run
    is read and cached once. The cache is never inside the prefix;
    :meth:`save` writes what was read.
    """

    def __init__(
        self,
        prefix: Path,
        incoming: Mapping[str, Path],
        cache_dir: Path | None | bool = None,
        pool: ScannerPool | None = None,
    ) -> None:
        self.pool = pool if pool is not None else ScannerPool(cache_dir)
        self.pool.keep_out_of(prefix)
        self.incoming = dict(incoming)
        self.prefix = self.pool.get(prefix)

    def of(self, name: str) -> Scanner:
        """The scanner of incoming package ``name``'s directory."""
        return self.pool.get(Path(self.incoming[name]))

    def all(self) -> tuple[Scanner, ...]:
        """Every scanner opened so far, the prefix's first."""
        return (self.prefix, *(s for s in self.pool.all() if s is not self.prefix))

    def stats(self) -> dict[str, int]:
        """``files_read`` (cache misses) and ``cache_hits`` of all scanners."""
        return self.pool.stats()

    def save(self) -> None:
        """Write each scanner's cache back."""
        self.pool.save()


def _nested_list() -> defaultdict[str, list[str]]:
    return defaultdict(list)


@dataclass
class Problems:
    """What the checks found, keyed by (owner key, soname) or owner key."""

    owners: dict[str, Owner] = field(default_factory=dict)
    #: evidence lines, and the package that provides the soname today
    broken: defaultdict[tuple[str, str], list[str]] = field(
        default_factory=lambda: defaultdict(list)
    )
    broken_provider: dict[tuple[str, str], str] = field(default_factory=dict)
    #: relpath → missing versions; and (runtime after, before, its path, its info)
    versions: defaultdict[tuple[str, str], defaultdict[str, list[str]]] = field(
        default_factory=lambda: defaultdict(_nested_list)
    )
    versions_provider: dict[
        tuple[str, str], tuple[Record, Record | None, str, BinaryInfo]
    ] = field(default_factory=dict)
    #: owner key → relpath → GLIBC_ versions above the system's
    glibc: defaultdict[str, defaultdict[str, set[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set))
    )
    glibc_record: Record | None = None
    #: provider package → soname → owner label → files (incoming files unknown)
    unknown_links: defaultdict[str, defaultdict[str, defaultdict[str, list[str]]]] = (
        field(default_factory=lambda: defaultdict(lambda: defaultdict(_nested_list)))
    )
    stats: dict[str, int] = field(
        default_factory=lambda: {"packages_scanned": 0, "files_scanned": 0}
    )

    def count(self, stat: str) -> None:
        """Add one to ``stats[stat]``."""
        self.stats[stat] = self.stats.get(stat, 0) + 1


def find_problems(
    index: FileIndex,
    scanners: Scanners,
    *,
    dists: Iterable[PipDist] = (),
    scan_all: bool = False,
    glibc: Record | None = None,
    check_incoming: bool = True,
) -> Problems:
    """Check the staying binaries (and pip ``dists``), then the incoming ones.

    ``glibc`` is the ``__glibc`` virtual package: incoming binaries are also
    checked for ``GLIBC_*`` versions above it. ``scan_all`` checks every
    staying package, not only the dependents of changed ones.
    """
    checker = _Checker(index, scanners, Problems())
    checker.check_staying(dists, scan_all)
    if check_incoming:
        checker.check_incoming(glibc)
    return checker.problems


class _Checker:
    """The checks of :func:`find_problems`; each adds to ``problems``."""

    def __init__(self, index: FileIndex, scanners: Scanners, problems: Problems):
        self.index = index
        self.scanners = scanners
        self.problems = problems

    def check_staying(self, dists: Iterable[PipDist], scan_all: bool) -> None:
        """Check what staying binaries (and pip extensions) link."""
        index, owners = self.index, self.problems.owners
        for name in sorted(affected(index.staying, index.changed, scan_all)):
            record = index.staying[name]
            binaries = [p for p in index.files[name] if is_candidate(p)]
            if binaries:
                owners[name] = Owner(
                    label=f"{record.name} {record.version}",
                    moves=(PackageMove(name, record, record),),
                    files=binaries,
                )
        for dist in dists:
            if dist.extensions:
                rec = dist.record()
                owners[f"pip:{dist.name}"] = Owner(
                    label=dist.label,
                    moves=(PackageMove(dist.name, rec, rec),),
                    files=list(dist.extensions),
                )
        for key, owner in list(owners.items()):
            self.problems.count("packages_scanned")
            for relpath in owner.files:
                info = self.scanners.prefix.info(relpath)
                if info is None:
                    continue
                self.problems.count("files_scanned")
                dirs = search_dirs(relpath, info, index.prefix_strings)
                for soname in info.needed:
                    self._check_needed(key, owner, relpath, info, dirs, soname)

    def _check_needed(
        self,
        key: str,
        owner: Owner,
        relpath: str,
        info: BinaryInfo,
        dirs: list[str],
        soname: str,
    ) -> None:
        index, problems = self.index, self.problems
        soname = soname.rsplit("/", 1)[-1]
        provider = index.before.find(soname, dirs) or index.before.anywhere(soname)
        if provider is None:
            return  # not from the prefix (the system's libc …)
        provider_pkg = index.before.owner[provider]
        if provider_pkg in index.staying:
            return
        found = index.after.find(soname, [*dirs, posixpath.dirname(provider)])
        if found is None:
            if index.unknown:
                links = problems.unknown_links[provider_pkg][soname]
                links[owner.label].append(relpath)
                return
            problems.broken[key, soname].append(
                f"{relpath}: DT_NEEDED {soname}; provided today by "
                f"{provider} of {full(index.old[provider_pkg])}"
            )
            problems.broken_provider[key, soname] = provider_pkg
            return
        needs = info.needs_from(soname)
        new_owner = index.after.owner[found]
        if not needs or new_owner not in index.incoming_files:
            return
        lib = self.scanners.of(new_owner).info(found, follow=True)
        if lib is None or not lib.version_defs:
            return
        missing = [v for v in needs if v not in lib.version_defs]
        if missing:
            problems.versions[key, soname][relpath].extend(missing)
            problems.versions_provider[key, soname] = (
                index.new[new_owner],
                index.old[provider_pkg],
                found,
                lib,
            )

    def _runtime(self) -> Runtime:
        """The C/C++ runtime libraries the prefix keeps (or downgrades)."""
        index = self.index
        runtime: Runtime = {}
        for soname in sorted(CXX_RUNTIME_SONAMES):
            path = index.after.anywhere(soname)
            if path is None:
                continue
            name = index.after.owner[path]
            if name in index.staying:
                runtime[soname] = (path, index.staying[name], index.staying[name])
            elif name in index.new and name in index.old:
                before, after = index.old[name], index.new[name]
                if compare_versions(after.version, before.version) < 0:
                    runtime[soname] = (path, after, before)
        return runtime

    def check_incoming(self, glibc: Record | None) -> None:
        """Incoming binaries against the C/C++ runtime the prefix keeps.

        With ``glibc`` (the ``__glibc`` virtual package) every incoming binary
        is also checked for ``GLIBC_*`` versions above the system's.
        """
        index = self.index
        runtime = self._runtime()
        glibc_key = version_key(f"GLIBC_{glibc.version}") if glibc else None
        if not runtime and glibc_key is None:
            return
        names = set(load_table().members("cxx-runtime"))
        names |= {record.name for _, record, _ in runtime.values()}
        for name in sorted(index.incoming_files):
            record = index.new[name]
            uses_runtime = (
                bool(runtime) and name not in names and bool(dep_names(record) & names)
            )
            if not uses_runtime and glibc_key is None:
                continue
            key = f"incoming:{name}"
            binaries = [p for p in index.incoming_files[name] if is_candidate(p)]
            self.problems.owners[key] = Owner(
                label=f"{record.name} {record.version}",
                moves=(PackageMove(name, index.old.get(name), record),),
                files=binaries,
            )
            self.problems.count("incoming_packages_scanned")
            floor = (
                (glibc, glibc_key[1])
                if glibc is not None and glibc_key is not None
                else None
            )
            self._check_binaries(
                key, name, binaries, runtime if uses_runtime else {}, floor
            )

    def _check_binaries(
        self,
        key: str,
        name: str,
        binaries: list[str],
        runtime: Runtime,
        glibc: tuple[Record, tuple[int, ...]] | None,
    ) -> None:
        """Each binary of an incoming package, read once: the runtime libraries'
        symbol versions and (``glibc``: the system's and its version) GLIBC."""
        scan = self.scanners.of(name)
        for relpath in binaries:
            info = scan.info(relpath)
            if info is None:
                continue
            self.problems.count("incoming_files_scanned")
            for soname, (path, after, before) in runtime.items():
                self._check_runtime(key, relpath, info, soname, path, after, before)
            if glibc is not None:
                self._check_glibc(key, relpath, info, *glibc)

    def _check_glibc(
        self,
        key: str,
        relpath: str,
        info: BinaryInfo,
        glibc: Record,
        have: tuple[int, ...],
    ) -> None:
        for _library, versions in info.version_needs:
            for version in versions:
                parsed = version_key(version)
                if parsed and parsed[0] == "GLIBC" and parsed[1] > have:
                    self.problems.glibc[key][relpath].add(version)
                    self.problems.glibc_record = glibc

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
        provider = self.index.after.owner[path]
        source = (
            self.scanners.of(provider)
            if provider in self.index.incoming_files
            else self.scanners.prefix
        )
        lib = source.info(path, follow=True)
        if lib is None or not lib.version_defs:
            return
        missing = [v for v in needs if v not in lib.version_defs]
        if missing:
            self.problems.versions[key, soname][relpath].extend(missing)
            self.problems.versions_provider[key, soname] = (after, before, path, lib)
