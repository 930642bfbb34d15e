"""Read the channel settings of the ``.condarc`` files conda would read.

The standalone ``conda-guard`` resolves channel names as conda does on this
machine: the files of conda's search path (``conda/base/constants.py``
``SEARCH_PATH``: ``/etc/conda/.condarc`` … ``$CONDA_ROOT/.condarc``,
``$XDG_CONFIG_HOME/conda/.condarc``, ``~/.config/conda/.condarc``,
``~/.conda/.condarc``, ``~/.condarc``, ``$CONDA_PREFIX/.condarc``,
``$CONDARC``, each also as ``condarc`` and a ``condarc.d/`` directory of
``*.yml``/``*.yaml`` files; a file named otherwise is not read, as in conda),
merged the way conda merges them (a later file
wins a value; lists put the later file's entries first; maps merge), then
``CONDA_CHANNELS``, ``CONDA_CHANNEL_ALIAS``, ``CONDA_OFFLINE`` and
``CONDA_ADD_PIP_AS_PYTHON_DEPENDENCY``. Only the keys that name channels are
read: ``channels``, ``channel_alias``, ``migrated_channel_aliases``,
``custom_channels``, ``custom_multichannels``, ``default_channels``,
``offline``, ``add_pip_as_python_dependency``. A file that cannot be read or
parsed is an :class:`~conda_guard.exceptions.InputError` naming it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conda_guard.channel_names import Condarc
from conda_guard.exceptions import InputError
from conda_guard.readers.source import path_kind, read_text
from conda_guard.readers.yaml_loader import load_yaml_text

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

_SYSTEM = (
    ("C:/ProgramData/conda/.condarc", "C:/ProgramData/conda/condarc")
    if sys.platform.startswith("win")
    else (
        "/etc/conda/.condarc",
        "/etc/conda/condarc",
        "/etc/conda/condarc.d/",
        "/var/lib/conda/.condarc",
        "/var/lib/conda/condarc",
        "/var/lib/conda/condarc.d/",
    )
)
#: conda's search path after the system files (``$VAR`` unset: skipped)
SEARCH_PATH = (
    *_SYSTEM,
    "$CONDA_ROOT/.condarc",
    "$CONDA_ROOT/condarc",
    "$CONDA_ROOT/condarc.d/",
    "$XDG_CONFIG_HOME/conda/.condarc",
    "$XDG_CONFIG_HOME/conda/condarc",
    "$XDG_CONFIG_HOME/conda/condarc.d/",
    "~/.config/conda/.condarc",
    "~/.config/conda/condarc",
    "~/.config/conda/condarc.d/",
    "~/.conda/.condarc",
    "~/.conda/condarc",
    "~/.conda/condarc.d/",
    "~/.condarc",
    "$CONDA_PREFIX/.condarc",
    "$CONDA_PREFIX/condarc",
    "$CONDA_PREFIX/condarc.d/",
    "$CONDARC",
)

_LISTS = ("channels", "default_channels", "migrated_channel_aliases")
_MAPS = ("custom_channels", "custom_multichannels")
_FLAGS = ("offline", "add_pip_as_python_dependency")


def _expand(entry: str, environ: Mapping[str, str], home: Path) -> str | None:
    if entry.startswith("~"):
        return str(home) + entry[1:]
    if entry.startswith("$"):
        var, _, rest = entry[1:].partition("/")
        value = environ.get(var)
        if not value:
            return None
        return value + ("/" + rest if rest else "")
    return entry


def search_files(
    environ: Mapping[str, str] | None = None, home: Path | None = None
) -> Iterator[Path]:
    """The existing files of conda's search path, in conda's order."""
    env = os.environ if environ is None else environ
    base = Path.home() if home is None else home
    seen: set[str] = set()
    for entry in SEARCH_PATH:
        text = _expand(entry, env, base)
        if text is None:
            continue
        path = Path(text)
        kind = path_kind(path)
        if kind == "dir":
            found = sorted(p for p in path.iterdir() if p.suffix in (".yml", ".yaml"))
        elif kind == "file" and (
            path.name in (".condarc", "condarc") or path.suffix in (".yml", ".yaml")
        ):
            found = [path]  # conda reads no other file name
        else:
            found = []
        for file in found:
            key = os.path.realpath(file)
            if key not in seen:
                seen.add(key)
                yield file


def _words(value: Any, where: str, key: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        raise InputError(where, f"{key}: expected a list of channels")
    return [str(v).strip() for v in value if str(v).strip()]


def _flag(value: Any, where: str, key: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0", ""):
        return False
    raise InputError(where, f"{key}: expected true or false, not {value!r}")


def _merge(into: dict[str, Any], doc: Mapping[str, Any], where: str) -> None:
    """Merge one file's (or the environment's) values, conda's way."""
    for key in _LISTS:
        if key in doc:
            into[key] = [*_words(doc[key], where, key), *into.get(key, [])]
    for key in _MAPS:
        value = doc.get(key)
        if value is None:
            continue
        if not isinstance(value, dict):
            raise InputError(where, f"{key}: expected a mapping")
        merged = dict(into.get(key, {}))
        for name, item in value.items():
            merged[str(name)] = (
                _words(item, where, key) if key == "custom_multichannels" else item
            )
        into[key] = merged
    if doc.get("channel_alias") is not None:
        into["channel_alias"] = str(doc["channel_alias"]).strip()
    for key in _FLAGS:
        if doc.get(key) is not None:
            into[key] = _flag(doc[key], where, key)


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def read_condarc(
    environ: Mapping[str, str] | None = None, home: Path | None = None
) -> Condarc:
    """The channel settings conda would use here (see the module docstring)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    sources: list[str] = []
    for path in search_files(env, home):
        doc = load_yaml_text(read_text(path), str(path))
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise InputError(path, "not a .condarc (expected a mapping)")
        _merge(values, doc, str(path))
        if any(k in doc for k in (*_LISTS, *_MAPS, *_FLAGS, "channel_alias")):
            sources.append(str(path))
    variables = {
        "channels": env.get("CONDA_CHANNELS"),
        "channel_alias": env.get("CONDA_CHANNEL_ALIAS"),
        "offline": env.get("CONDA_OFFLINE"),
        "add_pip_as_python_dependency": env.get("CONDA_ADD_PIP_AS_PYTHON_DEPENDENCY"),
    }
    given = {k: v for k, v in variables.items() if v}
    if given:
        _merge(values, given, "the CONDA_* environment variables")
        sources.append("$" + ", $".join(f"CONDA_{k.upper()}" for k in given))
    return Condarc(
        channel_alias=values.get("channel_alias") or Condarc.channel_alias,
        migrated_channel_aliases=_unique(values.get("migrated_channel_aliases", [])),
        custom_channels={
            k: str(v) for k, v in values.get("custom_channels", {}).items()
        },
        custom_multichannels={
            k: tuple(v) for k, v in values.get("custom_multichannels", {}).items()
        },
        default_channels=_unique(values.get("default_channels", [])),
        channels=_unique(values.get("channels", [])) or ("defaults",),
        offline=bool(values.get("offline", False)),
        add_pip_as_python_dependency=bool(
            values.get("add_pip_as_python_dependency", True)
        ),
        sources=tuple(sources),
    )
