"""``numpy-abi``: numpy crosses its C-API major version under compiled packages.

NumPy's ABI works forward only: an extension built against 1.x fails to import
under 2.x. conda-forge packages built against numpy 2 declare ``numpy ...,<3``;
a compiled package that stays while numpy moves to 2.x and whose numpy
dependency has no upper bound was not built against 2.x and nothing in its
metadata protects it. A record whose numpy spec excludes the new numpy is a
provable break.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import Severity
from .base import (
    Rule,
    crossed,
    finding,
    is_compiled,
    record_evidence,
    spec_has_upper_bound,
    violation_evidence,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..models import Finding
    from .base import RuleContext

RULE = Rule("numpy-abi", Severity.MEDIUM, "numpy crosses its C-API/ABI major version")


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield one finding per numpy-family package that crosses its ABI version."""
    for change in ctx.changes_in("numpy"):
        if not crossed(change, ctx.table):
            continue
        assert change.before and change.after
        name = change.name
        upgrade = change.has(change.kind.UPGRADED)
        violated = ctx.violations(name)
        unprotected = []
        if upgrade:
            for dep in ctx.dependents(name):
                rec = dep.record
                if not is_compiled(rec) or not ctx.stays(rec.name):
                    continue
                if not any(spec_has_upper_bound(s) for s in dep.specs):
                    unprotected.append(dep)
        evidence = [record_evidence(change)]
        evidence += violation_evidence(violated, f"{name} {change.after.version}")
        evidence += [
            f"{d.record.name} {d.record.label} stays installed and depends "
            + ", ".join(f"'{s}'" for s in d.specs)
            + f": no upper bound, so nothing stops {name} {change.after.version}; "
            f"packages built against {name} 2.x declare '<3'"
            for d in unprotected
        ]
        broken = sorted(
            {r.name for r, _ in violated} | {d.record.name for d in unprotected}
        )
        if broken:
            message = (
                f"{name} {change.before.version} -> {change.after.version} crosses the "
                f"NumPy C-API major version under compiled packages built against "
                f"the old one: {', '.join(broken)}"
            )
            severity = Severity.HIGH
        else:
            message = (
                f"{name} {change.before.version} -> {change.after.version} crosses the "
                f"NumPy C-API major version; compiled dependents in the result "
                f"declare support for it"
            )
            severity = RULE.severity
        yield finding(
            RULE,
            message,
            [change],
            severity=severity,
            evidence=evidence,
            why=ctx.why(name),
        )
