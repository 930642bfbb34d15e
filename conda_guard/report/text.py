"""Text report for people: findings grouped by severity, full build strings,
colour only when asked (the CLI asks on a tty).

Quiet when all is well: with no finding the report is its headline, plus the
warnings that make the comparison itself doubtful (two platforms). Notes say
which checks were skipped; they are printed with findings, and are always in
``--json`` and ``--markdown``. Every line is escaped (:func:`.common.escape`)
before colour is added, so input cannot reach the terminal as control codes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import Severity
from .common import escape, finding_line, headline, plural, state_line

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


class Raw(str):
    """A line built from our own words only: not escaped, may carry colour."""


def _sev(sev: Severity, color: bool) -> Raw:
    word = str(sev).upper()
    return Raw(f"{_COLORS[sev]}{word}{_RESET}" if color else word)


def _record(rec) -> str:
    return rec.label if rec is not None else "-"


def change_rows(changes: tuple[Change, ...]) -> list[str]:
    """One aligned line per change: kind, name, both full records, tags, variants."""
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


def findings_lines(
    findings: tuple[Finding, ...], color: bool, summary: bool
) -> list[str]:
    """Findings under one heading per severity, highest first."""
    out: list[str] = []
    for sev in sorted(Severity, reverse=True):
        group = [f for f in findings if f.severity == sev]
        if not group:
            continue
        out.append(Raw(f"{_sev(sev, color)} ({len(group)})"))
        for f in group:
            out += [f"  {finding_line(f, severity=False)}"] if summary else _finding(f)
        out.append("")
    return out


def finish(lines: list[str]) -> str:
    """Join lines, escaping every one not marked :class:`Raw`."""
    text = "\n".join(line if isinstance(line, Raw) else escape(line) for line in lines)
    return text.rstrip() + "\n"


def indent(lines: list[str], prefix: str = "  ") -> list[str]:
    """``lines`` shifted right, blank lines kept blank, Raw lines kept Raw."""
    out: list[str] = []
    for line in lines:
        shifted = prefix + line if line else line
        out.append(Raw(shifted) if isinstance(line, Raw) else shifted)
    return out


def _comparison_lines(analysis: Analysis, color: bool, summary: bool) -> list[str]:
    lines: list[str] = []
    for comp in analysis.comparisons:
        sub = comp.analysis
        lines.append(
            f"{comp.label}: {plural(len(sub.changes), 'change')}, "
            f"{plural(len(sub.findings), 'finding')}"
        )
        if not summary:
            lines += ["  " + row for row in change_rows(sub.changes)]
        lines += indent(findings_lines(sub.findings, color, summary))
        if not sub.findings:
            lines.append("")
    return lines


def body_lines(analysis: Analysis, *, color: bool, summary: bool) -> list[str]:
    """Everything under the headline (unescaped; :func:`finish` escapes)."""
    lines = [f"  warning: {w}" for w in analysis.warnings]
    if not analysis.all_findings():
        return lines
    if not summary:
        lines.append(f"  before: {state_line(analysis.before)}")
        lines.append(f"  after:  {state_line(analysis.after)}")
    lines.append("")
    lines += findings_lines(analysis.findings, color, summary)
    lines += _comparison_lines(analysis, color, summary)
    if not summary and analysis.changes:
        lines.append(f"Changes ({len(analysis.changes)}):")
        lines += change_rows(analysis.changes)
        lines.append("")
    if analysis.notes:
        lines.append("Notes:")
        lines += [f"  - {n}" for n in analysis.notes]
        lines.append("")
    if analysis.commands:
        lines.append("Suggested:")
        lines += [f"  $ {c}" for c in analysis.commands]
        lines.append("")
    return lines


def render_text(
    analysis: Analysis, *, color: bool = False, summary: bool = False
) -> str:
    """The text report; the headline alone (and warnings) when nothing is found."""
    return finish(
        [headline(analysis), *body_lines(analysis, color=color, summary=summary)]
    )
