"""Dry-run solves: what an install/update would do, and what a one-shot solve would do.

Given the current state of a prefix and a request (``--install``,
``--update``, ``--update-all``), :func:`propose` computes

- the *incremental* result: what the normal command does now; installed
  packages stay unless the request needs them to move (conda's default
  ``install``: frozen first, then free to move; rattler: the installed records
  as pinned, then as locked/preferred packages);
- the *batch* result (with ``--batch`` or ``--update-all``): one fresh solve of
  the explicit history specs plus the request, as if the environment were
  created in one command;

and compares them: ``batch vs current``, ``incremental vs batch``, plus
``drift`` findings where the two disagree. Solvers run in a worker subprocess
(``conda_guard.adapters.solve_worker``) under a time budget; this package is
standard library only and never imports a solver.

Modules, in the order a request flows through them: ``options`` (the CLI
options and their typed :class:`SolveOptions`), ``plan`` (which specs each
solve gets), ``channels`` (channels and platform), ``protocol`` (the typed
jobs and results that cross to the worker), ``worker`` (runs the worker
process), ``unsat`` (failed solves), ``proposal`` (the steps above; not
``propose``, which would shadow the function once imported) and
``compare`` (the batch comparison). The names below are imported on first
use, so the worker and the CLI parser load only what they need.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .channels import (
        DEFAULTS,
        channel_url,
        custom_channels,
        default_channels,
        host_platform,
        solver_channels,
        target_platform,
    )
    from .compare import one_shot_command
    from .options import (
        PRIORITIES,
        SOLVERS,
        SolveOptions,
        add_solve_arguments,
        options_from_args,
        wants_solve,
    )
    from .plan import Plan, dependency_closure, pinned_specs, plan_solves
    from .proposal import Proposal, SolveSetup, propose, propose_plan, same_artifact
    from .protocol import Job, JobResult, SolveRequest, WorkerOutcome
    from .worker import PYTHON_ENV, run_worker, solve_request

_EXPORTS = {
    "channels": (
        "DEFAULTS",
        "channel_url",
        "custom_channels",
        "default_channels",
        "host_platform",
        "solver_channels",
        "target_platform",
    ),
    "compare": ("one_shot_command",),
    "options": (
        "PRIORITIES",
        "SOLVERS",
        "SolveOptions",
        "add_solve_arguments",
        "options_from_args",
        "wants_solve",
    ),
    "plan": ("Plan", "dependency_closure", "pinned_specs", "plan_solves"),
    "proposal": ("Proposal", "SolveSetup", "propose", "propose_plan", "same_artifact"),
    "protocol": ("Job", "JobResult", "SolveRequest", "WorkerOutcome"),
    "worker": ("PYTHON_ENV", "run_worker", "solve_request"),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = [
    "DEFAULTS",
    "Job",
    "JobResult",
    "PRIORITIES",
    "PYTHON_ENV",
    "Plan",
    "Proposal",
    "SOLVERS",
    "SolveOptions",
    "SolveRequest",
    "SolveSetup",
    "WorkerOutcome",
    "add_solve_arguments",
    "channel_url",
    "custom_channels",
    "default_channels",
    "dependency_closure",
    "host_platform",
    "one_shot_command",
    "options_from_args",
    "pinned_specs",
    "plan_solves",
    "propose",
    "propose_plan",
    "run_worker",
    "same_artifact",
    "solve_request",
    "solver_channels",
    "target_platform",
    "wants_solve",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
