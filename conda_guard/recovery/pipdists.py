"""pip-installed distributions: find them, hash and keep their files, restore them.

conda does not track what pip installs. A generation records each such
distribution (a ``*.dist-info`` whose ``INSTALLER`` is not ``conda`` and whose
metadata no conda record owns) with a hash over its files as listed in
``RECORD``, and keeps those files in an uncompressed tar in the store. A
distribution without ``RECORD`` (an ``.egg-info``) is recorded but cannot be
restored, and says why. Restoring removes the files of the installed version
(by its ``RECORD``, only inside the prefix) and unpacks the kept ones.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import tarfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from ..readers.pip_dists import normalize_pip_name
from . import fsutil
from .generation import PipDist

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .store import Store


@dataclass(frozen=True)
class FoundDist:
    """One distribution found in a prefix."""

    name: str
    version: str
    installer: str
    site: Path  # absolute
    info: Path  # the .dist-info / .egg-info entry (absolute)
    files: tuple[str, ...] | None  # prefix-relative paths from RECORD, or None
    record_sha256: str | None


def _site_dirs(prefix: Path, records: Iterable[dict[str, Any]]) -> list[Path]:
    dirs = [
        prefix / r["python_site_packages_path"]
        for r in records
        if isinstance(r.get("python_site_packages_path"), str)
    ]
    lib = prefix / "lib"
    if lib.is_dir():
        dirs += sorted(
            p / "site-packages" for p in lib.iterdir() if p.name.startswith("python")
        )
    dirs.append(prefix / "Lib" / "site-packages")
    seen: set[str] = set()
    out = []
    for d in dirs:
        key = os.path.realpath(d)
        if key not in seen and d.is_dir():
            seen.add(key)
            out.append(d)
    return out


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _meta(info: Path) -> dict[str, str]:
    meta_file = info / ("METADATA" if info.name.endswith(".dist-info") else "PKG-INFO")
    out: dict[str, str] = {}
    for line in _read(meta_file if info.is_dir() else info).splitlines():
        if not line.strip():
            break
        key, sep, value = line.partition(":")
        if sep and key in ("Name", "Version"):
            out.setdefault(key, value.strip())
    return out


def _record_files(
    prefix: Path, site: Path, info: Path
) -> tuple[tuple[str, ...], str] | None:
    record = info / "RECORD"
    try:
        data = record.read_bytes()
    except OSError:
        return None
    files = []
    for row in csv.reader(io.StringIO(data.decode("utf-8", "replace"))):
        if not row or not row[0]:
            continue
        path = os.path.normpath(os.path.join(site, row[0]))
        if not fsutil.is_inside(path, prefix):
            continue  # never follow RECORD out of the prefix
        files.append(os.path.relpath(path, prefix).replace(os.sep, "/"))
    return tuple(sorted(set(files))), hashlib.sha256(data).hexdigest()


def find_dists(
    prefix: str | Path, records: Iterable[dict[str, Any]]
) -> list[FoundDist]:
    """Distributions in ``prefix`` that conda did not install."""
    root = Path(prefix)
    records = list(records)
    owned = {f for r in records for f in (r.get("files") or ())}
    found = []
    for site in _site_dirs(root, records):
        try:
            infos = sorted(
                e
                for e in site.iterdir()
                if e.name.endswith((".dist-info", ".egg-info"))
            )
        except OSError:
            continue
        for info in infos:
            installer = _read(info / "INSTALLER").strip() if info.is_dir() else ""
            if installer.lower() == "conda":
                continue
            meta_name = "METADATA" if info.name.endswith(".dist-info") else "PKG-INFO"
            rel_meta = os.path.relpath(
                info / meta_name if info.is_dir() else info, root
            )
            if rel_meta.replace(os.sep, "/") in owned:
                continue
            meta = _meta(info)
            stem_name, _, stem_version = info.name.rsplit(".", 1)[0].partition("-")
            name = meta.get("Name") or stem_name
            version = meta.get("Version") or stem_version.split("-", 1)[0]
            if not name or not version:
                continue
            listed = _record_files(root, site, info) if info.is_dir() else None
            found.append(
                FoundDist(
                    name=normalize_pip_name(name),
                    version=version,
                    installer=installer or "unknown",
                    site=site,
                    info=info,
                    files=listed[0] if listed else None,
                    record_sha256=listed[1] if listed else None,
                )
            )
    return found


def files_hash(prefix: Path, files: Iterable[str]) -> str:
    """sha256 over ``path NUL sha256(content)`` of each file, sorted by path."""
    h = hashlib.sha256()
    for rel in sorted(files):
        path = prefix / rel
        if path.is_symlink():
            digest = "link:" + os.readlink(path)
        elif path.is_file():
            digest = fsutil.file_digest(path)
        else:
            digest = "missing"
        h.update(f"{rel}\0{digest}\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def _write_tar(prefix: Path, files: Iterable[str], target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
            for rel in sorted(files):
                path = prefix / rel
                if path.is_symlink() or path.is_file():
                    tar.add(path, arcname=rel, recursive=False)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def capture_dist(
    prefix: Path,
    store: Store,
    dist: FoundDist,
    previous: dict[tuple[str, str, str], PipDist],
) -> PipDist:
    """The generation entry of ``dist``, its files kept in the store."""
    site = dist.site.relative_to(prefix).as_posix()
    base = dict(
        name=dist.name,
        version=dist.version,
        installer=dist.installer,
        site=site,
        dist_info=dist.info.name,
    )
    if dist.files is None:
        return PipDist(
            **base,
            files_sha256=None,
            missing_reason=f"{dist.info.name} has no RECORD file listing its files",
        )
    reuse = previous.get((dist.name, dist.version, dist.record_sha256 or ""))
    if reuse is not None and reuse.archive and (store.path / reuse.archive).is_file():
        return reuse
    digest = files_hash(prefix, dist.files)
    rel = f"pip/{digest[:16]}/{dist.name}-{dist.version}.tar"
    if not (store.path / rel).is_file():
        _write_tar(prefix, dist.files, store.path / rel)
    return PipDist(
        **base,
        files_sha256=digest,
        files=len(dist.files),
        archive=rel,
        archive_sha256=fsutil.file_digest(store.path / rel),
        record_sha256=dist.record_sha256,
    )


# -- restoring -------------------------------------------------------------------


@dataclass
class PipOutcome:
    """What a pip restore did, and what it could not do."""

    restored: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    cannot: list[str] = field(default_factory=list)


def remove_dist(prefix: Path, dist: FoundDist) -> bool:
    """Delete the files of ``dist`` listed in its RECORD, then its dist-info."""
    if dist.files is None:
        return False
    for rel in dist.files:
        path = prefix / rel
        if not fsutil.is_inside(path.parent, prefix):
            continue
        if path.is_symlink() or path.is_file():
            path.unlink()
        parent = path.parent
        while parent != dist.site and fsutil.is_inside(parent, dist.site):
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent
    if dist.info.is_dir():
        shutil.rmtree(dist.info, ignore_errors=True)
    return True


def _safe_members(tar: tarfile.TarFile, prefix: Path) -> list[tarfile.TarInfo]:
    members = []
    for m in tar.getmembers():
        rel = PurePosixPath(m.name)
        if rel.is_absolute() or ".." in rel.parts or not (m.isfile() or m.issym()):
            raise ValueError(f"unsafe member {m.name!r}")
        if m.issym() and (
            os.path.isabs(m.linkname)
            or not fsutil.is_inside((prefix / rel).parent / m.linkname, prefix)
        ):
            raise ValueError(f"unsafe link {m.name!r} -> {m.linkname!r}")
        members.append(m)
    return members


def unpack_dist(prefix: Path, archive: Path) -> None:
    """Unpack a kept tar into ``prefix`` (regular files and inside links only)."""
    with tarfile.open(archive, "r:") as tar:
        for m in _safe_members(tar, prefix):
            target = prefix / m.name
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_symlink() or target.exists():
                target.unlink()
            if m.issym():
                os.symlink(m.linkname, target)
                continue
            src = tar.extractfile(m)
            assert src is not None
            with src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)
            os.chmod(target, m.mode & 0o777)


def _by_name(dists: Iterable[FoundDist]) -> dict[str, FoundDist]:
    return {d.name: d for d in dists}


def _unchanged(root: Path, have: FoundDist | None, want: PipDist) -> bool:
    if have is None or have.version != want.version:
        return False
    if want.files_sha256 is None:
        return True
    return have.files is not None and files_hash(root, have.files) == want.files_sha256


def restore(
    prefix: str | Path,
    store: Store,
    wanted: Iterable[PipDist],
    current: Iterable[FoundDist],
    *,
    dry_run: bool = False,
) -> PipOutcome:
    """Make the pip distributions of ``prefix`` those of a generation.

    ``dry_run`` only says what it would do.
    """
    root = Path(prefix)
    out = PipOutcome()
    now = _by_name(current)
    for want in wanted:
        have = now.pop(want.name, None)
        label = f"{want.name} {want.version}"
        if _unchanged(root, have, want):
            out.unchanged.append(label)
        elif not want.archive:
            reason = want.missing_reason or "its files were not kept"
            out.cannot.append(f"{label}: {reason}")
        elif have is not None and have.files is None:
            out.cannot.append(
                f"{label}: the installed {have.version} has no RECORD to remove it by"
            )
        else:
            if not dry_run:
                if have is not None:
                    remove_dist(root, have)
                unpack_dist(root, store.path / want.archive)
            out.restored.append(label)
    for extra in now.values():
        label = f"{extra.name} {extra.version}"
        if extra.files is None:
            out.cannot.append(
                f"{label}: not in the generation, and it has no RECORD to remove it by"
            )
            continue
        if not dry_run:
            remove_dist(root, extra)
        out.removed.append(label)
    return out
