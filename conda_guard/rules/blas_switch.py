"""``blas-switch``: the environment's BLAS/LAPACK implementation changes
(OpenBLAS ↔ MKL ↔ BLIS ↔ netlib …).

The API stays, so nothing fails to link; numerics, threading (and its
environment variables) and speed change for every package using BLAS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import Severity
from .base import Rule, finding, record_evidence

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..abi import AbiTable
    from ..models import Finding, State
    from .base import RuleContext

RULE = Rule("blas-switch", Severity.MEDIUM, "the BLAS/LAPACK implementation changes")


def implementation(state: State, table: AbiTable) -> tuple[str | None, str | None]:
    """(implementation, name of the record that says so) for a state."""
    found: dict[str, str] = {}
    for rec in state:
        if table.family_of(rec.name) != "blas":
            continue
        impl = table.variants(rec).get("blas")
        if impl:
            found.setdefault(rec.name, impl)
    for name in sorted(found, key=lambda n: (n != "libblas", n != "blas", n)):
        return found[name], name
    return None, None


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield one finding when the BLAS implementation differs."""
    before, b_from = implementation(ctx.before, ctx.table)
    after, a_from = implementation(ctx.after, ctx.table)
    if not before or not after or before == after:
        return
    changes = ctx.changes_in("blas")
    evidence = [record_evidence(c) for c in changes]
    for c in changes:
        if c.after and c.after.track_features:
            evidence.append(
                f"{c.name} {c.after.label} has track_features "
                f"'{' '.join(c.after.track_features)}'"
            )
    for c in ctx.changes_in("openmp"):
        evidence.append(record_evidence(c))
    target = a_from or "libblas"
    yield finding(
        RULE,
        f"BLAS implementation changes from {before} to {after} "
        f"({b_from} {ctx.before.get(b_from).build if b_from else ''} -> "
        f"{a_from} {ctx.after.get(a_from).build if a_from else ''}): numerics, "
        f"threading and speed of every BLAS user change",
        changes,
        evidence=evidence,
        why=ctx.why(target),
    )
