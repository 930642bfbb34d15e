"""Proof from the files on disk, for a diff of two states.

Whenever a side of a diff is a prefix on disk, its files can prove what the
records only suggest. :func:`prove` gathers, for ``before`` → ``after``:

- the :class:`~conda_guard.facts.FileFacts` the rules read (the NumPy C-API
  of extension modules): the before prefix's installed files, the after
  prefix's when ``after`` is a prefix on disk too (``diff PREFIX_A
  PREFIX_B``), and the extracted packages of incoming records (given, or
  found in the package caches);
- the link-level findings of :func:`~conda_guard.binaries.check_links` when
  ``before`` is a prefix on disk: the staying binaries against the files the
  after side provides (the after prefix's ``conda-meta`` ``files`` and its
  files, or the extracted incoming packages).

Every read goes through one :class:`~conda_guard.binaries.scan.ScannerPool`;
:meth:`FileProof.save` writes the caches once, after the analysis. Nothing
here imports conda.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from .binaries.scan import ScannerPool
    from .facts import FileFacts
    from .models import Finding, State


@dataclass
class FileProof:
    """What the files said: facts for the rules, link findings, notes."""

    facts: FileFacts | None = None
    findings: tuple[Finding, ...] = ()
    notes: tuple[str, ...] = ()
    pool: ScannerPool | None = field(default=None, repr=False)

    def save(self) -> None:
        """Write the binary caches back (once, after the analysis)."""
        if self.pool is not None:
            self.pool.save()


def on_disk(state: State) -> Path | None:
    """The prefix of ``state`` when it is a prefix on disk (``conda-meta`` there)."""
    if state.kind != "prefix" or not state.prefix:
        return None
    path = Path(state.prefix)
    return path if (path / "conda-meta").is_dir() else None


def _lists_files(*states: State) -> bool:
    return any(r.files for state in states for r in state)


def _changed(before: State, after: State) -> list:
    from .diff import same_package

    return [
        r
        for r in after
        if not r.pip
        and not ((old := before.get(r.name)) is not None and same_package(old, r))
    ]


def prove(
    before: State,
    after: State,
    *,
    enabled: bool = True,
    incoming: Mapping[str, Path] | None = None,
    pkgs_dirs: Iterable[Path] | None = None,
    links: bool = True,
    cache_dir: Path | None | bool = None,
) -> FileProof:
    """The file proof of ``before`` → ``after`` (see the module docstring).

    ``incoming`` maps names of incoming packages to their extracted
    directories; without it (or for names it lacks) they are looked up in
    ``pkgs_dirs`` (default: :func:`~conda_guard.binaries.guess_pkgs_dirs` of
    the prefix). ``links=False`` gives only the facts. With neither side on
    disk, the facts come from ``incoming`` and ``pkgs_dirs`` alone (a new
    environment whose packages are in the cache).
    """
    first, second = on_disk(before), on_disk(after)
    if second is not None and first is not None and second == first:
        second = None  # PREFIX@N is not on disk; the same prefix proves nothing new
    root = first if first is not None else second
    if not enabled or (root is None and not pkgs_dirs and not incoming):
        return FileProof()
    from .binaries import check_links, guess_pkgs_dirs, incoming_from_cache
    from .binaries.file_facts import DiskFileFacts
    from .binaries.scan import ScannerPool

    pool = ScannerPool(cache_dir)
    if pkgs_dirs is not None:
        dirs = tuple(Path(p) for p in pkgs_dirs)
    else:
        dirs = guess_pkgs_dirs(root) if root is not None else ()
    changed = _changed(before, after)
    found = dict(incoming or {})
    missing = [r for r in changed if r.name not in found]
    if missing and second is None:
        found.update(incoming_from_cache(missing, dirs))
    facts: FileFacts | None = DiskFileFacts(
        first, found, pkgs_dirs=dirs, after_prefix=second, pool=pool
    )
    if not found and not dirs and not _lists_files(before, after):
        facts = None  # a prefix of records without files: nothing to read
    if first is None or not links:
        return FileProof(facts, pool=pool)
    gone = any(r.name not in after for r in before if not r.pip)
    if (
        (changed or gone)
        and not any(r.files for r in before)
        and not any(r.pip for r in before)
    ):
        # nothing to read: no record lists its files and no pip-installed
        # distribution; this is what check_links would say, without loading it
        note = (
            "link-level checks skipped: no installed files are known for "
            f"{first} (conda-meta records without 'files')"
        )
        return FileProof(facts, (), (note,), pool)
    report = check_links(
        before, after, prefix=first, incoming=found, after_prefix=second, pool=pool
    )
    return FileProof(facts, report.findings, report.notes, pool)
