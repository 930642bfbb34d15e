"""``broken-dependency``: a record in the result needs something the result
does not provide — a removed package, or a version its spec excludes.

A solver never produces this; explicit files, lock files, ``--force``,
``--no-deps`` and pip do. It is a provable break. Three ways to find it:

- a package is removed while a record of the result still depends on it
  (this covers every family: a CUDA runtime, numpy, python alike);
- a package changes and a record of the result excludes its new build
  (families whose rule reports its own violations, and pinned libraries
  crossing their pin — ``abi-pin`` — are left to that rule);
- a package is installed or changed and one of its own dependencies, which
  did not change, excludes it (nothing else would look).

Each distinct spec text is parsed once per analysis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import ChangeKind, Severity
from .abi_pin import claims as pin_claims
from .base import Rule, dep_name, finding, record_evidence, violation_evidence

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..models import Change, Finding
    from .base import RuleContext

RULE = Rule(
    "broken-dependency", Severity.HIGH, "a package's dependency is removed or excluded"
)

#: Families whose rules report records that exclude a changed package.
_OWN_VIOLATIONS = frozenset({"numpy", "python", "openssl", "cxx-runtime", "cuda"})
#: Families whose rule reports what a removal leaves without (mpi-switch).
_OWN_REMOVALS = frozenset({"mpi"})
#: Targets whose rule judges a new record's own requirement on them.
_OWN_TARGETS = frozenset({"numpy"})


def _claimed(change: Change, ctx: RuleContext, families: frozenset[str]) -> bool:
    fam = ctx.table.family_of(change.name)
    return fam in families or "mpi" in change.variants


def _removed(change: Change, ctx: RuleContext) -> Finding | None:
    users = [(d.record, s) for d in ctx.dependents(change.name) for s in d.specs]
    if not users:
        return None
    names = sorted({r.name for r, _ in users})
    verb = "depends" if len(names) == 1 else "depend"
    return finding(
        RULE,
        f"{change.name} is removed but {', '.join(names)} still {verb} on it",
        [change],
        evidence=[
            record_evidence(change),
            *(f"{r.name} {r.label} depends '{s}'" for r, s in users),
        ],
    )


def _own_requirements(change: Change, ctx: RuleContext) -> Finding | None:
    """The new record's own dependencies that an unchanged package does not meet."""
    rec = change.after
    assert rec is not None
    unmet = []
    for spec in rec.depends:
        name = dep_name(spec)
        target = ctx.after.get(name)
        if target is None or name in ctx.by_name or name == rec.name:
            continue
        if ctx.table.family_of(name) in _OWN_TARGETS:
            continue
        if not ctx.satisfies(spec, target):
            unmet.append((spec, target))
    if not unmet:
        return None
    return finding(
        RULE,
        f"{rec.name} {rec.version} {rec.build} needs what the result does not "
        f"provide: " + ", ".join(f"'{s}' ({t.name} {t.version})" for s, t in unmet),
        [change],
        evidence=[
            record_evidence(change),
            *(
                f"{rec.name} {rec.label} requires '{s}', which {t.name} {t.label} "
                f"(unchanged) does not satisfy"
                for s, t in unmet
            ),
        ],
        why=ctx.why(rec.name),
    )


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield one finding per change that leaves a dependency unmet."""
    for change in ctx.changes:
        if change.kind is ChangeKind.REMOVED:
            if not _claimed(change, ctx, _OWN_REMOVALS):
                found = _removed(change, ctx)
                if found is not None:
                    yield found
            continue
        if change.after is None:
            continue
        own = _own_requirements(change, ctx)
        if own is not None:
            yield own
        if _claimed(change, ctx, _OWN_VIOLATIONS) or pin_claims(change, ctx):
            continue
        violated = ctx.violations(change.name)
        if violated:
            yield finding(
                RULE,
                f"{change.name} {change.after.version} {change.after.build} does not "
                f"satisfy " + ", ".join(sorted({r.name for r, _ in violated})),
                [change],
                evidence=[
                    record_evidence(change),
                    *violation_evidence(
                        violated, f"{change.name} {change.after.version}"
                    ),
                ],
                why=ctx.why(change.name),
            )
