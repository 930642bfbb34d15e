"""``mpi-switch``: MPI builds are replaced by non-MPI builds, or by builds for
another MPI implementation.

conda-forge publishes hdf5, libnetcdf, netcdf-fortran, esmf, h5py … as
``mpi_mpich_*``, ``mpi_openmpi_*`` and ``nompi_*`` builds. A solver that is
not asked for one may flip between them; the ``nompi`` build drops parallel
I/O (``H5Pset_fapl_mpio``, netCDF4's ``parallel=True``), a capability loss
like GPU → CPU, and mpich and Open MPI are not ABI compatible
(``libmpi.so.12`` vs ``libmpi.so.40``).

``high`` when a record of the result still needs what went: its dependency
excludes the new build (``hdf5 * mpi_mpich_*``) or names the removed MPI
implementation (``mpich >=4.2,<5.0a0``). Otherwise ``medium``: nothing in the
metadata requires MPI, and whether your code uses it cannot be seen. A switch
to MPI builds (``nompi`` → ``mpich``) is no loss and no finding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import ChangeKind, Severity
from .base import Rule, finding, record_evidence, violation_evidence

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..models import Change, Finding
    from .base import RuleContext

RULE = Rule(
    "mpi-switch",
    Severity.MEDIUM,
    "MPI builds are replaced by non-MPI builds or another MPI",
)


def _switches(ctx: RuleContext) -> tuple[list[Change], list[Change]]:
    """(MPI → no MPI, MPI → another MPI) changes."""
    none = ctx.table.note("mpi", "no_mpi") or "nompi"
    lost, swapped = [], []
    for c in ctx.changes:
        b, a = c.variants.get("mpi", (None, None))
        if c.before is None or c.after is None or b in (None, none):
            continue
        if a == none:
            lost.append(c)
        elif a is not None and a != b:
            swapped.append(c)
    return lost, swapped


def _proof(ctx: RuleContext, moved: list[Change], removed: list[Change]) -> list[str]:
    lines = []
    for c in moved:
        assert c.after is not None
        lines += violation_evidence(
            ctx.violations(c.name), f"{c.name} {c.after.version} {c.after.build}"
        )
    for c in removed:
        for dep in ctx.dependents(c.name):
            lines += [
                f"{dep.record.name} {dep.record.label} depends '{s}', and "
                f"{c.name} is removed"
                for s in dep.specs
            ]
    return lines


def _primary(moved: list[Change], ctx: RuleContext) -> Change:
    return max(
        moved,
        key=lambda c: (c.name in ctx.explicit, len(ctx.dependents(c.name)), c.name),
    )


def _message(main: Change, lost: bool, others: list[str]) -> str:
    assert main.before and main.after
    b, a = main.variants["mpi"]
    text = (
        f"{main.name} {main.before.version} {main.before.build} ({b}) is replaced "
        f"by {main.after.version} {main.after.build} "
    )
    text += (
        "(no MPI): MPI support (parallel I/O, distributed runs) is lost"
        if lost
        else f"({a}): the MPI implementation changes"
    )
    if others:
        verb = "switches" if len(others) == 1 else "switch"
        text += f"; {', '.join(others)} {verb} with it"
    return text


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield one finding for the MPI switch of the transaction."""
    lost, swapped = _switches(ctx)
    removed = [c for c in ctx.changes_in("mpi") if c.kind is ChangeKind.REMOVED]
    moved = lost or swapped
    proof = _proof(ctx, [*lost, *swapped], removed)
    if not moved and not proof:
        return
    if moved:
        main = _primary(moved, ctx)
        others = [c.name for c in moved if c is not main]
        message = _message(main, bool(lost), others)
        packages = [main, *(c for c in moved if c is not main), *removed]
    else:
        names = sorted({c.name for c in removed})
        message = (
            f"the MPI implementation ({', '.join(names)}) is removed under "
            f"packages that need it"
        )
        packages = removed
    evidence = [record_evidence(c) for c in (*lost, *swapped, *removed)]
    if not ctx.depends_known:
        still = sorted(
            r.name
            for r in ctx.after
            if ctx.unchanged(r)
            and ctx.table.variants(r).get("mpi")
            not in (None, ctx.table.note("mpi", "no_mpi"))
        )
        if still:
            evidence.append(
                "MPI builds stay: "
                + ", ".join(still)
                + "; the records carry no dependencies, so whether they need the "
                "MPI builds that went cannot be proven"
            )
    yield finding(
        RULE,
        message,
        packages,
        severity=Severity.HIGH if proof else RULE.severity,
        evidence=[*evidence, *proof],
        why=[w for c in packages if c.after for w in ctx.why(c.name)],
    )
