"""Prove link breaks: sonames that disappear, symbol versions that go missing.

:func:`check_links` compares what binaries that stay in a prefix need
(``DT_NEEDED`` sonames and the symbol versions bound to them) with what the
prefix will provide after a transaction: files of staying packages plus the
files of incoming packages, read from their extracted directories. Only
binaries that can be affected are read: those of staying packages that depend,
directly or transitively, on a changed package, and pip-installed extensions.

The steps, each a function of what the one before returned:
:func:`~conda_guard.binaries.index.index_transaction` (who provides which file
on each side), :func:`~conda_guard.binaries.check.find_problems` (what the
binaries need that goes away),
:func:`~conda_guard.binaries.findings.link_findings` and
:func:`~conda_guard.binaries.findings.link_notes`; the binary cache is saved
at the end, on purpose. Standard library + pyelftools (through
:mod:`conda_guard.binaries.read`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from conda_guard.binaries.check import Scanners, find_problems
from conda_guard.binaries.findings import link_findings, link_notes
from conda_guard.binaries.index import index_transaction
from conda_guard.binaries.pip import active_dists, find_pip_dists, pip_findings

if TYPE_CHECKING:
    from collections.abc import Mapping

    from conda_guard.binaries.check import Problems
    from conda_guard.binaries.index import FileIndex
    from conda_guard.binaries.pip import PipDist
    from conda_guard.binaries.scan import ScannerPool
    from conda_guard.models import Finding, State


#: the counters every :class:`LinkReport` has (incoming ones are added when used)
STATS = ("packages_scanned", "files_scanned", "files_read", "cache_hits")


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
    #: what makes "no findings" doubtful: files that could not be read
    warnings: tuple[str, ...] = ()


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
    after_prefix: Path | None = None,
    pool: ScannerPool | None = None,
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
    package, their ``GLIBC_*`` needs against it. ``after_prefix``: ``after``
    is installed there (``diff PREFIX_A PREFIX_B``), so a new package's files
    are read from it when no extracted directory is known. ``pool`` shares
    the scanners (and their cache) with other checks of the run. Never
    writes inside ``prefix``.
    """
    prefix = Path(prefix)
    index = index_transaction(
        before,
        after,
        prefix,
        incoming or {},
        Path(after_prefix) if after_prefix is not None else None,
    )
    stats = dict.fromkeys(STATS, 0)
    if not index.old and not index.new:
        return LinkReport((), (), stats)
    dists = active_dists(find_pip_dists(prefix), before.get("python")) if pip else ()
    if not index.has_files and not dists:
        return LinkReport((), (_no_files_note(prefix),), stats)
    scanners = Scanners(prefix, index.incoming, cache_dir, pool)
    problems = find_problems(
        index,
        scanners,
        dists=dists,
        scan_all=scan_all,
        glibc=after.get("__glibc") or before.get("__glibc"),
        check_incoming=check_incoming,
    )
    pip_dists = dists if pip else None
    findings = _findings(before, after, prefix, index, problems, scanners, pip_dists)
    return _report(index, problems, scanners, findings)


def _findings(
    before: State,
    after: State,
    prefix: Path,
    index: FileIndex,
    problems: Problems,
    scanners: Scanners,
    dists: tuple[PipDist, ...] | None,
) -> list[Finding]:
    """The link findings, then (``dists`` not None) those of pip's extensions."""
    findings = link_findings(index, problems, scanners)
    if dists is not None:  # python-minor and numpy-abi of pip's extensions
        findings += pip_findings(
            before, after, prefix, dists=dists, scanner=scanners.prefix
        )
    return findings


def _report(
    index: FileIndex,
    problems: Problems,
    scanners: Scanners,
    findings: list[Finding],
) -> LinkReport:
    """The notes and counters after the findings; the binary cache saved last."""
    notes = link_notes(index, problems, scanners)
    scanners.save()
    stats = dict.fromkeys(STATS, 0)
    stats.update(problems.stats)
    stats.update(scanners.stats())
    return LinkReport(tuple(findings), tuple(notes), stats)


def _no_files_note(prefix: Path) -> str:
    return (
        "link-level checks skipped: no installed files are known for "
        f"{prefix} (conda-meta records without 'files')"
    )
