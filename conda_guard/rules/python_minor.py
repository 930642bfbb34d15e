"""``python-minor``: Python changes its minor version or ABI flavour.

Every compiled package is built for one ``python_abi``; conda relinks noarch
packages, but pip-installed distributions stay behind in the old
``lib/pythonX.Y/site-packages`` and are invisible to the new interpreter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import Severity
from .base import Rule, crossed, finding, record_evidence, violation_evidence

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..models import Finding
    from .base import RuleContext

RULE = Rule("python-minor", Severity.MEDIUM, "Python changes minor version or ABI")


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield one finding when python (or python_abi's flavour) moves."""
    changes = ctx.changes_in("python")
    moved = [c for c in changes if crossed(c, ctx.table) or "python" in c.variants]
    if not moved:
        return
    main = next((c for c in moved if c.name == "python"), moved[0])
    if main.before is None or main.after is None:
        return
    evidence = [record_evidence(c) for c in changes]
    violated = [v for c in changes for v in ctx.violations(c.name)]
    evidence += violation_evidence(violated, "python")
    pips = sorted(
        (r for r in ctx.before if r.pip and ctx.after.get(r.name) == r),
        key=lambda r: r.name,
    )
    if pips:
        evidence.append(
            f"{len(pips)} pip-installed distribution(s) stay in the old "
            f"site-packages and will not be seen by python {main.after.version}: "
            + ", ".join(f"{r.name} {r.version}" for r in pips)
        )
    old = f"{main.before.version} {main.before.build}"
    new = f"{main.after.version} {main.after.build}"
    if violated or pips:
        severity = Severity.HIGH
        lost = sorted({r.name for r, _ in violated} | {r.name for r in pips})
        message = (
            f"{main.name} {old} -> {new} changes the Python ABI; these packages "
            f"were built or installed for the old one: {', '.join(lost)}"
        )
    else:
        severity = RULE.severity
        message = (
            f"{main.name} {old} -> {new} changes the Python ABI; every compiled "
            f"package is replaced by a build for the new one"
        )
    yield finding(
        RULE,
        message,
        moved,
        severity=severity,
        evidence=evidence,
        why=ctx.why(main.name),
    )
