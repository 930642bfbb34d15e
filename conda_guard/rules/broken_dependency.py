"""``broken-dependency``: a record in the result needs something the result
does not provide — a removed package, or a version its spec excludes.

A solver never produces this; explicit files, lock files, ``--force``,
``--no-deps`` and pip do. It is a provable break. Families with their own rule
report their own violations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import ChangeKind, Severity
from .base import Rule, finding, record_evidence, violation_evidence

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..models import Finding
    from .base import RuleContext

RULE = Rule(
    "broken-dependency", Severity.HIGH, "a package's dependency is removed or excluded"
)

#: Families whose rules report their own dependency violations.
_OWN_RULES = frozenset({"numpy", "python", "openssl", "cxx-runtime", "cuda"})


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield one finding per changed package that leaves a dependent unsatisfied."""
    for change in ctx.changes:
        if ctx.table.family_of(change.name) in _OWN_RULES:
            continue
        if change.kind is ChangeKind.REMOVED:
            users = [
                (d.record, s) for d in ctx.dependents(change.name) for s in d.specs
            ]
            if not users:
                continue
            names = sorted({r.name for r, _ in users})
            verb = "depends" if len(names) == 1 else "depend"
            yield finding(
                RULE,
                f"{change.name} is removed but {', '.join(names)} still {verb} on it",
                [change],
                evidence=[
                    record_evidence(change),
                    *(f"{r.name} {r.label} depends '{s}'" for r, s in users),
                ],
            )
            continue
        if change.after is None:
            continue
        violated = ctx.violations(change.name)
        if violated:
            yield finding(
                RULE,
                f"{change.name} {change.after.version} {change.after.build} does not "
                f"satisfy " + ", ".join(sorted({r.name for r, _ in violated})),
                [change],
                evidence=[
                    record_evidence(change),
                    *violation_evidence(
                        violated, f"{change.name} {change.after.version}"
                    ),
                ],
                why=ctx.why(change.name),
            )
