"""Which files to read, and a per-file cache of what they said.

:func:`is_candidate` picks paths that can be binaries (shared objects,
Python extensions, files under ``bin/``); :class:`Scanner` reads them under
one root directory (a prefix or an extracted package) through
:func:`~conda_guard.binaries.read.read_binary` and remembers each result,
with the NumPy C-API each file uses (:meth:`Scanner.numpy_api`), in the
cache file of that root (:mod:`conda_guard.binaries.cache`: keys, validation,
atomic writes, pruning). :class:`ScannerPool` hands out one scanner per root,
so every check of one run shares it and its cache file is written once. The
cache is never written inside the root. Standard library only.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conda_guard.binaries.cache import (
    CACHE_ENV,
    CACHE_SCHEMA,
    cache_dir_problem,
    cache_path,
    default_cache_dir,
    file_key,
    load_entries,
    prune,
    today,
    write_entries,
)
from conda_guard.binaries.formats import (
    HEAD_SIZE,
    BinaryInfo,
    BinaryReadError,
    sniff_format,
)
from conda_guard.binaries.numpy_capi import (
    CLASSIFIER_VERSION,
    Classification,
    classify_file,
)
from conda_guard.binaries.read import read_binary
from conda_guard.facts import NumpyApi

if TYPE_CHECKING:
    from collections.abc import Iterable

    from conda_guard.models import Record

__all__ = [
    "CACHE_ENV",
    "CACHE_SCHEMA",
    "Scanner",
    "ScannerPool",
    "cache_dir_problem",
    "default_cache_dir",
    "guess_pkgs_dirs",
    "incoming_from_cache",
    "inside",
    "is_candidate",
    "is_extracted",
    "is_library_name",
]

_LIB_NAME = re.compile(r"\.(?:so(?:\.[0-9][0-9A-Za-z.]*)?|dylib|pyd|dll|exe|node)$")
_EXEC_DIRS = frozenset({"bin", "sbin", "libexec"})


def is_library_name(name: str) -> bool:
    """True for ``libfoo.so``, ``libfoo.so.1.2``, ``x.cpython-311-….so``, ``.dylib``."""
    return _LIB_NAME.search(name) is not None


def is_candidate(relpath: str) -> bool:
    """True when the file at ``relpath`` may be a binary worth reading."""
    head, _, name = relpath.rpartition("/")
    if is_library_name(name):
        return True
    return any(part in _EXEC_DIRS for part in head.split("/")) if head else False


def inside(path: Path, root: Path) -> bool:
    """True when ``path`` is ``root`` or below it (symbolic links resolved)."""
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError, RuntimeError):
        return False
    return True


class Scanner:
    """Reads binaries below ``root`` (paths relative to it), with a file cache.

    ``cache_dir=None`` uses :func:`default_cache_dir`; ``cache_dir=False``
    disables the cache. Counters: ``reads`` (files opened), ``hits`` (cache
    answers), ``rejected`` (malformed cache entries dropped when loading),
    ``unreadable`` (relpath → reason), ``unsupported`` (format → count of
    files with no reader).
    """

    def __init__(self, root: Path, cache_dir: Path | None | bool = None) -> None:
        self.root = Path(root)
        self._root_str = str(self.root)
        self.reads = 0
        self.hits = 0
        self.rejected = 0
        self.unreadable: dict[str, str] = {}
        self.unsupported: dict[str, int] = {}
        self._memo: dict[tuple[str, bool], BinaryInfo | None] = {}
        self._keys: dict[tuple[str, bool], list[Any] | None] = {}
        self._apis: dict[str, Classification | None] = {}
        self._dirty = False
        self._entries: dict[str, Any] = {}
        self._used: set[str] = set()
        self._today = today()
        self._cache_file: Path | None = None
        if cache_dir is False:
            return
        base = default_cache_dir() if cache_dir in (None, True) else Path(cache_dir)
        if base is None:
            return
        cache_file = cache_path(base, self.root)
        if inside(cache_file, self.root):
            return  # never write into the prefix
        self._cache_file = cache_file
        self._entries, self.rejected = load_entries(cache_file, self.root)
        self._dirty = self.rejected > 0

    @property
    def cache_file(self) -> Path | None:
        """Where the cache of this root lives (``None`` when disabled)."""
        return self._cache_file

    def disable_cache(self) -> None:
        """Write nothing back (what was loaded stays usable for this run)."""
        self._cache_file = None

    def _entry(self, relpath: str, follow: bool) -> tuple[dict[str, Any], Path] | None:
        memo = (relpath, follow)
        if memo not in self._keys:
            self._keys[memo] = file_key(
                os.path.join(self._root_str, relpath), follow=follow
            )
        key = self._keys[memo]
        if key is None:
            return None
        path = self.root / relpath
        self._used.add(relpath)
        entry = self._entries.get(relpath)
        if entry is not None and entry["key"] == key:
            self.hits += 1
            if entry.get("used") != self._today:
                entry["used"] = self._today
                self._dirty = True
            return entry, path
        entry = {"key": key, "used": self._today}
        self._entries[relpath] = entry
        self._dirty = True
        return entry, path

    def info(self, relpath: str, *, follow: bool = False) -> BinaryInfo | None:
        """The binary at ``relpath``, or ``None`` (not a binary, no reader, unreadable).

        Symbolic links are skipped unless ``follow`` is true.
        """
        memo_key = (relpath, follow)
        if memo_key in self._memo:
            return self._memo[memo_key]
        result = self._info(relpath, follow)
        self._memo[memo_key] = result
        return result

    def _info(self, relpath: str, follow: bool) -> BinaryInfo | None:
        found = self._entry(relpath, follow)
        if found is None:
            return None
        entry, path = found
        if "kind" in entry:
            kind = entry["kind"]
            if kind == "binary":
                return BinaryInfo.from_json(entry["info"])
            if kind == "error":
                self.unreadable[relpath] = entry.get("reason", "")
            elif kind != "none":
                self.unsupported[kind] = self.unsupported.get(kind, 0) + 1
            return None
        self.reads += 1
        self._dirty = True
        try:
            with open(path, "rb") as stream:
                head = stream.read(HEAD_SIZE)
            info = read_binary(path, head)
        except (OSError, BinaryReadError) as exc:
            reason = str(exc).replace(str(path), relpath)
            entry.update(kind="error", reason=reason)
            self.unreadable[relpath] = reason
            return None
        if info is None:
            kind = sniff_format(head) or "none"
            entry["kind"] = kind
            if kind != "none":
                self.unsupported[kind] = self.unsupported.get(kind, 0) + 1
            return None
        entry.update(kind="binary", info=info.to_json())
        return info

    def numpy_api(self, relpath: str) -> Classification | None:
        """The NumPy C-API the file at ``relpath`` uses, with the evidence.

        See :func:`~conda_guard.binaries.numpy_capi.classify_file`; ``None``
        when the file is not a regular file (symbolic links are followed) or
        cannot be read. Answers are cached with the classifier's version.
        """
        if relpath not in self._apis:
            self._apis[relpath] = self._numpy_api(relpath)
        return self._apis[relpath]

    def _numpy_api(self, relpath: str) -> Classification | None:
        found = self._entry(relpath, follow=True)
        if found is None:
            return None
        entry, path = found
        cached = entry.get("numpy_api")
        if cached is not None and cached[0] == CLASSIFIER_VERSION:
            return Classification(NumpyApi(cached[1]), cached[2])
        self.reads += 1
        result = classify_file(path)
        if result is None:
            return None
        entry["numpy_api"] = [CLASSIFIER_VERSION, result.api.value, result.detail]
        self._dirty = True
        return result

    def save(self, *, every_file_seen: bool = False) -> None:
        """Write the cache back (atomically) when something changed.

        ``every_file_seen``: this run looked at every file of the root that
        matters, so entries it did not use are stale and dropped.
        """
        if self._cache_file is None:
            return
        kept = prune(
            self._entries,
            self._used,
            every_file_seen=every_file_seen,
            day=self._today,
        )
        if not self._dirty and len(kept) == len(self._entries):
            return
        if write_entries(self._cache_file, self.root, kept):
            self._entries = kept
            self._dirty = False


class ScannerPool:
    """One :class:`Scanner` per root directory for one run, one cache directory.

    Every check of a run (link checks, the NumPy C-API facts, ``check``)
    takes its scanners from one pool, so a root's cache file is loaded once
    and written once. ``cache_dir`` as for :class:`Scanner`; a cache
    directory inside a root is not used for that root.
    """

    def __init__(self, cache_dir: Path | None | bool = None) -> None:
        if cache_dir in (None, True):
            cache_dir = default_cache_dir()
            if cache_dir is None:
                cache_dir = False
        self.cache_dir: Path | bool = cache_dir
        self._scanners: dict[str, Scanner] = {}

    def keep_out_of(self, root: Path) -> None:
        """Turn the cache off when its directory is inside ``root`` (a prefix)."""
        if self.cache_dir is not False and inside(Path(self.cache_dir), Path(root)):
            self.cache_dir = False
            for scanner in self._scanners.values():
                scanner.disable_cache()

    def get(self, root: Path) -> Scanner:
        """The scanner of ``root`` (made on first use)."""
        key = os.path.abspath(root)
        scanner = self._scanners.get(key)
        if scanner is None:
            cache = self.cache_dir
            if cache is not False and inside(Path(cache), Path(root)):
                cache = False  # never write into the root
            scanner = self._scanners[key] = Scanner(Path(root), cache)
        return scanner

    def all(self) -> tuple[Scanner, ...]:
        """Every scanner made so far."""
        return tuple(self._scanners.values())

    def stats(self) -> dict[str, int]:
        """``files_read`` (cache misses) and ``cache_hits`` of all scanners."""
        scanners = self.all()
        return {
            "files_read": sum(s.reads for s in scanners),
            "cache_hits": sum(s.hits for s in scanners),
        }

    def notes(self) -> list[str]:
        """What went wrong with the cache itself (a relative directory, bad entries)."""
        out = [problem] if (problem := cache_dir_problem()) else []
        for scanner in self.all():
            if scanner.rejected and scanner.cache_file is not None:
                one = scanner.rejected == 1
                out.append(
                    f"{scanner.rejected} malformed "
                    f"{'entry' if one else 'entries'} of the binary cache "
                    f"{scanner.cache_file} {'was' if one else 'were'} ignored (the "
                    f"{'file was' if one else 'files were'} read again)"
                )
        return out

    def save(self, *, every_file_seen: tuple[Path, ...] = ()) -> None:
        """Write each scanner's cache; roots in ``every_file_seen`` are pruned to
        the entries this run used."""
        full = {os.path.abspath(p) for p in every_file_seen}
        for key, scanner in self._scanners.items():
            scanner.save(every_file_seen=key in full)


def incoming_from_cache(
    records: Iterable[Record], pkgs_dirs: Iterable[Path]
) -> dict[str, Path]:
    """Name → extracted package directory, for records found in package caches.

    A directory counts when its ``info/index.json`` names the same package,
    version and build. Records not found are left out (``check_links`` then
    says their files are not known).
    """
    dirs = [Path(d) for d in pkgs_dirs]
    found: dict[str, Path] = {}
    for record in records:
        stems = [record.dist]
        if record.fn:
            for ext in (".conda", ".tar.bz2"):
                if record.fn.endswith(ext):
                    stems.insert(0, record.fn[: -len(ext)])
        for directory in dirs:
            match = next(
                (
                    directory / stem
                    for stem in dict.fromkeys(stems)
                    if is_extracted(directory / stem, record)
                ),
                None,
            )
            if match is not None:
                found[record.name] = match
                break
    return found


def is_extracted(directory: Path, record: Record) -> bool:
    """True when ``directory/info/index.json`` names the record's build."""
    try:
        with open(directory / "info" / "index.json", encoding="utf-8") as stream:
            index = json.load(stream)
    except (OSError, ValueError):
        return False
    return isinstance(index, dict) and (
        index.get("name"),
        str(index.get("version")),
        index.get("build"),
    ) == (record.name, record.version, record.build)


def guess_pkgs_dirs(prefix: Path) -> tuple[Path, ...]:
    """conda's package caches for ``prefix`` without asking conda.

    ``$CONDA_PKGS_DIRS`` (comma-separated) when set; else ``<root>/pkgs`` —
    the root being the prefix itself, or ``<root>`` for ``<root>/envs/<name>``
    — and ``~/.conda/pkgs``. Only existing directories are returned. Inside
    conda, pass ``context.pkgs_dirs`` instead.
    """
    override = os.environ.get("CONDA_PKGS_DIRS")
    if override:
        candidates = [Path(p.strip()).expanduser() for p in override.split(",") if p]
    else:
        prefix = Path(prefix)
        root = prefix.parent.parent if prefix.parent.name == "envs" else prefix
        candidates = [root / "pkgs", Path.home() / ".conda" / "pkgs"]
    return tuple(dict.fromkeys(p for p in candidates if p.is_dir()))
