"""What a numpy dependent's metadata and files say about the NumPy C-API it
was compiled against (a helper of the ``numpy-abi`` rule).

A verdict per compiled dependent whose numpy dependency admits the new numpy
and has no upper bound (packages built against numpy 2.x declare ``<3``;
those whose spec excludes the new numpy are the rule's violations):

- ``v1``: an extension module compiled against the 1.x headers (from files);
- ``v2``: compiled against the 2.x headers (from files), nothing to report;
- ``none``: its extension modules do not use the C-API (from files);
- ``unknown``: no files; metadata cannot tell.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..facts import NumpyApi
from ..models import ChangeKind
from .base import is_compiled

if TYPE_CHECKING:
    from ..models import Record
    from .base import RuleContext


@dataclass(frozen=True)
class Verdict:
    """One dependent, what is known about its build, and the evidence lines."""

    record: Record
    kind: str
    lines: tuple[str, ...]
    built_before: str | None = None


def built_before(record: Record, date: str | None) -> str | None:
    """The record's build day (``YYYY-MM-DD``) when it is before ``date``."""
    if not record.timestamp or not date:
        return None
    ts = record.timestamp / 1000 if record.timestamp > 1e11 else record.timestamp
    day = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).date()
    return day.isoformat() if day.isoformat() < date else None


def _where(record: Record, ctx: RuleContext) -> str:
    change = ctx.by_name.get(record.name)
    if change is None:
        return "stays installed"
    return "is installed" if change.kind is ChangeKind.INSTALLED else "changes"


def _judge_one(
    record: Record, specs: tuple[str, ...], target: Record, ctx: RuleContext
) -> Verdict:
    head = f"{record.name} {record.label}"
    first = (ctx.table.note("numpy", "abi_break") or {}).get("first_headers")
    day = built_before(record, first)
    facts = ctx.files.numpy_api(record, "after") if ctx.files is not None else None
    if facts is None:
        lines = [
            f"{head} {_where(record, ctx)} and depends "
            + ", ".join(f"'{s}'" for s in specs)
            + " with no upper bound (packages built against numpy 2.x declare "
            "'<3'): either it was compiled against numpy 1.x, or numpy was not "
            "a build dependency (ctypes, pybind11); its extension modules would "
            "tell, and "
            + (
                "they are not available"
                if ctx.files is not None
                else "no files are known"
            )
        ]
        if day:
            lines.append(
                f"{head} was built on {day}, before numpy 2.0's first pre-release "
                f"({first}): it cannot have been compiled against the 2.x headers"
            )
        return Verdict(record, "unknown", tuple(lines), day)
    old = [e for e in facts if e.api is NumpyApi.V1]
    if old:
        return Verdict(
            record,
            "v1",
            tuple(
                f"{head}: {e.file} was compiled against the NumPy 1.x C-API"
                + (f" ({e.detail})" if e.detail else "")
                + f"; it fails to import under {target.name} {target.version}"
                for e in old
            ),
            day,
        )
    if any(e.api is NumpyApi.V2 for e in facts):
        return Verdict(record, "v2", (), day)
    return Verdict(
        record,
        "none",
        (f"{head}: {len(facts)} extension module(s) checked, no NumPy C-API use",),
        day,
    )


def judge(name: str, target: Record, ctx: RuleContext, *, every: bool) -> list[Verdict]:
    """Verdicts on the compiled dependents of ``name`` whose spec admits ``target``
    and has no upper bound; ``every=False`` keeps new or changed records only."""
    out = []
    for dep in ctx.dependents(name):
        rec = dep.record
        if not is_compiled(rec) or (not every and rec.name not in ctx.by_name):
            continue
        if any(not ctx.satisfies(s, target) for s in dep.specs):
            continue  # excluded: the rule's violations
        if any(ctx.has_upper_bound(s) for s in dep.specs):
            continue  # declares the numpy it was built for
        out.append(_judge_one(rec, dep.specs, target, ctx))
    return out
