"""Take a generation of a prefix: records, requested specs, pip files, archives.

:func:`capture` reads ``conda-meta`` (or takes the records conda already has
in memory), the requested specs of ``conda-meta/history``, the pip-installed
distributions, and keeps every record's archive in the store: one hard link
per new archive, none for an archive an earlier generation already keeps. No
archive is hashed here (conda checked each one when it was downloaded; the
rollback checks them all before it changes anything), so taking a generation
costs a directory scan and a link per new package. A state equal to the
newest generation is not stored twice.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..exceptions import InputError
from ..readers.history import parse_history
from . import fsutil, pipdists
from .explicit import explicit_text
from .generation import PREFIX_ONLY_KEYS, Archive, Generation, PipDist

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from .store import Store


@dataclass(frozen=True)
class Captured:
    """The generation taken (or the newest one, when nothing changed)."""

    generation: Generation
    new: bool
    notes: tuple[str, ...] = field(default=())


def read_meta_records(prefix: Path) -> list[dict[str, Any]]:
    """Every ``conda-meta/*.json`` as a dict; :class:`InputError` if unreadable."""
    meta = prefix / "conda-meta"
    if not meta.is_dir():
        raise InputError(prefix, "not a conda prefix (no conda-meta directory)")
    out = []
    for entry in sorted(os.scandir(meta), key=lambda e: e.name):
        if not (entry.name.endswith(".json") and entry.is_file()):
            continue
        try:
            with open(entry.path, "rb") as fh:
                data = json.loads(fh.read().decode("utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(entry.path, f"unreadable package record ({exc})") from None
        if (
            not isinstance(data, dict)
            or not data.get("name")
            or not data.get("version")
        ):
            raise InputError(entry.path, "not a package record")
        out.append(data)
    return out


def package_fields(rec: dict[str, Any]) -> dict[str, Any]:
    """A conda-meta record without the keys that describe the prefix."""
    out = {k: v for k, v in rec.items() if k not in PREFIX_ONLY_KEYS}
    out["name"], out["version"] = str(out["name"]), str(out["version"])
    return out


def archive_name(rec: dict[str, Any]) -> str:
    """The archive file name of a record (``fn``, else the URL's last part)."""
    fn = rec.get("fn")
    if isinstance(fn, str) and fn:
        return fn
    url = rec.get("url") or ""
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    return tail or f"{rec['name']}-{rec['version']}-{rec.get('build', '')}.conda"


def _candidates(rec: dict[str, Any], fn: str, pkgs_dirs: Sequence[Path]) -> list[Path]:
    out = []
    tarball = rec.get("package_tarball_full_path")
    if isinstance(tarball, str) and tarball.endswith((".conda", ".tar.bz2")):
        out.append(Path(tarball))
    out += [Path(d) / fn for d in pkgs_dirs]
    return list(dict.fromkeys(out))


def find_archive(
    rec: dict[str, Any], fn: str, pkgs_dirs: Sequence[Path]
) -> Path | None:
    size = rec.get("size") if isinstance(rec.get("size"), int) else None
    for path in _candidates(rec, fn, pkgs_dirs):
        try:
            st = path.stat()
        except OSError:
            continue
        if size is None or st.st_size == size:
            return path
    return None


def keep_archive(
    rec: dict[str, Any], store: Store, pkgs_dirs: Sequence[Path], allow_copy: bool
) -> Archive:
    """Find the archive of ``rec`` and keep it in the store if possible."""
    fn = archive_name(rec)
    sha256, md5 = rec.get("sha256") or None, rec.get("md5") or None
    size = rec.get("size") if isinstance(rec.get("size"), int) else None
    base = dict(name=str(rec["name"]), fn=fn, sha256=sha256, md5=md5, size=size)
    source = find_archive(rec, fn, pkgs_dirs)
    digest = sha256 or md5
    if digest is None and source is not None:  # no hash recorded: take one now
        digest = fsutil.file_digest(source)
        base["sha256"] = digest
    if digest is None:
        return Archive(**base, kept="missing")
    rel = store.archive_rel(digest, fn)
    kept_file = store.path / rel
    if kept_file.is_file() and (size is None or kept_file.stat().st_size == size):
        how = "hardlink" if kept_file.stat().st_nlink > 1 else "copy"
        return Archive(**base, kept="store", how=how, path=rel)
    if source is None:
        return Archive(**base, kept="missing")
    how = store.add_file(rel, source, allow_copy=allow_copy)
    if how is None:
        return Archive(**base, kept="cache", cache_path=str(source))
    return Archive(**base, kept="store", how=how, path=rel)


def platform_of(records: Iterable[dict[str, Any]]) -> str | None:
    subdirs = Counter(
        r.get("subdir") for r in records if r.get("subdir") not in (None, "", "noarch")
    )
    return subdirs.most_common(1)[0][0] if subdirs else None


def history_specs(prefix: Path) -> tuple[dict[str, str], int | None]:
    path = prefix / "conda-meta" / "history"
    if not path.is_file():
        return {}, None
    history = parse_history(path)
    last = history.revisions[-1].number if history.revisions else None
    return history.requested_specs(), last


def _pip(
    prefix: Path, store: Store, records: list[dict[str, Any]], latest: Generation | None
) -> tuple[PipDist, ...]:
    previous = {
        (p.name, p.version, p.record_sha256 or ""): p
        for p in (latest.pip if latest else ())
    }
    found = pipdists.find_dists(prefix, records)
    return tuple(pipdists.capture_dist(prefix, store, d, previous) for d in found)


def capture(
    prefix: str | Path,
    store: Store,
    *,
    records: Iterable[dict[str, Any]] | None = None,
    pkgs_dirs: Sequence[str | Path] = (),
    allow_copy: bool = False,
    command: str | None = None,
    reason: str = "manual",
) -> Captured:
    """Take a generation of ``prefix`` into ``store`` (see the module docstring)."""
    root = Path(prefix)
    raw = list(records) if records is not None else read_meta_records(root)
    requested, revision = history_specs(root)
    store.ensure()
    numbers = store.numbers()
    latest = store.load(numbers[-1]) if numbers else None
    dirs = [Path(d) for d in pkgs_dirs]
    archives = tuple(keep_archive(r, store, dirs, allow_copy) for r in raw)
    fields = tuple(sorted((package_fields(r) for r in raw), key=lambda r: r["name"]))
    gen = Generation(
        number=0,
        created=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        prefix=store.prefix,
        platform=platform_of(fields),
        records=fields,
        archives=tuple(sorted(archives, key=lambda a: a.name)),
        requested=requested,
        pip=_pip(root, store, raw, latest),
        revision=revision,
        command=command,
        reason=reason,
    )
    if latest is not None and latest.key() == gen.key():
        return Captured(latest, new=False, notes=(f"unchanged since {latest.label}",))
    comment = f"conda-guard generation of {store.prefix}"
    written = store.write(gen, explicit_text(fields, gen.platform, comment))
    return Captured(written, new=True)
