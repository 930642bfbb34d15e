"""The ``plugins.guard_*`` settings, declared once and read typed; conda-free.

:data:`SETTINGS` holds each setting's name, default and description. A setting
with choices has an enum default (:mod:`conda_guard.constants`), so conda
checks the value itself and names the valid choices, as it does for its own
``channel_priority``; the time budget has its own check
(:func:`timeout_seconds`, also used by ``--solve-timeout``). The conda adapter
(:mod:`conda_guard.adapters.conda_settings`) declares them to conda and reads
them from ``context.plugins``; the docs build their table from here.
:class:`GuardSettings` is the typed view, with the core's
:class:`~conda_guard.policy.Policy`. Standard library only (conda loads this
with its settings on every command).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import constants as C
from .constants import BatchWhen, GuardMode, OnError, ReportStyle, SeverityName

if TYPE_CHECKING:
    from .policy import Policy


@dataclass(frozen=True)
class SettingSpec:
    """One setting: ``default`` is an enum member, a number or ``()`` (a list)."""

    name: str
    default: Any
    description: str

    @property
    def is_list(self) -> bool:
        """True for a list of strings (``guard_ignore``, ``guard_allow``)."""
        return isinstance(self.default, tuple)

    @property
    def kind(self) -> str:
        """``list``, ``choice``, ``flag`` (true/false), ``text`` or ``number``."""
        if self.is_list:
            return "list"
        if self.choices:
            return "choice"
        if isinstance(self.default, bool):
            return "flag"
        return "text" if isinstance(self.default, str) else "number"

    @property
    def choices(self) -> tuple[str, ...]:
        """The allowed values of a setting with choices, else ``()``."""
        kind = type(self.default)
        return kind.names() if issubclass(kind, C.Choice) else ()

    @property
    def env(self) -> str:
        """The environment variable conda reads it from."""
        return f"CONDA_PLUGINS_{self.name.upper()}"


SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        C.SETTING_MODE,
        GuardMode.WARN,
        "conda-guard: 'warn' (default) prints ABI risks of a transaction above "
        "conda's plan; 'block' refuses transactions with findings at or above "
        "guard_fail_on; 'off' disables the check.",
    ),
    SettingSpec(
        C.SETTING_FAIL_ON,
        SeverityName.HIGH,
        "conda-guard: lowest severity (info, low, medium, high) that blocks a "
        "transaction in block mode. Default: high.",
    ),
    SettingSpec(
        C.SETTING_IGNORE,
        (),
        "conda-guard: rule ids whose findings are dropped (downgrade ...).",
    ),
    SettingSpec(
        C.SETTING_ALLOW,
        (),
        "conda-guard: package names or match specs exempt from findings "
        "(e.g. pytorch, 'openssl >=3').",
    ),
    SettingSpec(
        C.SETTING_BATCH,
        BatchWhen.AUTO,
        "conda-guard: when to run an extra batch solve and compare it with "
        "conda's answer: 'auto' (default: on update --all, and when the "
        "transaction brings in a compiled package built against numpy), "
        "'update-all' (on update --all only), 'always', 'never'.",
    ),
    SettingSpec(
        C.SETTING_BATCH_TIMEOUT,
        C.DEFAULT_BATCH_TIMEOUT,
        "conda-guard: time budget of the batch solve, in seconds (30).",
    ),
    SettingSpec(
        C.SETTING_ON_ERROR,
        OnError.OPEN,
        "conda-guard: 'open' (default): a failure inside the guard is reported "
        "and never blocks; 'closed': it stops the transaction.",
    ),
    SettingSpec(
        C.SETTING_REPORT,
        ReportStyle.SUMMARY,
        "conda-guard: 'summary' (default) prints each finding with its key "
        "evidence above conda's plan; 'full' adds every evidence line, the "
        "dependency paths and the changes.",
    ),
    SettingSpec(
        C.SETTING_SNAPSHOT,
        True,
        "conda-guard: take a generation of the prefix (records, requested specs, "
        "pip files; archives hard-linked into the store) before each "
        "transaction, for `conda guard rollback`. Default: true.",
    ),
    SettingSpec(
        C.SETTING_SNAPSHOT_DIR,
        "",
        "conda-guard: directory of the generation stores (one per prefix; never "
        "inside a prefix). Default: ~/.conda/guard/generations. Put it on the "
        "file system of the package cache so archives are hard links.",
    ),
    SettingSpec(
        C.SETTING_SNAPSHOT_COPY,
        False,
        "conda-guard: copy package archives into the store when they cannot be "
        "hard-linked (another file system). Default: false (such generations "
        "rely on the package cache until `conda clean --tarballs`).",
    ),
)


def timeout_seconds(value: object) -> float:
    """A time budget in seconds: a finite number > 0 and at most a day.

    Raises ValueError with a reason that fits after "must be" otherwise.
    """
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"not a number of seconds: {value!r}") from None
    if not 0 < seconds <= C.MAX_SOLVE_TIMEOUT:  # also false for nan
        raise ValueError(
            f"must be a number of seconds > 0 and <= {C.MAX_SOLVE_TIMEOUT:g},"
            f" not {value!r}"
        )
    return seconds


@dataclass(frozen=True)
class GuardSettings:
    """The guard's settings, checked and typed."""

    mode: GuardMode = GuardMode.WARN
    fail_on: SeverityName = SeverityName.HIGH
    ignore: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    batch: BatchWhen = BatchWhen.AUTO
    batch_timeout: float = C.DEFAULT_BATCH_TIMEOUT
    on_error: OnError = OnError.OPEN
    report: ReportStyle = ReportStyle.SUMMARY
    snapshot: bool = True
    snapshot_dir: str | None = None
    snapshot_copy: bool = False

    @classmethod
    def read(cls, plugins: Any) -> GuardSettings:
        """The settings of ``plugins`` (conda's ``context.plugins``: typed by conda)."""
        return cls(
            mode=GuardMode(getattr(plugins, C.SETTING_MODE)),
            fail_on=SeverityName(getattr(plugins, C.SETTING_FAIL_ON)),
            ignore=_words(getattr(plugins, C.SETTING_IGNORE)),
            allow=_words(getattr(plugins, C.SETTING_ALLOW)),
            batch=BatchWhen(getattr(plugins, C.SETTING_BATCH)),
            batch_timeout=timeout_seconds(getattr(plugins, C.SETTING_BATCH_TIMEOUT)),
            on_error=OnError(getattr(plugins, C.SETTING_ON_ERROR)),
            report=ReportStyle(getattr(plugins, C.SETTING_REPORT)),
            snapshot=bool(getattr(plugins, C.SETTING_SNAPSHOT, True)),
            snapshot_dir=str(getattr(plugins, C.SETTING_SNAPSHOT_DIR, "") or "").strip()
            or None,
            snapshot_copy=bool(getattr(plugins, C.SETTING_SNAPSHOT_COPY, False)),
        )

    def policy(self) -> Policy:
        """The core's :class:`~conda_guard.policy.Policy` for these settings."""
        from .models import Severity
        from .policy import Policy

        return Policy(
            fail_on=Severity(str(self.fail_on)),
            ignore=frozenset(self.ignore),
            allow=self.allow,
        )


def _words(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    return tuple(str(v).strip() for v in value if str(v).strip())
