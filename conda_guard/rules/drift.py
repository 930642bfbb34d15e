"""``drift``: where an incremental result and a one-shot (batch) solve disagree.

An environment grown one command at a time keeps builds a fresh solve of the
same requests would not pick: builds made for an older numpy or Python, a
BLAS flavour chosen by an early request, a leftover package nothing needs.
The findings come from two solver results (``conda_guard.solve``), not from a
before/after diff, so :func:`check` yields nothing; :func:`drift_findings`
does the work. ABI-sensitive disagreements (a package in an ABI family, or
one whose depends name an ABI-family package on which the two results
differ) are ``medium``; the rest, and packages only the incremental result
keeps, are grouped into one ``low`` finding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..diff import diff_states
from ..models import ChangeKind, Finding, PackageMove, Severity
from ..why import why_paths
from .base import Rule, dep_name, full

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from ..abi import AbiTable
    from ..models import Change, State
    from .base import RuleContext

RULE = Rule(
    "drift",
    Severity.MEDIUM,
    "the incremental result differs from a one-shot solve of the same requests",
)

#: how many names the grouped low finding lists before "…"
_LIST = 12


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Nothing to do on a plain diff; see :func:`drift_findings`."""
    return iter(())


def _side(change: Change) -> str:
    inc, bat = change.after, change.before
    if inc is None:
        return (
            f"{change.name}: a one-shot solve installs {full(bat)}, which the"
            " incremental result lacks"
        )
    if bat is None:
        return (
            f"{change.name}: the incremental result keeps {full(inc)}, which a"
            " one-shot solve would not install"
        )
    return (
        f"{change.name}: the incremental result has {full(inc)}, a one-shot solve"
        f" picks {full(bat)}"
    )


def _built_for(change: Change, moved: dict[str, Change], table: AbiTable) -> list[str]:
    """Depends of the incremental record on ABI-family packages that differ."""
    rec = change.after
    if rec is None:
        return []
    out = []
    for spec in rec.depends:
        name = dep_name(spec)
        other = moved.get(name)
        if other is None or name == change.name:
            continue
        if table.family_of(name) is None and table.pin(name) is None:
            continue
        out.append(
            f"{full(rec)} depends '{spec}'; incremental {full(other.after)},"
            f" one-shot {full(other.before)}"
        )
    return out


def drift_findings(
    incremental: State, batch: State, table: AbiTable
) -> tuple[Finding, ...]:
    """Findings for every package on which ``incremental`` and ``batch`` differ."""
    changes = diff_states(batch, incremental, table)
    moved = {c.name: c for c in changes}
    out: list[Finding] = []
    rest: list[Change] = []
    for change in changes:
        family = table.family_of(change.name)
        built_for = _built_for(change, moved, table)
        # a leftover the one-shot solve lacks (conda keeps what nothing needs
        # any more, an OpenBLAS stack after a switch to MKL) links nothing new
        if (family is None and not built_for) or change.before is None:
            rest.append(change)
            continue
        out.append(_sensitive(change, family, built_for, incremental))
    if rest:
        out.append(_grouped(rest))
    return tuple(out)


def _sensitive(
    change: Change, family: str | None, built_for: list[str], incremental: State
) -> Finding:
    """The medium finding of one ABI-sensitive disagreement."""
    evidence = [
        f"incremental: {full(change.after)}",
        f"one-shot: {full(change.before)}",
        *built_for,
    ]
    if family is not None:
        evidence.append(f"{change.name} is in the ABI family '{family}'")
    evidence.extend(
        f"{axis}: one-shot {b or '-'} / incremental {a or '-'}"
        for axis, (b, a) in sorted(change.variants.items())
    )
    reason = (
        "ABI-sensitive package"
        if family is not None
        else "built against an ABI-sensitive package on which the two differ"
    )
    return Finding(
        rule=RULE.id,
        severity=Severity.MEDIUM,
        message=f"{_side(change)} ({reason}).",
        packages=(PackageMove(change.name, change.before, change.after),),
        evidence=tuple(evidence),
        why=why_paths(incremental, change.name, incremental.explicit),
    )


def _grouped(rest: list[Change]) -> Finding:
    """One low finding for the disagreements no ABI is involved in."""
    names = [c.name for c in rest]
    listed = ", ".join(names[:_LIST]) + (" …" if len(names) > _LIST else "")
    kept = sum(1 for c in rest if c.kind is ChangeKind.INSTALLED)
    message = (
        f"{len(rest)} other package(s) differ from a one-shot solve of the same"
        f" requests: {listed}"
    )
    if kept:
        message += f" ({kept} kept that a one-shot solve would not install)"
    return Finding(
        rule=RULE.id,
        severity=Severity.LOW,
        message=message + ".",
        packages=tuple(PackageMove(c.name, c.before, c.after) for c in rest),
        evidence=tuple(_side(c) for c in rest),
    )


def unsatisfiable_finding(
    specs: Sequence[str], conflicts: Sequence[str], chain: str
) -> Finding:
    """The environment's requests cannot be solved in one go any more."""
    named = ", ".join(f"'{c}'" for c in conflicts) or "see the evidence"
    return Finding(
        rule=RULE.id,
        severity=Severity.MEDIUM,
        message=(
            "the history specs plus the request cannot be solved in one command"
            f" (conflicting: {named}); recreating this environment from its"
            " history would fail."
        ),
        evidence=(
            "one-shot specs: " + " ".join(specs),
            *(line for line in chain.splitlines() if line.strip()),
        ),
    )
