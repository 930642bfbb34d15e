"""Every environment and platform of a lock file, from one read of it.

``read_all(ref)`` parses a ``pixi.lock`` or ``conda-lock.yml`` once and builds
one :class:`~conda_guard.models.State` per environment and platform (the
readers take the parsed ``data``). Other formats hold one state and give one
entry. ``environments``/``platforms`` narrow the selection (``None``: all).
``REV:PATH`` git references work as everywhere (:mod:`.git`).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from conda_guard.exceptions import InputError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from pathlib import Path

    from conda_guard.models import State

#: (environment, platform); the environment is "" for formats that have none
Key = tuple[str, str]
MULTI_FORMATS = ("pixi-lock", "conda-lock")


@dataclass(frozen=True)
class LockStates:
    """The states of one file, keyed by (environment, platform)."""

    source: str
    kind: str
    states: Mapping[Key, State]
    environments: int  # environments in the file (selected or not)
    pairs: int  # environment/platform pairs in the file (selected or not)

    def describe(self) -> dict[str, Any]:
        """JSON description (``before``/``after`` of a grouped report)."""
        return {
            "source": self.source,
            "kind": self.kind,
            "environments": self.environments,
            "pairs": self.pairs,
            "selected": len(self.states),
        }


def _pixi_keys(path: str, data: Any) -> list[Key]:
    envs = data.get("environments") if isinstance(data, dict) else None
    if not isinstance(envs, dict):
        return []  # the reader says what is wrong
    keys = []
    for env, body in envs.items():
        packages = body.get("packages") if isinstance(body, dict) else None
        if isinstance(packages, dict):
            keys += [(str(env), str(platform)) for platform in packages]
    return keys


def _conda_lock_keys(path: str, data: Any) -> list[Key]:
    if not isinstance(data, dict):
        return []
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    listed = meta.get("platforms") if isinstance(meta.get("platforms"), list) else []
    entries = data.get("package") if isinstance(data.get("package"), list) else []
    found = [str(p) for p in listed] or [
        str(e["platform"]) for e in entries if isinstance(e, dict) and e.get("platform")
    ]
    return [("", p) for p in dict.fromkeys(found)]


def _chosen(keys: list[Key], environments, platforms) -> list[Key]:
    return [
        (env, plat)
        for env, plat in keys
        if (environments is None or env in environments or not env)
        and (platforms is None or plat in platforms)
    ]


@contextlib.contextmanager
def _local(ref: str) -> Iterator[tuple[str, str]]:
    """(path to read, name to show) of ``ref``; a git ``REV:PATH`` is copied out."""
    from conda_guard.readers.git import checked_out, parse_git_ref

    git_ref = parse_git_ref(ref) if ":" in ref else None
    if git_ref is None:
        yield ref, ref
        return
    with checked_out(git_ref) as path:
        yield str(path), ref


def read_all(
    ref: str | Path,
    fmt: str | None = None,
    *,
    environments: Sequence[str] | None = None,
    platforms: Sequence[str] | None = None,
) -> LockStates:
    """Read every selected environment/platform of ``ref``, parsing it once."""
    from conda_guard.readers import FORMATS, detect, read_state
    from conda_guard.readers.env_yaml import load_yaml

    with _local(str(ref)) as (path, shown):
        name = fmt or detect(path)
        if name not in MULTI_FORMATS:
            state = replace(read_state(path, name), source=shown)
            key = ("", state.platform or "")
            return LockStates(shown, name, {key: state}, 0, 1)
        data = load_yaml(path)
        keys = (_pixi_keys if name == "pixi-lock" else _conda_lock_keys)(path, data)
        if not keys:  # malformed: the reader raises the precise error
            FORMATS[name](path, doc=data)
            raise InputError(shown, "no environments or platforms in the lock file")
        states: dict[Key, State] = {}
        extra: dict[str, Any] = {"cache": {}} if name == "pixi-lock" else {}
        for env, plat in _chosen(keys, environments, platforms):
            state = FORMATS[name](
                path, platform=plat, environment=env or None, doc=data, **extra
            )
            states[(env, plat)] = replace(state, source=shown)
    return LockStates(
        shown, name, states, len({env for env, _ in keys if env}), len(keys)
    )
