"""Fit a Markdown report into a size limit (a GitHub comment holds 65,536
characters) by cutting what matters least first, and saying what was cut.

A report is a list of :class:`Block` objects. Each has fixed ``head`` and
``tail`` lines and ``items`` (table rows, evidence blocks) that may be cut,
and a ``rank``: blocks of the highest rank lose items first, all of that rank
evenly (each keeps at most ``k`` items, the largest ``k`` that fits), then the
next rank. A block that loses every item it had is dropped with its head and
tail. Each cut block ends with a line saying how many items it lost, and one
line at the top (the ``notice`` block) sums up what the report leaves out.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

#: GitHub's limit for an issue or pull-request comment body
GITHUB_COMMENT_LIMIT = 65_536
#: default size of ``--markdown``: room is left for a heading per file and the
#: comment action's marker when several reports share one comment
DEFAULT_LIMIT = 60_000


@dataclass(frozen=True)
class Block:
    """A part of the report; ``what`` names its items in the cut notice."""

    head: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    tail: tuple[str, ...] = ()
    rank: int = 0  # 0: never cut
    what: str = ""  # "changes", "evidence blocks", "findings" ...
    keep: int | None = None  # items kept (None: all)
    notice: bool = field(default=False)  # where the summary of cuts goes

    def lines(self, cut_text: str) -> list[str]:
        """The block's lines with ``keep`` items."""
        if self.notice:
            return [cut_text, ""] if cut_text else []
        kept = self.items if self.keep is None else self.items[: self.keep]
        if self.items and not kept and self.rank:
            return []
        out = [*self.head, *kept]
        lost = len(self.items) - len(kept)
        if lost:
            out += ["", f"_… {lost} more {self.what} not shown._"]
        return [*out, *self.tail]


def _lost(blocks: list[Block]) -> dict[str, tuple[int, int]]:
    """what → (items not shown, items in all)."""
    out: dict[str, tuple[int, int]] = {}
    for b in blocks:
        if not b.what or not b.items:
            continue
        kept = len(b.items) if b.keep is None else min(b.keep, len(b.items))
        gone, total = out.get(b.what, (0, 0))
        out[b.what] = (gone + len(b.items) - kept, total + len(b.items))
    return out


def _cut_text(blocks: list[Block], limit: int) -> str:
    parts = [
        f"{gone} of {total} {what}"
        for what, (gone, total) in _lost(blocks).items()
        if gone
    ]
    if not parts:
        return ""
    return (
        f"_Shortened to {limit:,} characters (a GitHub comment holds "
        f"{GITHUB_COMMENT_LIMIT:,}); not shown: {', '.join(parts)}. "
        "The text report and `--json` have everything._"
    )


def render(blocks: list[Block], limit: int | None = None) -> str:
    """The Markdown of ``blocks`` as they are (``keep`` applied)."""
    cut = _cut_text(blocks, limit or 0) if limit else ""
    lines: list[str] = []
    for b in blocks:
        lines += b.lines(cut)
    return "\n".join(lines).rstrip() + "\n"


def _with_keep(blocks: list[Block], rank: int, k: int) -> list[Block]:
    return [replace(b, keep=k) if b.rank == rank and b.items else b for b in blocks]


def fit(blocks: list[Block], limit: int | None) -> str:
    """The Markdown of ``blocks`` in at most ``limit`` characters (None: no limit)."""
    text = render(blocks)
    if not limit or len(text) <= limit:
        return text
    for rank in sorted({b.rank for b in blocks if b.rank}, reverse=True):
        most = max(len(b.items) for b in blocks if b.rank == rank)
        lo, hi = -1, most  # lo: largest k known to fit (-1: none)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if len(render(_with_keep(blocks, rank, mid), limit)) <= limit:
                lo = mid
            else:
                hi = mid - 1
        blocks = _with_keep(blocks, rank, max(lo, 0))
        if lo >= 0:
            return render(blocks, limit)
    text = render(blocks, limit)
    if len(text) <= limit:
        return text
    # what is never cut (headline, warnings) is itself too long
    tail = "\n\n_… cut at the size limit._\n"
    return text[: limit - len(tail)] + tail
