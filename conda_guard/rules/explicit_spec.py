"""``explicit-spec``: a package the user asked for by name is removed,
downgraded, moved to another channel, or no longer matches the spec.

The requested specs come from ``conda-meta/history`` (what ``conda env export
--from-history`` shows) or the input file's own specs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import ChangeKind, Severity
from .base import Rule, finding, record_evidence

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..models import Finding
    from .base import RuleContext

RULE = Rule("explicit-spec", Severity.MEDIUM, "a requested package is moved or removed")


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield one finding per requested package that moved against the request."""
    requested = ctx.before.explicit
    still = ctx.after.explicit
    for name, spec in sorted(requested.items()):
        change = ctx.by_name.get(name)
        if change is None:
            continue
        if change.kind is ChangeKind.REMOVED:
            if still and name not in still:
                continue  # the user asked for the removal
            yield finding(
                RULE,
                f"{name}, which you asked for ('{spec}'), is removed",
                [change],
                evidence=[record_evidence(change), f"requested spec: '{spec}'"],
            )
            continue
        after = change.after
        if after is None:
            continue
        current = still.get(name, spec) if still else spec
        if not ctx.satisfies(current, after):
            yield finding(
                RULE,
                f"{name} {after.version} {after.build} no longer matches your "
                f"request '{current}'",
                [change],
                severity=Severity.HIGH,
                evidence=[record_evidence(change), f"requested spec: '{current}'"],
                why=ctx.why(name),
            )
        elif current != spec:
            continue  # the new request asks for this package anew, and it holds
        elif change.has(ChangeKind.DOWNGRADED) or change.has(ChangeKind.CHANNEL_SWITCH):
            what = (
                "downgraded" if change.has(ChangeKind.DOWNGRADED) else "moved channel"
            )
            yield finding(
                RULE,
                f"{name}, which you asked for ('{spec}'), is {what}: "
                f"{change.before.label if change.before else ''} -> {after.label}",
                [change],
                evidence=[record_evidence(change), f"requested spec: '{spec}'"],
                why=ctx.why(name),
            )
