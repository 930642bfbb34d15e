"""The generation file: what a prefix was, and where its archives are kept.

A generation is one JSON document (``gN.json`` in the store)::

    {"format": "conda-guard-generation", "version": 1, "generation": 3,
     "created": "2026-08-23T10:11:12Z", "prefix": "/home/me/envs/ml",
     "platform": "linux-64", "revision": 4, "command": "conda install ...",
     "reason": "before-transaction", "requested": {"numpy": "numpy=1.26"},
     "records": [<conda-meta record without files/paths_data>, ...],
     "archives": [{"name": "numpy", "fn": "...", "sha256": "...", "md5": "...",
                   "size": 123, "kept": "store", "how": "hardlink",
                   "path": "archives/<digest>/<fn>", "cache_path": null}, ...],
     "pip": [{"name": "foo", "version": "1.0", "installer": "pip", ...}],
     "checksum": "<sha256 of the document without this key>"}

``kept`` is ``store`` (the store holds the archive: hard link or copy),
``cache`` (only conda's package cache held it when the generation was taken)
or ``missing``. :func:`load_generation` validates a file completely (JSON,
shape, types, checksum) and raises one :class:`InputError` line otherwise; a
rollback reads nothing it has not validated.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..exceptions import InputError

if TYPE_CHECKING:
    from typing import Any

FORMAT = "conda-guard-generation"
VERSION = 1
KEPT = ("store", "cache", "missing")

#: conda-meta keys that describe the prefix, not the package (not stored)
PREFIX_ONLY_KEYS = frozenset(
    {
        "files",
        "paths_data",
        "link",
        "extracted_package_dir",
        "package_tarball_full_path",
        "requested_spec",
        "requested_specs",
        "auth",
    }
)


@dataclass(frozen=True)
class Archive:
    """The package archive of one record and where the store keeps it."""

    name: str
    fn: str
    sha256: str | None
    md5: str | None
    size: int | None
    kept: str  # one of KEPT
    how: str | None = None  # "hardlink" | "copy" (kept == "store")
    path: str | None = None  # relative to the store (kept == "store")
    cache_path: str | None = None  # the package-cache file (kept == "cache")

    @property
    def digest(self) -> tuple[str, str] | None:
        """``(algorithm, hex)`` to verify the archive with, sha256 first."""
        if self.sha256:
            return "sha256", self.sha256
        if self.md5:
            return "md5", self.md5
        return None


@dataclass(frozen=True)
class PipDist:
    """A Python distribution installed by pip (or another non-conda tool)."""

    name: str
    version: str
    installer: str
    site: str  # site-packages, relative to the prefix
    dist_info: str  # the .dist-info directory name
    files_sha256: str | None  # hash of (path, content hash) of every file
    files: int = 0
    archive: str | None = None  # tar of the files, relative to the store
    archive_sha256: str | None = None
    missing_reason: str | None = None  # why the files were not captured
    record_sha256: str | None = None  # sha256 of RECORD (reuse key)


@dataclass(frozen=True)
class Generation:
    """One captured state of a prefix (see the module docstring)."""

    number: int
    created: str
    prefix: str
    platform: str | None
    records: tuple[dict[str, Any], ...]
    archives: tuple[Archive, ...]
    requested: dict[str, str] = field(default_factory=dict)
    pip: tuple[PipDist, ...] = ()
    revision: int | None = None
    command: str | None = None
    reason: str = "manual"

    @property
    def label(self) -> str:
        """``g3``."""
        return f"g{self.number}"

    def archive_of(self, name: str) -> Archive | None:
        """The archive entry of package ``name``."""
        return next((a for a in self.archives if a.name == name), None)

    def key(self) -> tuple[Any, ...]:
        """What makes two generations the same state (records, specs, pip)."""
        recs = tuple(
            sorted(
                (
                    r["name"],
                    str(r["version"]),
                    r.get("build", ""),
                    r.get("sha256") or "",
                )
                for r in self.records
            )
        )
        pip = tuple(sorted((p.name, p.version, p.files_sha256 or "") for p in self.pip))
        return recs, tuple(sorted(self.requested.items())), pip

    def to_json(self) -> dict[str, Any]:
        """The document, with its checksum."""
        body: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "generation": self.number,
            "created": self.created,
            "prefix": self.prefix,
            "platform": self.platform,
            "revision": self.revision,
            "command": self.command,
            "reason": self.reason,
            "requested": dict(sorted(self.requested.items())),
            "records": list(self.records),
            "archives": [_archive_json(a) for a in self.archives],
            "pip": [_pip_json(p) for p in self.pip],
        }
        body["checksum"] = checksum(body)
        return body

    def dumps(self) -> bytes:
        """The file content."""
        return (json.dumps(self.to_json(), indent=1, sort_keys=True) + "\n").encode()


def _archive_json(a: Archive) -> dict[str, Any]:
    return {
        "name": a.name,
        "fn": a.fn,
        "sha256": a.sha256,
        "md5": a.md5,
        "size": a.size,
        "kept": a.kept,
        "how": a.how,
        "path": a.path,
        "cache_path": a.cache_path,
    }


def _pip_json(p: PipDist) -> dict[str, Any]:
    return {
        "name": p.name,
        "version": p.version,
        "installer": p.installer,
        "site": p.site,
        "dist_info": p.dist_info,
        "files_sha256": p.files_sha256,
        "files": p.files,
        "archive": p.archive,
        "archive_sha256": p.archive_sha256,
        "missing_reason": p.missing_reason,
        "record_sha256": p.record_sha256,
    }


def checksum(body: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of ``body`` without its ``checksum`` key."""
    data = {k: v for k, v in body.items() if k != "checksum"}
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


# -- reading and validation ----------------------------------------------------


class _Bad(Exception):
    """A shape error, turned into an InputError naming the file."""


def _get(obj: dict[str, Any], key: str, types: Any, *, null: bool = False) -> Any:
    if key not in obj:
        raise _Bad(f"missing {key!r}")
    value = obj[key]
    if value is None and null:
        return None
    if isinstance(value, bool) and bool not in (
        types if isinstance(types, tuple) else (types,)
    ):
        raise _Bad(f"{key!r} has the wrong type")
    if not isinstance(value, types):
        raise _Bad(f"{key!r} has the wrong type")
    return value


def _archive(obj: Any) -> Archive:
    if not isinstance(obj, dict):
        raise _Bad("an archive entry is not an object")
    kept = _get(obj, "kept", str)
    if kept not in KEPT:
        raise _Bad(f"archive 'kept' is {kept!r}")
    arch = Archive(
        name=_get(obj, "name", str),
        fn=_get(obj, "fn", str),
        sha256=_get(obj, "sha256", str, null=True),
        md5=_get(obj, "md5", str, null=True),
        size=_get(obj, "size", int, null=True),
        kept=kept,
        how=_get(obj, "how", str, null=True),
        path=_get(obj, "path", str, null=True),
        cache_path=_get(obj, "cache_path", str, null=True),
    )
    if kept == "store" and not arch.path:
        raise _Bad(f"archive {arch.fn!r} is kept in the store without a path")
    if arch.path and (Path(arch.path).is_absolute() or ".." in Path(arch.path).parts):
        raise _Bad(f"archive path {arch.path!r} leaves the store")
    return arch


def _pip(obj: Any) -> PipDist:
    if not isinstance(obj, dict):
        raise _Bad("a pip entry is not an object")
    dist = PipDist(
        name=_get(obj, "name", str),
        version=_get(obj, "version", str),
        installer=_get(obj, "installer", str),
        site=_get(obj, "site", str),
        dist_info=_get(obj, "dist_info", str),
        files_sha256=_get(obj, "files_sha256", str, null=True),
        files=_get(obj, "files", int),
        archive=_get(obj, "archive", str, null=True),
        archive_sha256=_get(obj, "archive_sha256", str, null=True),
        missing_reason=_get(obj, "missing_reason", str, null=True),
        record_sha256=_get(obj, "record_sha256", str, null=True),
    )
    for rel in (dist.archive, dist.site):
        if rel and (Path(rel).is_absolute() or ".." in Path(rel).parts):
            raise _Bad(f"pip path {rel!r} leaves its directory")
    return dist


def _records(value: list[Any]) -> tuple[dict[str, Any], ...]:
    out = []
    for rec in value:
        if not isinstance(rec, dict):
            raise _Bad("a record is not an object")
        for key in ("name", "version"):
            if not isinstance(rec.get(key), str) or not rec[key]:
                raise _Bad(f"a record has no {key!r}")
        out.append(rec)
    return tuple(out)


def generation_from_json(doc: Any) -> Generation:
    """A :class:`Generation` from a parsed document; ``_Bad`` on any problem."""
    if not isinstance(doc, dict):
        raise _Bad("not a JSON object")
    if doc.get("format") != FORMAT:
        raise _Bad("not a conda-guard generation file")
    if doc.get("version") != VERSION:
        raise _Bad(f"unsupported generation file version {doc.get('version')!r}")
    if _get(doc, "checksum", str) != checksum(doc):
        raise _Bad("checksum mismatch (the file was changed or damaged)")
    requested = _get(doc, "requested", dict)
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in requested.items()):
        raise _Bad("'requested' must map names to spec strings")
    return Generation(
        number=_get(doc, "generation", int),
        created=_get(doc, "created", str),
        prefix=_get(doc, "prefix", str),
        platform=_get(doc, "platform", str, null=True),
        revision=_get(doc, "revision", int, null=True),
        command=_get(doc, "command", str, null=True),
        reason=_get(doc, "reason", str),
        requested=dict(requested),
        records=_records(_get(doc, "records", list)),
        archives=tuple(_archive(a) for a in _get(doc, "archives", list)),
        pip=tuple(_pip(p) for p in _get(doc, "pip", list)),
    )


def load_generation(path: str | Path) -> Generation:
    """Read and validate a generation file; one-line :class:`InputError` if bad."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(path, "no such generation file") from None
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    try:
        doc = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(path, "damaged generation file (not UTF-8)") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            path, f"damaged generation file (invalid JSON: {exc.msg})", exc.lineno
        ) from None
    except RecursionError:
        raise InputError(path, "damaged generation file (nested too deeply)") from None
    try:
        return generation_from_json(doc)
    except _Bad as exc:
        raise InputError(path, f"damaged generation file: {exc}") from None
