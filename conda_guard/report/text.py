"""Text report for people: findings grouped by severity, full build strings,
colour only when asked (the CLI asks on a tty)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import Severity
from .common import finding_line, headline, plural, state_line

if TYPE_CHECKING:
    from ..analysis import Analysis
    from ..models import Change, Finding

__all__ = ["headline", "render_text"]

_COLORS = {
    Severity.HIGH: "\033[1;31m",
    Severity.MEDIUM: "\033[33m",
    Severity.LOW: "\033[36m",
    Severity.INFO: "\033[2m",
}
_RESET = "\033[0m"


def _sev(sev: Severity, color: bool) -> str:
    word = str(sev).upper()
    return f"{_COLORS[sev]}{word}{_RESET}" if color else word


def _record(rec) -> str:
    return rec.label if rec is not None else "-"


def _change_rows(changes: tuple[Change, ...]) -> list[str]:
    if not changes:
        return []
    wn = max(len(c.name) for c in changes)
    wk = max(len(str(c.kind)) for c in changes)
    rows = []
    for c in changes:
        extra = [str(t) for t in c.tags if t is not c.kind]
        kind = str(c.kind)
        line = (
            f"  {kind:<{wk}}  {c.name:<{wn}}  {_record(c.before)} -> {_record(c.after)}"
        )
        if extra:
            line += f"  [{', '.join(extra)}]"
        if c.variants:
            line += "  " + ", ".join(
                f"{axis}: {b or '-'} -> {a or '-'}"
                for axis, (b, a) in c.variants.items()
            )
        rows.append(line.rstrip())
    return rows


def _finding(f: Finding) -> list[str]:
    lines = [f"  {finding_line(f, severity=False)}"]
    for p in f.packages:
        lines.append(f"      {p.name}: {_record(p.before)} -> {_record(p.after)}")
    if f.evidence:
        lines.append("    evidence:")
        lines += [f"      - {e}" for e in f.evidence]
    if f.why:
        lines.append("    why:")
        lines += [f"      - {w}" for w in f.why]
    return lines


def _findings(findings: tuple[Finding, ...], color: bool, summary: bool) -> list[str]:
    out: list[str] = []
    for sev in sorted(Severity, reverse=True):
        group = [f for f in findings if f.severity == sev]
        if not group:
            continue
        out.append(f"{_sev(sev, color)} ({len(group)})")
        for f in group:
            out += [f"  {finding_line(f, severity=False)}"] if summary else _finding(f)
        out.append("")
    return out


def render_text(
    analysis: Analysis, *, color: bool = False, summary: bool = False
) -> str:
    """The text report; a single line when there is nothing to report."""
    top = headline(analysis)
    if not analysis.all_findings() and not analysis.notes:
        return top + "\n"
    lines = [top]
    if not summary:
        lines.append(f"  before: {state_line(analysis.before)}")
        lines.append(f"  after:  {state_line(analysis.after)}")
    lines.append("")
    lines += _findings(analysis.findings, color, summary)
    for comp in analysis.comparisons:
        sub = comp.analysis
        lines.append(
            f"{comp.label}: {plural(len(sub.changes), 'change')}, "
            f"{plural(len(sub.findings), 'finding')}"
        )
        if not summary:
            lines += ["  " + row for row in _change_rows(sub.changes)]
        lines += [
            "  " + row if row else row
            for row in _findings(sub.findings, color, summary)
        ]
        if not sub.findings:
            lines.append("")
    if not summary and analysis.changes:
        lines.append(f"Changes ({len(analysis.changes)}):")
        lines += _change_rows(analysis.changes)
        lines.append("")
    if analysis.notes:
        lines.append("Notes:")
        lines += [f"  - {n}" for n in analysis.notes]
        lines.append("")
    if analysis.commands:
        lines.append("Suggested:")
        lines += [f"  $ {c}" for c in analysis.commands]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
