"""The solve worker (`python -m conda_guard.adapters.solve_worker`): JSON in, lines out.

Solvers run here, in a child process, because py-rattler can crash the
interpreter at exit and any solver can run past the guard's time budget; the
parent (``conda_guard.solve``) reads each result line as it comes, kills the
worker when the budget runs out and treats a crash after the final ``done``
line as success. The worker ends with ``os._exit(0)`` after flushing.

Protocol. stdin: one JSON object ``{"backend": "rattler" | "conda",
"channels": [...], "platforms": [...], "channel_priority":
"strict" | "flexible" | "disabled", "virtual_packages": [...] | null,
"prefix": str | null, "jobs": [{"label", "specs", "locked", "pinned",
"retry_unpinned", "timeout", "delay" (a testing aid: seconds to wait first),
...}]}``. stdout: one JSON object per line:
``{"event": "result", "label", "ok": true, "records": [...], "seconds"}``,
``{"event": "result", "label", "ok": false, "error": "unsatisfiable" |
"timeout" | "solve", "message", "conflicts"}``, ``{"event": "error",
"message"}`` for a failure before any solve, and ``{"event": "done"}`` last.
Anything else the solver prints goes to stderr. This module imports no
solver at top level; the backend is imported when asked for.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

from ..solve.protocol import one_line
from ..solve.unsat import explain_unsat

if TYPE_CHECKING:
    from collections.abc import Sequence

_OUT: Any = None


def emit(message: dict[str, Any]) -> None:
    """Write one protocol line to the parent and flush it."""
    out = _OUT if _OUT is not None else sys.stdout
    out.write(json.dumps(message, sort_keys=True) + "\n")
    out.flush()


def stream(result: dict[str, Any]) -> None:
    """Send one job's result to the parent as soon as it is ready."""
    emit({"event": "result", **result})


def error_result(exc: BaseException, requested: Sequence[str]) -> dict[str, Any]:
    """The worker's JSON for a failed solve (unsatisfiable, timeout or other)."""
    from ..exceptions import SolveError

    kind = type(exc).__name__
    if isinstance(exc, SolveError):
        return {"ok": False, "error": "solve", "message": str(exc)}
    text = str(exc)
    if kind == "SolverError":
        if "timed out" in text.lower() or "timeout" in text.lower():
            return {"ok": False, "error": "timeout", "message": one_line(exc)}
        readable, conflicts = explain_unsat(text, requested)
        return {
            "ok": False,
            "error": "unsatisfiable",
            "message": readable,
            "conflicts": list(conflicts),
        }
    return {"ok": False, "error": "solve", "message": f"{kind}: {one_line(exc)}"}


def make_solver(request: dict[str, Any]) -> Any:
    """The backend object named by ``request["backend"]``."""
    backend = request.get("backend", "rattler")
    if backend == "rattler":
        from .rattler_solve import RattlerSolver

        return RattlerSolver(
            request.get("channels", ()),
            request.get("platforms", ()),
            channel_priority=request.get("channel_priority", "flexible"),
            virtual_packages=request.get("virtual_packages"),
        )
    if backend == "conda":
        from .conda_solve import CondaSolver

        return CondaSolver(
            request.get("channels", ()),
            request.get("platforms", ()),
            channel_priority=request.get("channel_priority"),
            virtual_packages=request.get("virtual_packages"),
            prefix=request.get("prefix"),
        )
    raise ValueError(f"unknown solver backend {backend!r}")


def run(request: dict[str, Any]) -> None:
    """Solve every job of ``request``, streaming results, then say ``done``."""
    from ..exceptions import GuardError

    try:
        solver = make_solver(request)
        emit({"event": "ready", "solver": solver.name})
        solver.solve_jobs(request.get("jobs", ()))
    except GuardError as exc:
        emit({"event": "error", "message": str(exc)})
    except ImportError as exc:
        emit(
            {
                "event": "error",
                "message": f"the {request.get('backend')} solver is not available"
                f" in {sys.executable}: {one_line(exc)}",
            }
        )
    except Exception as exc:  # a solver bug: report it, never hang the parent
        emit({"event": "error", "message": f"{type(exc).__name__}: {one_line(exc)}"})
    emit({"event": "done"})


def main() -> None:
    """Entry point: read the request, run it, flush, ``os._exit(0)``."""
    global _OUT
    # keep the protocol on a private copy of stdout; stray prints go to stderr
    _OUT = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    try:
        request = json.loads(sys.stdin.read() or "{}")
    except ValueError as exc:
        emit({"event": "error", "message": f"bad worker request: {exc}"})
        emit({"event": "done"})
    else:
        run(request)
    _OUT.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    # run the imported module, not __main__: the backends import this module
    # and must share its private stdout
    from conda_guard.adapters import solve_worker

    solve_worker.main()
