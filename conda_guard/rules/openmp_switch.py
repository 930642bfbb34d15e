"""``openmp-switch``: the OpenMP runtime of the environment changes (GNU ↔ LLVM).

``_openmp_mutex`` decides which runtime every OpenMP user loads; MKL pulls the
LLVM one. Objects built with clang cannot go back to GNU, and mixing runtimes in
one process deadlocks or crashes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import Severity
from .base import Rule, finding, record_evidence

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..models import Finding
    from .base import RuleContext

RULE = Rule("openmp-switch", Severity.MEDIUM, "the OpenMP runtime flavour changes")


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding for each openmp-family change whose flavour differs."""
    for change in ctx.changes_in("openmp"):
        axis = change.variants.get("openmp")
        if not axis or not axis[0] or not axis[1]:
            continue
        yield finding(
            RULE,
            f"OpenMP runtime changes from {axis[0]} to {axis[1]} "
            f"({change.name} {change.before.build if change.before else ''} -> "
            f"{change.after.build if change.after else ''})",
            [change],
            evidence=[record_evidence(change)],
            why=ctx.why(change.name),
        )
