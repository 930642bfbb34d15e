"""``channel-mix``: packages switch channel, or compiled packages that link each
other come from different channels.

conda-forge and defaults build with different toolchains, runtimes and BLAS
defaults; binaries from one are not made to run against the other's. conda's
own report shows most of this as "SUPERSEDED" or not at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import ChangeKind, Severity
from .base import Rule, dep_name, finding, is_compiled, record_evidence

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..models import Finding, Record, State
    from .base import RuleContext

RULE = Rule("channel-mix", Severity.MEDIUM, "packages switch or mix channels")


def mixed_pairs(state: State) -> set[tuple[str, str]]:
    """(dependent, dependency) pairs of compiled records from different channels."""
    pairs = set()
    for rec in state:
        if not is_compiled(rec) or not rec.channel:
            continue
        for spec in rec.depends:
            dep = state.get(dep_name(spec))
            if dep is None or not is_compiled(dep) or not dep.channel:
                continue
            if dep.channel != rec.channel:
                pairs.add((rec.name, dep.name))
    return pairs


def _sensitive(ctx: RuleContext, name: str) -> bool:
    return ctx.table.family_of(name) is not None or ctx.table.pin(name) is not None


def _pair_line(a: Record, b: Record) -> str:
    return f"{a.name} {a.label} depends on {b.name} {b.label}"


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield findings for channel switches and newly mixed compiled pairs."""
    switched = [c for c in ctx.changes if c.has(ChangeKind.CHANNEL_SWITCH)]
    for sensitive in (True, False):
        group = [c for c in switched if _sensitive(ctx, c.name) is sensitive]
        if not group:
            continue
        channels = sorted(
            {
                f"{c.before.channel} -> {c.after.channel}"
                for c in group
                if c.before and c.after
            }
        )
        yield finding(
            RULE,
            f"{len(group)} {'ABI-sensitive ' if sensitive else ''}package(s) switch "
            f"channel ({'; '.join(channels)}): " + ", ".join(c.name for c in group),
            group,
            severity=RULE.severity if sensitive else Severity.LOW,
            evidence=[record_evidence(c) for c in group],
        )
    new_pairs = sorted(
        (a, b)
        for a, b in mixed_pairs(ctx.after) - mixed_pairs(ctx.before)
        if ctx.known_before(a)
    )
    if not new_pairs:
        return
    involved = sorted({n for pair in new_pairs for n in pair})
    changes = [ctx.by_name[n] for n in involved if n in ctx.by_name]
    sensitive = any(_sensitive(ctx, n) for pair in new_pairs for n in pair)
    lines = [_pair_line(ctx.after.get(a), ctx.after.get(b)) for a, b in new_pairs]
    yield finding(
        RULE,
        "compiled packages from different channels now link each other: "
        + "; ".join(f"{a} -> {b}" for a, b in new_pairs[:5])
        + (" …" if len(new_pairs) > 5 else ""),
        changes,
        severity=RULE.severity if sensitive else Severity.LOW,
        evidence=lines,
        why=[w for n in involved if n in ctx.by_name for w in ctx.why(n)],
    )
