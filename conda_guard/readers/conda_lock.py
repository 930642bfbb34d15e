"""Read ``conda-lock.yml`` (conda-lock's unified lock file, version 1).

Each ``package:`` entry names its ``manager`` (conda or pip), ``platform``,
``url``, ``hash`` (md5/sha256) and ``dependencies`` (a name → constraint
mapping, turned into ``"name constraint"`` depends). One platform is read:
``platform=`` picks it; otherwise the only one, else ``linux-64``, else a
:class:`UsageError` listing the choices. YAML via ``env_yaml.load_yaml``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from conda_guard.exceptions import InputError, UsageError
from conda_guard.models import Record, State
from conda_guard.readers.env_yaml import load_yaml
from conda_guard.readers.explicit import record_from_url
from conda_guard.readers.pip_dists import pip_record
from conda_guard.readers.source import display_name
from conda_guard.readers.validate import unique_records

if TYPE_CHECKING:
    from pathlib import Path


def one_line(names: list[str]) -> str:
    """Names from a file, comma-separated, with no line breaks in them."""
    return ", ".join(" ".join(str(n).split()) for n in names)


def choose_platform(
    path: str, available: list[str], platform: str | None, what: str = "platforms"
) -> str:
    """The platform to read: the asked one, the only one, or ``linux-64``."""
    choices = sorted(set(available))
    if platform is not None:
        if platform not in choices:
            raise UsageError(
                f"{path}: no platform {' '.join(platform.split())!r} "
                f"(it has {one_line(choices) or 'none'})"
            )
        return platform
    if len(choices) == 1:
        return choices[0]
    if "linux-64" in choices:
        return "linux-64"
    if not choices:
        raise InputError(path, f"no {what} in the lock file")
    raise UsageError(
        f"{path}: has several platforms ({one_line(choices)}); "
        "choose one with --platform"
    )


def _depends(value: Any) -> tuple[str, ...]:
    if isinstance(value, dict):
        out = []
        for name, spec in value.items():
            spec_text = "" if spec is None else str(spec).strip()
            out.append(f"{name} {spec_text}".strip())
        return tuple(out)
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return ()


def _hashes(entry: dict[str, Any]) -> tuple[str | None, str | None]:
    value = entry.get("hash")
    if not isinstance(value, dict):
        return None, None
    md5 = value.get("md5")
    sha256 = value.get("sha256")
    return (str(md5) if md5 else None, str(sha256) if sha256 else None)


def _check_version(p: str, data: dict[str, Any]) -> None:
    version = data.get("version", 1)
    if version == 1:
        return
    if version in (2, 3):
        # pixi wrote this conda-lock-like layout with versions 2 and 3
        raise InputError(
            p,
            f"pixi.lock version {version} is not supported (4–7 are; conda-lock "
            "files are version 1)",
        )
    raise InputError(
        p, f"unsupported conda-lock version {str(version)[:20]!r} (expected 1)"
    )


def read_conda_lock(
    path: str | Path,
    *,
    platform: str | None = None,
    environment: str | None = None,
    data: bytes | None = None,
    doc: Any = None,
) -> State:
    """Read a conda-lock v1 file into a :class:`State` for one platform.

    ``data`` is the file's bytes when already read, ``doc`` the file already
    parsed (all platforms read from one parse).
    """
    p = display_name(path)
    if doc is None:
        doc = load_yaml(path, data)
    if not isinstance(doc, dict) or not isinstance(doc.get("package"), list):
        raise InputError(p, "not a conda-lock file (no 'package' list)")
    _check_version(p, doc)
    entries = [e for e in doc["package"] if isinstance(e, dict)]
    if len(entries) != len(doc["package"]):
        raise InputError(p, "a 'package' entry is not a mapping")
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    listed = meta.get("platforms") if isinstance(meta.get("platforms"), list) else []
    available = [str(x) for x in listed] or [
        str(e["platform"]) for e in entries if e.get("platform")
    ]
    chosen = choose_platform(p, available, platform)
    records = [
        _entry_record(p, index, entry)
        for index, entry in enumerate(entries)
        if str(entry.get("platform", "")) == chosen
    ]
    if not records:
        raise InputError(p, f"no packages for platform {chosen!r}")
    return State.from_records(
        unique_records(p, records), source=p, kind="conda-lock", platform=chosen
    )


def _entry_record(p: str, index: int, entry: dict[str, Any]) -> Record:
    name = entry.get("name")
    version_text = entry.get("version")
    if name is None or version_text is None:
        raise InputError(p, f"package entry {index} has no name or version")
    source = f"{p} (package {index})"
    md5, sha256 = _hashes(entry)
    manager = entry.get("manager", "conda")
    url = entry.get("url")
    if manager == "pip":
        return pip_record(
            str(name),
            str(version_text),
            source,
            url=str(url) if url else None,
            sha256=sha256,
        )
    if manager != "conda":
        raise InputError(
            p, f"package entry {index}: unknown manager {str(manager)[:40]!r}"
        )
    if not isinstance(url, str):
        raise InputError(p, f"package entry {index} ({name}) has no url")
    try:
        rec = record_from_url(
            url,
            source=source,
            md5=md5,
            sha256=sha256,
            name=str(name),
            version=str(version_text),
        )
    except ValueError as exc:
        raise InputError(p, f"package entry {index}: {exc}") from None
    return replace(rec, depends=_depends(entry.get("dependencies")))
