"""conda hooks of conda-guard: wiring only.

conda imports this module on every command, so it imports nothing but conda's
plugin types at the top; each hook body and action imports its adapter when
conda calls it (conda_guard/adapters/conda_*.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from conda import plugins
from conda.plugins.types import (
    CondaHealthCheck,
    CondaPostCommand,
    CondaPostSolve,
    CondaPreCommand,
    CondaPreSolve,
    CondaPreTransactionAction,
    CondaSubcommand,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from conda.models.match_spec import MatchSpec
    from conda.models.records import PackageRecord
    from conda.plugins.types import CondaEnvironmentExporter, CondaSetting

#: conda's names of the commands the guard follows (conda passes them to the
#: command hooks: ``env create`` is ``create``, ``env update`` ``env_update``)
GUARDED_COMMANDS = frozenset({"install", "update", "remove", "create", "env_update"})

#: commands that only read an environment: a bad ``plugins.guard_*`` value is
#: one warning there (not ``config``, which is how it gets fixed)
READING_COMMANDS = frozenset({"list", "info", "doctor", "export", "env_export"})


def _post_solve(
    repodata_fn: str,
    unlink_precs: Sequence[PackageRecord],
    link_precs: Sequence[PackageRecord],
) -> None:
    from .adapters.conda_hooks import post_solve

    post_solve(repodata_fn, unlink_precs, link_precs)


def _pre_command(command: str) -> None:
    from .adapters.conda_hooks import pre_command

    pre_command(command)


def _pre_solve(
    specs_to_add: frozenset[MatchSpec], specs_to_remove: frozenset[MatchSpec]
) -> None:
    from .adapters.conda_hooks import pre_solve

    pre_solve(specs_to_add, specs_to_remove)


def _check_settings(command: str) -> None:
    from .adapters.conda_hooks import check_settings

    check_settings(command)


def _post_command(command: str) -> None:
    from .adapters.conda_hooks import post_command

    post_command(command)


def _execute(argv: tuple[str, ...]) -> int:
    from .adapters.conda_subcommands import execute

    return execute(argv)


def _clean(command: str) -> None:
    from .adapters.conda_recovery_hooks import clean_check

    clean_check(command)


def _doctor(prefix: str, verbose: bool) -> None:
    from .adapters.conda_doctor import check

    check(prefix, verbose)


@plugins.hookimpl
def conda_settings() -> Iterable[CondaSetting]:
    """``plugins.guard_*`` settings (declarations only, no I/O)."""
    from .adapters.conda_settings import declare_settings

    yield from declare_settings()


@plugins.hookimpl
def conda_post_solves() -> Iterable[CondaPostSolve]:
    """The ABI check of every solved transaction."""
    yield CondaPostSolve(name="conda-guard", action=_post_solve)


@plugins.hookimpl
def conda_pre_commands() -> Iterable[CondaPreCommand]:
    """Start the guard's run of a command (its settings checked); check
    ``install --revision N`` (no solve); say before ``conda clean`` which
    generations it would make unrestorable; warn about a bad setting before
    commands that only read."""
    yield CondaPreCommand(
        name="conda-guard", action=_pre_command, run_for=set(GUARDED_COMMANDS)
    )
    yield CondaPreCommand(name="conda-guard-clean", action=_clean, run_for={"clean"})
    yield CondaPreCommand(
        name="conda-guard-settings",
        action=_check_settings,
        run_for=set(READING_COMMANDS),
    )


@plugins.hookimpl
def conda_pre_solves() -> Iterable[CondaPreSolve]:
    """The request of the solve, as conda's own specs."""
    yield CondaPreSolve(name="conda-guard", action=_pre_solve)


@plugins.hookimpl
def conda_post_commands() -> Iterable[CondaPostCommand]:
    """End the guard's run of a command."""
    yield CondaPostCommand(
        name="conda-guard", action=_post_command, run_for=set(GUARDED_COMMANDS)
    )


@plugins.hookimpl
def conda_pre_transaction_actions() -> Iterable[CondaPreTransactionAction]:
    """Link-level proof after extraction, before linking (not on --dry-run)."""
    from .adapters.conda_links import GuardLinkCheck

    yield CondaPreTransactionAction(name="conda-guard-links", action=GuardLinkCheck)
    from .adapters.conda_recovery_hooks import GuardSnapshot

    yield CondaPreTransactionAction(name="conda-guard-snapshot", action=GuardSnapshot)


@plugins.hookimpl
def conda_subcommands() -> Iterable[CondaSubcommand]:
    """``conda guard diff|install|update|history|check``.

    No ``configure_parser``: conda would build it on every command; the
    arguments are parsed in the action (see adapters/conda_subcommands.py).
    """
    yield CondaSubcommand(
        name="guard",
        summary="Show and stop ABI-breaking changes (numpy, BLAS, CUDA, Python ...).",
        action=_execute,
    )


@plugins.hookimpl
def conda_health_checks() -> Iterable[CondaHealthCheck]:
    """``conda doctor`` check ``abi-guard``."""
    yield CondaHealthCheck(
        name="abi-guard",
        action=_doctor,
        summary="ABI risks in the environment as it is (conda-guard check)",
    )


@plugins.hookimpl
def conda_environment_exporters() -> Iterable[CondaEnvironmentExporter]:
    """``conda export --format guard-explicit|guard-conda-lock|guard-pixi-lock|...``."""
    from .adapters.conda_recovery_export import exporters

    yield from exporters()
