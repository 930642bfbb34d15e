"""``openssl-major``: OpenSSL crosses an ABI version (1.0 → 1.1 → 3, or back).

Every package linked against ``libssl.so.1.1`` needs a build for 3.x. Those
builds carry openssl's run_exports bound (``openssl >=1.1.1l,<1.1.2a``,
``openssl >=3.0.0,<4.0a0``), so the proof is in the depends:

- ``high`` when a record of the result excludes the new openssl (a dependency
  that no longer holds: it was built for the old one);
- ``low`` otherwise: every package that depends on openssl accepts the new one
  (the usual re-solve, where all of them are swapped with it), or the records
  carry no dependencies (an @EXPLICIT file) and nothing can be seen either way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import Severity
from .base import Rule, crossed, finding, record_evidence, violation_evidence

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..models import Finding
    from .base import RuleContext

RULE = Rule("openssl-major", Severity.LOW, "OpenSSL crosses an ABI version")


def _tail(ctx: RuleContext, violated: list) -> str:
    if violated:
        names = ", ".join(sorted({r.name for r, _ in violated}))
        return f": {names} still need the old one"
    if ctx.depends_partial:
        return (
            "; the packages whose dependencies are known accept the new one (a "
            "history revision has none for packages no longer installed)"
        )
    if ctx.depends_known:
        return "; every package that depends on openssl accepts the new one"
    return (
        "; the records carry no dependencies, so which packages link it cannot be seen"
    )


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield one finding per openssl-family package that crosses its ABI version."""
    for change in ctx.changes_in("openssl"):
        if not crossed(change, ctx.table):
            continue
        assert change.before and change.after
        violated = ctx.violations(change.name)
        direction = "downgrade" if change.has(change.kind.DOWNGRADED) else "upgrade"
        yield finding(
            RULE,
            f"{change.name} {change.before.version} -> {change.after.version} "
            f"({direction}) crosses the OpenSSL ABI" + _tail(ctx, violated),
            [change],
            severity=Severity.HIGH if violated else RULE.severity,
            evidence=[
                record_evidence(change),
                *violation_evidence(violated, f"{change.name} {change.after.version}"),
            ],
            why=ctx.why(change.name),
        )
