"""The guard's own errors; conda-free (conda adapters wrap them in CondaError).

Every error the user can cause (bad input, bad usage, a bad setting) is a
:class:`GuardError` whose ``str()`` is one line. Anything else is a bug.
"""

from __future__ import annotations


class GuardError(Exception):
    """Base of all errors the guard reports as one line with exit code 2."""

    exit_code = 2


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(32), 127)}


def escape_controls(text: str) -> str:
    """``text`` with control characters (newlines, ESC, BEL …) as ``\\xNN``."""
    return text.translate(_CONTROL)


_MAX_REASON = 400


def short_path(path: str, limit: int = 160) -> str:
    """``path``, with its middle cut when it is longer than ``limit``."""
    if len(path) <= limit:
        return path
    return f"{path[: limit - 50]}…{path[-49:]}"


class InputError(GuardError):
    """A file or directory that cannot be read as what it should be.

    The message names the input (its middle cut when the path is very long)
    and the line when one is known; the reason is cut at 400 characters.
    """

    def __init__(self, path: object, reason: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.reason = reason
        shown = escape_controls(short_path(self.path))
        where = f"{shown}:{line}" if line is not None else shown
        text = escape_controls(reason[:_MAX_REASON])
        if len(reason) > _MAX_REASON:
            text += "…"
        super().__init__(f"{where}: {text}")


class UsageError(GuardError):
    """Wrong command-line usage or a wrong setting value."""


class SolveError(GuardError):
    """A dry-run solve could not be made (unsatisfiable, missing channel ...)."""


class UnsatisfiableError(SolveError):
    """The request cannot be satisfied; ``conflicts`` names the specs involved."""

    def __init__(self, message: str, conflicts: tuple[str, ...] = ()) -> None:
        self.conflicts = conflicts
        super().__init__(message)
