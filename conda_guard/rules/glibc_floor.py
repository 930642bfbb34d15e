"""``glibc-floor``: the oldest glibc the environment runs on goes up.

A record that depends ``__glibc >=2.28`` does not install or run on a system
with an older C library (CentOS 7 has 2.17). conda-forge builds for glibc 2.17
unless a recipe raises it (``c_stdlib_version``), so most environments ran on
2.17 and one rebuilt package (``c-ares 1.33.0``, ``libcudnn 9.10``) is enough
to drop every older system. The floor is the highest ``>=`` bound on
``__glibc`` in the records' depends, compared before and after; a floor at or
below the baseline every conda-forge build may assume (2.17) is no news.

``medium``: the environment keeps working where it is installed; it no longer
installs or runs on older systems. When a state carries the system's own
``__glibc`` virtual package, the floor is compared with it: above it is
``high`` (it does not run here), within it ``low``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..models import Severity
from .base import Rule, dep_name, finding, record_evidence

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..models import Finding, Record, State
    from .base import RuleContext

RULE = Rule(
    "glibc-floor", Severity.MEDIUM, "the oldest glibc the environment runs on goes up"
)

_LOWER = re.compile(r">=\s*([0-9]+(?:\.[0-9]+)*)")


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"[0-9]+", version)[:3])


def floors(
    edges: list[tuple[Record, str]],
) -> list[tuple[tuple[int, ...], Record, str]]:
    """(lower bound, record, spec) for the ``>=`` bounds of some depends entries."""
    out = []
    for rec, spec in edges:
        bounds = [_key(m) for m in _LOWER.findall(spec)]
        if bounds:
            out.append((max(bounds), rec, spec))
    return out


def _requirers(state: State, virtual: str) -> list[tuple[Record, str]]:
    """(record, spec) for the ``virtual`` dependencies of a state (a scan: the
    before state's reverse edges are not built for this)."""
    return [
        (rec, spec)
        for rec in state
        for spec in rec.depends
        if spec.startswith(virtual) and dep_name(spec) == virtual
    ]


def _text(key: tuple[int, ...]) -> str:
    return ".".join(map(str, key))


def _one(ctx: RuleContext, virtual: str, data: dict[str, str]) -> Finding | None:
    label = data.get("label", virtual.lstrip("_"))
    baseline = _key(data.get("baseline", "0"))
    before = floors(_requirers(ctx.before, virtual))
    b_floor = max((k for k, _, _ in before), default=None)
    # a record whose earlier build's depends are unknown (a history revision)
    # cannot be said to raise the floor: it may have needed as much before
    after = [x for x in floors(ctx.requirers(virtual)) if ctx.known_before(x[1].name)]
    a_floor = max((k for k, _, _ in after), default=None)
    if a_floor is None or a_floor <= max(b_floor or (), baseline):
        return None
    was = max(b_floor or baseline, baseline)
    raising = sorted(
        ((k, r, s) for k, r, s in after if k > was),
        key=lambda x: (tuple(-p for p in x[0]), x[1].name),
    )
    top = [(r, s) for k, r, s in raising if k == a_floor]
    changes = [ctx.by_name[r.name] for _, r, _ in raising if r.name in ctx.by_name]
    host = ctx.after.get(virtual) or ctx.before.get(virtual)
    need = f"{label} >= {_text(a_floor)}"
    first = top[0]
    message = (
        f"the environment now needs {need} ({first[0].name} {first[0].version} "
        f"{first[0].build} depends '{first[1]}'); before, {label} "
        f"{_text(was)} was enough"
    )
    severity = RULE.severity
    if host is not None:
        here = _key(host.version)
        severity = Severity.HIGH if here < a_floor else Severity.LOW
        message += f"; this system has {label} {host.version}"
    else:
        message += f": systems with an older {label} can no longer run it"
    return finding(
        RULE,
        message,
        changes,
        severity=severity,
        evidence=[
            *(record_evidence(c) for c in changes),
            *(f"{r.name} {r.label} depends '{s}'" for _, r, s in raising[:10]),
            *(
                [f"… and {len(raising) - 10} more records above {label} {_text(was)}"]
                if len(raising) > 10
                else []
            ),
        ],
        why=ctx.why(first[0].name),
    )


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per system floor (``__glibc``) that goes up."""
    for virtual, data in ctx.table.system_floors.items():
        found = _one(ctx, virtual, data)
        if found is not None:
            yield found
