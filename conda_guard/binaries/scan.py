"""Which files to read, and a per-file cache of what they said.

:func:`is_candidate` picks paths that can be binaries (shared objects,
Python extensions, files under ``bin/``); :class:`Scanner` reads them under
one root directory (a prefix or an extracted package) through
:func:`~conda_guard.binaries.read.read_binary` and remembers each result
keyed by the path with its size and mtime, in one JSON file per root under
:func:`default_cache_dir`, with the NumPy C-API each file uses
(:meth:`Scanner.numpy_api`). The cache is never written inside the root.
Standard library only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

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

#: Environment variable that overrides the cache directory.
CACHE_ENV = "CONDA_GUARD_CACHE_DIR"
#: Bumped when the cached JSON changes shape; older files are ignored.
CACHE_SCHEMA = 1

_LIB_NAME = re.compile(r"\.(?:so(?:\.[0-9][0-9A-Za-z.]*)?|dylib|pyd|dll|exe|node)$")
_EXEC_DIRS = frozenset({"bin", "sbin", "libexec"})
_API_VALUES = frozenset(api.value for api in NumpyApi)


def is_library_name(name: str) -> bool:
    """True for ``libfoo.so``, ``libfoo.so.1.2``, ``x.cpython-311-….so``, ``.dylib``."""
    return _LIB_NAME.search(name) is not None


def is_candidate(relpath: str) -> bool:
    """True when the file at ``relpath`` may be a binary worth reading."""
    head, _, name = relpath.rpartition("/")
    if is_library_name(name):
        return True
    return any(part in _EXEC_DIRS for part in head.split("/")) if head else False


def default_cache_dir() -> Path | None:
    """``$CONDA_GUARD_CACHE_DIR``, else the platform's user cache dir + ``conda-guard``.

    Linux and others: ``$XDG_CACHE_HOME`` or ``~/.cache``; macOS:
    ``~/Library/Caches``; Windows: ``%LOCALAPPDATA%``. ``None`` when no home
    directory is known.
    """
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA")
        return Path(base) / "conda-guard" / "Cache" if base else None
    try:
        home = Path.home()
    except RuntimeError:
        home = None
    if sys.platform == "darwin" and home is not None:
        return home / "Library" / "Caches" / "conda-guard"
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "conda-guard"
    return home / ".cache" / "conda-guard" if home is not None else None


def inside(path: Path, root: Path) -> bool:
    """True when ``path`` is ``root`` or below it (symbolic links resolved)."""
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


class Scanner:
    """Reads binaries below ``root`` (paths relative to it), with a file cache.

    ``cache_dir=None`` uses :func:`default_cache_dir`; ``cache_dir=False``
    disables the cache. Counters: ``reads`` (files opened), ``hits`` (cache
    answers), ``unreadable`` (relpath → reason), ``unsupported`` (format →
    count of files with no reader).
    """

    def __init__(self, root: Path, cache_dir: Path | None | bool = None) -> None:
        self.root = Path(root)
        self.reads = 0
        self.hits = 0
        self.unreadable: dict[str, str] = {}
        self.unsupported: dict[str, int] = {}
        self._memo: dict[tuple[str, bool], BinaryInfo | None] = {}
        self._dirty = False
        self._entries: dict[str, Any] = {}
        self._cache_file: Path | None = None
        if cache_dir is False:
            return
        base = default_cache_dir() if cache_dir in (None, True) else Path(cache_dir)
        if base is None:
            return
        key = hashlib.sha256(os.fsencode(os.path.abspath(self.root))).hexdigest()
        cache_file = base / "binaries" / f"{key[:24]}.json"
        if inside(cache_file, self.root):
            return  # never write into the prefix
        self._cache_file = cache_file
        try:
            with open(cache_file, encoding="utf-8") as stream:
                data = json.load(stream)
        except (OSError, ValueError):
            return
        if (
            isinstance(data, dict)
            and data.get("schema") == CACHE_SCHEMA
            and data.get("root") == os.path.abspath(self.root)
            and isinstance(data.get("files"), dict)
        ):
            self._entries = data["files"]

    @property
    def cache_file(self) -> Path | None:
        """Where the cache of this root lives (``None`` when disabled)."""
        return self._cache_file

    def _entry(self, relpath: str, follow: bool) -> tuple[dict[str, Any], Path] | None:
        path = self.root / relpath
        try:
            st = os.stat(path) if follow else os.lstat(path)
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        entry = self._entries.get(relpath)
        if (
            isinstance(entry, dict)
            and entry.get("size") == st.st_size
            and entry.get("mtime_ns") == st.st_mtime_ns
        ):
            self.hits += 1
            return entry, path
        entry = {"size": st.st_size, "mtime_ns": st.st_mtime_ns}
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
        found = self._entry(relpath, follow=True)
        if found is None:
            return None
        entry, path = found
        cached = entry.get("numpy_api")
        if (
            isinstance(cached, list)
            and len(cached) == 3
            and cached[0] == CLASSIFIER_VERSION
            and cached[1] in _API_VALUES
        ):
            return Classification(NumpyApi(cached[1]), str(cached[2]))
        self.reads += 1
        result = classify_file(path)
        if result is None:
            return None
        entry.pop("numpy", None)  # the string heuristic this replaces
        entry["numpy_api"] = [CLASSIFIER_VERSION, result.api.value, result.detail]
        self._dirty = True
        return result

    def save(self) -> None:
        """Write the cache back (atomically) when something new was read."""
        if not self._dirty or self._cache_file is None:
            return
        data = {
            "schema": CACHE_SCHEMA,
            "root": os.path.abspath(self.root),
            "files": self._entries,
        }
        directory = self._cache_file.parent
        try:
            directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as stream:
                    json.dump(data, stream, separators=(",", ":"))
                os.replace(tmp, self._cache_file)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError:
            return  # a cache that cannot be written only costs time
        self._dirty = False


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
