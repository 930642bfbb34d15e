"""Propose a change: run the plan's solves and build the :class:`Proposal`.

:func:`propose` takes the typed :class:`~conda_guard.solve.options.SolveOptions`
and does four named steps: plan the solves (:func:`plan_solves`), set up the
solver (:func:`solve_setup`: backend, channels, platform, priority, budget),
run the jobs in the worker (:func:`propose_plan`), and read the results into
states and comparisons. Failures arrive as typed
:class:`~conda_guard.solve.protocol.JobResult` objects; the incremental solve
must work (else :class:`~conda_guard.exceptions.SolveError`), the batch one
only informs (a failure is a note, an unsatisfiable one also a finding).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ..channel_names import active
from ..constants import DEFAULT_BATCH_TIMEOUT
from ..exceptions import SolveError, UsageError
from ..models import State, channel_name
from .channels import (
    custom_channels,
    default_channels,
    resolved_note,
    solver_channels,
    solver_spec,
    target_platform,
)
from .compare import compare, one_shot_command
from .plan import plan_solves
from .protocol import FailureKind, SolveRequest
from .unsat import raise_failed, unsat_message
from .worker import PYTHON_ENV, solve_request

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from ..abi import AbiTable
    from ..analysis import Comparison
    from ..models import Finding, Record
    from ..policy import Policy
    from .options import SolveOptions
    from .plan import Plan
    from .protocol import Job, JobResult, WorkerOutcome

_SKIPPED = "batch comparison skipped (batch vs current, incremental vs batch)"


@dataclass(frozen=True)
class Proposal:
    """The outcome of a dry-run: the incremental and (optional) batch states.

    ``findings`` are the ``drift`` findings (incremental vs batch);
    ``comparisons`` hold ``batch vs current`` and ``incremental vs batch``;
    ``notes`` say what was skipped and why; ``commands`` suggest the one-shot
    command that recreates the environment in batch.
    """

    current: State
    incremental: State
    batch: State | None = None
    findings: tuple[Finding, ...] = ()
    comparisons: tuple[Comparison, ...] = ()
    notes: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()


@dataclass(frozen=True)
class SolveSetup:
    """How a plan's jobs are solved: backend, channels, platform and budget.

    ``labels`` maps a solver channel (short name of its URL) to the name its
    packages are reported under (``--custom-channel``). ``offline`` and
    ``add_pip`` are conda's settings of the same names (see
    :class:`~conda_guard.solve.protocol.SolveRequest`).
    """

    channels: tuple[str, ...]
    platform: str
    solver: str = "rattler"
    priority: str | None = "flexible"
    virtual_packages: tuple[str, ...] | None = None
    timeout: float = DEFAULT_BATCH_TIMEOUT
    python: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    offline: bool = False
    add_pip: bool = True
    #: the channels as the user names them (for the one-shot command)
    names: tuple[str, ...] = ()
    #: conda settings for the conda backend (:attr:`SolveRequest.conda_env`)
    conda_env: Mapping[str, str] = field(default_factory=dict)

    @property
    def where(self) -> str:
        """``rattler, flexible channel priority`` (in each state's source)."""
        return f"{self.solver}, {self.priority or 'configured'} channel priority"

    def request(self, jobs: Sequence[Job], prefix: str | None) -> SolveRequest:
        """The worker request for ``jobs`` (rattler: channel names in specs as
        URLs, :func:`~conda_guard.solve.channels.solver_spec`)."""
        if self.solver == "rattler":
            jobs = [
                replace(
                    job,
                    specs=tuple(solver_spec(s, self.channels) for s in job.specs),
                    constraints=tuple(
                        solver_spec(s, self.channels) for s in job.constraints
                    ),
                )
                for job in jobs
            ]
        return SolveRequest(
            solver=self.solver,
            channels=self.channels,
            platform=self.platform,
            channel_priority=self.priority,
            virtual_packages=self.virtual_packages,
            timeout=self.timeout,
            jobs=tuple(jobs),
            prefix=prefix,
            python=self.python,
            offline=self.offline,
            add_pip=self.add_pip,
            conda_env=self.conda_env,
        )

    def one_shot(self, current: State, plan: Plan) -> str:
        """The ``conda create`` command of the plan's batch solve."""
        return one_shot_command(
            current,
            plan.batch_specs,
            self.names or self.channels,
            strict=self.priority == "strict",
            labels=self.labels,
        )


def propose(
    options: SolveOptions, current: State, *, policy: Policy | None = None
) -> Proposal:
    """Dry-run the request of ``options`` against ``current`` (see the module doc).

    ``options.batch`` None (``auto``): the batch solve runs for ``update
    --all``, and after the incremental one when that links a compiled package
    built against numpy (:func:`~conda_guard.solve.trigger.batch_reason`).
    ``policy`` (ignore/allow filters) applies to the comparisons' analyses.
    """
    if options.update_all and options.update:
        raise UsageError("--update-all takes no SPEC; use --update SPEC… instead")
    plan = plan_solves(
        current,
        install=options.install,
        update=options.update,
        update_all=options.update_all,
        freeze_installed=options.freeze_installed,
        update_deps=options.update_deps,
    )
    setup, notes = solve_setup(options, current)
    always = options.update_all if options.batch is None else options.batch
    proposal = propose_plan(
        current,
        plan,
        setup,
        batch=always,
        notes=(*plan.notes, *notes),
        policy=policy,
    )
    if options.batch is not None or always or plan.mode == "batch":
        return proposal
    from ..abi import load_table
    from .trigger import batch_reason

    table = load_table()
    reason = batch_reason(current, proposal.incremental, table)
    if reason is None:
        return proposal
    return add_batch(proposal, plan, setup, reason, table=table, policy=policy)


def solve_setup(options: SolveOptions, current: State) -> tuple[SolveSetup, list[str]]:
    """The :class:`SolveSetup` of ``options``, and notes on what was chosen."""
    solver = options.solver
    custom = custom_channels(options.custom_channels)
    if custom and solver == "conda":
        raise UsageError(
            "--custom-channel is for the rattler solver; conda reads custom_channels "
            "from .condarc"
        )
    named = list(options.channels)
    notes = []
    if not named and solver == "conda":
        notes.append("channels: conda's configured channels")
    elif not named:
        named = default_channels(current)
        if not named:
            raise UsageError("no channel to solve against: pass -c/--channel")
        notes.append("channels (from the installed packages): " + ", ".join(named))
    channels = solver_channels([custom.get(c, c) for c in named], solver)
    notes += [
        f"channel {name} served from {url}"
        for name, url in custom.items()
        if url in channels
    ]
    configured = active()
    if solver != "conda":
        resolved = resolved_note([c for c in named if c not in custom], channels)
        notes += [resolved] if resolved else []
        if configured.offline:
            notes.append(
                f"offline ({configured.origin}): local channels and cache only"
            )
    priority = options.channel_priority
    if priority is None and solver != "conda":
        priority = "flexible"  # conda's default; the conda backend reads .condarc
    setup = SolveSetup(
        channels=tuple(channels),
        platform=target_platform(current, options.platform),
        solver=solver,
        priority=priority,
        virtual_packages=options.virtual_packages,
        timeout=options.timeout,
        labels={channel_name(url): name for name, url in custom.items()},
        offline=configured.offline,
        add_pip=configured.add_pip,
        names=tuple(named),
    )
    return setup, notes


def propose_plan(
    current: State,
    plan: Plan,
    setup: SolveSetup,
    *,
    batch: bool = False,
    notes: Sequence[str] = (),
    table: AbiTable | None = None,
    policy: Policy | None = None,
) -> Proposal:
    """Run the solves of ``plan`` as ``setup`` says and build the :class:`Proposal`."""
    notes = list(notes)
    if plan.constraints:
        notes.append("pinned (conda-meta/pinned): " + ", ".join(plan.constraints))
    batch = batch or plan.mode == "batch"
    outcome = solve_request(setup.request(plan.jobs(batch=batch), current.prefix))
    if outcome.error:
        message = outcome.error
        if "is not available in" in message:
            message += f" (set {PYTHON_ENV} to a Python that has it)"
        raise SolveError(message)
    incremental = current
    if plan.mode != "batch":
        result = _incremental_result(current, plan, setup, outcome)
        notes.extend(result.notes)
        source = " ".join([f"dry-run {plan.command_word}", *plan.request.values()])
        incremental = _state_from(
            result, current, f"{source} ({setup.where})", plan, setup
        )
    if not batch:
        return Proposal(current, incremental, notes=tuple(dict.fromkeys(notes)))
    return _batch_proposal(
        current, incremental, outcome, plan, setup, notes, table=table, policy=policy
    )


def add_batch(
    proposal: Proposal,
    plan: Plan,
    setup: SolveSetup,
    reason: str,
    *,
    table: AbiTable | None = None,
    policy: Policy | None = None,
) -> Proposal:
    """``proposal`` (an incremental one) with the batch solve run after it.

    ``--batch`` left out (``auto``): the incremental result showed a reason
    to compare (:func:`~conda_guard.solve.trigger.batch_reason`).
    """
    current = proposal.current
    jobs = replace(plan, mode="batch").jobs(batch=True)
    outcome = solve_request(setup.request(jobs, current.prefix))
    notes = [*proposal.notes, f"batch solve: {reason}"]
    if outcome.error:
        notes.append(f"{_SKIPPED}: {outcome.error}")
        return replace(proposal, notes=tuple(dict.fromkeys(notes)))
    return _batch_proposal(
        current,
        proposal.incremental,
        outcome,
        plan,
        setup,
        notes,
        table=table,
        policy=policy,
    )


def _batch_proposal(
    current: State,
    incremental: State,
    outcome: WorkerOutcome,
    plan: Plan,
    setup: SolveSetup,
    notes: Sequence[str],
    *,
    table: AbiTable | None,
    policy: Policy | None,
) -> Proposal:
    """The proposal with the batch result of ``outcome`` compared."""
    result = outcome.results.get("batch")
    if result is None or not result.ok:
        findings, note = _batch_skipped(result, outcome, plan, setup)
        return Proposal(
            current,
            incremental,
            findings=tuple(findings),
            notes=tuple(dict.fromkeys([*notes, note])),
            commands=(setup.one_shot(current, plan),),
        )
    source = f"one-shot create of the history specs + request ({setup.where})"
    batch_state = _state_from(result, current, source, plan, setup)
    findings, comparisons = compare(
        current, incremental, batch_state, plan, table, policy
    )
    return Proposal(
        current=current,
        incremental=incremental,
        batch=batch_state,
        findings=tuple(findings),
        comparisons=tuple(comparisons),
        notes=tuple(dict.fromkeys(notes)),
        commands=(setup.one_shot(current, plan),),
    )


def _incremental_result(
    current: State, plan: Plan, setup: SolveSetup, outcome: WorkerOutcome
) -> JobResult:
    """The incremental solve's result; raises when there is none to compare."""
    word = plan.command_word
    result = outcome.results.get("incremental")
    if result is None:
        if outcome.timed_out:
            raise SolveError(
                f"the dry-run {word} did not finish within {setup.timeout:g} s"
                " (--solve-timeout); nothing to compare"
            )
        raise SolveError(outcome.crashed or "the solve worker returned nothing")
    if result.ok:
        return result
    hint = ""
    other = outcome.results.get("batch")
    if other is not None and other.ok:
        hint = (
            "a one-shot solve of the history specs plus the request works"
            f" ({len(other.records)} packages): " + setup.one_shot(current, plan)
        )
    what = f"the request ({' '.join([word, *plan.request.values()])})"
    raise_failed(what, result, hint, plan.held_python)


def _batch_skipped(
    result: JobResult | None, outcome: WorkerOutcome, plan: Plan, setup: SolveSetup
) -> tuple[list[Finding], str]:
    """The note (and, when unsatisfiable, the finding) of a batch solve that failed."""
    if result is None:
        why = (
            f"it did not finish within {setup.timeout:g} s (--solve-timeout)"
            if outcome.timed_out
            else outcome.crashed or "the worker returned nothing"
        )
        return [], (
            f"{_SKIPPED}: the one-shot solve of the history specs plus the request:"
            f" {why}"
        )
    what = "a one-shot solve of the history specs plus the request"
    findings = []
    if result.failure is FailureKind.UNSATISFIABLE:
        from ..rules.drift import unsatisfiable_finding

        findings.append(
            unsatisfiable_finding(plan.batch_specs, result.conflicts, result.message)
        )
        why = unsat_message(what, result).splitlines()[0]
    elif result.failure is FailureKind.TIMEOUT:
        why = f"{what} ran out of time ({setup.timeout:g} s, --solve-timeout)"
    else:
        why = f"{what} failed: {result.message}".rstrip(": ")
    return findings, f"{_SKIPPED}: {why}"


def _state_from(
    result: JobResult, current: State, source: str, plan: Plan, setup: SolveSetup
) -> State:
    """A solve's records as a state (a file the solver picked that is installed
    stays the installed record)."""
    records = [
        _installed_copy(_relabel(replace(r, source=source), setup.labels), current)
        for r in result.records
        if not r.name.startswith("__")
    ]
    # packages installed by other tools (pip) stay where they are
    records.extend(r for r in current if r.pip)
    return State.from_records(
        records,
        source=source,
        kind="solve",
        explicit=dict(plan.explicit),
        prefix=current.prefix,
        platform=setup.platform,
        frozen=current.frozen,
    )


def _relabel(record: Record, labels: Mapping[str, str]) -> Record:
    name = labels.get(record.channel)
    return record if name is None else replace(record, channel=name)


def same_artifact(a: Record, b: Record) -> bool:
    """True when two records are the same package file (from any mirror/channel).

    Name, version, build and subdir must agree, and the sha256 (else the md5,
    else the file name) where both sides know it.
    """
    if (a.name, a.version, a.build, a.subdir) != (b.name, b.version, b.build, b.subdir):
        return False
    for key in ("sha256", "md5", "fn"):
        x, y = getattr(a, key), getattr(b, key)
        if x and y:
            return x == y
    return False


def _installed_copy(solved: Record, current: State) -> Record:
    """The installed record when the solver picked the very same file.

    A solve against a mirror or a local copy of the channel returns the
    package under that channel's URL; the file (and its ABI) is the one
    installed, so it is no change.
    """
    installed = current.get(solved.name)
    if installed is not None and same_artifact(installed, solved):
        return installed
    return solved
