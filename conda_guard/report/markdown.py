"""Markdown report for pull-request comments (lock-file updates, CI images).

GitHub-flavoured: a findings table, each finding's evidence folded in a
``<details>``, the change table folded too, and the whole kept under a size
limit (:mod:`.fit`: a GitHub comment holds 65,536 characters) by cutting the
change rows first, then evidence, then findings, saying what was cut. Every
value from the input is escaped (:func:`.common.md_text`, :func:`.common.md_code`).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from .common import BACKTICKS_RE, escape, headline, md_code, md_text
from .fit import DEFAULT_LIMIT, Block, fit

if TYPE_CHECKING:
    from ..analysis import Analysis
    from ..models import Change, Finding, Record

__all__ = ["DEFAULT_LIMIT", "analysis_blocks", "render_markdown"]

FINDINGS_HEAD = ("| severity | rule | finding |", "|---|---|---|")
CHANGES_HEAD = ("| package | change | before | after |", "|---|---|---|---|")


def _rec(rec: Record | None) -> str:
    if rec is None:
        return "—"
    text = md_code(f"{rec.version} {rec.build}".strip())
    return f"{text} ({md_text(rec.channel)})" if rec.channel else text


def change_row(c: Change) -> str:
    """One row of the change table."""
    kind = ", ".join(str(t) for t in c.tags) or str(c.kind)
    if c.variants:
        kind += "; " + ", ".join(
            f"{axis}: {b or '-'} → {a or '-'}" for axis, (b, a) in c.variants.items()
        )
    return (
        f"| {md_text(c.name)} | {md_text(kind)} | {_rec(c.before)} | {_rec(c.after)} |"
    )


def finding_row(f: Finding) -> str:
    """One row of the findings table."""
    return f"| **{f.severity}** | `{f.rule}` | {md_text(f.message)} |"


def evidence_block(f: Finding) -> str | None:
    """A folded list of the packages, evidence and why of one finding."""
    if not f.evidence and not f.why and not f.packages:
        return None
    names = ", ".join(p.name for p in f.packages[:4])
    if len(f.packages) > 4:
        names += ", …"
    title = f"<code>{f.rule}</code>" + (
        f": {html.escape(escape(names))}" if names else ""
    )
    lines = [f"<details><summary>{title}</summary>", ""]
    lines += [
        f"- {md_text(p.name)}: {_rec(p.before)} → {_rec(p.after)}" for p in f.packages
    ]
    lines += [f"- {md_text(e)}" for e in f.evidence]
    lines += [f"- why: {md_text(w)}" for w in f.why]
    return "\n".join([*lines, "", "</details>", ""])


def findings_blocks(
    findings: tuple[Finding, ...], *, rank_rows: int, rank_evidence: int
) -> list[Block]:
    """The findings table and the evidence under it."""
    if not findings:
        return []
    evidence = tuple(b for f in findings if (b := evidence_block(f)))
    out = [
        Block(
            head=FINDINGS_HEAD,
            items=tuple(finding_row(f) for f in findings),
            tail=("",),
            rank=rank_rows,
            what="findings",
        )
    ]
    if evidence:
        out.append(Block(items=evidence, rank=rank_evidence, what="evidence blocks"))
    return out


def changes_block(changes: tuple[Change, ...], *, rank: int, title: str = "") -> Block:
    """The change table, folded."""
    summary = title or f"Changes ({len(changes)})"
    return Block(
        head=(f"<details><summary>{summary}</summary>", "", *CHANGES_HEAD),
        items=tuple(change_row(c) for c in changes),
        tail=("", "</details>", ""),
        rank=rank,
        what="changes",
    )


def _fenced(lines: tuple[str, ...], lang: str = "sh") -> tuple[str, ...]:
    """A fenced code block longer than any backtick run inside it."""
    body = [escape(line) for line in lines]
    runs = [len(r) for line in body for r in BACKTICKS_RE.findall(line)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return (f"{fence}{lang}", *body, fence, "")


def analysis_blocks(analysis: Analysis, level: int = 3) -> list[Block]:
    """The blocks of one analysis; headings start at ``level``."""
    h = "#" * level
    blocks = [Block(head=(f"{h} {md_text(headline(analysis))}", ""))]
    if analysis.warnings:
        blocks.append(
            Block(
                head=tuple(f"> **Warning:** {md_text(w)}" for w in analysis.warnings)
                + ("",)
            )
        )
    blocks.append(Block(notice=True))
    blocks += findings_blocks(analysis.findings, rank_rows=1, rank_evidence=3)
    for comp in analysis.comparisons:
        blocks.append(Block(head=(f"{h}# {md_text(comp.label)}", "")))
        sub = comp.analysis.findings
        blocks += findings_blocks(sub, rank_rows=2, rank_evidence=3) or [
            Block(head=("No findings.", ""))
        ]
    if analysis.changes:
        blocks.append(changes_block(analysis.changes, rank=4))
    if analysis.notes:
        blocks.append(
            Block(
                head=(f"{h}# Notes", ""),
                items=tuple(f"- {md_text(n)}" for n in analysis.notes),
                tail=("",),
                rank=2,
                what="notes",
            )
        )
    if analysis.commands:
        blocks.append(Block(head=_fenced(analysis.commands)))
    return blocks


def render_markdown(
    analysis: Analysis, *, limit: int | None = DEFAULT_LIMIT, level: int = 3
) -> str:
    """The report as GitHub-flavoured Markdown, at most ``limit`` characters;
    its headline is a heading of ``level``."""
    return fit(analysis_blocks(analysis, level), limit)
