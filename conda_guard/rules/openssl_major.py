"""``openssl-major``: OpenSSL crosses an ABI version (1.0 → 1.1 → 3, or back).

Every package linked against ``libssl.so.1.1`` needs a rebuild for 3.x; a
record whose openssl spec excludes the new version is a provable break.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import Severity
from .base import Rule, crossed, finding, record_evidence, violation_evidence

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..models import Finding
    from .base import RuleContext

RULE = Rule("openssl-major", Severity.MEDIUM, "OpenSSL crosses an ABI version")


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
            f"({direction}) crosses the OpenSSL ABI"
            + (
                ": "
                + ", ".join(sorted({r.name for r, _ in violated}))
                + " still need the old one"
                if violated
                else "; every package linking libssl/libcrypto is swapped with it"
            ),
            [change],
            severity=Severity.HIGH if violated else RULE.severity,
            evidence=[
                record_evidence(change),
                *violation_evidence(violated, f"{change.name} {change.after.version}"),
            ],
            why=ctx.why(change.name),
        )
