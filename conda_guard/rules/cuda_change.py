"""``cuda-change``: the CUDA stack moves (cuda-version, cudatoolkit, cudnn, nccl,
or the CUDA version a GPU build was made for).

cudnn and nccl majors are soname changes; CUDA minors are compatible within a
major only from 11 on, so every move is worth a look before linking.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import ChangeKind, Severity, move_text
from .base import Rule, crossed, finding, record_evidence, violation_evidence

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..models import Finding
    from .base import RuleContext

RULE = Rule("cuda-change", Severity.MEDIUM, "the CUDA runtime or cuDNN/NCCL changes")


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield one finding listing the CUDA moves, high when a dependent is excluded."""
    moved = [
        c
        for c in ctx.changes_in("cuda")
        if c.kind is not ChangeKind.INSTALLED
        and c.kind is not ChangeKind.REMOVED
        and (crossed(c, ctx.table) or c.has(ChangeKind.VARIANT_SWITCH))
    ]
    moved += [
        c
        for c in ctx.changes
        if "cuda" in c.variants and all(c.variants["cuda"]) and c not in moved
    ]
    if not moved:
        return
    violated = [v for c in moved for v in ctx.violations(c.name)]
    evidence = [record_evidence(c) for c in moved]
    for c in moved:
        if "cuda" in c.variants:
            b, a = c.variants["cuda"]
            evidence.append(
                f"{c.name} was built for CUDA {b}, the new build for CUDA {a}"
            )
    evidence += violation_evidence(violated, "CUDA package")
    yield finding(
        RULE,
        "the CUDA stack changes: "
        + ", ".join(f"{c.name} {move_text(c.before, c.after)}" for c in moved),
        moved,
        severity=Severity.HIGH if violated else RULE.severity,
        evidence=evidence,
        why=[w for c in moved for w in ctx.why(c.name)],
    )
