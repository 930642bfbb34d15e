"""What the guard tells conda's user: the warning above the plan, or the refusal.

:func:`act` decides with the policy (:func:`conda_guard.policy.decide`) and
either prints :func:`warning_text` on stderr or raises
:class:`~conda_guard.adapters.conda_errors.GuardBlockedError` with
:func:`block_text`, which lists the blocking findings in full and the ways on
(the strict subcommand with ``--accept``, warn mode, ``guard_ignore``,
``guard_allow``). Each finding reads as :func:`conda_guard.report.common.finding_line`.
"""

from __future__ import annotations

import logging
import shlex
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..constants import GuardMode, ReportStyle

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from ..analysis import Analysis
    from ..models import Finding
    from ..policy import Decision
    from ..settings import GuardSettings
    from .conda_run import CondaRequest

log = logging.getLogger(f"conda.{__name__}")

WARN_LIMIT = 8  # findings shown in warn mode before "... and N more"


@dataclass(frozen=True)
class Outcome:
    """What the guard found for one transaction, and how to see more."""

    analysis: Analysis
    prefix: str | None
    request: CondaRequest | None = None
    details: str | None = None  # a `conda guard diff ...` command
    frozen_blocks: bool = False
    strict: bool = False  # inside `conda guard install/update`
    notes: tuple[str, ...] = field(default=())
    label: str = ""  # e.g. " (link check)" after "conda-guard" in the warning


def details_command(prefix: str | None, request: CondaRequest) -> str | None:
    """``conda guard diff -p PREFIX --install|--update SPEC…`` for this request."""
    if not prefix:
        return None
    packages = " ".join(shlex.quote(s) for s in request.typed)
    base = f"conda guard diff -p {shlex.quote(prefix)}"
    if request.command == "update" and request.update_all:
        return f"{base} --update-all"
    if request.command == "update" and packages:
        return f"{base} --update {packages}"
    if request.command in ("install", "create") and packages:
        return f"{base} --install {packages}"
    return None


def retry_command(
    request: CondaRequest | None, prefix: str | None, rules: Iterable[str]
) -> str | None:
    """``conda guard install|update … --accept RULE`` for the same request."""
    if request is None or request.command not in ("install", "update") or not prefix:
        return None
    argv = [request.command, "-p", prefix]
    if request.command == "update" and request.update_all:
        argv.append("--all")
    argv += request.typed
    accept = " ".join(f"--accept {r}" for r in sorted(set(rules)))
    return f"conda guard {shlex.join(argv)} {accept}".rstrip()


def act(outcome: Outcome, settings: GuardSettings) -> None:
    """Print the warning (stderr) or raise :class:`GuardBlockedError`."""
    from ..policy import decide
    from .conda_errors import GuardBlockedError

    analysis = outcome.analysis
    decision = decide(analysis.findings, settings.policy())
    blocks = settings.mode is GuardMode.BLOCK and decision.blocked
    if outcome.frozen_blocks or blocks:
        blocking = decision.blocking
        if outcome.frozen_blocks:
            frozen = tuple(f for f in analysis.findings if f.rule == "frozen")
            blocking = (*frozen, *(f for f in blocking if f.rule != "frozen"))
        message = block_text(outcome, decision, settings, blocking)
        raise GuardBlockedError(message, blocking, outcome.prefix)
    if analysis.findings:
        print(warning_text(outcome, settings), file=sys.stderr, end="")


def dry_run_note() -> None:
    """On ``--dry-run``, once: the link-level proof runs only on the real run."""
    print(
        "conda-guard: note: this is a dry run; the link-level check (sonames, "
        "symbol versions and the NumPy C-API, read from the downloaded packages' "
        "files) runs after download and before linking on the real run, and may "
        "still warn or refuse then.",
        file=sys.stderr,
    )


def report_skipped(exc: BaseException) -> None:
    """One warning on stderr: the check was skipped and conda goes on."""
    log.debug("conda-guard failed", exc_info=exc)
    print(
        f"conda-guard: warning: the ABI check was skipped ({type(exc).__name__}: "
        f"{exc}). conda goes on because plugins.guard_on_error is 'open'.",
        file=sys.stderr,
    )


def _package_lines(f: Finding, indent: str) -> list[str]:
    return [
        f"{indent}{p.name}: {p.before.label if p.before else '-'} -> "
        f"{p.after.label if p.after else '-'}"
        for p in f.packages[:6]
    ] + ([f"{indent}... and {len(f.packages) - 6} more"] if len(f.packages) > 6 else [])


def _finding_lines(f: Finding, *, full: bool) -> list[str]:
    from ..report.common import finding_line

    lines = [f"  {finding_line(f)}"]
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
    analysis = outcome.analysis
    if settings.report is ReportStyle.FULL:
        from ..report import render_text

        body = render_text(analysis).rstrip("\n").splitlines()
        lines = ["conda-guard: warning for " + _prefix_label(outcome), *body]
    else:
        lines = _summary_lines(outcome)
    if outcome.details:
        lines.append(f"  Details: {outcome.details}")
    if settings.mode is GuardMode.BLOCK:  # these findings are below guard_fail_on
        lines.append(
            f"  Not refused: below '{settings.fail_on}' (plugins.guard_fail_on)."
        )
    else:
        lines.append(
            "  To refuse such changes: conda config --set plugins.guard_mode block"
        )
    return "\n".join(lines) + "\n\n"


def _summary_lines(outcome: Outcome) -> list[str]:
    from ..report.common import plural, severity_counts

    analysis = outcome.analysis
    findings = analysis.findings
    counts = ", ".join(f"{n} {s}" for s, n in severity_counts(findings).items())
    head = (
        f"conda-guard{outcome.label}: {plural(len(findings), 'finding')} "
        f"({counts}) in {plural(len(analysis.changes), 'change')} to "
        f"{_prefix_label(outcome)}:"
    )
    lines = [head]
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
    return lines


def block_text(
    outcome: Outcome,
    decision: Decision,
    settings: GuardSettings,
    blocking: Sequence[Finding],
) -> str:
    """The refusal: the findings that block, with full builds, and how to go on."""
    from ..report.common import finding_line, plural

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
        lines += [f"    {finding_line(f)}" for f in others]
    lines += ["", "Nothing was changed. To go ahead:", *_ways_on(outcome, blocking)]
    if outcome.details:
        lines.append(f"See the whole diff: {outcome.details}")
    return "\n".join(lines)


def _ways_on(outcome: Outcome, blocking: Sequence[Finding]) -> list[str]:
    rules = sorted({f.rule for f in blocking})
    names = sorted({n for f in blocking for n in f.names})
    lines = []
    if outcome.frozen_blocks:
        lines.append(
            "  - pass --override-frozen to change a frozen environment on purpose"
        )
    else:
        retry = retry_command(outcome.request, outcome.prefix, rules)
        if retry:
            lines.append(f"  - accept these findings for this command: {retry}")
    if outcome.strict:  # conda guard install/update: the plain command only warns
        lines.append("  - or run the plain conda command, which only warns by default")
    else:
        lines.append(
            "  - run it once in warn mode: CONDA_PLUGINS_GUARD_MODE=warn conda ..."
        )
    lines += [
        f"  - ignore the rule: conda config --append plugins.guard_ignore {rule}"
        for rule in rules
    ]
    lines += [
        f"  - exempt the package: conda config --append plugins.guard_allow {name}"
        for name in names[:3]
    ]
    return lines
