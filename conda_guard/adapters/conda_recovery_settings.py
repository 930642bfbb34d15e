"""The recovery settings: ``plugins.guard_snapshot``, ``_dir``, ``_copy``.

Declarations for the ``conda_settings`` hook (imports only conda's
configuration types) and a typed view read from ``context.plugins``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from conda.common.configuration import PrimitiveParameter
from conda.plugins.types import CondaSetting

if TYPE_CHECKING:
    from collections.abc import Iterator

SETTING_SNAPSHOT = "guard_snapshot"
SETTING_DIR = "guard_snapshot_dir"
SETTING_COPY = "guard_snapshot_copy"


def declare_settings() -> Iterator[CondaSetting]:
    """The recovery settings (declarations only)."""
    yield CondaSetting(
        name=SETTING_SNAPSHOT,
        description=(
            "conda-guard: take a generation of the prefix (records, requested "
            "specs, pip files; archives hard-linked into the store) before each "
            "transaction, for `conda guard rollback`. Default: true."
        ),
        parameter=PrimitiveParameter(True, element_type=bool),
    )
    yield CondaSetting(
        name=SETTING_DIR,
        description=(
            "conda-guard: directory of the generation stores (one per prefix; never "
            "inside a prefix). Default: ~/.conda/guard/generations. Put it on the "
            "file system of the package cache so archives are hard links."
        ),
        parameter=PrimitiveParameter("", element_type=str),
    )
    yield CondaSetting(
        name=SETTING_COPY,
        description=(
            "conda-guard: copy package archives into the store when they cannot be "
            "hard-linked (another file system). Default: false (such generations "
            "rely on the package cache until `conda clean --tarballs`)."
        ),
        parameter=PrimitiveParameter(False, element_type=bool),
    )


@dataclass(frozen=True)
class RecoverySettings:
    """The recovery settings, typed."""

    snapshot: bool = True
    store_dir: str | None = None
    copy: bool = False


def _flag(value: Any, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    return default


def read_settings() -> RecoverySettings:
    """The recovery settings from ``context.plugins``."""
    from conda.base.context import context

    plugins = context.plugins
    directory = str(getattr(plugins, SETTING_DIR, "") or "").strip()
    return RecoverySettings(
        snapshot=_flag(getattr(plugins, SETTING_SNAPSHOT, True), True),
        store_dir=directory or None,
        copy=_flag(getattr(plugins, SETTING_COPY, False), False),
    )


def store_for(prefix: str) -> Any:
    """The :class:`~conda_guard.recovery.store.Store` of ``prefix`` per the settings."""
    from ..recovery.store import Store

    return Store.for_prefix(prefix, read_settings().store_dir)
