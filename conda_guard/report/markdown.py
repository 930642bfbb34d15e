"""Markdown report for pull-request comments (lock-file updates, CI images)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .common import headline

if TYPE_CHECKING:
    from ..analysis import Analysis
    from ..models import Change, Finding


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _rec(rec) -> str:
    return f"`{rec.version} {rec.build}` ({rec.channel})" if rec else "—"


def _changes(changes: tuple[Change, ...]) -> list[str]:
    if not changes:
        return []
    rows = ["| package | change | before | after |", "|---|---|---|---|"]
    for c in changes:
        kind = ", ".join(str(t) for t in c.tags) or str(c.kind)
        before, after = _cell(_rec(c.before)), _cell(_rec(c.after))
        rows.append(f"| {_cell(c.name)} | {kind} | {before} | {after} |")
    return rows


def _findings(findings: tuple[Finding, ...]) -> list[str]:
    if not findings:
        return []
    rows = ["| severity | rule | finding |", "|---|---|---|"]
    rows += [
        f"| **{f.severity}** | `{f.rule}` | {_cell(f.message)} |" for f in findings
    ]
    details = []
    for f in findings:
        if not f.evidence and not f.why:
            continue
        details.append(f"<details><summary><code>{f.rule}</code>: evidence</summary>\n")
        details += [f"- {e}" for e in f.evidence]
        details += [f"- why: {w}" for w in f.why]
        details.append("\n</details>")
    return [*rows, "", *details]


def render_markdown(analysis: Analysis) -> str:
    """The report as GitHub-flavoured Markdown."""
    lines = [f"### {headline(analysis)}", ""]
    lines += _findings(analysis.findings)
    for comp in analysis.comparisons:
        lines += ["", f"#### {comp.label}", ""]
        lines += _findings(comp.analysis.findings) or ["No findings."]
    if analysis.changes:
        lines += ["", f"#### Changes ({len(analysis.changes)})", ""]
        lines += _changes(analysis.changes)
    if analysis.notes:
        lines += ["", "#### Notes", ""] + [f"- {n}" for n in analysis.notes]
    if analysis.commands:
        lines += ["", "```sh", *analysis.commands, "```"]
    return "\n".join(lines).rstrip() + "\n"
