"""The guard inside conda: the hook actions of one command and the solve-time check.

conda calls, for one command: :func:`pre_command` (which starts the command's
:class:`~conda_guard.adapters.conda_run.GuardRun`, and checks
``install --revision N``, which does not solve), :func:`pre_solve` (the
request, as conda's ``MatchSpec`` objects), :func:`post_solve` after every
solve (``install``, ``update``, ``remove``, ``create``, ``env create/update``,
also on ``--dry-run``) before anything is downloaded or linked and before it
prints its plan, and :func:`post_command` (which ends the run). The check
reads the prefix (never writes it), builds the proposed state
(``before − unlink + link``, with the request's specs as conda will write
them to the history), runs the rules (and, per ``guard_batch``, a batch
solve), then warns on stderr or refuses with
:class:`~conda_guard.adapters.conda_errors.GuardBlockedError`
(:mod:`~conda_guard.adapters.conda_report`).

With ``guard_on_error: open`` a failure inside the guard is one warning and
conda goes on; with ``closed`` it stops the transaction (:func:`guard`).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from ..constants import BatchWhen, GuardMode, OnError
from . import conda_run

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from conda.models.match_spec import MatchSpec
    from conda.models.records import PackageRecord

    from ..analysis import Analysis
    from ..models import State
    from ..settings import GuardSettings
    from .conda_report import Outcome
    from .conda_run import CondaRequest, GuardRun


# -- hook actions ------------------------------------------------------------


def pre_command(command: str) -> None:
    """Start this command's run; ``install --revision N`` is checked here.

    The settings are read (and so checked) first: a bad ``plugins.guard_*``
    value stops the command before conda solves anything.
    """
    run = conda_run.begin(command)
    run.settings()
    if command == "install":
        check_revision(run)


def check_settings(command: str) -> None:
    """Commands that only read (``conda list`` ...): one warning for a bad setting.

    They do not need the guard, so they go on; the warning says that the
    commands that change an environment will stop until the value is fixed.
    """
    import sys

    from conda.exceptions import CondaError

    from .conda_settings import read_settings

    try:
        read_settings()
    except CondaError as exc:
        text = " ".join(str(exc).split())
        print(
            f"conda-guard: warning: {text}. conda install, update, remove and "
            "create stop until it is fixed (conda config --show-sources).",
            file=sys.stderr,
        )


def pre_solve(
    specs_to_add: Iterable[MatchSpec], specs_to_remove: Iterable[MatchSpec]
) -> None:
    """Keep the request of the solve that follows (conda's own specs)."""
    conda_run.current().specs = tuple(specs_to_add)


def post_command(command: str) -> None:
    """End this command's run."""
    conda_run.end()


def post_solve(
    repodata_fn: str,
    unlink_precs: Sequence[PackageRecord],
    link_precs: Sequence[PackageRecord],
) -> None:
    """The ``conda_post_solves`` action: check the transaction conda solved."""
    if not unlink_precs and not link_precs:
        return
    from conda.base.context import context

    run = conda_run.current()
    settings = run.settings()
    if settings.mode is GuardMode.OFF:
        return
    prefix = context.target_prefix
    if prefix:
        key = conda_run.transaction_key(unlink_precs, link_precs)
        run.mark_checked(prefix, key, will_link=not context.dry_run)
    refuse_as_conda_does(
        settings,
        lambda: transaction_outcome(run, settings, prefix, unlink_precs, link_precs),
    )
    if (
        context.dry_run
        and not run.dry_run_noted
        and link_check_matters(unlink_precs, link_precs)
    ):
        from .conda_report import dry_run_note

        run.dry_run_noted = True
        dry_run_note()


def link_check_matters(
    unlink_precs: Sequence[PackageRecord], link_precs: Sequence[PackageRecord]
) -> bool:
    """True when the link-level check has something to prove: a package leaves
    or is replaced (binaries that stay may lose a library), or a compiled one
    comes in (its binaries, its NumPy C-API)."""
    return bool(unlink_precs) or any(
        not getattr(p, "noarch", None) and getattr(p, "subdir", "") != "noarch"
        for p in link_precs
    )


def check_revision(run: GuardRun) -> None:
    """``install --revision N``: diff the prefix against revision N of its history."""
    from conda.base.context import context

    request = run.request()
    if request.revision is None:
        return
    settings = run.settings()
    if settings.mode is GuardMode.OFF:
        return
    prefix = context.target_prefix
    run.mark_checked(prefix, None, will_link=not context.dry_run)
    refuse_as_conda_does(
        settings, lambda: revision_outcome(run, settings, prefix, request)
    )


def refuse_as_conda_does(
    settings: GuardSettings, build: Callable[[], Outcome | None]
) -> None:
    """:func:`guard`, with a refusal in the shape of the link-time one.

    conda wraps what a pre-transaction action refuses in a
    ``CondaMultiError``; a refusal here is wrapped the same way, so that
    ``--json`` gives one shape (``errors[0]`` is the ``GuardBlockedError``)
    whenever the guard refuses.
    """
    from conda import CondaMultiError

    from .conda_errors import GuardBlockedError

    try:
        guard(settings, build)
    except GuardBlockedError as exc:
        raise CondaMultiError([exc]) from exc


def guard(settings: GuardSettings, build: Callable[[], Outcome | None]) -> None:
    """Run ``build`` and act on its outcome under ``guard_on_error``.

    The refusal (:class:`GuardBlockedError`) always reaches conda. Any other
    failure, the guard's or conda's raised inside the check, is one warning
    with ``open``; with ``closed`` it stops the transaction.
    """
    from conda.exceptions import CondaError

    from ..exceptions import GuardError
    from .conda_errors import (
        GuardBlockedError,
        GuardInputError,
        GuardInternalError,
        GuardUsageError,
    )
    from .conda_report import act, report_skipped

    try:
        outcome = build()
        if outcome is not None:
            act(outcome, settings)
    except (GuardBlockedError, GuardUsageError):
        raise
    except Exception as exc:  # a failure of the check never decides in open mode
        if settings.on_error is not OnError.CLOSED:
            report_skipped(exc)
        elif isinstance(exc, CondaError):
            raise
        elif isinstance(exc, GuardError):
            raise GuardInputError(str(exc)) from exc
        else:
            raise GuardInternalError(exc) from exc


# -- building the states -----------------------------------------------------


def read_before(prefix: str | None) -> State:
    """The prefix as it is (an empty state for a prefix not created yet)."""
    from ..models import State
    from ..readers.prefix import read_prefix

    if prefix and (Path(prefix) / "conda-meta").is_dir():
        return read_prefix(prefix)
    return State(
        records={}, source=prefix or "(new environment)", kind="prefix", prefix=prefix
    )


def transaction_outcome(
    run: GuardRun,
    settings: GuardSettings,
    prefix: str | None,
    unlink_precs: Sequence[PackageRecord],
    link_precs: Sequence[PackageRecord],
) -> Outcome:
    """Analyse one solved transaction of conda."""
    from ..analysis import analyze, finding_key
    from ..file_proof import prove
    from .conda_records import state_after
    from .conda_report import Outcome, details_command

    request = run.request()
    before = read_before(prefix)
    after = state_after(before, unlink_precs, link_precs, requested=request.requested())
    check_accepted(run, before, after)
    # files already on disk: the prefix's, and incoming packages already
    # extracted in the package cache (usually not yet: the link check has them)
    proof = prove(before, after, pkgs_dirs=_pkgs_dirs(), links=False)
    analysis = analyze(before, after, policy=settings.policy(), files=proof.facts)
    proof.save()
    run.reported = frozenset(map(finding_key, analysis.findings))
    analysis = with_batch(analysis, settings, request)
    return Outcome(
        analysis=analysis,
        prefix=prefix,
        request=request,
        details=details_command(prefix, request),
        frozen_blocks=frozen_blocks(before, analysis, settings, request),
        strict=run.strict,
    )


def _pkgs_dirs() -> tuple[Path, ...]:
    """conda's package caches (``context.pkgs_dirs``) that exist."""
    from conda.base.context import context

    return tuple(Path(d) for d in context.pkgs_dirs if Path(d).is_dir())


def revision_outcome(
    run: GuardRun, settings: GuardSettings, prefix: str, request: CondaRequest
) -> Outcome:
    """Analyse ``conda install --revision N``: the prefix now → revision N."""
    from ..analysis import analyze
    from ..readers.prefix import read_prefix_revision
    from .conda_report import Outcome

    assert request.revision is not None
    before = read_before(prefix)
    after = read_prefix_revision(prefix, request.revision)
    check_accepted(run, before, after)
    analysis = analyze(before, after, policy=settings.policy())
    quoted = shlex.quote(prefix)
    return Outcome(
        analysis=analysis,
        prefix=prefix,
        request=request,
        details=f"conda guard diff {quoted} {quoted}@{request.revision}",
        frozen_blocks=frozen_blocks(before, analysis, settings, request),
        strict=run.strict,
    )


def check_accepted(run: GuardRun, before: State, after: State) -> None:
    """``--accept NAME``: NAME must be a package of the transaction (else exit 2)."""
    if not run.accepted:
        return
    from ..exceptions import UsageError
    from ..policy import check_accepted_packages
    from .conda_errors import GuardUsageError

    try:
        check_accepted_packages(run.accepted, [*before.records, *after.records])
    except UsageError as exc:
        raise GuardUsageError(str(exc)) from exc


def frozen_blocks(
    before: State, analysis: Analysis, settings: GuardSettings, request: CondaRequest
) -> bool:
    """A frozen prefix changes only with --override-frozen or guard_ignore: frozen."""
    return (
        before.frozen is not None
        and bool(analysis.changes)
        and not request.override_frozen
        and "frozen" not in settings.ignore
    )


# -- the batch comparison ------------------------------------------------------


def wants_batch(
    settings: GuardSettings, request: CondaRequest, analysis: Analysis
) -> str | None:
    """Why ``guard_batch`` runs the batch solve here (None: it does not).

    ``auto`` (the default): on ``update --all``, and when the transaction
    links a compiled package built against numpy
    (:func:`~conda_guard.solve.trigger.batch_reason`); ``update-all``: on
    ``update --all`` only.
    """
    if settings.batch is BatchWhen.NEVER:
        return None
    if settings.batch is BatchWhen.ALWAYS:
        return "guard_batch: always"
    if request.command == "update" and request.update_all:
        return "update --all"
    if settings.batch is not BatchWhen.AUTO:
        return None
    from ..abi import load_table
    from ..solve.trigger import batch_reason

    return batch_reason(analysis.before, analysis.after, load_table())


def with_batch(
    analysis: Analysis, settings: GuardSettings, request: CondaRequest
) -> Analysis:
    """Compare conda's plan with a one-shot solve.

    The batch solve is an extra check: with ``guard_on_error: open`` its failure
    is a note; with ``closed`` it stops the transaction like any other.
    """
    reason = wants_batch(settings, request, analysis)
    if reason is None:
        return analysis
    analysis = analysis.extend(notes=[f"batch solve: {reason}"])
    try:
        batch, notes = batch_state(analysis.before, settings, request)
    except Exception as exc:
        if settings.on_error is OnError.CLOSED:
            raise
        return analysis.extend(notes=[f"batch solve skipped: {exc}"])
    if batch is None:
        return analysis.extend(notes=notes)
    from ..abi import load_table
    from ..analysis import Comparison, analyze
    from ..policy import apply_filters
    from ..rules.drift import drift_findings

    table = load_table()
    policy = settings.policy()
    drift = analyze(batch, analysis.after, policy=policy, table=table)
    kept = apply_filters(drift_findings(analysis.after, batch, table), policy)
    return analysis.extend(
        findings=kept.kept,
        notes=(*notes, *kept.notes),
        comparisons=[Comparison("conda's plan vs a one-shot solve", drift)],
    )


def batch_state(
    before: State, settings: GuardSettings, request: CondaRequest
) -> tuple[State | None, list[str]]:
    """A one-shot solve of the history specs plus this request.

    conda's configured solver (conda-libmamba-solver, classic, rattler …)
    runs it in the solve worker over this command's channels, with its
    ``offline``, channel priority, repodata and package cache settings, so it
    reads what conda read (a mirror under ``channel_alias``, offline).
    """
    import sys
    from dataclasses import replace

    from conda.base.context import context

    from .. import solve
    from .conda_channels import worker_settings

    command, specs = request.command, request.typed
    update_all = command == "update" and request.update_all
    plan = solve.plan_solves(
        before,
        install=specs if command in ("install", "create") else (),
        update=specs if command == "update" and not update_all else (),
        update_all=update_all,
    )
    priority = getattr(context.channel_priority, "value", context.channel_priority)
    setup = solve.SolveSetup(
        channels=tuple(context.channels),
        platform=context.subdir,
        solver="conda",
        priority=str(priority).lower(),
        timeout=settings.batch_timeout,
        python=sys.executable,
        offline=bool(context.offline),
        add_pip=bool(context.add_pip_as_python_dependency),
        conda_env=worker_settings(),
    )
    plan = replace(plan, mode="batch")
    proposal = solve.propose_plan(before, plan, setup, batch=True)
    return proposal.batch, list(proposal.notes)
