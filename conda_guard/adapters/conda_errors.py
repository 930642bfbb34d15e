"""The guard's errors as conda sees them: ``CondaError`` subclasses.

Each error builds its finished message in ``__init__`` and passes no kwargs to
``CondaError`` (its ``__str__`` %-formats the message when kwargs are given, so
a ``%`` in a URL or build string would break it). Public attributes reach
conda's ``--json`` error object through ``dump_map()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conda.exceptions import CondaError, CondaValueError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..models import Finding


class GuardBlockedError(CondaError):
    """The guard refused a transaction; the message lists findings and the way on."""

    return_code = 1

    def __init__(
        self, message: str, findings: Sequence[Finding], prefix: str | None
    ) -> None:
        self.findings: list[dict[str, Any]] = [f.to_json() for f in findings]
        self.rules: list[str] = sorted({f.rule for f in findings})
        self.prefix = prefix
        super().__init__(message)


class GuardInputError(CondaError):
    """A file the guard needs is unreadable (with ``guard_on_error: closed``)."""

    return_code = 2

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(
            f"conda-guard could not check this transaction: {reason}\n"
            "Nothing was changed. Set 'plugins.guard_on_error: open' to let "
            "conda go on when the guard cannot check."
        )


class GuardInternalError(CondaError):
    """The guard itself failed (with ``guard_on_error: closed``)."""

    return_code = 1

    def __init__(self, error: BaseException) -> None:
        self.reason = f"{type(error).__name__}: {error}"
        super().__init__(
            f"conda-guard failed while checking this transaction ({self.reason}).\n"
            "Nothing was changed because 'plugins.guard_on_error' is 'closed'. "
            "Set it to 'open' (conda config --set plugins.guard_on_error open) "
            "to go on without the check, and please report this error."
        )


class GuardUsageError(CondaError):
    """``conda guard``: bad usage or input (the CLI's exit code 2)."""

    return_code = 2

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"conda guard: {reason}")


class GuardSettingError(CondaValueError):
    """A ``plugins.guard_*`` setting has a value the guard cannot use."""

    def __init__(self, key: str, value: object, reason: str) -> None:
        self.key = f"plugins.{key}"
        self.value = repr(value)
        super().__init__(
            f"invalid value {value!r} for '{self.key}' "
            f"(CONDA_{self.key.upper().replace('.', '_')}): {reason}"
        )
