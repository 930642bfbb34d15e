"""Names and numbers shared by the CLI, the plugin and the report.

The lists of names are :class:`Choice` enums, one per list: the severity names
(:class:`SeverityName`, which :class:`conda_guard.models.Severity` ranks) and
the values of the settings with choices. conda validates a setting whose
default is one of them itself, as it does for its own ``channel_priority``.
Standard library only (conda imports this with the settings hook).
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Final

#: Version of the JSON report schema (``{"schema": 1, ...}``).
REPORT_SCHEMA: Final = 1

#: Exit codes of the standalone CLI and the conda subcommands.
EXIT_OK: Final = 0
EXIT_FINDINGS: Final = 1
EXIT_USAGE: Final = 2
#: an unexpected exception (a bug): one line, the traceback with -v
EXIT_INTERNAL: Final = 3

#: Setting names (``.condarc`` ``plugins:`` keys; ``CONDA_PLUGINS_<NAME>`` vars).
SETTING_MODE: Final = "guard_mode"
SETTING_FAIL_ON: Final = "guard_fail_on"
SETTING_IGNORE: Final = "guard_ignore"
SETTING_ALLOW: Final = "guard_allow"
SETTING_BATCH: Final = "guard_batch"
SETTING_BATCH_TIMEOUT: Final = "guard_batch_timeout"
SETTING_ON_ERROR: Final = "guard_on_error"
SETTING_REPORT: Final = "guard_report"
SETTING_SNAPSHOT: Final = "guard_snapshot"
SETTING_SNAPSHOT_DIR: Final = "guard_snapshot_dir"
SETTING_SNAPSHOT_COPY: Final = "guard_snapshot_copy"

DEFAULT_BATCH_TIMEOUT: Final = 30.0
#: The longest time budget a solve may be given (seconds): a day.
MAX_SOLVE_TIMEOUT: Final = 86400.0


class Choice(enum.Enum):
    """One value of a list of names: ``str()`` is the name, input is case-blind.

    Like conda's ``ValueEnum``: not a ``str`` subclass, so conda turns a wrong
    value into its own configuration error listing the valid choices.
    """

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def _missing_(cls, value: object) -> Choice | None:
        text = str(value).strip().lower()
        return next((m for m in cls if m.value == text), None)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The values, in order (for ``choices=`` and messages)."""
        return tuple(str(m) for m in cls)


class SeverityName(Choice):
    """The severities, lowest first: the one list of their names."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class GuardMode(Choice):
    """``guard_mode``."""

    WARN = "warn"
    BLOCK = "block"
    OFF = "off"


class BatchWhen(Choice):
    """``guard_batch``: when to compare conda's plan with a one-shot solve.

    ``auto``: on ``update --all`` and when the transaction links a compiled
    package built against a family with a ``batch_trigger`` (numpy; see
    :mod:`conda_guard.solve.trigger`).
    """

    AUTO = "auto"
    UPDATE_ALL = "update-all"
    ALWAYS = "always"
    NEVER = "never"


class OnError(Choice):
    """``guard_on_error``: what a failure inside the guard does."""

    OPEN = "open"
    CLOSED = "closed"


class ReportStyle(Choice):
    """``guard_report``: how much the warning shows."""

    FULL = "full"
    SUMMARY = "summary"
