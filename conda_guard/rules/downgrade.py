"""``downgrade``: packages move to an older version.

conda's solvers downgrade silently to satisfy a request; each downgrade is
listed with the path from a requested spec that forced it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import ChangeKind, Severity
from .base import Rule, finding, record_evidence

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..models import Finding
    from .base import RuleContext

RULE = Rule("downgrade", Severity.LOW, "packages are downgraded")


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield one finding listing every downgrade not requested by the user."""
    down = [
        c
        for c in ctx.changes
        if c.has(ChangeKind.DOWNGRADED) and c.name not in ctx.before.explicit
    ]
    if not down:
        return
    yield finding(
        RULE,
        f"{len(down)} package(s) are downgraded: " + ", ".join(c.name for c in down),
        down,
        evidence=[record_evidence(c) for c in down],
        why=[w for c in down[:5] for w in ctx.why(c.name)],
    )
