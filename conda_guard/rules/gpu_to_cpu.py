"""``gpu-to-cpu``: a GPU (CUDA) build is replaced by a CPU build.

The usual silent cause: the solver found no ``__cuda`` virtual package (no
driver detected, ``CONDA_OVERRIDE_CUDA=""``, a CI machine) or a CUDA build
conflicts with the request, and fell back to a CPU build.

A build is a CUDA build by its build string (``cuda120…``, ``gpu_py38…``), its
name (``faiss-gpu``), a selector it depends on (``pytorch-mutex 1.0 cuda``,
``_tflow_select 2.1.0 gpu``, ``_py-xgboost-mutex 2.0 gpu_0``) or a dependency
on the CUDA stack (``__cuda``, ``cudatoolkit``, ``cuda-*``, ``cudnn``,
``nccl``, ``libcublas`` …). The switch is proven (``high``) when the new
build is marked CPU, or when its dependencies are known and none of them
(nor the builds they pin) is CUDA. From an @EXPLICIT file (no dependencies)
a CUDA build replaced by an unmarked one is ``medium``: it cannot be proven.

A CUDA package that leaves is no finding of this rule when the records carry
dependencies: ``broken-dependency`` reports one that a package still needs,
and anything else (the compiler and headers, a metapackage whose library
stays, the CUDA 11 → 12 split of ``cudatoolkit``, a library nothing uses) is
no loss. Without dependencies, such a removal under CUDA builds that stay is
``low`` — a solver keeps what stays satisfied, so it is seldom a break, and it
cannot be proven either way — minus the toolchain and the split packages
(``abi_families.json`` lists both).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import ChangeKind, Severity
from .base import Rule, dep_name, finding, record_evidence

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..abi import AbiTable
    from ..models import Change, Finding, Record, State
    from .base import RuleContext

RULE = Rule("gpu-to-cpu", Severity.HIGH, "a CUDA build is replaced by a CPU build")

_CAUSE = (
    "CPU builds win when the solver sees no '__cuda' virtual package (no driver "
    "detected, CONDA_OVERRIDE_CUDA set empty) or when a CUDA build conflicts "
    "with the request"
)


def _is_cuda(spec: str, table: AbiTable) -> bool:
    """True for a dependency on the CUDA stack or the ``__cuda`` virtual package."""
    name = dep_name(spec)
    return table.family_of(name) == "cuda" or name == table.note("cuda", "virtual")


def cuda_deps(rec: Record | None, table: AbiTable) -> list[str]:
    """The record's dependencies on the CUDA stack (``__cuda`` and the cuda family)."""
    if rec is None:
        return []
    return [s for s in rec.depends if _is_cuda(s, table)]


def uses_cuda(rec: Record, state: State, table: AbiTable, depth: int = 2) -> bool:
    """True when ``rec`` depends on CUDA, itself or through a CUDA build it pins.

    A metapackage (``magma``, defaults' ``tensorflow``) is CUDA when the build
    it depends on is.
    """
    if cuda_deps(rec, table):
        return True
    for spec in rec.depends:
        dep = state.get(dep_name(spec))
        if dep is None or table.family_of(dep.name) == "cuda":
            continue
        if table.variants(dep).get("gpu") == "cuda":
            return True
        if depth > 1 and uses_cuda(dep, state, table, depth - 1):
            return True
    return False


def _gpu(rec: Record, table: AbiTable) -> str | None:
    return table.variants(rec).get("gpu")


def _classify(c: Change, ctx: RuleContext) -> Severity | None:
    """How sure the switch of one change is: HIGH proven, MEDIUM/LOW suspected."""
    table = ctx.table
    b, a = c.before, c.after
    if b is None or a is None or table.family_of(c.name) == "cuda":
        return None
    # a CUDA build by its own marker or its own CUDA dependencies (a package
    # that only depends on a CUDA build, like jax on jaxlib, is not one)
    was = _gpu(b, table) == "cuda" or any(_is_cuda(s, table) for s in b.depends)
    if not was:
        return None
    now = _gpu(a, table)
    if now == "cpu":
        return Severity.HIGH
    if now == "cuda":
        return None
    if not a.depends:  # an explicit file: what the new build is cannot be seen
        return None if ctx.depends_known else Severity.MEDIUM
    if uses_cuda(a, ctx.after, table):
        return None
    if _gpu(b, table) == "cuda" or table.family_of(c.name) == "gpu":
        return Severity.HIGH
    return Severity.LOW  # CUDA dependencies gone from an unflavoured package


def _evidence(c: Change, ctx: RuleContext, sure: Severity) -> list[str]:
    assert c.before and c.after
    ev = [record_evidence(c)]
    lost = sorted(
        set(cuda_deps(c.before, ctx.table)) - set(cuda_deps(c.after, ctx.table))
    )
    if lost:
        ev.append(
            f"{c.name} {c.before.label} depends "
            + ", ".join(f"'{s}'" for s in lost)
            + "; the new build does not"
        )
    if sure is not Severity.MEDIUM and _gpu(c.after, ctx.table) != "cpu":
        ev.append(
            f"{c.name} {c.after.label} depends on no CUDA package "
            f"(nor on a CUDA build): "
            + (", ".join(f"'{s}'" for s in c.after.depends[:8]))
            + (" …" if len(c.after.depends) > 8 else "")
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
            -len(c.name),  # tensorflow rather than tensorflow-base
            c.name,
        ),
    )


def _message(main: Change, sure: Severity, also: str, table: AbiTable) -> str:
    assert main.before and main.after
    old = f"{main.name} {main.before.version} {main.before.build} (CUDA)"
    new = f"{main.after.version} {main.after.build}"
    if sure is Severity.MEDIUM:
        return (
            f"{old} is replaced by {new}, a build without a CUDA marker; the "
            f"records carry no dependencies, so whether it still uses CUDA cannot "
            f"be proven{also}"
        )
    if _gpu(main.after, table) == "cpu":
        return f"{old} is replaced by {new} (CPU): GPU support is lost{also}"
    return (
        f"{old} is replaced by {new}, a build that depends on no CUDA package: "
        f"GPU support is lost{also}"
    )


def _removed_runtime(ctx: RuleContext) -> list[Change]:
    """CUDA packages that leave and are neither toolchain nor split into others.

    Only asked when dependencies are unknown (with them, ``broken-dependency``
    proves what a removal breaks).
    """
    table = ctx.table
    out = []
    for c in ctx.changes_in("cuda"):
        if c.kind is not ChangeKind.REMOVED or table.name_in(
            "cuda", "toolchain", c.name
        ):
            continue
        if any(n in ctx.after for n in table.provided_by("cuda", c.name)):
            continue
        out.append(c)
    return out


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield one finding for the CUDA → CPU switches (and a removed runtime)."""
    table = ctx.table
    sure = {c.name: s for c in ctx.changes if (s := _classify(c, ctx)) is not None}
    removed = [] if ctx.depends_known else _removed_runtime(ctx)
    removed_lines = [record_evidence(c) for c in removed]
    for level in (Severity.HIGH, Severity.MEDIUM, Severity.LOW):
        switched = [c for c in ctx.changes if sure.get(c.name) is level]
        if not switched:
            continue
        main = _primary(switched, ctx)
        others = [c.name for c in switched if c is not main]
        also = ""
        if others:
            verb = "switches to CPU with it" if level is Severity.HIGH else "likewise"
            also = f"; {', '.join(others)} {verb}"
        yield finding(
            RULE,
            _message(main, level, also, table),
            [main, *(c for c in switched if c is not main)],
            severity=level,
            evidence=[
                *(line for c in switched for line in _evidence(c, ctx, level)),
                *removed_lines,
                _CAUSE,
            ],
            why=ctx.why(main.name),
        )
        removed_lines = []
    if not removed_lines:
        return
    still = sorted(
        r.name
        for r in ctx.after
        if table.family_of(r.name) != "cuda" and _gpu(r, table) == "cuda"
    )
    if still:
        yield finding(
            RULE,
            ", ".join(c.name for c in removed)
            + " (CUDA) "
            + ("is" if len(removed) == 1 else "are")
            + " removed while CUDA builds stay: "
            + ", ".join(still)
            + "; the records carry no dependencies, so whether one of them needs "
            + ("it" if len(removed) == 1 else "them")
            + " cannot be proven",
            removed,
            severity=Severity.LOW,
            evidence=removed_lines,
        )
