"""The findings and notes of the link checks, from their ``Problems``.

:func:`link_findings`: one finding per binary owner and soname: ``soname``
(a library a binary links goes away), ``cxx-runtime``/``soname`` for symbol
versions a library no longer defines, ``cxx-runtime`` for ``GLIBC_*``
versions above the system's (``__glibc``); each names the files and the
provider, both sides. :func:`link_notes`: the checks that could not be made
(incoming files not known yet, unreadable files, formats without a reader).
Standard library only.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import TYPE_CHECKING, NamedTuple

from conda_guard.binaries.scan import is_library_name
from conda_guard.models import Finding, PackageMove, Severity

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from conda_guard.binaries.check import Problems, Scanners
    from conda_guard.binaries.formats import BinaryInfo
    from conda_guard.binaries.index import FileIndex, Owner
    from conda_guard.binaries.scan import Scanner
    from conda_guard.models import Record


#: Sonames whose symbol versions are proof for ``cxx-runtime`` (others: ``soname``).
CXX_RUNTIME_SONAMES = frozenset({"libstdc++.so.6", "libgcc_s.so.1"})


_VERSION_TAIL = re.compile(r"^(.*?)_?([0-9]+(?:\.[0-9]+)*)$")


_MAX_EVIDENCE = 12


def full(record: Record) -> str:
    return f"{record.name} {record.version} {record.build}".strip()


def version_key(name: str) -> tuple[str, tuple[int, ...]] | None:
    """``GLIBCXX_3.4.30`` → ``("GLIBCXX", (3, 4, 30))``; ``None`` when not numeric."""
    match = _VERSION_TAIL.match(name)
    if not match:
        return None
    return match.group(1), tuple(int(p) for p in match.group(2).split("."))


def highest(names: Iterable[str]) -> dict[str, str]:
    """Family (``GLIBCXX``, ``CXXABI`` …) → highest version name."""
    best: dict[str, tuple[tuple[int, ...], str]] = {}
    for name in names:
        key = version_key(name)
        if key is None:
            continue
        family, number = key
        if family not in best or number > best[family][0]:
            best[family] = (number, name)
    return {family: name for family, (_, name) in best.items()}


def stem(soname: str) -> str:
    for marker in (".so", ".dylib", ".dll"):
        if marker in soname:
            return soname.split(marker, 1)[0]
    return soname


def _soname_finding(
    owner: Owner,
    soname: str,
    provider: Record,
    replacement: Record | None,
    shipped: list[str],
    evidence: list[str],
) -> Finding:
    today = f"provided today by {full(provider)}"
    if replacement is None:
        change = "which is being removed"
    else:
        ships = (
            f"shipping only {', '.join(shipped)}"
            if shipped
            else f"shipping no {stem(soname)} library"
        )
        change = f"which is being replaced by {full(replacement)} {ships}"
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
    owner: Owner,
    soname: str,
    record: Record,
    previous: Record | None,
    path: str,
    lib: BinaryInfo,
    per_file: Mapping[str, list[str]],
) -> Finding:
    gap = symbol_gap(per_file, lib.version_defs, soname)
    provides = (
        f"provides up to {gap.have}" if gap.have else f"does not define {gap.needs}"
    )
    return Finding(
        rule="cxx-runtime" if soname in CXX_RUNTIME_SONAMES else "soname",
        severity=Severity.HIGH,
        message=f"{owner.label} needs {gap.needs}, {record.name} {record.version} "
        f"{provides}",
        packages=owner.moves + (PackageMove(record.name, previous, record),),
        evidence=(
            *gap.evidence,
            f"{path} of {full(record)} defines up to {gap.defined}",
        ),
    )


def _order(name: str) -> tuple[str, tuple[int, ...]]:
    return version_key(name) or (name, ())


class SymbolGap(NamedTuple):
    """Symbol versions some files need from a library and what it defines."""

    #: the highest needed version of each family (``GLIBCXX_3.4.32 and CXXABI_1.3.15``)
    needs: str
    #: the library's highest version of those families ("" when it has none)
    have: str
    #: the library's highest version of every family it defines
    defined: str
    #: one line per file: what it needs from the library
    evidence: tuple[str, ...]


def symbol_gap(
    per_file: Mapping[str, Iterable[str]], defs: Iterable[str], soname: str
) -> SymbolGap:
    """What ``per_file`` (file → missing version names) needs from ``soname``
    (defining ``defs``), for a finding's message and evidence."""
    missing = sorted({v for names in per_file.values() for v in names}, key=_order)
    need_top = highest(missing)
    have_top = highest(defs)
    return SymbolGap(
        needs=" and ".join(need_top[f] for f in sorted(need_top)) or ", ".join(missing),
        have=" and ".join(have_top[f] for f in sorted(need_top) if f in have_top),
        defined=", ".join(have_top[f] for f in sorted(have_top)),
        evidence=tuple(
            f"{rel}: needs {', '.join(sorted(set(names), key=_order))} from {soname}"
            for rel, names in sorted(per_file.items())
        )[:_MAX_EVIDENCE],
    )


def _glibc_finding(
    owner: Owner, glibc: Record, per_file: Mapping[str, set[str]]
) -> Finding:
    missing = {v for names in per_file.values() for v in names}
    top = highest(missing)["GLIBC"]
    evidence = [
        f"{rel}: needs {', '.join(sorted(names, key=version_key))}"
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


def link_findings(
    index: FileIndex, problems: Problems, scanners: Scanners
) -> list[Finding]:
    """One finding per (binary owner, soname), then the ``GLIBC_*`` ones."""
    out = []
    for (key, soname), evidence in sorted(problems.broken.items()):
        provider = problems.broken_provider[key, soname]
        replacement = index.new.get(provider)
        shipped = (
            _shipped(index, scanners, replacement.name, soname)
            if replacement is not None
            else []
        )
        owner = problems.owners[key]
        old = index.old[provider]
        out.append(_soname_finding(owner, soname, old, replacement, shipped, evidence))
    for (key, soname), per_file in sorted(problems.versions.items()):
        runtime, previous, path, lib = problems.versions_provider[key, soname]
        owner = problems.owners[key]
        out.append(
            _version_finding(owner, soname, runtime, previous, path, lib, per_file)
        )
    for key, per_file in sorted(problems.glibc.items()):
        assert problems.glibc_record is not None
        owner = problems.owners[key]
        out.append(_glibc_finding(owner, problems.glibc_record, per_file))
    return out


def _shipped(index: FileIndex, scanners: Scanners, name: str, soname: str) -> list[str]:
    """Sonames of the replacement's libraries that share ``soname``'s stem."""
    shipped: set[str] = set()
    for path in index.incoming_files.get(name, ()):
        base = path.rsplit("/", 1)[-1]
        if not is_library_name(base) and ".so." not in base:
            continue
        if stem(base) != stem(soname):
            continue
        info = scanners.of(name).info(path, follow=True)
        shipped.add(info.soname if info is not None and info.soname else base)
    return sorted(shipped)


def link_notes(index: FileIndex, problems: Problems, scanners: Scanners) -> list[str]:
    """Sentences about the checks that could not be made."""
    notes = [
        _unknown_note(index, name, by_soname)
        for name, by_soname in sorted(problems.unknown_links.items())
    ]
    notes += scanner_notes(scanners.all())
    return notes + scanners.pool.notes()


def scanner_notes(
    scanners: Iterable[Scanner], skip_formats: Iterable[str] = ()
) -> list[str]:
    """Files that could not be read, and formats without a reader, per root
    (formats in ``skip_formats``, foreign to the platform, are not counted)."""
    skip = set(skip_formats)
    notes = []
    for scan in scanners:
        if scan.unreadable:
            shown = ", ".join(sorted(scan.unreadable)[:3])
            notes.append(
                f"{len(scan.unreadable)} file(s) under {scan.root} could not be "
                f"read as binaries and were not checked: {shown}"
            )
        for fmt, count in sorted(scan.unsupported.items()):
            if fmt in skip:
                continue
            notes.append(
                f"{count} {fmt} file(s) under {scan.root} were not checked "
                f"(no {fmt} reader yet)"
            )
    return notes


def _unknown_note(
    index: FileIndex, name: str, by_soname: Mapping[str, Mapping[str, list[str]]]
) -> str:
    """The links to ``name``'s sonames that wait for incoming files not known yet."""
    waiting = ", ".join(full(r) for _, r in sorted(index.unknown.items()))
    record, replaced = index.old[name], index.new.get(name)
    sonames = ", ".join(sorted(by_soname))
    if replaced is not None and replaced.name in index.unknown:
        what = f"whether {full(replaced)} still ships {sonames}"
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
    return (
        f"incoming files of {waiting} are not known yet (not extracted: a "
        f"dry run or an empty package cache), so {what}, provided today by "
        f"{full(record)}{gone}, was not checked (linked by {linked})"
    )
