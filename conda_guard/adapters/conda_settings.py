"""The ``plugins.guard_*`` settings as conda sees them: declarations and reading.

:func:`declare_settings` turns :data:`conda_guard.settings.SETTINGS` into the
``CondaSetting`` objects of the ``conda_settings`` hook (no I/O). A setting
with choices has an enum default, so conda validates the value when it is
read and raises its own configuration error naming the valid choices; the
time budget has a validation function. :func:`read_settings` reads
``context.plugins`` (``.condarc`` ``plugins:`` key and
``CONDA_PLUGINS_GUARD_*`` variables) into
:class:`~conda_guard.settings.GuardSettings`; rule ids in ``guard_ignore`` are
checked here (:class:`~conda_guard.adapters.conda_errors.GuardSettingError`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conda.common.configuration import PrimitiveParameter, SequenceParameter
from conda.plugins.types import CondaSetting

from .. import constants as C
from ..settings import SETTINGS, GuardSettings, SettingSpec, timeout_seconds

if TYPE_CHECKING:
    from collections.abc import Iterator


def _seconds(value: Any) -> bool | str:
    try:
        timeout_seconds(value)
    except ValueError as exc:
        return f"'plugins.{C.SETTING_BATCH_TIMEOUT}' {exc}"
    return True


def _parameter(spec: SettingSpec) -> PrimitiveParameter | SequenceParameter:
    if spec.is_list:
        return SequenceParameter(PrimitiveParameter("", element_type=str))
    if spec.choices:  # an enum: conda types and checks the value
        return PrimitiveParameter(spec.default)
    if spec.kind == "flag":
        return PrimitiveParameter(spec.default, element_type=bool)
    if spec.kind == "text":
        return PrimitiveParameter(spec.default, element_type=str)
    # one type, not (int, float): conda turns a bad number into its own error
    return PrimitiveParameter(float(spec.default), validation=_seconds)


def declare_settings() -> Iterator[CondaSetting]:
    """The ``CondaSetting`` objects of the guard (declarations only)."""
    for spec in SETTINGS:
        yield CondaSetting(
            name=spec.name, description=spec.description, parameter=_parameter(spec)
        )


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
    settings = GuardSettings.read(plugins)
    if settings.mode is not C.GuardMode.OFF and settings.ignore:
        check_rule_ids(settings.ignore)
    return settings
