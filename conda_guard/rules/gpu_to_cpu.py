"""``gpu-to-cpu``: a GPU (CUDA) build is replaced by a CPU build, or the CUDA
runtime is removed under packages that still are CUDA builds.

The usual silent cause: the solver found no ``__cuda`` virtual package (no
driver detected, ``CONDA_OVERRIDE_CUDA=""``, a CI machine) or a CUDA build
conflicts with the request, and fell back to a CPU build.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import ChangeKind, Severity
from .base import Rule, dep_name, finding, record_evidence

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..models import Change, Finding, Record
    from .base import RuleContext

RULE = Rule("gpu-to-cpu", Severity.HIGH, "a CUDA build is replaced by a CPU build")


def _cuda_deps(rec: Record | None) -> list[str]:
    if rec is None:
        return []
    return [s for s in rec.depends if dep_name(s) == "__cuda" or "cuda" in dep_name(s)]


def _evidence(change: Change) -> list[str]:
    ev = [record_evidence(change)]
    lost = sorted(set(_cuda_deps(change.before)) - set(_cuda_deps(change.after)))
    if lost:
        ev.append(
            f"{change.name} {change.before.label if change.before else ''} depends "
            + ", ".join(f"'{s}'" for s in lost)
            + "; the new build does not"
        )
    return ev


def _primary(switched: list[Change], ctx: RuleContext) -> Change:
    """The change to name first: a requested package, else the one with most deps
    (``pytorch`` rather than its ``pytorch-mutex`` metapackage)."""
    return max(
        switched,
        key=lambda c: (
            c.name in ctx.explicit,
            len(c.after.depends) if c.after else 0,
            c.name,
        ),
    )


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield one finding for the CUDA → CPU switches and one for a removed runtime."""
    table = ctx.table
    switched = [
        c
        for c in ctx.changes
        if c.variants.get("gpu") == ("cuda", "cpu") and c.before and c.after
    ]
    if switched:
        main = _primary(switched, ctx)
        assert main.before and main.after
        others = [c.name for c in switched if c is not main]
        also = f"; {', '.join(others)} switches to CPU with it" if others else ""
        yield finding(
            RULE,
            f"{main.name} {main.before.version} {main.before.build} (CUDA) "
            f"is replaced by {main.after.version} {main.after.build} (CPU): "
            f"GPU support is lost{also}",
            [main, *(c for c in switched if c is not main)],
            evidence=[
                *(line for c in switched for line in _evidence(c)),
                (
                    "CPU builds win when the solver sees no '__cuda' virtual "
                    "package (no driver detected, CONDA_OVERRIDE_CUDA set empty) "
                    "or when a CUDA build conflicts with the request"
                ),
            ],
            why=ctx.why(main.name),
        )
    # CUDA runtime removed while CUDA builds stay.
    removed = [c for c in ctx.changes_in("cuda") if c.kind is ChangeKind.REMOVED]
    if not removed:
        return
    still_cuda = sorted(
        r.name for r in ctx.after if table.variants(r).get("gpu") == "cuda"
    )
    if still_cuda:
        yield finding(
            RULE,
            "the CUDA runtime ("
            + ", ".join(c.name for c in removed)
            + ") is removed while CUDA builds stay: "
            + ", ".join(still_cuda),
            removed,
            evidence=[record_evidence(c) for c in removed],
        )
