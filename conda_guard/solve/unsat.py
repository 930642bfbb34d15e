"""Messages for solves that failed: unsatisfiable, out of time, or broken."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..exceptions import SolveError, UnsatisfiableError

if TYPE_CHECKING:
    from collections.abc import Mapping


def _unsat_message(
    what: str, result: Mapping[str, Any], held_python: str | None = None
) -> str:
    conflicts = result.get("conflicts") or ()
    head = f"{what} is unsatisfiable"
    if conflicts:
        head += ": conflicting specs " + ", ".join(f"'{c}'" for c in conflicts)
    if held_python and held_python in conflicts:
        head += (
            f" ('{held_python}' holds the installed python minor version, as conda"
            " does; request python explicitly to move it)"
        )
    chain = str(result.get("message", "")).strip()
    if chain:
        head += "\n" + "\n".join("  " + line for line in chain.splitlines())
    return head


def _raise_failed(
    what: str,
    result: Mapping[str, Any],
    hint: str = "",
    held_python: str | None = None,
) -> None:
    if result.get("error") == "unsatisfiable":
        message = _unsat_message(what, result, held_python)
        if hint:
            message += "\n" + hint
        raise UnsatisfiableError(message, tuple(result.get("conflicts") or ()))
    if result.get("error") == "timeout":
        raise SolveError(
            f"{what}: the solver ran out of time ({result.get('message')})"
        )
    raise SolveError(f"{what}: {result.get('message', 'the solve failed')}")
