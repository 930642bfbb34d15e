"""``cuda-change``: the CUDA stack moves (cuda-version, cudatoolkit, cudnn, nccl,
or the CUDA a GPU build was made for).

From CUDA 11 on, minor versions of one major are compatible (the split
packages' run_exports are major-pinned), so the CUDA a build is for is read as
its major: ``cuda-version >=12.9,<12.10.0a0``, ``cuda-version >=12,<13.0a0``
and ``cuda129`` all say CUDA 12.x. Before 11 the minor counts (``cudatoolkit
>=10.2,<10.3`` is CUDA 10.2). A rebuild that only relaxes a bound within the
major is no move. cudnn and nccl majors are soname changes.

``high`` when a record of the result excludes a moved CUDA package (its
dependency no longer holds); ``medium`` for a move of the CUDA the environment
or a compiled build is for (a major, or a pre-11 minor: the driver must support
it); ``low`` for a cudnn/nccl major or a move within one CUDA: the libraries'
run_exports move their dependents with them, which a solver keeps consistent.
The CUDA label of a ``noarch`` wrapper (``py-xgboost … cuda118_pyh…``) is a
build variant of a pure-Python package, not a CUDA it runs with.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from ..models import ChangeKind, Severity
from .base import (
    Rule,
    crossed,
    finding,
    is_compiled,
    record_evidence,
    violation_evidence,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..models import Change, Finding, State
    from .base import RuleContext

RULE = Rule("cuda-change", Severity.MEDIUM, "the CUDA runtime or cuDNN/NCCL changes")


def cuda_text(value: str | None) -> str:
    """``12`` → ``12.x`` (a major, from 11 on), ``10.2`` stays; None → unknown."""
    if not value:
        return "unknown"
    return value if "." in value else f"{value}.x"


def env_cuda(state: State, ctx: RuleContext, side: int) -> str | None:
    """The CUDA a state is for: its cuda-version/cudatoolkit/pytorch-cuda, else
    the most common CUDA of the builds that move (``side`` 0 before, 1 after)."""
    table = ctx.table
    for name in table.note("cuda", "version_axis") or ():
        rec = state.get(name)
        if rec is not None and (value := table.variants(rec).get("cuda")):
            return value
    seen = Counter(
        v for c in ctx.changes if (v := c.variants.get("cuda", (None, None))[side])
    )
    return seen.most_common(1)[0][0] if seen else None


def _move(c: Change, env: tuple[str | None, str | None]) -> str:
    """``name 1.0 -> 1.1`` or ``name 1.0 rebuilt``, with the CUDA move when it
    is not the environment's (said once in the message)."""
    assert c.before and c.after
    text = f"{c.name} {c.before.version}"
    if c.before.version != c.after.version:
        text += f" -> {c.after.version}"
    else:
        text += " rebuilt"
    axis = c.variants.get("cuda")
    if axis and all(axis) and tuple(axis) != env:
        text += f" (CUDA {cuda_text(axis[0])} -> {cuda_text(axis[1])})"
    return text


def _builds_for(c: Change) -> bool:
    """True when a compiled build moves from one CUDA to another."""
    axis = c.variants.get("cuda")
    return bool(axis) and all(axis) and c.after is not None and is_compiled(c.after)


def _moved(ctx: RuleContext) -> list[Change]:
    moved = [
        c
        for c in ctx.changes_in("cuda")
        if c.kind is not ChangeKind.INSTALLED
        and c.kind is not ChangeKind.REMOVED
        and (crossed(c, ctx.table) or _builds_for(c))
    ]
    moved += [c for c in ctx.changes if _builds_for(c) and c not in moved]
    return moved


def _severity(
    moved: list[Change], env: tuple[str | None, str | None], violated: bool
) -> Severity:
    if violated:
        return Severity.HIGH
    if (all(env) and env[0] != env[1]) or any(_builds_for(c) for c in moved):
        return Severity.MEDIUM
    return Severity.LOW


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield one finding listing the CUDA moves, high when a dependent is excluded."""
    moved = _moved(ctx)
    if not moved:
        return
    violated = [v for c in moved for v in ctx.violations(c.name)]
    evidence = [record_evidence(c) for c in moved]
    for c in moved:
        if _builds_for(c):
            b, a = c.variants["cuda"]
            evidence.append(
                f"{c.name} was built for CUDA {cuda_text(b)}, "
                f"the new build for CUDA {cuda_text(a)}"
            )
    evidence += violation_evidence(violated, "CUDA package")
    env = (env_cuda(ctx.before, ctx, 0), env_cuda(ctx.after, ctx, 1))
    head = "the CUDA stack changes"
    if all(env) and env[0] != env[1]:
        head += f" from CUDA {cuda_text(env[0])} to {cuda_text(env[1])}"
    yield finding(
        RULE,
        f"{head}: " + ", ".join(_move(c, env) for c in moved),
        moved,
        severity=_severity(moved, env, bool(violated)),
        evidence=evidence,
        why=[w for c in moved for w in ctx.why(c.name)],
    )
