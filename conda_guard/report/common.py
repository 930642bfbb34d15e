"""Counting, wording and escaping shared by the renderers.

Everything a report prints that came from an input (names, versions, builds,
channels, paths, messages quoting them) goes through :func:`escape` (text) or
:func:`md_text`/:func:`md_code` (Markdown), so a record cannot move the cursor,
ring the bell, recolour the terminal or break out of a Markdown code span.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..models import Severity, move_text

__all__ = [
    "escape",
    "headline",
    "md_code",
    "md_text",
    "move_text",
    "plural",
    "severity_counts",
    "state_line",
]

if TYPE_CHECKING:
    from ..analysis import Analysis
    from ..models import Finding

#: C0 controls (tab and newline included: every item is one line), DEL, C1
#: controls, Unicode line/paragraph separators and the bidirectional
#: embedding/override/isolate marks ("Trojan Source").
_UNSAFE_RE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
#: Markdown text: HTML and inline markup characters, the backslash first
#: (a chain of str.replace is several times faster than str.translate here)
_MD_TEXT = (
    ("\\", "\\\\"),
    ("&", "&amp;"),
    ("<", "&lt;"),
    *((c, "\\" + c) for c in "`*_[]|~"),
)
BACKTICKS_RE = re.compile(r"`+")


def _escape_char(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(text: object) -> str:
    """``text`` with control and bidi characters shown as ``\\xNN``/``\\uNNNN``."""
    s = str(text)
    if s.isprintable():  # the common case, in C: none of them is printable
        return s
    return _UNSAFE_RE.sub(_escape_char, s)


def md_text(text: object) -> str:
    """Plain Markdown text (never at a line start): controls, HTML, inline markup
    characters escaped. ``>`` stays: it cannot open a tag, and mid-line it does
    not quote."""
    s = escape(text)
    for char, escaped in _MD_TEXT:
        s = s.replace(char, escaped)
    return s


def md_code(text: object, *, table: bool = True) -> str:
    """A Markdown code span holding ``text`` verbatim, backticks included.

    The fence is one backtick longer than the longest run inside (CommonMark);
    a span starting or ending with a backtick is padded with spaces. ``|`` is
    escaped for table cells (GitHub reads ``\\|`` as ``|`` inside code spans
    there), unless ``table`` is false.
    """
    s = escape(text)
    if table:
        s = s.replace("|", "\\|")
    if "`" not in s:
        return f"`{s}`"
    fence = "`" * (max(len(r) for r in BACKTICKS_RE.findall(s)) + 1)
    if s.startswith("`") or s.endswith("`"):
        s = f" {s} "
    return f"{fence}{s}{fence}"


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
