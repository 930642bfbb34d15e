"""Names and numbers shared by the CLI, the plugin and the report."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Final

#: Version of the JSON report schema (``{"schema": 1, ...}``).
REPORT_SCHEMA: Final = 1

#: Exit codes of the standalone CLI and the conda subcommands.
EXIT_OK: Final = 0
EXIT_FINDINGS: Final = 1
EXIT_USAGE: Final = 2

#: Setting names (``.condarc`` ``plugins:`` keys; ``CONDA_PLUGINS_<NAME>`` vars).
SETTING_MODE: Final = "guard_mode"
SETTING_FAIL_ON: Final = "guard_fail_on"
SETTING_IGNORE: Final = "guard_ignore"
SETTING_ALLOW: Final = "guard_allow"
SETTING_BATCH: Final = "guard_batch"
SETTING_BATCH_TIMEOUT: Final = "guard_batch_timeout"
SETTING_ON_ERROR: Final = "guard_on_error"
SETTING_REPORT: Final = "guard_report"

MODES: Final = ("warn", "block", "off")
BATCH_CHOICES: Final = ("update-all", "always", "never")
ON_ERROR_CHOICES: Final = ("open", "closed")
REPORT_CHOICES: Final = ("full", "summary")
DEFAULT_BATCH_TIMEOUT: Final = 30.0
#: The longest time budget a solve may be given (seconds): a day.
MAX_SOLVE_TIMEOUT: Final = 86400.0
