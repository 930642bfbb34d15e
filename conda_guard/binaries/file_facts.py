"""The files of a package, found on disk, and what they say (:class:`FileFacts`).

:class:`DiskFileFacts` implements :class:`conda_guard.facts.FileFacts` for
records installed in a prefix (their ``conda-meta`` ``files``) and for
records whose extracted package directory is known (a mapping, or conda's
package caches): it lists a record's extension modules and classifies each
with :func:`conda_guard.binaries.numpy_capi.classify_file`, through the
per-file cache of :class:`~conda_guard.binaries.scan.Scanner`. Standard
library only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from conda_guard.binaries.numpy_capi import is_extension_module, is_shared_object
from conda_guard.binaries.scan import ScannerPool, incoming_from_cache, is_extracted
from conda_guard.facts import ExtensionApi, NumpyApi

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from conda_guard.facts import Side
    from conda_guard.models import Record


class DiskFileFacts:
    """:class:`~conda_guard.facts.FileFacts` from files on disk.

    A record is looked up, in order: on the ``after`` side, installed in
    ``after_prefix`` (the after state is a prefix on disk too); installed in
    ``prefix`` (``conda-meta/<dist>.json`` exists; files from the record or
    that file; pip records by their ``files``), then in ``packages`` (name →
    extracted package directory whose ``info/index.json`` names the same
    build), then in the package caches ``pkgs_dirs``. Otherwise ``side``
    does not matter: a record is the same build on either side. Each root
    gets a :class:`Scanner` from ``pool`` (or a pool of its own, with
    ``cache_dir`` as for :class:`Scanner`), so answers are cached per file;
    call :meth:`save` (or use ``with``) to write the caches back. Inside a
    transaction: ``DiskFileFacts(prefix, incoming, pkgs_dirs=...)`` with
    ``incoming`` from :func:`~conda_guard.binaries.scan.incoming_from_cache`.

    The answer lists the record's Python extension modules (any API) and its
    other shared libraries that use the C-API (``libboost_numpy``). It is
    ``None`` when no files are known, or when a file could not be read and
    nothing else proves a C-API use.
    """

    def __init__(
        self,
        prefix: Path | None = None,
        packages: Mapping[str, Path] | None = None,
        *,
        pkgs_dirs: Iterable[Path] = (),
        cache_dir: Path | None | bool = None,
        after_prefix: Path | None = None,
        pool: ScannerPool | None = None,
    ) -> None:
        self.prefix = Path(prefix) if prefix is not None else None
        self.after_prefix = Path(after_prefix) if after_prefix is not None else None
        self.packages = {k: Path(v) for k, v in (packages or {}).items()}
        self.pkgs_dirs = tuple(Path(p) for p in pkgs_dirs)
        self.pool = pool if pool is not None else ScannerPool(cache_dir)
        for root in (self.prefix, self.after_prefix):
            if root is not None:
                self.pool.keep_out_of(root)
        self.unreadable: dict[str, str] = {}
        self._roots: set[Path] = set()
        self._answers: dict[tuple[str, str, str], tuple[ExtensionApi, ...] | None] = {}

    def numpy_api(self, record: Record, side: Side) -> tuple[ExtensionApi, ...] | None:
        """The record's extension modules and their NumPy C-API use (see class)."""
        where = side if self.after_prefix is not None else ""
        key = (record.dist, record.channel, where)
        if key not in self._answers:
            located = self._locate(record, side)
            self._answers[key] = None if located is None else self._scan(*located)
        return self._answers[key]

    @property
    def files_read(self) -> int:
        """Files opened so far (cache misses) across every root this used."""
        return sum(self.pool.get(root).reads for root in self._roots)

    def save(self) -> None:
        """Write every scanner's cache back."""
        self.pool.save()

    def __enter__(self) -> DiskFileFacts:
        return self

    def __exit__(self, *exc: object) -> None:
        self.save()

    def _locate(
        self, record: Record, side: Side
    ) -> tuple[Path, tuple[str, ...]] | None:
        if side == "after" and self.after_prefix is not None:
            files = installed_files(self.after_prefix, record)
            if files is not None:
                return self.after_prefix, files
        if self.prefix is not None:
            files = installed_files(self.prefix, record)
            if files is not None:
                return self.prefix, files
        directory = self.packages.get(record.name)
        if directory is not None and is_extracted(directory, record):
            return directory, package_files(directory)
        if self.pkgs_dirs and not record.pip:
            found = incoming_from_cache([record], self.pkgs_dirs).get(record.name)
            if found is not None:
                return found, package_files(found)
        return None

    def _scan(
        self, root: Path, files: tuple[str, ...]
    ) -> tuple[ExtensionApi, ...] | None:
        scanner = self.pool.get(root)
        self._roots.add(root)
        out: list[ExtensionApi] = []
        unknown = False
        for relpath in files:
            if not is_shared_object(relpath) or not _inside(relpath):
                continue
            if os.path.islink(root / relpath):
                continue  # the file it points to is listed (and read) itself
            result = scanner.numpy_api(relpath)
            if result is None:
                unknown = True
                self.unreadable[str(root / relpath)] = "cannot be read"
            elif result.api is not NumpyApi.NONE or is_extension_module(relpath):
                out.append(ExtensionApi(relpath, result.api, result.detail))
        if unknown and all(e.api is NumpyApi.NONE for e in out):
            return None
        return tuple(sorted(out, key=lambda e: e.file))


def _inside(relpath: str) -> bool:
    """A relative path that stays below its root (no ``..``, not absolute, no NUL)."""
    parts = relpath.replace("\\", "/").split("/")
    return (
        "\0" not in relpath
        and not os.path.isabs(relpath)
        and bool(parts[0])
        and ".." not in parts
    )


def installed_files(prefix: Path, record: Record) -> tuple[str, ...] | None:
    """The files ``record`` installed in ``prefix``; ``None`` when it is not installed.

    conda records count when ``conda-meta/<dist>.json`` exists (its ``files``
    when the record has none); pip records (``pip=True``) by their ``files``.
    An empty list counts as not known (conda writes the files of every
    package it links; a compiled package without any was not linked by it).
    """
    if record.pip:
        return record.files or None
    meta = prefix / "conda-meta" / f"{record.dist}.json"
    if record.files:
        return record.files if meta.is_file() else None
    try:
        with open(meta, encoding="utf-8") as stream:
            files = json.load(stream).get("files")
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(files, list) or not files:
        return None  # no list, or an empty one: the files are not known
    return tuple(str(f) for f in files)


def package_files(directory: Path) -> tuple[str, ...]:
    """Files of an extracted package (``info/paths.json``, ``info/files`` or a walk)."""
    try:
        with open(directory / "info" / "paths.json", encoding="utf-8") as stream:
            return tuple(str(p["_path"]) for p in json.load(stream)["paths"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        text = (directory / "info" / "files").read_text("utf-8")
        return tuple(line for line in text.splitlines() if line.strip())
    except (OSError, UnicodeDecodeError):
        pass
    out = []
    for root, dirs, names in os.walk(directory):
        rel = Path(root).relative_to(directory).as_posix()
        if rel == ".":
            dirs[:] = [d for d in dirs if d != "info"]
        out += [name if rel == "." else f"{rel}/{name}" for name in names]
    return tuple(sorted(out))
