"""Counting and wording shared by the renderers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import Severity

if TYPE_CHECKING:
    from ..analysis import Analysis
    from ..models import Finding


def plural(n: int, word: str) -> str:
    """``1 finding`` / ``2 findings``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def finding_line(finding: Finding, *, severity: bool = True) -> str:
    """The text of one finding: ``HIGH [rule] message`` (every renderer uses it).

    ``severity=False`` leaves the word out where a heading already says it.
    """
    text = f"[{finding.rule}] {finding.message}"
    return f"{str(finding.severity).upper()} {text}" if severity else text


def severity_counts(findings: tuple[Finding, ...]) -> dict[str, int]:
    """Findings per severity, highest first, only severities present."""
    counts: dict[str, int] = {}
    for sev in sorted(Severity, reverse=True):
        n = sum(1 for f in findings if f.severity == sev)
        if n:
            counts[str(sev)] = n
    return counts


def headline(analysis: Analysis) -> str:
    """``conda-guard: 2 findings (1 high, 1 medium) in 14 changes``."""
    findings = analysis.findings
    if analysis.before is analysis.after:  # a check of one state
        scope = f"{analysis.after.source} ({plural(len(analysis.after), 'package')})"
    else:
        scope = plural(len(analysis.changes), "change")
    side = sum(len(c.analysis.findings) for c in analysis.comparisons)
    tail = f"; {plural(side, 'finding')} in the comparisons below" if side else ""
    if not findings:
        return f"conda-guard: no findings in {scope}{tail}"
    counts = ", ".join(f"{n} {sev}" for sev, n in severity_counts(findings).items())
    return (
        f"conda-guard: {plural(len(findings), 'finding')} ({counts}) in {scope}{tail}"
    )


def state_line(state) -> str:
    """``SOURCE (kind, N packages)``."""
    bits = [state.kind or "state", plural(len(state.records), "package")]
    if state.revision is not None:
        bits.insert(1, f"revision {state.revision}")
    return f"{state.source or '?'} ({', '.join(bits)})"
