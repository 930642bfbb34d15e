"""Turn an environment description (prefix, lock file, export …) into a State.

``read_state(ref)`` reads a path in any of :data:`FORMATS`, detected from its
content by :func:`detect` unless ``fmt`` names one, or ``PREFIX@N`` for a
prefix at history revision ``N``. Each format lives in its own module; every
failure is an :class:`~conda_guard.exceptions.InputError` naming the file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from conda_guard.exceptions import InputError, UsageError
from conda_guard.readers.conda_list import read_conda_list_export, read_conda_list_json
from conda_guard.readers.conda_lock import read_conda_lock
from conda_guard.readers.env_yaml import read_env_specs, read_env_yaml
from conda_guard.readers.explicit import read_explicit
from conda_guard.readers.history import History, parse_history
from conda_guard.readers.pixi_lock import read_pixi_lock
from conda_guard.readers.prefix import read_prefix, read_prefix_revision

if TYPE_CHECKING:
    from collections.abc import Callable

    from conda_guard.models import State

__all__ = [
    "FORMATS",
    "History",
    "detect",
    "parse_history",
    "read_env_specs",
    "read_state",
]

#: format name → reader ``(path, *, platform=None, environment=None) -> State``
FORMATS: dict[str, Callable[..., State]] = {
    "prefix": read_prefix,
    "explicit": read_explicit,
    "conda-lock": read_conda_lock,
    "pixi-lock": read_pixi_lock,
    "env-yaml": read_env_yaml,
    "conda-list-json": read_conda_list_json,
    "conda-list-export": read_conda_list_export,
}

_REVISION_RE = re.compile(r"(.+)@(\d+)")
_HEAD_BYTES = 65536
_EXPORT_LINE_RE = re.compile(r"[^\s#=:]+(?:::[^\s=]+)?=[^\s=]+=[^\s=]+")


def _unknown(path: str | Path) -> InputError:
    return InputError(
        path, f"unknown format (expected one of {', '.join(FORMATS)}); use --format"
    )


def detect(path: str | Path) -> str:
    """The format name of ``path`` from its content; :class:`InputError` if unknown."""
    p = Path(path)
    if p.is_dir():
        if (p / "conda-meta").is_dir():
            return "prefix"
        raise InputError(p, "not a conda prefix (no conda-meta directory)")
    try:
        with open(p, "rb") as fh:
            head_bytes = fh.read(_HEAD_BYTES)
    except FileNotFoundError:
        raise InputError(p, "no such file or directory") from None
    except OSError as exc:
        raise InputError(p, f"cannot read: {exc.strerror or exc}") from None
    head = head_bytes.decode("utf-8-sig", errors="replace")
    stripped = head.lstrip()
    if stripped.startswith("["):
        return "conda-list-json"
    lines = [line.strip() for line in head.splitlines()]
    if "@EXPLICIT" in lines:
        return "explicit"
    if any(line.startswith("# packages in environment at") for line in lines):
        return "conda-list-export"
    keys = {
        line.split(":", 1)[0]
        for line in head.splitlines()
        if line and not line[0].isspace() and not line.startswith(("#", "-"))
    }
    if "environments" in keys and "version" in keys:
        return "pixi-lock"
    if "package" in keys and ("metadata" in keys or "version" in keys):
        return "conda-lock"
    if "dependencies" in keys:
        return "env-yaml"
    body = [line for line in lines if line and not line.startswith("#")]
    if body and all(_EXPORT_LINE_RE.fullmatch(line) for line in body[:50]):
        return "conda-list-export"
    if not body and any(line.startswith("# platform:") for line in lines):
        return "conda-list-export"
    raise _unknown(p)


def read_state(
    ref: str | Path,
    fmt: str | None = None,
    *,
    platform: str | None = None,
    environment: str | None = None,
) -> State:
    """Read ``ref`` (a path, or ``PREFIX@N``) into a :class:`State`.

    ``fmt`` forces one of :data:`FORMATS`; ``platform`` and ``environment``
    choose inside multi-platform lock files.
    """
    if fmt is not None and fmt not in FORMATS:
        raise UsageError(
            f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})"
        )
    text = str(ref)
    m = _REVISION_RE.fullmatch(text)
    if m and not Path(text).exists() and Path(m.group(1)).is_dir():
        if fmt not in (None, "prefix"):
            raise UsageError(f"{text}: '@N' revisions exist only for prefixes")
        return read_prefix_revision(m.group(1), int(m.group(2)))
    name = fmt or detect(text)
    return FORMATS[name](text, platform=platform, environment=environment)
