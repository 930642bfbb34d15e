"""File-system helpers of the store: atomic writes, digests, links, disk use.

Every file the store writes goes to a temporary name in the same directory and
is renamed into place, so a reader sees the old file or the new one, never half
of one. Archives enter the store as hard links when the file system allows it
(no bytes copied; ``conda clean`` leaves a file with more than one link), else
as copies when the caller allows copies. :func:`disk_usage` counts each inode
once and tells bytes only the store holds from bytes shared with other links.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

_CHUNK = 1 << 20

#: errors of os.link that mean "no hard link here" (another file system, a
#: file system without hard links, too many links, not allowed)
LINK_ERRNOS = frozenset(
    {
        errno.EXDEV,
        errno.EPERM,
        errno.EMLINK,
        errno.EACCES,
        getattr(errno, "ENOTSUP", errno.EPERM),
        getattr(errno, "EOPNOTSUPP", errno.EPERM),
    }
)


def file_digest(path: str | Path, algorithm: str = "sha256") -> str:
    """The hex digest of a file (``sha256`` or ``md5``), read in 1 MiB chunks."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _temp_path(target: Path) -> Path:
    fd, name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
    )
    os.close(fd)
    return Path(name)


def atomic_write(target: str | Path, data: bytes, *, exclusive: bool = False) -> None:
    """Write ``data`` to ``target`` through a temporary file and a rename.

    ``exclusive`` makes the final step fail with :class:`FileExistsError`
    when ``target`` exists (a hard link of the temporary file, not a rename),
    which is how two processes never claim the same generation number.
    """
    target = Path(target)
    tmp = _temp_path(target)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if exclusive:
            try:
                os.link(tmp, target)
            except OSError as exc:
                if exc.errno == errno.EEXIST:
                    raise FileExistsError(str(target)) from None
                if exc.errno not in LINK_ERRNOS:
                    raise
                # no hard links here: O_EXCL create, then the content
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
        else:
            os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def link_or_copy(source: Path, target: Path, *, allow_copy: bool) -> str | None:
    """Put ``source`` at ``target``: ``"hardlink"``, ``"copy"`` or None (neither).

    A copy is made only when ``allow_copy`` is true and a hard link is
    impossible. Other errors (the source vanished, no space) propagate.
    """
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    if tmp.exists():
        tmp.unlink()
    try:
        try:
            os.link(source, tmp)
            how = "hardlink"
        except OSError as exc:
            if exc.errno not in LINK_ERRNOS:
                raise
            if not allow_copy:
                return None
            shutil.copyfile(source, tmp)
            how = "copy"
        os.replace(tmp, target)
        return how
    finally:
        if tmp.exists():
            tmp.unlink()


@dataclass(frozen=True)
class Usage:
    """Disk use of a set of files, each inode counted once.

    ``only_here`` is held by no link outside the set (freed when the set
    goes); ``shared`` is also reachable through other hard links (a package
    cache, another store) and costs nothing extra while those exist.
    """

    files: int = 0
    apparent: int = 0
    only_here: int = 0
    shared: int = 0


def disk_usage(paths: Iterable[Path]) -> Usage:
    """The :class:`Usage` of ``paths`` (missing files are skipped)."""
    seen: dict[tuple[int, int], list[int]] = {}  # inode -> [size, nlink, links seen]
    files = apparent = 0
    for path in paths:
        try:
            st = os.lstat(path)
        except OSError:
            continue
        files += 1
        apparent += st.st_size
        key = (st.st_dev, st.st_ino)
        entry = seen.setdefault(key, [st.st_size, st.st_nlink, 0])
        entry[2] += 1
    only_here = shared = 0
    for size, nlink, links_here in seen.values():
        if nlink > links_here:
            shared += size
        else:
            only_here += size
    return Usage(files=files, apparent=apparent, only_here=only_here, shared=shared)


def human_bytes(n: int) -> str:
    """``1536`` → ``1.5 KiB``; exact bytes under 1 KiB."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{n} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"  # pragma: no cover


def is_inside(path: str | Path, parent: str | Path) -> bool:
    """True when ``path`` is ``parent`` or below it (symlinks resolved)."""
    p = Path(os.path.realpath(path))
    q = Path(os.path.realpath(parent))
    return p == q or q in p.parents
