"""The per-file binary cache on disk: where it lives, its keys, its entries.

One JSON file per scanned root (a prefix or an extracted package) under
:func:`default_cache_dir` ``/binaries``. The cache only saves time, so it is
never trusted:

- **Keys.** An entry is used only while the file has the same size,
  ``mtime_ns`` and inode and the same hash of its first and last 4 KiB (the
  ELF header, program headers and build-id note, and the section headers):
  :func:`file_key`. A file replaced by another with the same size and mtime
  (reproducible builds keep both) is read again.
- **Validation.** Every entry is checked field by field when the file is
  loaded (:func:`valid_entry`); a malformed one is dropped and counted, never
  used. A file that is not JSON, too deep, too big (over
  :data:`MAX_CACHE_BYTES`) or of another schema is ignored as a whole.
- **Writes** go to a temporary file in the same directory, then
  ``os.replace``: a reader sees the old file or the new one.
- **Pruning.** An entry remembers the day it was last used; a save keeps the
  entries used this run and those used in the last :data:`KEEP_DAYS` days, at
  most :data:`MAX_ENTRIES` (the most recently used), and drops every entry
  not used this run after a scan that looked at every file of the root.
- **Where.** ``$CONDA_GUARD_CACHE_DIR`` when it is an absolute path (``~``
  expanded); a relative value is ignored and the cache is off
  (:func:`cache_dir_problem` says so; it would otherwise be created below
  whatever the current directory is). Else the platform's user cache
  directory. Never inside the scanned root.

Standard library only.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

#: Environment variable that overrides the cache directory (absolute paths only).
CACHE_ENV = "CONDA_GUARD_CACHE_DIR"
#: Bumped when an entry changes shape; files of other schemas are ignored.
CACHE_SCHEMA = 2
#: A cache file larger than this is ignored (and replaced) instead of loaded.
MAX_CACHE_BYTES = 64 * 2**20
#: At most this many entries per root are written back (most recently used).
MAX_ENTRIES = 250_000
#: Entries not used for this many days are dropped on the next save.
KEEP_DAYS = 30
#: Bytes hashed from each end of a file for its key.
SAMPLE = 4096

_KINDS = frozenset({"binary", "none", "error", "elf", "macho", "pe"})
_API_VALUES = frozenset({"1.x", "2.x", "none"})
_STR_LIST_FIELDS = ("needed", "runpath", "version_defs")


def cache_dir_problem() -> str | None:
    """Why ``$CONDA_GUARD_CACHE_DIR`` is ignored, or ``None`` when it is not."""
    value = os.environ.get(CACHE_ENV)
    if not value or os.path.isabs(os.path.expanduser(value)):
        return None
    return (
        f"{CACHE_ENV}={value!r} is not an absolute path: the binary cache is off "
        "for this run (a relative directory would be created below the current "
        "directory)"
    )


def default_cache_dir() -> Path | None:
    """``$CONDA_GUARD_CACHE_DIR``, else the platform's user cache dir + ``conda-guard``.

    Linux and others: ``$XDG_CACHE_HOME`` or ``~/.cache``; macOS:
    ``~/Library/Caches``; Windows: ``%LOCALAPPDATA%``. ``None`` (no cache)
    when no home directory is known or ``$CONDA_GUARD_CACHE_DIR`` is relative.
    """
    override = os.environ.get(CACHE_ENV)
    if override:
        path = os.path.expanduser(override)
        return Path(path) if os.path.isabs(path) else None
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


def today() -> int:
    """Days since the epoch (the ``used`` stamp of an entry)."""
    return int(time.time() // 86400)


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def file_key(path: Path | str, *, follow: bool) -> list[Any] | None:
    """``[size, mtime_ns, inode, sample hash]`` of a regular file, else ``None``.

    Symbolic links are followed only with ``follow``; anything but a regular
    file (a directory, a pipe, a device) and an unreadable file give ``None``.
    One ``open`` (never blocking: a FIFO opens at once and is refused by its
    mode), one ``fstat`` and at most two reads of :data:`SAMPLE` bytes.
    """
    flags = _OPEN_FLAGS if follow else _OPEN_FLAGS | getattr(os, "O_NOFOLLOW", 0)
    try:
        if not follow and not hasattr(os, "O_NOFOLLOW"):
            if not stat.S_ISREG(os.lstat(path).st_mode):
                return None
        fd = os.open(path, flags)
    except (OSError, ValueError):
        return None
    import hashlib  # ~20 ms to import: only when a file is keyed

    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None
        digest = hashlib.blake2b(os.pread(fd, SAMPLE, 0), digest_size=16)
        if st.st_size > SAMPLE:
            digest.update(os.pread(fd, SAMPLE, max(SAMPLE, st.st_size - SAMPLE)))
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)
    return [st.st_size, st.st_mtime_ns, st.st_ino, digest.hexdigest()]


def _str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def valid_info(info: object) -> bool:
    """True for the JSON of a :class:`~conda_guard.binaries.formats.BinaryInfo`."""
    if not isinstance(info, dict) or not isinstance(info.get("format"), str):
        return False
    if "soname" in info and not isinstance(info["soname"], str):
        return False
    if "machine" in info and not isinstance(info["machine"], str):
        return False
    if not all(_str_list(info[f]) for f in _STR_LIST_FIELDS if f in info):
        return False
    needs = info.get("version_needs", [])
    return isinstance(needs, list) and all(
        isinstance(item, list)
        and len(item) == 2
        and isinstance(item[0], str)
        and _str_list(item[1])
        for item in needs
    )


def valid_entry(entry: object) -> bool:
    """True when ``entry`` has exactly the shape a :class:`Scanner` writes."""
    if not isinstance(entry, dict):
        return False
    key = entry.get("key")
    if not (
        isinstance(key, list)
        and len(key) == 4
        and all(type(k) is int for k in key[:3])
        and isinstance(key[3], str)
    ):
        return False
    if type(entry.get("used", 0)) is not int:
        return False
    kind = entry.get("kind")
    if kind is not None and not (isinstance(kind, str) and kind in _KINDS):
        return False
    if (kind == "binary") != ("info" in entry):
        return False
    if kind == "binary" and not valid_info(entry["info"]):
        return False
    if "reason" in entry and not isinstance(entry["reason"], str):
        return False
    api = entry.get("numpy_api")
    return api is None or (
        isinstance(api, list)
        and len(api) == 3
        and type(api[0]) is int
        and isinstance(api[1], str)
        and api[1] in _API_VALUES
        and isinstance(api[2], str)
    )


def cache_path(base: Path, root: Path) -> Path:
    """The cache file of ``root`` below ``base``."""
    import hashlib

    key = hashlib.sha256(os.fsencode(os.path.abspath(root))).hexdigest()
    return base / "binaries" / f"{key[:24]}.json"


def load_entries(cache_file: Path, root: Path) -> tuple[dict[str, Any], int]:
    """The valid entries of ``cache_file`` and how many were dropped.

    A missing, unreadable, oversized, non-JSON, too deeply nested file, or one
    of another schema or root, gives no entries (and counts 0 dropped).
    """
    try:
        with open(cache_file, "rb") as stream:
            if os.fstat(stream.fileno()).st_size > MAX_CACHE_BYTES:
                return {}, 0
            data = json.loads(stream.read())
    except (OSError, ValueError, RecursionError, MemoryError):
        return {}, 0
    if not (
        isinstance(data, dict)
        and data.get("schema") == CACHE_SCHEMA
        and data.get("root") == os.path.abspath(root)
        and isinstance(data.get("files"), dict)
    ):
        return {}, 0
    entries = {}
    dropped = 0
    for relpath, entry in data["files"].items():
        if valid_entry(entry):
            entries[relpath] = entry
        else:
            dropped += 1
    return entries, dropped


def prune(
    entries: dict[str, Any], used: set[str], *, every_file_seen: bool, day: int
) -> dict[str, Any]:
    """The entries worth writing back (see the module docstring)."""
    if every_file_seen:
        kept = {k: v for k, v in entries.items() if k in used}
    else:
        oldest = day - KEEP_DAYS
        kept = {
            k: v for k, v in entries.items() if k in used or v.get("used", 0) >= oldest
        }
    if len(kept) > MAX_ENTRIES:
        newest = sorted(kept, key=lambda k: (k in used, kept[k].get("used", 0)))
        kept = {k: kept[k] for k in newest[-MAX_ENTRIES:]}
    return kept


def write_entries(cache_file: Path, root: Path, entries: dict[str, Any]) -> bool:
    """Write the cache of ``root`` atomically; False when it cannot be written."""
    import tempfile

    data = {"schema": CACHE_SCHEMA, "root": os.path.abspath(root), "files": entries}
    directory = cache_file.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as stream:
                json.dump(data, stream, separators=(",", ":"))
            os.replace(tmp, cache_file)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError:
        return False  # a cache that cannot be written only costs time
    return True
