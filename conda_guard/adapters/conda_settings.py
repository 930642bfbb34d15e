"""The ``plugins.guard_*`` settings: their conda declarations and a typed view.

:func:`declare_settings` yields the ``CondaSetting`` objects for the
``conda_settings`` hook (no I/O). :func:`read_settings` reads
``context.plugins`` (``.condarc`` ``plugins:`` key and ``CONDA_PLUGINS_GUARD_*``
variables) into :class:`GuardSettings`, which hands the core a
:class:`~conda_guard.policy.Policy`. conda itself checks the choice values
when a setting is read and raises its configuration error naming the key;
rule ids in ``guard_ignore`` are checked here (:class:`GuardSettingError`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from conda.common.configuration import PrimitiveParameter, SequenceParameter
from conda.plugins.types import CondaSetting

from .. import constants as C

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from ..policy import Policy

SEVERITY_NAMES = ("info", "low", "medium", "high")


def _choice(key: str, choices: tuple[str, ...]) -> Callable[[Any], bool | str]:
    def validate(value: Any) -> bool | str:
        if str(value).strip().lower() in choices:
            return True
        return f"'plugins.{key}' must be one of: {', '.join(choices)}"

    return validate


def _positive(value: Any) -> bool | str:
    try:
        ok = float(value) > 0
    except (TypeError, ValueError):
        ok = False
    return (
        True
        if ok
        else (f"'plugins.{C.SETTING_BATCH_TIMEOUT}' must be a number of seconds > 0")
    )


def declare_settings() -> Iterator[CondaSetting]:
    """The ``CondaSetting`` objects of the guard (declarations only)."""
    yield CondaSetting(
        name=C.SETTING_MODE,
        description=(
            "conda-guard: 'warn' (default) prints ABI risks of a transaction above "
            "conda's plan; 'block' refuses transactions with findings at or above "
            "guard_fail_on; 'off' disables the check."
        ),
        parameter=PrimitiveParameter(
            "warn", element_type=str, validation=_choice(C.SETTING_MODE, C.MODES)
        ),
    )
    yield CondaSetting(
        name=C.SETTING_FAIL_ON,
        description=(
            "conda-guard: lowest severity (info, low, medium, high) that blocks a "
            "transaction in block mode. Default: high."
        ),
        parameter=PrimitiveParameter(
            "high",
            element_type=str,
            validation=_choice(C.SETTING_FAIL_ON, SEVERITY_NAMES),
        ),
    )
    yield CondaSetting(
        name=C.SETTING_IGNORE,
        description="conda-guard: rule ids whose findings are dropped (downgrade ...).",
        parameter=SequenceParameter(PrimitiveParameter("", element_type=str)),
    )
    yield CondaSetting(
        name=C.SETTING_ALLOW,
        description=(
            "conda-guard: package names or match specs exempt from findings "
            "(e.g. pytorch, 'openssl >=3')."
        ),
        parameter=SequenceParameter(PrimitiveParameter("", element_type=str)),
    )
    yield CondaSetting(
        name=C.SETTING_BATCH,
        description=(
            "conda-guard: when to run an extra batch solve and compare it with "
            "conda's answer: 'update-all' (default, on update --all), 'always', "
            "'never'."
        ),
        parameter=PrimitiveParameter(
            "update-all",
            element_type=str,
            validation=_choice(C.SETTING_BATCH, C.BATCH_CHOICES),
        ),
    )
    yield CondaSetting(
        name=C.SETTING_BATCH_TIMEOUT,
        description="conda-guard: time budget of the batch solve, in seconds (30).",
        parameter=PrimitiveParameter(
            C.DEFAULT_BATCH_TIMEOUT, element_type=(int, float), validation=_positive
        ),
    )
    yield CondaSetting(
        name=C.SETTING_ON_ERROR,
        description=(
            "conda-guard: 'open' (default): a failure inside the guard is reported "
            "and never blocks; 'closed': it stops the transaction."
        ),
        parameter=PrimitiveParameter(
            "open",
            element_type=str,
            validation=_choice(C.SETTING_ON_ERROR, C.ON_ERROR_CHOICES),
        ),
    )
    yield CondaSetting(
        name=C.SETTING_REPORT,
        description=(
            "conda-guard: 'summary' (default) prints each finding with its key "
            "evidence above conda's plan; 'full' adds every evidence line, the "
            "dependency paths and the changes."
        ),
        parameter=PrimitiveParameter(
            "summary",
            element_type=str,
            validation=_choice(C.SETTING_REPORT, C.REPORT_CHOICES),
        ),
    )


@dataclass(frozen=True)
class GuardSettings:
    """The guard's settings, checked and typed."""

    mode: str = "warn"
    fail_on: str = "high"
    ignore: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    batch: str = "update-all"
    batch_timeout: float = C.DEFAULT_BATCH_TIMEOUT
    on_error: str = "open"
    report: str = "summary"

    def policy(self) -> Policy:
        """The core's :class:`~conda_guard.policy.Policy` for these settings."""
        from ..models import Severity
        from ..policy import Policy

        return Policy(
            fail_on=Severity.parse(self.fail_on),
            ignore=frozenset(self.ignore),
            allow=self.allow,
        )

    def with_overrides(self, **changes: Any) -> GuardSettings:
        """A copy with some fields replaced (the strict subcommands use this)."""
        return replace(self, **changes)


def _words(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    return tuple(str(v).strip() for v in value if str(v).strip())


def check_rule_ids(ids: tuple[str, ...], key: str = C.SETTING_IGNORE) -> None:
    """Raise :class:`GuardSettingError` for an id that names no rule."""
    from ..rules import RULE_IDS
    from .conda_errors import GuardSettingError

    for rule in ids:
        if rule not in RULE_IDS:
            raise GuardSettingError(
                key, rule, f"no such rule (rules: {', '.join(sorted(RULE_IDS))})"
            )


def read_settings(plugins: Any = None) -> GuardSettings:
    """Read and check the settings from ``context.plugins`` (or ``plugins``)."""
    if plugins is None:
        from conda.base.context import context

        plugins = context.plugins
    settings = GuardSettings(
        mode=str(getattr(plugins, C.SETTING_MODE)).strip().lower(),
        fail_on=str(getattr(plugins, C.SETTING_FAIL_ON)).strip().lower(),
        ignore=_words(getattr(plugins, C.SETTING_IGNORE)),
        allow=_words(getattr(plugins, C.SETTING_ALLOW)),
        batch=str(getattr(plugins, C.SETTING_BATCH)).strip().lower(),
        batch_timeout=float(getattr(plugins, C.SETTING_BATCH_TIMEOUT)),
        on_error=str(getattr(plugins, C.SETTING_ON_ERROR)).strip().lower(),
        report=str(getattr(plugins, C.SETTING_REPORT)).strip().lower(),
    )
    if settings.mode != "off" and settings.ignore:
        check_rule_ids(settings.ignore)
    return settings
