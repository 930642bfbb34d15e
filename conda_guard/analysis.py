"""One analysis: two states → changes → findings, with notes and comparisons.

This is the entry point the CLI, the solve layer and the conda adapters call;
it loads the ABI table once and runs every rule.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .abi import load_table
from .diff import diff_states
from .policy import Policy, apply_filters
from .rules import RuleContext, run_rules

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .abi import AbiTable
    from .facts import FileFacts
    from .models import Change, Finding, State


@dataclass(frozen=True)
class Comparison:
    """A labelled side analysis, e.g. ``"batch vs current"``."""

    label: str
    analysis: Analysis


@dataclass(frozen=True)
class Analysis:
    """Everything a report shows about one before → after pair."""

    before: State
    after: State
    changes: tuple[Change, ...]
    findings: tuple[Finding, ...]
    notes: tuple[str, ...] = ()
    comparisons: tuple[Comparison, ...] = ()
    commands: tuple[str, ...] = ()
    #: what makes the whole comparison doubtful (e.g. two platforms); shown
    #: first, and even when there is nothing else to report
    warnings: tuple[str, ...] = ()

    def extend(
        self,
        *,
        findings: Iterable[Finding] = (),
        notes: Iterable[str] = (),
        comparisons: Iterable[Comparison] = (),
        commands: Iterable[str] = (),
        warnings: Iterable[str] = (),
    ) -> Analysis:
        """A copy with more findings (re-sorted), notes, comparisons, commands."""
        merged = sorted(
            (*self.findings, *findings), key=lambda f: (-f.severity, f.rule, f.names)
        )
        return replace(
            self,
            findings=tuple(merged),
            notes=(*self.notes, *notes),
            comparisons=(*self.comparisons, *comparisons),
            commands=(*self.commands, *commands),
            warnings=(*self.warnings, *warnings),
        )

    def all_findings(self) -> tuple[Finding, ...]:
        """Findings of this analysis and of its comparisons."""
        out = list(self.findings)
        for comp in self.comparisons:
            out.extend(comp.analysis.all_findings())
        return tuple(out)


def platform_warning(before: State, after: State) -> str | None:
    """A warning when the two states were made for different platforms."""
    b, a = before.platform, after.platform
    if not b or not a or b == a or before is after:
        return None
    return (
        f"the two states are for different platforms ({b} before, {a} after): "
        "builds differ by platform, not by an update, and the findings compare "
        "packages that never share an environment"
    )


def analyze(
    before: State,
    after: State,
    *,
    policy: Policy | None = None,
    extra: Iterable[Finding] = (),
    notes: Iterable[str] = (),
    table: AbiTable | None = None,
    files: FileFacts | None = None,
) -> Analysis:
    """Diff ``before`` → ``after``, run the rules, apply ``policy``'s filters.

    ``files`` answers what only package files can (see :mod:`conda_guard.facts`);
    without it the rules say what metadata cannot prove.
    """
    table = table or load_table()
    changes = diff_states(before, after, table)
    # every rule reports on changes: without one (a history revision that
    # changed nothing) there is nothing to run them on
    ctx = RuleContext(before, after, changes, table, files) if changes else None
    found = (*(run_rules(ctx) if ctx is not None else ()), *extra)
    filtered = apply_filters(found, policy or Policy())
    ordered = sorted(filtered.kept, key=lambda f: (-f.severity, f.rule, f.names))
    return Analysis(
        before=before,
        after=after,
        changes=changes,
        findings=tuple(ordered),
        notes=(*notes, *filtered.notes),
        warnings=state_warnings(before, after),
    )


def finding_key(finding: Finding) -> tuple[str, str, str]:
    """What tells two findings apart in a report: rule, severity, message."""
    return (finding.rule, str(finding.severity), finding.message)


def proven_by_files(
    before: State,
    after: State,
    files: FileFacts,
    *,
    policy: Policy | None = None,
    table: AbiTable | None = None,
    known: Iterable[tuple[str, str, str]] = (),
) -> tuple[Finding, ...]:
    """The findings ``files`` add to what the records alone say.

    The rules run twice, with and without ``files``; what only the run with
    files has (a medium "cannot be proven from metadata" that the files prove
    high, naming the file) is returned, minus the ``known`` ones (keys of
    :func:`finding_key`, e.g. what an earlier check already reported).
    """
    table = table or load_table()
    seen = {
        finding_key(f)
        for f in analyze(before, after, policy=policy, table=table).findings
    }
    seen.update(known)
    proven = analyze(before, after, policy=policy, table=table, files=files)
    return tuple(f for f in proven.findings if finding_key(f) not in seen)


def state_warnings(before: State, after: State) -> tuple[str, ...]:
    """What makes the comparison itself doubtful: two platforms, and what the
    readers warned about either state (each sentence once)."""
    out = [w for w in (platform_warning(before, after),) if w]
    for state in (before, after):
        out.extend(w for w in state.warnings if w not in out)
    return tuple(out)
