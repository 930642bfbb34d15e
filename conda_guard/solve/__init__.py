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
"""

from __future__ import annotations

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
from .options import PRIORITIES, SOLVERS, add_solve_arguments, wants_solve
from .plan import Plan, dependency_closure, pinned_specs, plan_solves, spec_name
from .propose import Proposal, propose, propose_plan, same_artifact
from .protocol import SolveRequest, WorkerOutcome, record_from_solver
from .worker import PYTHON_ENV, run_worker, solve_request

__all__ = [
    "DEFAULTS",
    "PRIORITIES",
    "PYTHON_ENV",
    "SOLVERS",
    "Plan",
    "Proposal",
    "SolveRequest",
    "WorkerOutcome",
    "add_solve_arguments",
    "channel_url",
    "custom_channels",
    "default_channels",
    "dependency_closure",
    "host_platform",
    "one_shot_command",
    "pinned_specs",
    "plan_solves",
    "propose",
    "propose_plan",
    "record_from_solver",
    "run_worker",
    "same_artifact",
    "solve_request",
    "solver_channels",
    "spec_name",
    "target_platform",
    "wants_solve",
]
