"""The findings of the link checks: one per binary owner and soname.

``soname`` (a library a binary links goes away), and ``cxx-runtime``/
``soname`` for symbol versions a library no longer defines, and ``GLIBC_*``
versions above the system's (``__glibc``). Each names the files and the
provider, both sides. Standard library only.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from conda_guard.models import Finding, PackageMove, Severity

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from conda_guard.binaries.formats import BinaryInfo
    from conda_guard.binaries.index import _Owner
    from conda_guard.models import Record


#: Sonames whose symbol versions are proof for ``cxx-runtime`` (others: ``soname``).
CXX_RUNTIME_SONAMES = frozenset({"libstdc++.so.6", "libgcc_s.so.1"})


_VERSION_TAIL = re.compile(r"^(.*?)_?([0-9]+(?:\.[0-9]+)*)$")


_MAX_EVIDENCE = 12


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
