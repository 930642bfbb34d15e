"""The recovery settings (``plugins.guard_snapshot``, ``_dir``, ``_copy``) as the
recovery hooks read them.

They are declared with every other setting in :data:`conda_guard.settings.SETTINGS`
and read by :func:`~conda_guard.adapters.conda_settings.read_settings`; this
module gives the recovery code its typed view and the store of a prefix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..recovery.store import Store


@dataclass(frozen=True)
class RecoverySettings:
    """The recovery settings, typed."""

    snapshot: bool = True
    store_dir: str | None = None
    copy: bool = False


def read_settings() -> RecoverySettings:
    """The recovery settings from ``context.plugins``."""
    from .conda_settings import read_settings as guard_settings

    settings = guard_settings()
    return RecoverySettings(
        snapshot=settings.snapshot,
        store_dir=settings.snapshot_dir,
        copy=settings.snapshot_copy,
    )


def store_for(prefix: str) -> Store:
    """The :class:`~conda_guard.recovery.store.Store` of ``prefix`` per the settings."""
    from ..recovery.store import Store

    return Store.for_prefix(prefix, read_settings().store_dir)
