"""The guard's own errors; conda-free (conda adapters wrap them in CondaError).

Every error the user can cause (bad input, bad usage, a bad setting) is a
:class:`GuardError` whose ``str()`` is one line. Anything else is a bug.
"""

from __future__ import annotations


class GuardError(Exception):
    """Base of all errors the guard reports as one line with exit code 2."""

    exit_code = 2


class InputError(GuardError):
    """A file or directory that cannot be read as what it should be."""

    def __init__(self, path: object, reason: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.reason = reason
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {reason}")


class UsageError(GuardError):
    """Wrong command-line usage or a wrong setting value."""


class SolveError(GuardError):
    """A dry-run solve could not be made (unsatisfiable, missing channel ...)."""


class UnsatisfiableError(SolveError):
    """The request cannot be satisfied; ``conflicts`` names the specs involved."""

    def __init__(self, message: str, conflicts: tuple[str, ...] = ()) -> None:
        self.conflicts = conflicts
        super().__init__(message)
