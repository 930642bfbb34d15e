"""``cxx-runtime``: the C/C++ runtime (libstdcxx, libgcc, their ``-ng`` aliases,
``_libgcc_mutex``) moves backwards or changes flavour.

An upgrade is harmless (the runtime is backward compatible). A downgrade below
what an installed package was built with fails at import time with
"version `GLIBCXX_3.4.NN' not found"; the metadata proves it when a record
requires a newer runtime than the one being linked.
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
    "cxx-runtime", Severity.LOW, "the C/C++ runtime moves back or changes flavour"
)


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield findings for runtime downgrades and flavour changes."""
    for change in ctx.changes_in("cxx-runtime"):
        if change.before is None or change.after is None:
            continue
        if change.has(ChangeKind.DOWNGRADED):
            violated = ctx.violations(change.name)
            yield finding(
                RULE,
                f"{change.name} moves back from {change.before.version} to "
                f"{change.after.version}"
                + (
                    ": installed packages need the newer runtime"
                    if violated
                    else "; binaries built with the newer compiler may fail to load"
                ),
                [change],
                severity=Severity.HIGH if violated else RULE.severity,
                evidence=[
                    record_evidence(change),
                    *violation_evidence(
                        violated, f"{change.name} {change.after.version}"
                    ),
                ],
                why=ctx.why(change.name),
            )
        elif change.has(ChangeKind.CHANNEL_SWITCH) or change.has(
            ChangeKind.VARIANT_SWITCH
        ):
            yield finding(
                RULE,
                f"{change.name} changes flavour: {change.before.label} -> "
                f"{change.after.label}; the environment's runtime stack is swapped",
                [change],
                severity=Severity.MEDIUM,
                evidence=[record_evidence(change)],
                why=ctx.why(change.name),
            )
