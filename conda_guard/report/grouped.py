"""The grouped report of every environment and platform of two lock files:
text, Markdown and JSON of a :class:`~conda_guard.grouped.GroupedAnalysis`.

One headline for the whole run; then one section per group of pairs with the
same changes and findings (worst first); then the pairs only one file has and
the unchanged ones. Quiet like the single report: with no finding and no
warning, the text report is its headline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import __version__
from ..constants import REPORT_SCHEMA
from .common import md_text, plural, severity_counts
from .fit import DEFAULT_LIMIT, Block, fit
from .json import body_json
from .markdown import changes_block, findings_blocks
from .text import change_rows, findings_lines, finish

if TYPE_CHECKING:
    from ..grouped import GroupedAnalysis, Key

__all__ = ["grouped_headline", "render_grouped_json", "render_grouped_markdown"]


def grouped_headline(g: GroupedAnalysis) -> str:
    """``conda-guard: 2 findings (1 high, 1 medium) in 3 of 134 …``."""
    findings = g.findings()
    changed = sum(len(x.keys) for x in g.groups)
    scope = (
        f"{changed} of {plural(g.pairs, 'environment/platform pair')} changed"
        f" ({plural(g.changes(), 'change')})"
    )
    if not findings:
        return f"conda-guard: no findings; {scope}"
    counts = ", ".join(f"{n} {s}" for s, n in severity_counts(findings).items())
    return f"conda-guard: {plural(len(findings), 'finding')} ({counts}); {scope}"


def _side(states) -> str:
    bits = [states.kind]
    if states.environments:
        bits.append(plural(states.environments, "environment"))
    bits.append(plural(states.pairs, "environment/platform pair"))
    return f"{states.source} ({', '.join(bits)})"


def _keys(keys: tuple[Key, ...]) -> str:
    from ..grouped import keys_label

    return keys_label(keys) if keys else "none"


def _group_title(group) -> str:
    sub = group.analysis
    found = plural(len(sub.findings), "finding") if sub.findings else "no findings"
    return f"{group.label}: {plural(len(sub.changes), 'change')}, {found}"


def render_grouped_text(
    g: GroupedAnalysis, *, color: bool = False, summary: bool = False
) -> str:
    """The text report; the headline alone when nothing is found."""
    lines: list[str] = [grouped_headline(g)]
    lines += [f"  warning: {w}" for w in g.warnings]
    if not g.findings() and not any(x.analysis.warnings for x in g.groups):
        return finish(lines)
    if not summary:
        lines += [f"  before: {_side(g.before)}", f"  after:  {_side(g.after)}"]
    lines.append("")
    for group in g.groups:
        sub = group.analysis
        if summary and not sub.findings and not sub.warnings:
            continue
        lines.append("== " + _group_title(group))
        lines += [f"  warning: {w}" for w in sub.warnings]
        lines += findings_lines(sub.findings, color, summary)
        if not summary and sub.changes:
            lines.append(f"Changes ({len(sub.changes)}):")
            lines += change_rows(sub.changes)
            lines.append("")
    if g.only_before:
        lines.append(f"Only in {g.before.source}: {_keys(g.only_before)}")
    if g.only_after:
        lines.append(f"Only in {g.after.source}: {_keys(g.only_after)}")
    if not summary and g.unchanged:
        lines.append(f"Unchanged: {_keys(g.unchanged)}")
    return finish(lines)


def render_grouped_markdown(
    g: GroupedAnalysis, *, limit: int | None = DEFAULT_LIMIT, level: int = 3
) -> str:
    """GitHub Markdown, one section per group, under ``limit`` characters; the
    headline is a heading of ``level``, the groups one level below."""
    h = "#" * level
    blocks = [Block(head=(f"{h} {md_text(grouped_headline(g))}", ""))]
    blocks += [Block(head=(f"> **Warning:** {md_text(w)}", "")) for w in g.warnings]
    blocks.append(Block(notice=True))
    for group in g.groups:
        sub = group.analysis
        blocks.append(Block(head=(f"{h}# {md_text(_group_title(group))}", "")))
        blocks += [
            Block(head=(f"> **Warning:** {md_text(w)}", "")) for w in sub.warnings
        ]
        blocks += findings_blocks(sub.findings, rank_rows=1, rank_evidence=3)
        if sub.changes:
            blocks.append(changes_block(sub.changes, rank=4))
    rest = []
    if g.only_before:
        rest.append(
            f"- only in {md_text(g.before.source)}: {md_text(_keys(g.only_before))}"
        )
    if g.only_after:
        rest.append(
            f"- only in {md_text(g.after.source)}: {md_text(_keys(g.only_after))}"
        )
    if g.unchanged:
        rest.append(f"- unchanged: {md_text(_keys(g.unchanged))}")
    if rest:
        blocks.append(
            Block(
                head=(f"{h}# Other pairs", ""), items=tuple(rest), rank=5, what="lists"
            )
        )
    return fit(blocks, limit)


def _key_json(key: Key) -> dict[str, str]:
    return {"environment": key[0], "platform": key[1]}


def render_grouped_json(g: GroupedAnalysis) -> dict[str, Any]:
    """The grouped report as a JSON-serialisable dict (schema 1, ``groups``)."""
    groups = []
    for group in g.groups:
        body = body_json(group.analysis)
        body["summary"] = {
            "changes": len(group.analysis.changes),
            "findings": severity_counts(group.analysis.findings),
        }
        groups.append({"pairs": [_key_json(k) for k in group.keys], **body})
    return {
        "schema": REPORT_SCHEMA,
        "tool": f"conda-guard {__version__}",
        "before": g.before.describe(),
        "after": g.after.describe(),
        "groups": groups,
        "unchanged": [_key_json(k) for k in g.unchanged],
        "only_before": [_key_json(k) for k in g.only_before],
        "only_after": [_key_json(k) for k in g.only_after],
        "warnings": list(g.warnings),
        "summary": {
            "pairs": g.pairs,
            "changed": sum(len(x.keys) for x in g.groups),
            "changes": g.changes(),
            "findings": severity_counts(g.findings()),
        },
    }
