"""Policy: which findings count, and which block. Pure functions, no I/O.

``ignore`` drops findings by rule id; ``allow`` exempts packages (by name or
match spec): a finding whose packages are all allowed is dropped. ``fail_on``
is the lowest severity that fails the command (exit 1) or blocks conda.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .models import Severity

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .models import Finding, PackageMove


@dataclass(frozen=True)
class Policy:
    """What the user told the guard to ignore, allow, and fail on."""

    fail_on: Severity = Severity.HIGH
    ignore: frozenset[str] = frozenset()
    allow: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    """Findings at or above ``fail_on`` block; the rest pass."""

    blocking: tuple[Finding, ...] = ()
    passing: tuple[Finding, ...] = ()

    @property
    def blocked(self) -> bool:
        """True when at least one finding blocks."""
        return bool(self.blocking)


@dataclass(frozen=True)
class Filtered:
    """Findings kept, and a note per rule of what was dropped."""

    kept: tuple[Finding, ...]
    dropped: tuple[Finding, ...] = field(default=())

    @property
    def notes(self) -> tuple[str, ...]:
        """Sentences saying what the filters dropped."""
        if not self.dropped:
            return ()
        rules = sorted({f.rule for f in self.dropped})
        text = (
            f"{len(self.dropped)} finding(s) not shown, ignored or allowed by your "
            f"settings: {', '.join(rules)}"
        )
        return (text,)


def _allowed(pkg: PackageMove, allow: Iterable[str]) -> bool:
    from .matchspec import MatchSpec

    for item in allow:
        if item == pkg.name:
            return True
        try:
            spec = MatchSpec.parse(item)
        except ValueError:
            continue
        recs = [r for r in (pkg.after, pkg.before) if r is not None]
        if spec.name == pkg.name and any(spec.match(r) for r in recs):
            return True
    return False


def apply_filters(findings: Iterable[Finding], policy: Policy) -> Filtered:
    """Drop findings of ignored rules and findings about allowed packages only."""
    kept: list[Finding] = []
    dropped: list[Finding] = []
    for f in findings:
        if f.rule in policy.ignore or (
            policy.allow
            and f.packages
            and all(_allowed(p, policy.allow) for p in f.packages)
        ):
            dropped.append(f)
        else:
            kept.append(f)
    return Filtered(tuple(kept), tuple(dropped))


def decide(findings: Iterable[Finding], policy: Policy) -> Decision:
    """Split findings into those that block (>= ``fail_on``) and the rest."""
    blocking, passing = [], []
    for f in findings:
        (blocking if f.severity >= policy.fail_on else passing).append(f)
    return Decision(tuple(blocking), tuple(passing))
