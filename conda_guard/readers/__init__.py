"""Turn an environment description (prefix, lock file, export …) into a State.

``read_state(ref)`` reads a path in any of :data:`FORMATS`, detected from its
content by :func:`detect` unless ``fmt`` names one, ``PREFIX@N`` for a
prefix at history revision ``N``, or ``REV:PATH`` for a file in a git revision
(:mod:`.git`). Each format lives in its own module; every
failure is an :class:`~conda_guard.exceptions.InputError` naming the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conda_guard.exceptions import InputError, UsageError
from conda_guard.readers.source import (
    STDIN,
    display_name,
    path_kind,
    read_bytes,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from conda_guard.models import State
    from conda_guard.readers.history import History, parse_history

__all__ = [
    "FORMATS",
    "History",
    "detect",
    "detect_text",
    "parse_history",
    "read_env_specs",
    "read_state",
]

#: format name → (module, function) of its reader; imported on first use so
#: that reading a prefix does not load the YAML or lock-file readers.
_READERS = {
    "prefix": ("prefix", "read_prefix"),
    "explicit": ("explicit", "read_explicit"),
    "conda-lock": ("conda_lock", "read_conda_lock"),
    "pixi-lock": ("pixi_lock", "read_pixi_lock"),
    "env-yaml": ("env_yaml", "read_env_yaml"),
    "conda-list-json": ("conda_list", "read_conda_list_json"),
    "conda-list-export": ("conda_list", "read_conda_list_export"),
}
_LAZY = {
    "History": ("history", "History"),
    "parse_history": ("history", "parse_history"),
    "read_env_specs": ("env_yaml", "read_env_specs"),
}


def _load(module: str, attr: str) -> Any:
    return getattr(import_module(f"{__name__}.{module}"), attr)


class _Formats(Mapping):
    """format name → reader ``(path, *, platform=None, environment=None) -> State``.

    File readers also take ``data=`` (the file's bytes, already read).
    """

    def __getitem__(self, name: str) -> Callable[..., State]:
        return _load(*_READERS[name])

    def __iter__(self) -> Iterator[str]:
        return iter(_READERS)

    def __len__(self) -> int:
        return len(_READERS)


FORMATS: Mapping[str, Callable[..., State]] = _Formats()


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return _load(*_LAZY[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_REVISION_RE = re.compile(r"(.+)@(\d+)")
_MAX_REVISION_DIGITS = 9
_HEAD_CHARS = 65536
_EXPORT_LINE_RE = re.compile(r"[^\s#=:]+(?:::[^\s=]+)?=[^\s=]+=[^\s=]+")


def _unknown(path: str | Path) -> InputError:
    return InputError(
        path, f"unknown format (expected one of {', '.join(FORMATS)}); use --format"
    )


def detect_text(text: str) -> str | None:
    """The format name of a state file from its first 64 KiB of text, or None."""
    head = text[:_HEAD_CHARS]
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
    return None


def detect(path: str | Path) -> str:
    """The format name of ``path`` from its content; :class:`InputError` if unknown.

    Reads the file: for a pipe, use :func:`read_state`, which reads it once.
    """
    if path_kind(path) == "dir":
        if path_kind(Path(path) / "conda-meta") == "dir":
            return "prefix"
        raise InputError(path, "not a conda prefix (no conda-meta directory)")
    fmt = detect_text(_head(read_bytes(path)))
    if fmt is None:
        raise _unknown(display_name(path))
    return fmt


def _head(data: bytes) -> str:
    return data[:_HEAD_CHARS].decode("utf-8-sig", errors="replace")


def _check_format(fmt: str | None) -> None:
    if fmt is not None and fmt not in FORMATS:
        raise UsageError(
            f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})"
        )


def _revision(text: str, fmt: str | None) -> tuple[str, int] | None:
    """``(prefix, N)`` when ``text`` is ``PREFIX@N`` of an existing prefix."""
    m = _REVISION_RE.fullmatch(text)
    if not m or path_kind(m.group(1)) != "dir":
        return None
    try:
        if path_kind(text) is not None:
            return None  # a file or directory really named like this
    except InputError:
        pass  # a name too long for a file: PREFIX@<many digits>
    if fmt not in (None, "prefix"):
        raise UsageError(f"{text}: '@N' revisions exist only for prefixes")
    digits = m.group(2)
    if len(digits) > _MAX_REVISION_DIGITS:
        raise InputError(
            m.group(1), f"no revision {digits[:12]}… (the number is too large)"
        )
    return m.group(1), int(digits)


def read_state(
    ref: str | Path,
    fmt: str | None = None,
    *,
    platform: str | None = None,
    environment: str | None = None,
) -> State:
    """Read ``ref`` (a path, ``-`` for standard input, ``PREFIX@N``, ``PREFIX@gN``
    or git ``REV:PATH``) into a :class:`State`.

    ``fmt`` forces one of :data:`FORMATS`; ``platform`` and ``environment``
    choose inside multi-platform lock files. A file is read once, so a pipe
    or ``<(command)`` works.
    """
    _check_format(fmt)
    text = str(ref)
    if not text:
        raise UsageError("an empty path is not a state")
    from conda_guard.recovery.states import match_reference, read_generation_state

    if (gen := match_reference(text)) is not None:  # PREFIX@gN: a generation
        return read_generation_state(*gen)
    revision = _revision(text, fmt)
    if revision is not None:
        return _load("prefix", "read_prefix_revision")(*revision)
    if ":" in text and (git_ref := _load("git", "parse_git_ref")(text)):
        return _load("git", "read_git_state")(
            git_ref, fmt, platform=platform, environment=environment
        )
    if text == STDIN and fmt == "prefix":
        raise UsageError("a prefix is a directory: it cannot be read from '-'")
    if text != STDIN and (fmt == "prefix" or path_kind(text) == "dir"):
        name = fmt or detect(text)
        return FORMATS[name](text, platform=platform, environment=environment)
    data = read_bytes(text)
    name = fmt or detect_text(_head(data))
    if name is None:
        raise _unknown(display_name(text))
    return FORMATS[name](text, platform=platform, environment=environment, data=data)
