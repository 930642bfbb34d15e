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
from conda_guard.binaries.pip import find_pip_dists, pip_findings
from conda_guard.binaries.scan import (
    Scanner,
    default_cache_dir,
    inside,
    is_candidate,
    is_library_name,
)
from conda_guard.diff import compare_versions, same_package
from conda_guard.models import Finding, PackageMove, Record, Severity

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from conda_guard.binaries.formats import BinaryInfo
    from conda_guard.models import State

#: Sonames whose symbol versions are proof for ``cxx-runtime`` (others: ``soname``).
CXX_RUNTIME_SONAMES = frozenset({"libstdc++.so.6", "libgcc_s.so.1"})

_DEP_NAME = re.compile(r"^\s*(?:[^:\s]+::)?([A-Za-z0-9_.\-]+)")
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
    names = set()
    for spec in record.depends:
        match = _DEP_NAME.match(spec)
        if match:
            names.add(match.group(1).lower())
    return names


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
    note instead of a guess. ``cache_dir`` overrides :func:`default_cache_dir`.
    ``pip`` adds pip-installed extensions (scanned always) and
    :func:`~conda_guard.binaries.pip.pip_findings`; ``scan_all`` scans every
    staying package, not only dependents of changed ones. ``check_incoming``
    also checks the binaries of incoming packages that depend on the C/C++
    runtime against the ``libstdc++.so.6``/``libgcc_s.so.1`` the prefix keeps
    (only when that runtime stays or is downgraded). Never writes inside
    ``prefix``.
    """
    prefix = Path(prefix)
    incoming = dict(incoming or {})
    notes: list[str] = []
    stats = {
        "packages_scanned": 0,
        "files_scanned": 0,
        "files_read": 0,
        "cache_hits": 0,
    }

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

    dists = find_pip_dists(prefix) if pip else ()
    findings: list[Finding] = []
    if not old and not new:
        return LinkReport((), (), stats)
    if not readers():
        notes.append(
            "link-level checks skipped: pyelftools is not installed "
            "(pip install 'conda-guard[elf]')"
        )
        return LinkReport((), tuple(notes), stats)

    # What the prefix provides today, and what it will provide afterwards.
    files: dict[str, tuple[str, ...]] = {}
    for name, record in {**staying, **old}.items():
        files[name] = record.files or _meta_files(prefix, record)
    before_side, after_side = _Side(), _Side()
    for name in staying:
        before_side.add(name, files[name])
        after_side.add(name, files[name])
    for name in old:
        before_side.add(name, files[name])
    unknown: dict[str, Record] = {}
    incoming_files: dict[str, tuple[str, ...]] = {}
    for name, record in new.items():
        directory = incoming.get(name)
        if directory is None or not Path(directory).is_dir():
            unknown[name] = record
            continue
        incoming_files[name] = _package_files(Path(directory))
        after_side.add(name, incoming_files[name])
    if not any(files.values()) and not dists:
        notes.append(
            f"link-level checks skipped: no installed files are known for {prefix} "
            "(conda-meta records without 'files')"
        )
        return LinkReport((), tuple(notes), stats)

    # Which staying packages can be affected: dependents of changed packages.
    owners: dict[str, _Owner] = {}
    for name in sorted(_affected(staying, set(old) | set(new), scan_all)):
        record = staying[name]
        binaries = [p for p in files[name] if is_candidate(p)]
        if binaries:
            owners[name] = _Owner(
                label=f"{record.name} {record.version}",
                moves=(PackageMove(name, record, record),),
                files=binaries,
            )
    for dist in dists:
        if dist.extensions:
            rec = dist.record()
            owners[f"pip:{dist.name}"] = _Owner(
                label=dist.label,
                moves=(PackageMove(dist.name, rec, rec),),
                files=list(dist.extensions),
            )

    if cache_dir is None:
        cache_dir = default_cache_dir()
    if (
        cache_dir is not None
        and cache_dir is not False
        and inside(Path(cache_dir), prefix)
    ):
        cache_dir = False  # never write into the prefix
    scanner = Scanner(prefix, cache_dir)
    package_scanners: dict[str, Scanner] = {}

    def incoming_scanner(name: str) -> Scanner:
        if name not in package_scanners:
            package_scanners[name] = Scanner(Path(incoming[name]), cache_dir)
        return package_scanners[name]

    prefix_strings = tuple(
        {
            s.rstrip("/")
            for s in (str(prefix), os.path.abspath(prefix), before.prefix)
            if s
        }
    )
    # (owner, soname) → evidence lines, for one finding per pair
    broken: dict[tuple[str, str], list[str]] = defaultdict(list)
    broken_provider: dict[tuple[str, str], str] = {}
    versions: dict[tuple[str, str], dict[str, list[str]]] = defaultdict(
        lambda: defaultdict(list)
    )
    # (owner, soname) → (runtime record after, its record before, file, its info)
    versions_provider: dict[
        tuple[str, str], tuple[Record, Record | None, str, BinaryInfo]
    ] = {}
    # provider package → soname → owner label → files
    unknown_links: dict[str, dict[str, dict[str, list[str]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )

    for key, owner in owners.items():
        stats["packages_scanned"] += 1
        for relpath in owner.files:
            info = scanner.info(relpath)
            if info is None:
                continue
            stats["files_scanned"] += 1
            dirs = _search_dirs(relpath, info, prefix_strings)
            for soname in info.needed:
                soname = soname.rsplit("/", 1)[-1]
                provider = before_side.find(soname, dirs) or before_side.anywhere(
                    soname
                )
                if provider is None:
                    continue  # not from the prefix (the system's libc …)
                if before_side.owner[provider] in staying:
                    continue
                provider_dir = posixpath.dirname(provider)
                found = after_side.find(soname, [*dirs, provider_dir])
                if found is None:
                    if unknown:
                        unknown_links[before_side.owner[provider]][soname][
                            owner.label
                        ].append(relpath)
                        continue
                    pair = (key, soname)
                    broken[pair].append(
                        f"{relpath}: DT_NEEDED {soname}; provided today by "
                        f"{provider} of {_full(old[before_side.owner[provider]])}"
                    )
                    broken_provider[pair] = before_side.owner[provider]
                    continue
                needs = info.needs_from(soname)
                new_owner = after_side.owner[found]
                if not needs or new_owner not in incoming_files:
                    continue
                lib = incoming_scanner(new_owner).info(found, follow=True)
                if lib is None or not lib.version_defs:
                    continue
                missing = [v for v in needs if v not in lib.version_defs]
                if missing:
                    pair = (key, soname)
                    versions[pair][relpath].extend(missing)
                    versions_provider[pair] = (
                        new[new_owner],
                        old[before_side.owner[provider]],
                        found,
                        lib,
                    )

    if check_incoming:
        _check_incoming(
            owners,
            versions,
            versions_provider,
            stats,
            staying,
            old,
            new,
            after_side,
            incoming_files,
            incoming_scanner,
            scanner,
            prefix_strings,
        )

    for (key, soname), evidence in sorted(broken.items()):
        findings.append(
            _soname_finding(
                owners[key],
                soname,
                old[broken_provider[key, soname]],
                new.get(broken_provider[key, soname]),
                evidence,
                incoming_files,
                incoming_scanner,
            )
        )
    for (key, soname), per_file in sorted(versions.items()):
        runtime, previous, path, lib = versions_provider[key, soname]
        findings.append(
            _version_finding(
                owners[key], soname, runtime, previous, path, lib, per_file
            )
        )
    waiting = ", ".join(_full(r) for _, r in sorted(unknown.items()))
    for name, by_soname in sorted(unknown_links.items()):
        record, replaced = old[name], new.get(name)
        sonames = ", ".join(sorted(by_soname))
        if replaced is not None and replaced.name in unknown:
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
            f"incoming files of {waiting} are not known yet (not extracted: a dry "
            f"run or an empty package cache), so {what}, provided today by "
            f"{_full(record)}{gone}, was not checked (linked by {linked})"
        )

    if pip:
        findings.extend(
            pip_findings(before, after, prefix, dists=dists, scanner=scanner)
        )
    for scan in (scanner, *package_scanners.values()):
        stats["files_read"] += scan.reads
        stats["cache_hits"] += scan.hits
        if scan.unreadable:
            shown = ", ".join(sorted(scan.unreadable)[:3])
            notes.append(
                f"{len(scan.unreadable)} file(s) under {scan.root} could not be read "
                f"as binaries and were not checked: {shown}"
            )
        for fmt, count in sorted(scan.unsupported.items()):
            notes.append(
                f"{count} {fmt} file(s) under {scan.root} were not checked "
                f"(no {fmt} reader yet)"
            )
        scan.save()
    return LinkReport(tuple(findings), tuple(notes), stats)


def _check_incoming(
    owners: dict[str, _Owner],
    versions: dict[tuple[str, str], dict[str, list[str]]],
    versions_provider: dict[
        tuple[str, str], tuple[Record, Record | None, str, BinaryInfo]
    ],
    stats: dict[str, int],
    staying: Mapping[str, Record],
    old: Mapping[str, Record],
    new: Mapping[str, Record],
    after_side: _Side,
    incoming_files: Mapping[str, tuple[str, ...]],
    incoming_scanner: Callable[[str], Scanner],
    scanner: Scanner,
    prefix_strings: tuple[str, ...],
) -> None:
    """Incoming binaries against the C/C++ runtime the prefix keeps."""
    runtime: dict[str, tuple[str, Record, Record | None]] = {}
    for soname in sorted(CXX_RUNTIME_SONAMES):
        path = after_side.anywhere(soname)
        if path is None:
            continue
        name = after_side.owner[path]
        if name in staying:
            runtime[soname] = (path, staying[name], staying[name])
        elif name in new and name in old:
            before, after = old[name], new[name]
            if compare_versions(after.version, before.version) < 0:
                runtime[soname] = (path, after, before)
    if not runtime:
        return
    families = set(load_table().members("cxx-runtime"))
    names = families | {r.name for _, r, _ in runtime.values()}
    for name in sorted(incoming_files):
        record = new[name]
        if name in names or not (_dep_names(record) & names):
            continue
        key = f"incoming:{name}"
        binaries = [p for p in incoming_files[name] if is_candidate(p)]
        owners[key] = _Owner(
            label=f"{record.name} {record.version}",
            moves=(PackageMove(name, old.get(name), record),),
            files=binaries,
        )
        stats["incoming_packages_scanned"] = (
            stats.get("incoming_packages_scanned", 0) + 1
        )
        scan = incoming_scanner(name)
        for relpath in binaries:
            info = scan.info(relpath)
            if info is None:
                continue
            stats["incoming_files_scanned"] = stats.get("incoming_files_scanned", 0) + 1
            for soname, (path, after, before) in runtime.items():
                needs = info.needs_from(soname)
                if not needs:
                    continue
                provider = after_side.owner[path]
                lib = (
                    incoming_scanner(provider)
                    if provider in incoming_files
                    else scanner
                ).info(path, follow=True)
                if lib is None or not lib.version_defs:
                    continue
                missing = [v for v in needs if v not in lib.version_defs]
                if missing:
                    versions[key, soname][relpath].extend(missing)
                    versions_provider[key, soname] = (after, before, path, lib)


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


def _shipped(
    name: str,
    soname: str,
    incoming_files: Mapping[str, tuple[str, ...]],
    incoming_scanner: Callable[[str], Scanner],
) -> list[str]:
    """Sonames of the replacement package's libraries that share ``soname``'s stem."""
    stem = _stem(soname)
    shipped: set[str] = set()
    for path in incoming_files.get(name, ()):
        base = path.rsplit("/", 1)[-1]
        if not is_library_name(base) and ".so." not in base:
            continue
        if _stem(base) != stem:
            continue
        info = incoming_scanner(name).info(path, follow=True)
        shipped.add(info.soname if info is not None and info.soname else base)
    return sorted(shipped)


def _soname_finding(
    owner: _Owner,
    soname: str,
    provider: Record,
    replacement: Record | None,
    evidence: list[str],
    incoming_files: Mapping[str, tuple[str, ...]],
    incoming_scanner: Callable[[str], Scanner],
) -> Finding:
    today = f"provided today by {_full(provider)}"
    if replacement is None:
        change = "which is being removed"
    else:
        shipped = _shipped(replacement.name, soname, incoming_files, incoming_scanner)
        ships = (
            f"shipping only {', '.join(shipped)}"
            if shipped
            else f"shipping no {_stem(soname)} library"
        )
        change = f"which is being replaced by {_full(replacement)} {ships}"
    return Finding(
        rule="soname",
        severity=Severity.HIGH,
        message=f"{owner.label} links {soname}, {today}, {change}",
        packages=owner.moves + (PackageMove(provider.name, provider, replacement),),
        evidence=tuple(evidence[:_MAX_EVIDENCE])
        + (
            (f"… and {len(evidence) - _MAX_EVIDENCE} more files",)
            if len(evidence) > _MAX_EVIDENCE
            else ()
        ),
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
