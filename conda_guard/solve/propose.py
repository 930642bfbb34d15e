"""Propose a change: run the plan's solves and build the :class:`Proposal`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..constants import DEFAULT_BATCH_TIMEOUT
from ..exceptions import SolveError, UsageError
from ..models import Record, State, channel_name
from .channels import (
    custom_channels,
    default_channels,
    solver_channels,
    target_platform,
)
from .compare import _compare, one_shot_command
from .plan import Plan, plan_solves
from .protocol import SolveRequest, record_from_solver
from .unsat import _raise_failed, _unsat_message
from .worker import PYTHON_ENV, solve_request

if TYPE_CHECKING:
    import argparse
    from collections.abc import Mapping, Sequence

    from ..abi import AbiTable
    from ..analysis import Comparison
    from ..models import Finding
    from ..policy import Policy


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


def _relabel(record: Record, labels: Mapping[str, str]) -> Record:
    name = labels.get(record.channel)
    return record if name is None else replace(record, channel=name)


def _state_from(
    result: Mapping[str, Any],
    current: State,
    *,
    source: str,
    explicit: Mapping[str, str],
    platform: str,
    labels: Mapping[str, str],
) -> State:
    records = [
        _installed_copy(_relabel(record_from_solver(d, source), labels), current)
        for d in result.get("records", ())
    ]
    records = [r for r in records if not r.name.startswith("__")]
    # packages installed by other tools (pip) stay where they are
    records.extend(r for r in current if r.pip)
    return State.from_records(
        records,
        source=source,
        kind="solve",
        explicit=dict(explicit),
        prefix=current.prefix,
        platform=platform,
        frozen=current.frozen,
    )


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


def _command_word(plan: Plan) -> str:
    return {
        "install": "install",
        "update": "update",
        "update-all": "update --all",
        "batch": "create (batch)",
    }[plan.mode]


def propose(
    args: argparse.Namespace, current: State, *, policy: Policy | None = None
) -> Proposal:
    """Dry-run the request in ``args`` against ``current`` (see the module doc).

    ``policy`` (ignore/allow filters) applies to the comparisons' analyses.
    """
    install = list(getattr(args, "install", None) or ())
    update = list(getattr(args, "update", None) or ())
    update_all = bool(getattr(args, "update_all", False))
    batch = bool(getattr(args, "batch", False)) or update_all
    if update_all and update:
        raise UsageError("--update-all takes no SPEC; use --update SPEC… instead")
    plan = plan_solves(
        current,
        install=install,
        update=update,
        update_all=update_all,
        freeze_installed=getattr(args, "freeze_installed", None),
        update_deps=bool(getattr(args, "update_deps", False)),
    )
    platform = target_platform(current, getattr(args, "platform", None))
    solver = getattr(args, "solver", None) or "rattler"
    custom = custom_channels(getattr(args, "custom_channel", None) or ())
    if custom and solver == "conda":
        raise UsageError(
            "--custom-channel is for the rattler solver; conda reads custom_channels "
            "from .condarc"
        )
    named = list(getattr(args, "channel", None) or ())
    notes = list(plan.notes)
    if not named and solver == "conda":
        notes.append("channels: conda's configured channels")
    elif not named:
        named = default_channels(current)
        if not named:
            raise UsageError("no channel to solve against: pass -c/--channel")
        notes.append("channels (from the installed packages): " + ", ".join(named))
    channels = solver_channels([custom.get(c, c) for c in named], solver)
    for name, url in custom.items():
        if url in channels:
            notes.append(f"channel {name} served from {url}")
    labels = {channel_name(url): name for name, url in custom.items()}
    priority = getattr(args, "channel_priority", None) or (
        "strict" if getattr(args, "strict_channel_priority", False) else None
    )
    if priority is None and solver != "conda":
        priority = "flexible"  # conda's default; the conda backend reads .condarc
    virtual = getattr(args, "virtual_package", None) or None  # [] = detect
    timeout = float(getattr(args, "solve_timeout", None) or DEFAULT_BATCH_TIMEOUT)
    return propose_plan(
        current,
        plan,
        channels=channels,
        platform=platform,
        priority=priority,
        solver=solver,
        virtual_packages=None if virtual is None else tuple(virtual),
        timeout=timeout,
        batch=batch,
        notes=notes,
        policy=policy,
        labels=labels,
    )


def propose_plan(
    current: State,
    plan: Plan,
    *,
    channels: Sequence[str],
    platform: str,
    priority: str | None = "flexible",
    solver: str = "rattler",
    virtual_packages: tuple[str, ...] | None = None,
    timeout: float = DEFAULT_BATCH_TIMEOUT,
    batch: bool = False,
    notes: Sequence[str] = (),
    python: str | None = None,
    table: AbiTable | None = None,
    policy: Policy | None = None,
    labels: Mapping[str, str] | None = None,
) -> Proposal:
    """Run the solves of ``plan`` and build the :class:`Proposal`.

    ``labels`` maps a solver channel (short name of its URL) to the name its
    packages are reported under (``--custom-channel``).
    """
    labels = labels or {}
    notes = list(notes)
    if plan.constraints:
        notes.append("pinned (conda-meta/pinned): " + ", ".join(plan.constraints))
    jobs: list[dict[str, Any]] = []
    if plan.mode != "batch":
        jobs.append(
            {
                "label": "incremental",
                "specs": list(plan.incremental_specs),
                "locked": [r.to_repodata() for r in plan.locked],
                "pinned": [r.to_repodata() for r in plan.pinned],
                "retry_unpinned": plan.retry_unpinned,
                "constraints": list(plan.constraints),
                "command": "update"
                if plan.mode in ("update", "update-all")
                else "install",
                "update_all": plan.mode == "update-all",
                "update_deps": plan.update_deps,
                "request": list(plan.request.values()),
            }
        )
    if batch or plan.mode == "batch":
        jobs.append(
            {
                "label": "batch",
                "specs": list(plan.batch_specs),
                "command": "create",
                "request": list(plan.batch_specs),
            }
        )
    request = SolveRequest(
        solver=solver,
        channels=tuple(channels),
        platform=platform,
        channel_priority=priority,
        virtual_packages=virtual_packages,
        timeout=timeout,
        jobs=tuple(jobs),
        prefix=current.prefix,
        python=python,
    )
    outcome = solve_request(request)
    if outcome.error:
        message = outcome.error
        if "is not available in" in message:
            message += f" (set {PYTHON_ENV} to a Python that has it)"
        raise SolveError(message)
    word = _command_word(plan)
    where = f"{solver}, {priority or 'configured'} channel priority"
    incremental = current
    if plan.mode != "batch":
        result = outcome.results.get("incremental")
        if result is None:
            if outcome.timed_out:
                raise SolveError(
                    f"the dry-run {word} did not finish within {timeout:g} s"
                    " (--solve-timeout); nothing to compare"
                )
            raise SolveError(outcome.crashed or "the solve worker returned nothing")
        if not result.get("ok"):
            hint = ""
            other = outcome.results.get("batch")
            if other is not None and other.get("ok"):
                hint = (
                    "a one-shot solve of the history specs plus the request works"
                    f" ({len(other.get('records', ()))} packages): "
                    + one_shot_command(
                        current,
                        plan.batch_specs,
                        channels,
                        strict=priority == "strict",
                        labels=labels,
                    )
                )
            _raise_failed(
                f"the request ({word} {' '.join(plan.request.values())})".replace(
                    " )", ")"
                ),
                result,
                hint,
                plan.held_python,
            )
        notes.extend(result.get("notes", ()))
        incremental = _state_from(
            result,
            current,
            source=f"dry-run {word} {' '.join(plan.request.values())}".strip()
            + f" ({where})",
            explicit=plan.explicit,
            platform=platform,
            labels=labels,
        )
    batch_state: State | None = None
    findings: list[Finding] = []
    comparisons: list[Comparison] = []
    commands: list[str] = []
    if batch or plan.mode == "batch":
        commands.append(
            one_shot_command(
                current,
                plan.batch_specs,
                channels,
                strict=priority == "strict",
                labels=labels,
            )
        )
        result = outcome.results.get("batch")
        if result is None:
            why = (
                f"it did not finish within {timeout:g} s (--solve-timeout)"
                if outcome.timed_out
                else outcome.crashed or "the worker returned nothing"
            )
            notes.append(
                "batch comparison skipped (batch vs current, incremental vs batch):"
                f" the one-shot solve of the history specs plus the request: {why}"
            )
        elif not result.get("ok"):
            from ..rules.drift import unsatisfiable_finding

            what = "a one-shot solve of the history specs plus the request"
            if result.get("error") == "unsatisfiable":
                findings.append(
                    unsatisfiable_finding(
                        plan.batch_specs,
                        tuple(result.get("conflicts") or ()),
                        str(result.get("message", "")),
                    )
                )
                why = _unsat_message(what, result).splitlines()[0]
            elif result.get("error") == "timeout":
                why = f"{what} ran out of time ({timeout:g} s, --solve-timeout)"
            else:
                why = f"{what} failed: {result.get('message', '')}".rstrip(": ")
            notes.append(
                "batch comparison skipped (batch vs current, incremental vs batch): "
                + why
            )
        else:
            batch_state = _state_from(
                result,
                current,
                source=f"one-shot create of the history specs + request ({where})",
                explicit=plan.explicit,
                platform=platform,
                labels=labels,
            )
            findings, comparisons = _compare(
                current, incremental, batch_state, plan, table, policy
            )
    return Proposal(
        current=current,
        incremental=incremental,
        batch=batch_state,
        findings=tuple(findings),
        comparisons=tuple(comparisons),
        notes=tuple(dict.fromkeys(notes)),
        commands=tuple(commands),
    )
