"""The guard inside conda: the post-solve check and the ``install --revision`` check.

conda calls :func:`post_solve` after every solve (``install``, ``update``,
``remove``, ``create``, ``env create/update``, also on ``--dry-run``), before
anything is downloaded or linked and before it prints its plan. The check
reads the prefix (never writes it), builds the proposed state
(``before − unlink + link``), runs the rules (and, per ``guard_batch``, a batch
solve), then warns on stderr or refuses with :class:`GuardBlockedError`, whose
message carries what the hidden plan would have shown. ``install --revision N``
does not solve, so :func:`pre_command` diffs the prefix against revision N from
its history.

With ``guard_on_error: open`` a failure inside the guard is one warning and
conda goes on; with ``closed`` it stops the transaction.
"""

from __future__ import annotations

import logging
import shlex
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from ..analysis import Analysis
    from ..models import Finding, State
    from ..policy import Decision
    from .conda_settings import GuardSettings

log = logging.getLogger(f"conda.{__name__}")

#: Settings forced for one run by ``conda guard install/update``: ``mode`` and
#: ``fail_on`` replace the user's; ``ignore`` and ``allow`` are added to theirs.
OVERRIDES: dict[str, Any] = {}

WARN_LIMIT = 8  # findings shown in warn mode before "... and N more"

#: prefix → the transaction a solve-time check saw (see :func:`transaction_key`),
#: or None after the ``--revision`` check. The pre-transaction action consumes it
#: and runs the rules itself for transactions no solve saw (explicit files).
CHECKED: dict[str, frozenset[str] | None] = {}
_MISSING = object()


def transaction_key(
    unlink_precs: Iterable[Any], link_precs: Iterable[Any]
) -> frozenset[str]:
    """The unlinked and linked dists of a transaction, as a comparable set."""
    return frozenset(
        [f"-{p.name}-{p.version}-{p.build}" for p in unlink_precs]
        + [f"+{p.name}-{p.version}-{p.build}" for p in link_precs]
    )


def was_checked(
    prefix: str, unlink_precs: Iterable[Any], link_precs: Iterable[Any]
) -> bool:
    """True (once) when the post-solve or --revision check saw this transaction."""
    key = CHECKED.pop(prefix, _MISSING)
    if key is _MISSING:
        return False
    return key is None or key == transaction_key(unlink_precs, link_precs)


@dataclass(frozen=True)
class Outcome:
    """What the guard found for one transaction, and how to see more."""

    analysis: Analysis
    prefix: str | None
    details: str | None = None  # a `conda guard diff ...` command
    retry: str | None = None  # the strict subcommand for the same request
    frozen_blocks: bool = False
    notes: tuple[str, ...] = field(default=())
    label: str = ""  # e.g. " (link check)" after "conda-guard" in the warning


# -- entry points ------------------------------------------------------------


def current_settings() -> GuardSettings:
    """Settings from ``context.plugins`` with the subcommand overrides applied."""
    from .conda_settings import read_settings

    settings = read_settings()
    if not OVERRIDES:
        return settings
    changes = dict(OVERRIDES)
    changes["ignore"] = (*settings.ignore, *changes.get("ignore", ()))
    changes["allow"] = (*settings.allow, *changes.get("allow", ()))
    return settings.with_overrides(**changes)


def post_solve(
    repodata_fn: str, unlink_precs: Sequence[Any], link_precs: Sequence[Any]
) -> None:
    """The ``conda_post_solves`` action."""
    if not unlink_precs and not link_precs:
        return
    from conda.base.context import context

    settings = current_settings()
    if settings.mode == "off":
        return
    if context.target_prefix:
        CHECKED[context.target_prefix] = transaction_key(unlink_precs, link_precs)
    guard(settings, lambda: transaction_outcome(settings, unlink_precs, link_precs))


def pre_command(command: str) -> None:
    """The ``conda_pre_commands`` action: only ``install --revision N`` is checked."""
    from conda.base.context import context

    args = context._argparse_args
    revision = getattr(args, "revision", None) if args is not None else None
    if revision is None:
        return
    settings = current_settings()
    if settings.mode == "off":
        return
    CHECKED[context.target_prefix] = None
    guard(settings, lambda: revision_outcome(settings, context.target_prefix, revision))


def guard(settings: GuardSettings, build: Callable[[], Outcome | None]) -> None:
    """Run ``build`` under ``guard_on_error``, then warn or block."""
    from conda.exceptions import CondaError

    from ..exceptions import GuardError
    from .conda_errors import GuardInputError, GuardInternalError

    try:
        outcome = build()
    except GuardError as exc:
        if settings.on_error == "closed":
            raise GuardInputError(str(exc)) from exc
        report_skipped(exc)
        return
    except CondaError:
        raise
    except Exception as exc:  # a bug in the guard: never let it decide for the user
        if settings.on_error == "closed":
            raise GuardInternalError(exc) from exc
        report_skipped(exc)
        return
    if outcome is not None:
        act(outcome, settings)


def report_skipped(exc: BaseException) -> None:
    """One warning on stderr: the check was skipped and conda goes on."""
    log.debug("conda-guard failed", exc_info=exc)
    print(
        f"conda-guard: warning: the ABI check was skipped ({type(exc).__name__}: "
        f"{exc}). conda goes on because plugins.guard_on_error is 'open'.",
        file=sys.stderr,
    )


# -- building the states -----------------------------------------------------


def _args() -> Any:
    from conda.base.context import context

    return context._argparse_args


def _command(args: Any) -> str:
    cmd = getattr(args, "cmd", None) or ""
    if cmd == "guard":  # conda guard install/update
        cmd = getattr(args, "command", None) or ""
    if cmd == "env":  # conda env create/update
        cmd = getattr(args, "func", "").rsplit(".", 2)[-2].replace("main_env_", "env ")
    return cmd


def is_update_all(args: Any) -> bool:
    """True for ``update --all`` (``--update-all``)."""
    modifier = getattr(args, "update_modifier", None)
    return str(getattr(modifier, "value", modifier)) == "update_all" or bool(
        getattr(args, "update_all", False)
    )


def _requested(args: Any) -> dict[str, str]:
    from conda.models.match_spec import MatchSpec

    out: dict[str, str] = {}
    for text in getattr(args, "packages", None) or ():
        try:
            out[MatchSpec(text).name] = str(text)
        except Exception:
            continue
    return out


def read_before(prefix: str | None) -> State:
    """The prefix as it is (an empty state for a prefix not created yet)."""
    from pathlib import Path

    from ..models import State
    from ..readers.prefix import read_prefix

    if prefix and (Path(prefix) / "conda-meta").is_dir():
        return read_prefix(prefix)
    return State(
        records={}, source=prefix or "(new environment)", kind="prefix", prefix=prefix
    )


def _details_command(prefix: str | None, args: Any) -> str | None:
    if not prefix:
        return None
    cmd = _command(args)
    packages = [shlex.quote(str(p)) for p in getattr(args, "packages", None) or ()]
    base = f"conda guard diff -p {shlex.quote(prefix)}"
    if cmd == "update" and is_update_all(args):
        return f"{base} --update-all"
    if cmd == "update" and packages:
        return f"{base} --update {' '.join(packages)}"
    if cmd in ("install", "create") and packages:
        return f"{base} --install {' '.join(packages)}"
    return None


def _retry_command(args: Any, rules: Iterable[str]) -> str | None:
    cmd = _command(args)
    if cmd not in ("install", "update"):
        return None
    argv = [a for a in sys.argv[1:] if a not in ("guard",)]
    if not argv or argv[0] != cmd:  # called through the API (tests): rebuild roughly
        from conda.base.context import context

        argv = [cmd, "-p", str(context.target_prefix)]
        argv += [str(p) for p in getattr(args, "packages", None) or ()]
    accept = " ".join(f"--accept {r}" for r in sorted(set(rules)))
    return f"conda guard {' '.join(shlex.quote(a) for a in argv)} {accept}".rstrip()


def transaction_outcome(
    settings: GuardSettings, unlink_precs: Sequence[Any], link_precs: Sequence[Any]
) -> Outcome:
    """Analyse one solved transaction of conda."""
    from conda.base.context import context

    from ..analysis import analyze
    from .conda_records import state_after

    args = _args()
    prefix = context.target_prefix
    before = read_before(prefix)
    after = state_after(before, unlink_precs, link_precs, requested=_requested(args))
    analysis = analyze(before, after, policy=settings.policy())
    analysis = _with_batch(analysis, settings, args)
    return Outcome(
        analysis=analysis,
        prefix=prefix,
        details=_details_command(prefix, args),
        frozen_blocks=_frozen_blocks(before, analysis, settings, args),
    )


def revision_outcome(settings: GuardSettings, prefix: str, revision: Any) -> Outcome:
    """Analyse ``conda install --revision N``: the prefix now → revision N."""
    from ..analysis import analyze
    from ..readers.prefix import read_prefix_revision

    number = int(revision)
    before = read_before(prefix)
    after = read_prefix_revision(prefix, number)
    analysis = analyze(before, after, policy=settings.policy())
    quoted = shlex.quote(prefix)
    return Outcome(
        analysis=analysis,
        prefix=prefix,
        details=f"conda guard diff {quoted} {quoted}@{number}",
        frozen_blocks=_frozen_blocks(before, analysis, settings, _args()),
    )


def _frozen_blocks(
    before: State, analysis: Analysis, settings: GuardSettings, args: Any
) -> bool:
    """A frozen prefix changes only with --override-frozen or guard_ignore: frozen."""
    return (
        before.frozen is not None
        and bool(analysis.changes)
        # --override-frozen stores False in protect_frozen_envs (else NULL)
        and getattr(args, "protect_frozen_envs", None) is not False
        and "frozen" not in settings.ignore
    )


def wants_batch(settings: GuardSettings, args: Any) -> bool:
    """``guard_batch``: always, never, or only for ``update --all``."""
    if settings.batch == "always":
        return True
    if settings.batch == "never":
        return False
    return _command(args) == "update" and is_update_all(args)


def _with_batch(analysis: Analysis, settings: GuardSettings, args: Any) -> Analysis:
    """Compare conda's plan with a one-shot solve; a failure is only a note."""
    if not wants_batch(settings, args):
        return analysis
    try:
        batch, notes = batch_state(analysis.before, settings, args)
    except Exception as exc:  # an optional extra check
        return analysis.extend(notes=[f"batch solve skipped: {exc}"])
    if batch is None:
        return analysis.extend(notes=notes)
    from ..abi import load_table
    from ..analysis import Comparison, analyze
    from ..rules.drift import drift_findings

    table = load_table()
    policy = settings.policy()
    drift = analyze(batch, analysis.after, policy=policy, table=table)
    kept = [
        f
        for f in drift_findings(analysis.after, batch, table)
        if f.rule not in policy.ignore
    ]
    return analysis.extend(
        findings=kept,
        notes=notes,
        comparisons=[Comparison("conda's plan vs a one-shot solve", drift)],
    )


def batch_state(
    before: State, settings: GuardSettings, args: Any
) -> tuple[State | None, list[str]]:
    """A one-shot solve of the history specs plus this request (rattler, worker)."""
    import importlib.util
    from dataclasses import replace

    from conda.base.context import context

    from .. import solve

    if importlib.util.find_spec("rattler") is None:
        return None, ["batch solve skipped: py-rattler is not installed"]
    channels = [solve.channel_url(c) for c in context.channels]
    if context.offline and not all(c.startswith("file:") for c in channels):
        return None, ["batch solve skipped: conda is offline"]
    cmd = _command(args)
    specs = [str(p) for p in getattr(args, "packages", None) or ()]
    plan = solve.plan_solves(
        before,
        install=specs if cmd in ("install", "create") else (),
        update=specs if cmd == "update" and not is_update_all(args) else (),
        update_all=cmd == "update" and is_update_all(args),
    )
    priority = getattr(context.channel_priority, "value", context.channel_priority)
    setup = solve.SolveSetup(
        channels=tuple(channels),
        platform=context.subdir,
        priority=str(priority).lower(),
        timeout=settings.batch_timeout,
    )
    proposal = solve.propose_plan(
        before, replace(plan, mode="batch"), setup, batch=True
    )
    return proposal.batch, list(proposal.notes)


# -- warn or block -------------------------------------------------------------


def act(outcome: Outcome, settings: GuardSettings) -> None:
    """Print the warning (stderr) or raise :class:`GuardBlockedError`."""
    from ..policy import decide
    from .conda_errors import GuardBlockedError

    analysis = outcome.analysis
    policy = settings.policy()
    decision = decide(analysis.findings, policy)
    if outcome.frozen_blocks or (settings.mode == "block" and decision.blocked):
        blocking = decision.blocking
        if outcome.frozen_blocks:
            frozen = tuple(f for f in analysis.findings if f.rule == "frozen")
            blocking = (*frozen, *(f for f in blocking if f.rule != "frozen"))
        message = block_text(outcome, decision, settings, blocking)
        raise GuardBlockedError(message, blocking, outcome.prefix)
    if analysis.findings:
        print(warning_text(outcome, settings), file=sys.stderr, end="")


def _package_lines(f: Finding, indent: str) -> list[str]:
    return [
        f"{indent}{p.name}: {p.before.label if p.before else '-'} -> "
        f"{p.after.label if p.after else '-'}"
        for p in f.packages[:6]
    ] + ([f"{indent}... and {len(f.packages) - 6} more"] if len(f.packages) > 6 else [])


def _finding_lines(f: Finding, *, full: bool) -> list[str]:
    lines = [f"  {str(f.severity).upper()} [{f.rule}] {f.message}"]
    lines += _package_lines(f, "      ")
    # evidence beyond a restatement of a package move (shown just above)
    reasons = [e for e in f.evidence if " -> " not in e]
    if full:
        lines += [f"      - {e}" for e in f.evidence]
        lines += [f"      why: {w}" for w in f.why]
    else:
        if f.why:
            lines.append(f"      why: {f.why[0]}")
        lines += [f"      - {e}" for e in reasons[:2]]
    return lines


def _prefix_label(outcome: Outcome) -> str:
    return outcome.prefix or "the new environment"


def warning_text(outcome: Outcome, settings: GuardSettings) -> str:
    """The warn-mode report: short, above conda's plan, pointing at the detail."""
    from ..report.common import plural, severity_counts

    analysis = outcome.analysis
    findings = analysis.findings
    if settings.report == "full":
        from ..report import render_text

        body = render_text(analysis).rstrip("\n").splitlines()
        lines = ["conda-guard: warning for " + _prefix_label(outcome), *body]
    else:
        counts = ", ".join(f"{n} {s}" for s, n in severity_counts(findings).items())
        lines = [
            (
                f"conda-guard{outcome.label}: {plural(len(findings), 'finding')} "
                f"({counts}) in "
                f"{plural(len(analysis.changes), 'change')} to "
                f"{_prefix_label(outcome)}:"
            )
        ]
        for f in findings[:WARN_LIMIT]:
            lines += _finding_lines(f, full=False)
        if len(findings) > WARN_LIMIT:
            lines.append(f"  ... and {len(findings) - WARN_LIMIT} more")
        for comp in analysis.comparisons:
            sub = comp.analysis
            lines.append(
                f"  {comp.label}: {plural(len(sub.changes), 'difference')}, "
                f"{plural(len(sub.findings), 'finding')}"
            )
    if outcome.details:
        lines.append(f"  Details: {outcome.details}")
    lines.append(
        "  To refuse such changes: conda config --set plugins.guard_mode block"
    )
    return "\n".join(lines) + "\n\n"


def block_text(
    outcome: Outcome,
    decision: Decision,
    settings: GuardSettings,
    blocking: Sequence[Finding],
) -> str:
    """The refusal: the findings that block, with full builds, and how to go on."""
    from ..report.common import plural

    analysis = outcome.analysis
    if outcome.frozen_blocks:
        head = (
            f"conda-guard stopped this transaction: {_prefix_label(outcome)} is "
            f"marked frozen (conda-meta/frozen) and "
            f"{plural(len(analysis.changes), 'package')} would change."
        )
    else:
        head = (
            f"conda-guard stopped this transaction on {_prefix_label(outcome)}: "
            f"{plural(len(blocking), 'finding')} at or above '{settings.fail_on}' "
            f"(plugins.guard_fail_on)."
        )
    lines = [head, ""]
    for f in blocking:
        lines += _finding_lines(f, full=True)
    others = [f for f in decision.passing if f not in blocking]
    if others:
        lines.append("  Also (not blocking):")
        lines += [
            f"    {str(f.severity).upper()} [{f.rule}] {f.message}" for f in others
        ]
    rules = sorted({f.rule for f in blocking})
    names = sorted({n for f in blocking for n in f.names})
    lines += ["", "Nothing was changed. To go ahead:"]
    if outcome.frozen_blocks:
        lines.append(
            "  - pass --override-frozen to change a frozen environment on purpose"
        )
    retry = _retry_command(_args(), rules) if not outcome.frozen_blocks else None
    if retry:
        lines.append(f"  - accept these findings for this command: {retry}")
    if OVERRIDES:  # conda guard install/update: the plain command only warns
        lines.append("  - or run the plain conda command, which only warns by default")
    else:
        lines.append(
            "  - run it once in warn mode: CONDA_PLUGINS_GUARD_MODE=warn conda ..."
        )
    for rule in rules:
        lines.append(
            f"  - ignore the rule: conda config --append plugins.guard_ignore {rule}"
        )
    for name in names[:3]:
        lines.append(
            f"  - exempt the package: conda config --append plugins.guard_allow {name}"
        )
    if outcome.details:
        lines.append(f"See the whole diff: {outcome.details}")
    return "\n".join(lines)
