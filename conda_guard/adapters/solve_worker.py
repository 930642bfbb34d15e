"""The solve worker (`python -m conda_guard.adapters.solve_worker`): JSON in, lines out.

Solvers run here, in a child process, because py-rattler can crash the
interpreter at exit and any solver can run past the guard's time budget; the
parent (:mod:`conda_guard.solve.worker`) reads each result line as it comes,
kills the worker when the budget runs out and treats a crash after the final
``done`` line as success. The worker ends with ``os._exit(0)`` after flushing.

The protocol (a :class:`~conda_guard.solve.protocol.SolveRequest` on stdin,
one event per line on stdout) is :mod:`conda_guard.solve.protocol`. The
protocol stream is a private copy of stdout made in :func:`main` and handed
down as an :class:`~conda_guard.solve.protocol.EventWriter`; anything a solver
prints goes to stderr. The backends (``rattler_solve``, ``conda_solve``) are
imported when asked for, and report each result through a callback.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING

from ..exceptions import GuardError
from ..solve.protocol import EventWriter, SolveRequest, one_line

if TYPE_CHECKING:
    from ..solve.protocol import SolverBackend


def make_solver(request: SolveRequest) -> SolverBackend:
    """The backend object named by ``request.solver``."""
    if request.solver == "rattler":
        from .rattler_solve import RattlerSolver

        return RattlerSolver(
            request.channels,
            request.platforms,
            channel_priority=request.channel_priority or "flexible",
            virtual_packages=request.virtual_packages,
            add_pip=request.add_pip,
            offline=request.offline,
            workdir=request.workdir,
        )
    if request.solver == "conda":
        from .conda_solve import CondaSolver

        return CondaSolver(
            request.channels,
            request.platforms,
            channel_priority=request.channel_priority,
            virtual_packages=request.virtual_packages,
            prefix=request.prefix,
            offline=request.offline,
            workdir=request.workdir,
            conda_env=request.conda_env,
        )
    raise ValueError(f"unknown solver backend {request.solver!r}")


def run(request: SolveRequest, events: EventWriter) -> None:
    """Solve every job of ``request``, streaming results, then say ``done``."""
    try:
        solver = make_solver(request)
        events.send("ready", solver=solver.name)
        solver.solve_jobs(request.jobs, events.result)
    except GuardError as exc:
        events.send("error", message=str(exc))
    except ImportError as exc:
        events.send(
            "error",
            message=f"the {request.solver} solver is not available"
            f" in {sys.executable}: {one_line(exc)}",
        )
    except Exception as exc:  # a solver bug: report it, never hang the parent
        events.send("error", message=f"{type(exc).__name__}: {one_line(exc)}")
    events.send("done")


def main() -> None:
    """Entry point: read the request, run it, flush, ``os._exit(0)``."""
    # keep the protocol on a private copy of stdout; stray prints go to stderr
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    events = EventWriter(out)
    try:
        request = SolveRequest.from_json(json.loads(sys.stdin.read() or "{}"))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        events.send("error", message=f"bad worker request: {exc}")
        events.send("done")
    else:
        run(request, events)
    out.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
