"""When ``guard_batch: auto`` runs the batch (one-shot) solve.

conda's ``install`` keeps the installed packages where it can (frozen first),
so a compiled package that comes in is the build that fits what is installed,
not the newest one: ``conda install numba`` next to numpy 2.0.1 picks the old
numba 0.57.1 (loose ``numpy >=1.21``), a one-shot solve numba 0.59.1 with
numpy 1.26.4. Only the batch solve shows that (``drift``), and it costs a
second solve, so ``auto`` runs it for ``update --all`` and for a transaction
that links a compiled package depending on a member of an ABI family whose
data has a ``batch_trigger`` block (numpy; ``abi_families.json``), with that
member in the result. Standard library only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..graph import dep_name
from ..rules.base import is_compiled

if TYPE_CHECKING:
    from ..abi import AbiTable
    from ..models import Record, State


def _linked(before: State, after: State) -> list[Record]:
    """The conda records of ``after`` that are new or another build."""
    out = []
    for rec in after:
        if rec.pip or rec.name.startswith("__"):
            continue
        old = before.get(rec.name)
        if old is None or (old.version, old.build) != (rec.version, rec.build):
            out.append(rec)
    return out


def _triggers(table: AbiTable, name: str) -> str | None:
    """The family of ``name`` when that family asks for the batch solve."""
    family = table.family_of(name)
    if family is None:
        return None
    block = table.note(family, "batch_trigger") or {}
    return family if block.get("enabled") else None


def batch_reason(before: State, after: State, table: AbiTable) -> str | None:
    """Why ``auto`` runs the batch solve for ``before → after`` (None: it does not).

    The reason names the first compiled package linked that depends on a
    triggering family's member, and that member's version in ``after``.
    """
    for rec in sorted(_linked(before, after), key=lambda r: r.name):
        if not is_compiled(rec):
            continue
        for spec in rec.depends:
            name = dep_name(spec)
            family = _triggers(table, name) if name != rec.name else None
            provider = after.get(name) if family else None
            if provider is None:
                continue
            return (
                f"{rec.name} {rec.version} {rec.build} is compiled against"
                f" {family} ('{spec}'; {name} {provider.version} in the result)"
            )
    return None
