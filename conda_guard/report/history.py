"""``history`` reports: one analysis per revision of a prefix, in text (full, or
``--summary``: headline and findings), Markdown (one section per revision,
under the size limit) and JSON (schema 1, ``revisions``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from ..constants import REPORT_SCHEMA
from .common import headline, md_code, md_text, plural, severity_counts
from .fit import DEFAULT_LIMIT, Block, fit
from .json import render_json
from .markdown import analysis_blocks
from .text import body_lines, finish, indent

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..analysis import Analysis


class Revision(Protocol):
    """What the reports need of a history revision."""

    number: int
    date: str | None
    cmd: str | None


def _head(rev: Revision) -> str:
    return f"rev {rev.number}  {rev.date or ''}  {rev.cmd or ''}".rstrip()


def render_history_text(
    results: Sequence[tuple[Revision, Analysis]],
    *,
    color: bool = False,
    summary: bool = False,
) -> str:
    """Each revision's line, then its report indented (quiet when all is well)."""
    return "".join(
        render_revision_text(rev, analysis, color=color, summary=summary)
        for rev, analysis in results
    )


def render_revision_text(
    rev: Revision, analysis: Analysis, *, color: bool = False, summary: bool = False
) -> str:
    """One revision's line, then its report indented (the history streams these)."""
    body = [headline(analysis), *body_lines(analysis, color=color, summary=summary)]
    return finish([_head(rev), *indent([line.rstrip() for line in _trim(body)])])


def _trim(lines: list[str]) -> list[str]:
    while lines and not lines[-1]:
        lines.pop()
    return lines


def history_headline(prefix: str, results: Sequence[tuple[Revision, Any]]) -> str:
    """``conda-guard history of PREFIX: 1 finding (1 high) in 3 revisions``."""
    findings = tuple(f for _, a in results for f in a.findings)
    scope = f"in {plural(len(results), 'revision')}"
    if not findings:
        return f"conda-guard history of {prefix}: no findings {scope}"
    counts = ", ".join(f"{n} {s}" for s, n in severity_counts(findings).items())
    return (
        f"conda-guard history of {prefix}: "
        f"{plural(len(findings), 'finding')} ({counts}) {scope}"
    )


def render_history_markdown(
    prefix: str,
    results: Sequence[tuple[Revision, Analysis]],
    *,
    limit: int | None = DEFAULT_LIMIT,
) -> str:
    """One section per revision: its command, findings and folded changes."""
    blocks = [
        Block(head=(f"### {md_text(history_headline(prefix, results))}", "")),
        Block(notice=True),
    ]
    for rev, analysis in results:
        title = f"#### rev {rev.number}"
        if rev.date:
            title += f" — {md_text(rev.date)}"
        cmd = [md_code(rev.cmd, table=False), ""] if rev.cmd else []
        blocks.append(Block(head=(title, "", *cmd)))
        for block in analysis_blocks(analysis, level=5):
            if not block.notice:
                blocks.append(block)
    return fit(blocks, limit)


def render_history_json(
    prefix: str, results: Sequence[tuple[Revision, Analysis]]
) -> dict[str, Any]:
    """``{"schema": 1, "prefix": …, "revisions": [report + revision, date, cmd]}``."""
    return {
        "schema": REPORT_SCHEMA,
        "prefix": prefix,
        "revisions": [
            {"revision": r.number, "date": r.date, "cmd": r.cmd, **render_json(a)}
            for r, a in results
        ],
    }


__all__ = [
    "history_headline",
    "render_history_json",
    "render_history_markdown",
    "render_history_text",
    "render_revision_text",
]
