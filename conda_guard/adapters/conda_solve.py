"""Dry-run solves with conda's own solver API and the user's solver backend.

Runs inside the solve worker (``solve_worker``), never in conda's process:
``context.plugin_manager.get_solver_backend()`` gives the configured backend
(conda-libmamba-solver, classic, rattler ...); the incremental job is the
``Solver`` of the real prefix with the request as ``specs_to_add``, solved
with conda's own update modifier (install: ``FREEZE_INSTALLED``, retried with
``UPDATE_SPECS`` when that fails, as ``conda install`` does; update:
``UPDATE_SPECS``; update --all: ``UPDATE_ALL``; ``--update-deps``:
``UPDATE_DEPS``); conda itself reads the
prefix, its history specs, ``pinned_packages`` and ``conda-meta/pinned``. The
batch job is a ``Solver`` for a new, empty prefix (``conda create``).
Channel priority and virtual packages reach conda through its own variables
(``CONDA_CHANNEL_PRIORITY``, ``CONDA_OVERRIDE_GLIBC`` …) set before
``reset_context()``. conda is imported only here, lazily.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..exceptions import SolveError
from ..graph import dep_name as spec_name
from ..solve.protocol import FailureKind, JobResult, one_line, parse_virtual_package
from ..solve.unsat import explain_unsat, map_to_requested
from .conda_records import record_from_package_record

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from ..solve.protocol import Job

#: virtual package -> conda's override variable (the value is the version,
#: or the build for __archspec)
_OVERRIDES = {
    "__glibc": "CONDA_OVERRIDE_GLIBC",
    "__cuda": "CONDA_OVERRIDE_CUDA",
    "__osx": "CONDA_OVERRIDE_OSX",
    "__linux": "CONDA_OVERRIDE_LINUX",
    "__win": "CONDA_OVERRIDE_WIN",
    "__archspec": "CONDA_OVERRIDE_ARCHSPEC",
}


def _configure(
    priority: str | None, virtual_packages: Sequence[str] | None, platform: str
) -> list[str]:
    """Set conda's variables; returns notes about what could not be set."""
    notes = []
    if priority:
        os.environ["CONDA_CHANNEL_PRIORITY"] = priority
    if platform and platform != "noarch":
        os.environ["CONDA_SUBDIR"] = platform
    for text in virtual_packages or ():
        name, version, build = parse_virtual_package(text)
        var = _OVERRIDES.get(name)
        if var is None:
            if name not in ("__unix",):
                notes.append(f"conda derives {name} itself; --virtual-package ignored")
            continue
        os.environ[var] = build if name == "__archspec" else version
    return notes


class CondaSolver:
    """conda's configured solver backend for one set of channels and subdirs."""

    name = "conda"

    def __init__(
        self,
        channels: Sequence[str],
        platforms: Sequence[str],
        *,
        channel_priority: str | None = None,
        virtual_packages: Sequence[str] | None = None,
        prefix: str | None = None,
        offline: bool = False,
        workdir: str | None = None,
        conda_env: Mapping[str, str] | None = None,
    ) -> None:
        target = next((p for p in platforms if p != "noarch"), "noarch")
        os.environ.update(conda_env or {})  # the parent command's settings
        self.notes = _configure(channel_priority, virtual_packages, target)
        if offline:  # conda's own switch (also set by `conda ... --offline`)
            os.environ["CONDA_OFFLINE"] = "true"
        self.workdir = workdir
        from conda.base.context import context, reset_context

        reset_context()
        self.context = context
        self.backend = context.plugin_manager.get_solver_backend()
        # no -c: conda's configured channels, as `conda install` would use
        self.channels = list(channels) or list(context.channels)
        if not self.channels:
            raise SolveError("no channel to solve against (pass --channel)")
        self.subdirs = tuple(dict.fromkeys([*platforms, "noarch"]))
        self.prefix = prefix

    def _solver(self, prefix: str, specs: Iterable[str], command: str) -> Any:
        from conda.models.match_spec import MatchSpec

        return self.backend(
            prefix,
            self.channels,
            self.subdirs,
            specs_to_add=[MatchSpec(s) for s in specs],
            command=command,
        )

    def _solve(self, job: Job) -> JobResult:
        started = time.perf_counter()
        requested = list(job.requested)
        notes = list(self.notes)
        try:
            final = self._final_state(job, requested, notes)
        except SolveError as exc:
            return self._fail(job, FailureKind.SOLVE, str(exc), started)
        except Exception as exc:
            return self._error(job, exc, requested, started)
        return JobResult(
            job.label,
            records=tuple(
                record_from_package_record(p)
                for p in final
                if not p.name.startswith("__")
            ),
            notes=tuple(notes),
            seconds=time.perf_counter() - started,
        )

    def _final_state(self, job: Job, requested: list[str], notes: list[str]) -> Any:
        """conda's final state for ``job``, with conda's own update modifier."""
        from conda.base.constants import UpdateModifier

        if job.label == "batch" or job.command == "create":
            with tempfile.TemporaryDirectory(prefix="batch-", dir=self.workdir) as tmp:
                solver = self._solver(str(Path(tmp) / "env"), job.specs, "create")
                return solver.solve_final_state()
        if not self.prefix:
            raise SolveError("the conda solver needs a prefix (-p/-n)")
        if job.update_all:
            modifier = UpdateModifier.UPDATE_ALL
        elif job.update_deps:  # conda install/update --update-deps
            modifier = UpdateModifier.UPDATE_DEPS
        elif job.command == "update":
            modifier = UpdateModifier.UPDATE_SPECS
        else:
            return self._install(requested, notes)
        command = "update" if job.command == "update" or job.update_all else "install"
        solver = self._solver(self.prefix, requested, command)
        return solver.solve_final_state(update_modifier=modifier)

    def _install(self, requested: Sequence[str], notes: list[str]) -> Any:
        """``conda install``: frozen first, then ``UPDATE_SPECS`` (conda's retry)."""
        from conda.base.constants import UpdateModifier
        from conda.exceptions import UnsatisfiableError

        try:
            from conda.exceptions import SpecsConfigurationConflictError
        except ImportError:  # older conda
            SpecsConfigurationConflictError = UnsatisfiableError

        solver = self._solver(self.prefix or "", requested, "install")
        try:
            return solver.solve_final_state(
                update_modifier=UpdateModifier.FREEZE_INSTALLED,
                should_retry_solve=True,
            )
        except (UnsatisfiableError, SpecsConfigurationConflictError):
            notes.append(
                "the frozen solve failed; solved again with installed packages"
                " free to move (as conda does)"
            )
            solver = self._solver(self.prefix or "", requested, "install")
            return solver.solve_final_state(update_modifier=UpdateModifier.UPDATE_SPECS)

    def _fail(
        self,
        job: Job,
        kind: FailureKind,
        message: str,
        started: float,
        conflicts: Sequence[str] = (),
    ) -> JobResult:
        return JobResult(
            job.label,
            failure=kind,
            message=message,
            conflicts=tuple(conflicts),
            seconds=time.perf_counter() - started,
        )

    def _error(
        self, job: Job, exc: BaseException, requested: Sequence[str], started: float
    ) -> JobResult:
        kind = type(exc).__name__
        text = str(exc).strip()
        if kind in _UNSATISFIABLE or "Unsatisfiable" in kind:
            marker = "Cannot solve the request because of:"
            if marker in text:  # a rattler-based backend: fold its tree
                text, conflicts = explain_unsat(text[text.index(marker) :], requested)
            else:
                named = [s for s in requested if spec_name(s) in text.lower()]
                conflicts = map_to_requested(named, requested)
            return self._fail(job, FailureKind.UNSATISFIABLE, text, started, conflicts)
        return self._fail(job, FailureKind.SOLVE, f"{kind}: {one_line(exc)}", started)

    def solve_jobs(
        self, jobs: Sequence[Job], report: Callable[[JobResult], None]
    ) -> None:
        """Solve the jobs one after the other, reporting each result."""
        for job in jobs:
            report(self._solve(job))


#: conda's (and its backends') errors for a request without a solution
_UNSATISFIABLE = (
    "UnsatisfiableError",
    "SpecsConfigurationConflictError",
    "LibMambaUnsatisfiableError",
    "PackagesNotFoundError",
    "PackagesNotFoundInChannelsError",
    "ResolvePackageNotFound",
)
