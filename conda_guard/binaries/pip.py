"""pip-installed distributions with compiled extensions, and what breaks them.

A ``*.dist-info`` whose ``INSTALLER`` is not ``conda`` was put there by pip,
uv or another tool (conda-build and rattler-build rewrite it to ``conda``;
ABI-FACTS §4). Its ``RECORD`` lists the shared objects it installed. conda
does not know these files, so a Python minor change leaves them behind in the
old ``lib/pythonX.Y/site-packages`` and a numpy 1 → 2 change breaks the
extensions built against numpy 1.x (ABI-FACTS §1).

Rule ``pip-extension`` (low, :func:`pip_extension_findings`): an environment as
it is (``check``, ``conda doctor``) holds pip-installed distributions with
compiled extensions; a change of Python minor or numpy major breaks them. On a
change, :func:`pip_findings` reports the ``python-minor`` and ``numpy-abi``
breaks themselves. Standard library only.
"""

from __future__ import annotations

import csv
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from conda_guard.binaries.numpy_capi import fails_at_import
from conda_guard.binaries.scan import Scanner, is_library_name
from conda_guard.facts import NumpyApi
from conda_guard.models import Finding, PackageMove, Record, Severity

if TYPE_CHECKING:
    from collections.abc import Mapping

    from conda_guard.models import State


@dataclass(frozen=True, slots=True)
class PipDist:
    """One distribution installed by a tool other than conda.

    Paths are relative to the prefix, with ``/`` separators.
    """

    name: str
    version: str
    installer: str
    dist_info: str
    site_packages: str
    extensions: tuple[str, ...]

    @property
    def label(self) -> str:
        """``pip-installed numpy-quaternion 2023.0.3`` (the installer's name)."""
        return f"{self.installer}-installed {self.name} {self.version}".strip()

    def record(self) -> Record:
        """A :class:`Record` for reports (``pip=True``, channel ``pypi``)."""
        return Record(
            name=self.name,
            version=self.version,
            channel="pypi",
            pip=True,
            source=self.dist_info,
            files=self.extensions,
        )


def _site_packages(prefix: Path) -> list[Path]:
    found = sorted(prefix.glob("lib/python*/site-packages"))
    found += [p for p in (prefix / "Lib" / "site-packages",) if p.is_dir()]
    return [p for p in found if p.is_dir()]


def _metadata(dist_info: Path) -> tuple[str, str]:
    name = version = ""
    try:
        with open(dist_info / "METADATA", encoding="utf-8", errors="replace") as f:
            for line in f:
                if not line.strip():
                    break
                key, _, value = line.partition(":")
                if key == "Name" and not name:
                    name = value.strip()
                elif key == "Version" and not version:
                    version = value.strip()
    except OSError:
        pass
    if not name or not version:
        stem = dist_info.name[: -len(".dist-info")]
        dir_name, _, dir_version = stem.partition("-")
        name = name or dir_name
        version = version or dir_version
    return name, version


def find_pip_dists(prefix: Path) -> tuple[PipDist, ...]:
    """Every dist-info under the prefix's site-packages not installed by conda.

    A dist-info without an ``INSTALLER`` file is left out (its origin is
    unknown). Sorted by site-packages, then name.
    """
    prefix = Path(prefix)
    out: list[PipDist] = []
    for site in _site_packages(prefix):
        site_rel = site.relative_to(prefix).as_posix()
        for dist_info in sorted(site.glob("*.dist-info")):
            try:
                installer = (dist_info / "INSTALLER").read_text("utf-8").strip()
            except (OSError, UnicodeDecodeError):
                continue
            if installer.lower() == "conda" or not installer:
                continue
            name, version = _metadata(dist_info)
            out.append(
                PipDist(
                    name=name,
                    version=version,
                    installer=installer,
                    dist_info=dist_info.relative_to(prefix).as_posix(),
                    site_packages=site_rel,
                    extensions=_extensions(dist_info, site_rel),
                )
            )
    return tuple(out)


def _extensions(dist_info: Path, site_rel: str) -> tuple[str, ...]:
    try:
        with open(dist_info / "RECORD", encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error):
        return ()
    found: set[str] = set()
    for row in rows:
        if not row or not is_library_name(row[0].rsplit("/", 1)[-1]):
            continue
        path = posixpath.normpath(posixpath.join(site_rel, row[0].replace("\\", "/")))
        if not path.startswith("../") and path != "..":
            found.add(path)
    return tuple(sorted(found))


def pip_extensions(prefix: Path) -> dict[str, tuple[str, ...]]:
    """Dist name → compiled files (relative to the prefix) of non-conda dists.

    Only dists whose ``RECORD`` lists ``.so``/``.pyd``/``.dylib`` (or other
    shared-library) files are included.
    """
    return {d.name: d.extensions for d in find_pip_dists(prefix) if d.extensions}


def pip_extension_findings(dists: Mapping[str, tuple[str, ...]]) -> list[Finding]:
    """``pip-extension`` (low): compiled pip-installed distributions, as they are.

    ``dists`` is :func:`pip_extensions` of a prefix; no finding when it is empty.
    """
    if not dists:
        return []
    names = sorted(dists)
    return [
        Finding(
            rule="pip-extension",
            severity=Severity.LOW,
            message=(
                f"{len(names)} pip-installed distribution(s) carry compiled "
                f"extensions conda does not track: {', '.join(names)}; a Python "
                f"minor or numpy major change breaks them"
            ),
            packages=tuple(PackageMove(n, None, None) for n in names),
            evidence=tuple(f"{n}: {', '.join(dists[n][:3])}" for n in names),
        )
    ]


def active_dists(
    dists: tuple[PipDist, ...], python: Record | None
) -> tuple[PipDist, ...]:
    """The dists the installed ``python`` sees (all when it is not known).

    Dists left in another ``lib/pythonX.Y`` by an earlier Python change are
    already invisible; ``Lib/site-packages`` (Windows) is shared by all.
    """
    minor = _minor(python.version) if python is not None else None
    if minor is None:
        return dists
    sites = {
        f"lib/python{minor[0]}.{minor[1]}/site-packages",
        f"lib/python{minor[0]}.{minor[1]}t/site-packages",
        "Lib/site-packages",
    }
    return tuple(d for d in dists if d.site_packages in sites)


def _minor(version: str) -> tuple[int, int] | None:
    parts = version.split(".")
    try:
        return int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return None


def _major(version: str) -> int | None:
    try:
        return int(version.split(".")[0])
    except ValueError:
        return None


def _conda_record(state: State, *names: str) -> Record | None:
    for name in names:
        record = state.get(name)
        if record is not None and not record.pip:
            return record
    return None


def _vb(record: Record) -> str:
    return f"{record.version} {record.build}".strip()


def pip_findings(
    before: State,
    after: State,
    prefix: Path,
    *,
    dists: tuple[PipDist, ...] | None = None,
    scanner: Scanner | None = None,
    cache_dir: Path | None | bool = None,
) -> tuple[Finding, ...]:
    """``python-minor`` and ``numpy-abi`` findings for pip-installed extensions.

    ``dists`` defaults to :func:`find_pip_dists` of ``prefix``; ``scanner``
    (for the NumPy C-API scan) defaults to a :class:`Scanner` of ``prefix``.
    """
    prefix = Path(prefix)
    if dists is None:
        dists = find_pip_dists(prefix)
    py_before = _conda_record(before, "python")
    py_after = _conda_record(after, "python")
    compiled = [d for d in active_dists(dists, py_before) if d.extensions]
    if not compiled:
        return ()
    findings: list[Finding] = []
    if py_before and py_after:
        old, new = _minor(py_before.version), _minor(py_after.version)
        if old and new and old != new:
            findings.append(_python_minor(py_before, py_after, old, compiled))
    np_before = _conda_record(before, "numpy", "numpy-base")
    np_after = _conda_record(after, "numpy", "numpy-base")
    if np_before and np_after:
        old_major, new_major = _major(np_before.version), _major(np_after.version)
        if old_major is not None and new_major is not None and old_major != new_major:
            own = scanner is None
            scan = scanner if scanner is not None else Scanner(prefix, cache_dir)
            for dist in compiled:
                finding = _numpy_abi(np_before, np_after, dist, scan)
                if finding is not None:
                    findings.append(finding)
            if own:
                scan.save()
    return tuple(findings)


def _python_minor(
    before: Record, after: Record, old: tuple[int, int], compiled: list[PipDist]
) -> Finding:
    old_site = f"lib/python{old[0]}.{old[1]}"
    names = ", ".join(f"{d.name} {d.version}" for d in compiled)
    evidence = [
        f"{d.label} ({d.dist_info}): {ext}" for d in compiled for ext in d.extensions
    ]
    if any(d.site_packages.startswith(old_site + "/") for d in compiled):
        evidence.append(
            f"{old_site}/site-packages stays behind: the new interpreter does not "
            "look there and conda does not move files it did not install"
        )
    plural = "s" if len(compiled) > 1 else ""
    return Finding(
        rule="python-minor",
        severity=Severity.HIGH,
        message=(
            f"python {_vb(before)} -> {_vb(after)} orphans the pip-installed "
            f"compiled distribution{plural} {names}: their extensions were built "
            f"for Python {old[0]}.{old[1]} and must be reinstalled"
        ),
        packages=(PackageMove("python", before, after),)
        + tuple(PackageMove(d.name, d.record(), None) for d in compiled),
        evidence=tuple(evidence),
    )


def _numpy_hits(dist: PipDist, scanner: Scanner, wanted: NumpyApi) -> dict[str, str]:
    """Extension → evidence, for the extensions of ``dist`` built for ``wanted``."""
    hits = {}
    for ext in sorted(dist.extensions):
        result = scanner.numpy_api(ext)
        if result is not None and result.api is wanted:
            hits[ext] = result.detail
    return hits


def _breaks(hits: Mapping[str, str]) -> str:
    if all(fails_at_import(detail) for detail in hits.values()):
        return "cannot import them"
    return "breaks them"


def _numpy_abi(
    before: Record, after: Record, dist: PipDist, scanner: Scanner
) -> Finding | None:
    old_major, new_major = _major(before.version), _major(after.version)
    assert old_major is not None and new_major is not None
    if old_major < 2 <= new_major:
        wanted, severity = NumpyApi.V1, Severity.HIGH
    elif old_major >= 2 > new_major:
        wanted, severity = NumpyApi.V2, Severity.MEDIUM
    else:
        return None
    hits = _numpy_hits(dist, scanner, wanted)
    if not hits:
        return None
    if wanted is NumpyApi.V2:
        consequence = (
            "runs them only if it is not older than the NumPy version they target"
        )
    else:
        consequence = _breaks(hits)
    return Finding(
        rule="numpy-abi",
        severity=severity,
        message=(
            f"{dist.label} has compiled extensions built against NumPy {wanted}; "
            f"numpy {_vb(before)} -> {_vb(after)} {consequence}"
        ),
        packages=(
            PackageMove(before.name, before, after),
            PackageMove(dist.name, dist.record(), dist.record()),
        ),
        evidence=tuple(f"{ext} {detail}" for ext, detail in hits.items()),
    )


def stale_dists(
    dists: tuple[PipDist, ...], python: Record | None
) -> tuple[PipDist, ...]:
    """The dists in another Python's ``lib/pythonX.Y/site-packages`` (none
    when the installed ``python`` is not known)."""
    if python is None or _minor(python.version) is None:
        return ()
    active = set(active_dists(dists, python))
    return tuple(
        d for d in dists if d not in active and d.site_packages.startswith("lib/python")
    )


def environment_pip_findings(
    state: State, dists: tuple[PipDist, ...], scanner: Scanner
) -> list[Finding]:
    """What pip-installed distributions prove about an environment as it is.

    ``python-minor``: dists left in an old Python's site-packages, which the
    installed Python does not see (high when some are compiled, medium
    otherwise). ``numpy-abi`` (high): compiled extensions the installed
    Python sees, built against NumPy 1.x, next to numpy >= 2 (naming the
    files). ``scanner`` reads the prefix.
    """
    out = []
    python = _conda_record(state, "python")
    stale = stale_dists(dists, python)
    if python is not None and stale:
        out.append(_left_behind(python, stale))
    numpy = _conda_record(state, "numpy", "numpy-base")
    major = _major(numpy.version) if numpy is not None else None
    if numpy is None or major is None or major < 2:
        return out
    for dist in active_dists(dists, python):
        hits = _numpy_hits(dist, scanner, NumpyApi.V1) if dist.extensions else {}
        if hits:
            out.append(
                Finding(
                    rule="numpy-abi",
                    severity=Severity.HIGH,
                    message=(
                        f"{dist.label} has compiled extensions built against NumPy "
                        f"1.x; the installed numpy {_vb(numpy)} {_breaks(hits)}"
                    ),
                    packages=(
                        PackageMove(numpy.name, numpy, numpy),
                        PackageMove(dist.name, dist.record(), dist.record()),
                    ),
                    evidence=tuple(f"{ext} {detail}" for ext, detail in hits.items()),
                )
            )
    return out


def _left_behind(python: Record, stale: tuple[PipDist, ...]) -> Finding:
    compiled = [d for d in stale if d.extensions]
    sites = sorted({d.site_packages for d in stale})
    minor = _minor(python.version)
    assert minor is not None
    evidence = [f"{d.label}: {d.dist_info}" for d in stale]
    evidence += [f"{d.label}: {ext}" for d in compiled for ext in d.extensions[:3]]
    evidence.append(
        f"python {_vb(python)} looks in lib/python{minor[0]}.{minor[1]}/site-packages"
        " only, and conda does not move files it did not install"
    )
    names = ", ".join(f"{d.name} {d.version}" for d in stale)
    return Finding(
        rule="python-minor",
        severity=Severity.HIGH if compiled else Severity.MEDIUM,
        message=(
            f"{len(stale)} pip-installed distribution(s) left in "
            f"{', '.join(sites)} by an earlier Python change cannot be imported by "
            f"python {python.version}: {names}"
            + (
                f" ({len(compiled)} with compiled extensions built for another Python)"
                if compiled
                else ""
            )
            + "; reinstall them"
        ),
        packages=(PackageMove("python", python, python),)
        + tuple(PackageMove(d.name, d.record(), None) for d in stale),
        evidence=tuple(evidence[:16]),
    )
