"""``openmp-switch``: the OpenMP runtime of the environment changes (GNU ↔ LLVM).

``_openmp_mutex`` decides which runtime every OpenMP user loads; MKL pulls the
LLVM one. conda-forge supports the switch in both directions: LLVM's
``libomp`` also exports the GNU ``GOMP_*`` symbols, and the mutex makes every
package load the same runtime, so the switch alone breaks nothing a solver
allowed (``low``: worth knowing when threads or performance change; GNU
offloading, ``GOMP_target*``, is a stub in LLVM). ``high`` when a record of
the result still needs the runtime that went (its dependency no longer holds,
e.g. ``_openmp_mutex * *_llvm`` of MKL under a GNU mutex).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import Severity
from .base import Rule, finding, record_evidence, violation_evidence

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..models import Finding
    from .base import RuleContext

RULE = Rule("openmp-switch", Severity.LOW, "the OpenMP runtime flavour changes")


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding for each openmp-family change whose flavour differs."""
    for change in ctx.changes_in("openmp"):
        axis = change.variants.get("openmp")
        if not axis or not axis[0] or not axis[1]:
            continue
        violated = ctx.violations(change.name)
        text = (
            f"OpenMP runtime changes from {axis[0]} to {axis[1]} "
            f"({change.name} {change.before.build if change.before else ''} -> "
            f"{change.after.build if change.after else ''})"
        )
        if violated:
            names = ", ".join(sorted({r.name for r, _ in violated}))
            text += f": {names} still need the {axis[0]} runtime"
        yield finding(
            RULE,
            text,
            [change],
            severity=Severity.HIGH if violated else RULE.severity,
            evidence=[
                record_evidence(change),
                *violation_evidence(violated, f"{change.name} {axis[1]}"),
            ],
            why=ctx.why(change.name),
        )
