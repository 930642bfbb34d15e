"""Can a generation be restored offline? A quick answer, and a certain one.

:func:`status` looks (file present, size right) without reading archives: it
is what ``snapshots`` lists. :func:`verify` hashes every archive and kept pip
file against the digest the generation recorded: a rollback runs it before it
changes anything and refuses on any problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import fsutil

if TYPE_CHECKING:
    from .generation import Archive, Generation, PipDist
    from .store import Store


@dataclass(frozen=True)
class Problem:
    """One archive (or kept pip file) that cannot serve a rollback."""

    what: str  # file name
    reason: str

    def __str__(self) -> str:
        return f"{self.what}: {self.reason}"


@dataclass(frozen=True)
class Status:
    """The quick answer: restorable offline, and why (not)."""

    restorable: bool
    reason: str
    pip_missing: tuple[str, ...] = ()


def archive_file(store: Store, arch: Archive) -> Path | None:
    """Where the archive is expected: in the store, or in the package cache."""
    if arch.kept == "store" and arch.path:
        return store.path / arch.path
    if arch.kept == "cache" and arch.cache_path:
        return Path(arch.cache_path)
    return None


def _present(path: Path | None, size: int | None) -> bool:
    if path is None:
        return False
    try:
        st = path.stat()
    except OSError:
        return False
    return size is None or st.st_size == size


def _names(items: list[str], limit: int = 3) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def status(store: Store, gen: Generation) -> Status:
    """Restorable offline? From file presence and sizes only (no hashing)."""
    gone = [a.fn for a in gen.archives if not _present(archive_file(store, a), a.size)]
    cache = [a.fn for a in gen.archives if a.kept == "cache"]
    pip_missing = tuple(
        p.name
        for p in gen.pip
        if not p.archive or not (store.path / p.archive).is_file()
    )
    if gone:
        return Status(
            False, f"{len(gone)} archive(s) missing: {_names(gone)}", pip_missing
        )
    if cache:
        return Status(
            True,
            f"while conda's package cache keeps {len(cache)} archive(s) "
            f"(`conda clean --tarballs` removes them)",
            pip_missing,
        )
    return Status(True, "every archive is in the store", pip_missing)


def _check(
    path: Path | None, what: str, size: int | None, digest: tuple[str, str] | None
) -> Problem | None:
    if path is None:
        return Problem(
            what,
            "not kept (it was not in a package cache when the generation was taken)",
        )
    try:
        st = path.stat()
    except FileNotFoundError:
        return Problem(what, f"missing ({path})")
    except OSError as exc:
        return Problem(what, f"unreadable ({exc.strerror or exc})")
    if size is not None and st.st_size != size:
        return Problem(what, f"corrupt: {st.st_size} bytes, expected {size}")
    if digest is None:
        return Problem(what, "no checksum recorded, so it cannot be verified")
    algorithm, expected = digest
    try:
        actual = fsutil.file_digest(path, algorithm)
    except OSError as exc:
        return Problem(what, f"unreadable ({exc.strerror or exc})")
    if actual != expected.lower():
        return Problem(
            what, f"corrupt: {algorithm} {actual[:12]}..., expected {expected[:12]}..."
        )
    return None


def verify(store: Store, gen: Generation) -> list[Problem]:
    """Hash every archive and kept pip file; the problems found (none: restorable)."""
    problems = []
    for arch in gen.archives:
        p = _check(archive_file(store, arch), arch.fn, arch.size, arch.digest)
        if p is not None:
            problems.append(p)
    for dist in gen.pip:
        if dist.archive:
            p = _pip_check(store, dist)
            if p is not None:
                problems.append(p)
    return problems


def _pip_check(store: Store, dist: PipDist) -> Problem | None:
    digest = ("sha256", dist.archive_sha256) if dist.archive_sha256 else None
    assert dist.archive is not None
    return _check(
        store.path / dist.archive,
        f"{dist.name} {dist.version} (pip files)",
        None,
        digest,
    )
