"""Every environment and platform of two lock files in one run: pair the states
of both files by (environment, platform), analyse each pair, and merge the
pairs whose changes and findings are the same into one group for the report.

Both files are read once (:func:`~conda_guard.readers.all_environments.read_all`);
the ABI table is loaded once; a pair whose two states equal an earlier pair's
reuses its analysis. The exit code is the worst over all pairs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .exceptions import UsageError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .analysis import Analysis
    from .models import Finding
    from .policy import Policy
    from .readers.all_environments import Key, LockStates

ALL = "all"


@dataclass(frozen=True)
class Group:
    """Pairs (environment, platform) with the same changes and findings."""

    keys: tuple[Key, ...]
    analysis: Analysis

    @property
    def label(self) -> str:
        """``env, env2 (platform); env3 (platform2)``: environments per platform."""
        return keys_label(self.keys)


@dataclass(frozen=True)
class GroupedAnalysis:
    """The analyses of all selected pairs of two lock files."""

    before: LockStates
    after: LockStates
    groups: tuple[Group, ...]  # changed or with findings, worst first
    unchanged: tuple[Key, ...]  # same on both sides, no finding
    only_before: tuple[Key, ...]
    only_after: tuple[Key, ...]
    warnings: tuple[str, ...] = ()

    @property
    def pairs(self) -> int:
        """Pairs present in both files (and selected)."""
        return sum(len(g.keys) for g in self.groups) + len(self.unchanged)

    def findings(self) -> tuple[Finding, ...]:
        """Every finding, once per group."""
        return tuple(f for g in self.groups for f in g.analysis.findings)

    def changes(self) -> int:
        """Changes summed over the pairs (a merged group counts once per pair)."""
        return sum(len(g.analysis.changes) * len(g.keys) for g in self.groups)


def keys_label(keys: Sequence[Key]) -> str:
    """Environments grouped per platform, platforms in order of appearance."""
    by_platform: dict[str, list[str]] = {}
    for env, plat in keys:
        by_platform.setdefault(plat, []).append(env)
    parts = []
    for plat, envs in by_platform.items():
        named = [e for e in envs if e]
        parts.append(f"{', '.join(named)} ({plat})" if named else plat)
    return "; ".join(parts)


def selection(value: str | None) -> tuple[str, ...] | None:
    """``--environment``/``--platform`` value → names (None: all)."""
    if value is None or value.strip() == ALL:
        return None
    names = tuple(dict.fromkeys(n.strip() for n in value.split(",") if n.strip()))
    if not names or ALL in names:
        raise UsageError(f"give names separated by commas, or '{ALL}' (not {value!r})")
    return names


def wants_grouped(environment: str | None, platform: str | None) -> bool:
    """True when the options ask for more than one environment or platform."""
    return any(
        v is not None and (v.strip() == ALL or "," in v)
        for v in (environment, platform)
    )


def _check_named(kind: str, wanted: Sequence[str] | None, *sides: LockStates) -> None:
    if wanted is None:
        return
    index = 0 if kind == "environment" else 1
    found = {k[index] for side in sides for k in side.states}
    missing = [n for n in wanted if n not in found]
    if missing and (index == 1 or any(k[0] for s in sides for k in s.states)):
        raise UsageError(
            f"no {kind} {', '.join(map(repr, missing))} in "
            f"{sides[0].source} or {sides[1].source}"
        )


def _pairs(before: LockStates, after: LockStates) -> list[tuple[Key, Key]]:
    if len(before.states) == 1 and len(after.states) == 1:
        return [(next(iter(before.states)), next(iter(after.states)))]
    return [(k, k) for k in before.states if k in after.states]


def analyze_all(
    before: LockStates,
    after: LockStates,
    *,
    policy: Policy,
    environments: Sequence[str] | None = None,
    platforms: Sequence[str] | None = None,
) -> GroupedAnalysis:
    """Analyse each pair; merge pairs with equal results; list the rest."""
    from .abi import load_table
    from .analysis import analyze

    _check_named("environment", environments, before, after)
    _check_named("platform", platforms, before, after)
    table = load_table()
    pairs = _pairs(before, after)
    paired_b = {b for b, _ in pairs}
    paired_a = {a for _, a in pairs}
    cache: dict[tuple, Analysis] = {}
    merged: dict[tuple, list[Key]] = {}
    results: dict[tuple, Analysis] = {}
    unchanged: list[Key] = []
    for kb, ka in pairs:
        b, a = before.states[kb], after.states[ka]
        same = (
            tuple(b.records.values()),
            tuple(a.records.values()),
            b.platform,
            a.platform,
        )
        found = cache.get(same)
        if found is None:
            found = cache[same] = analyze(b, a, policy=policy, table=table)
        if not found.changes and not found.findings and not found.warnings:
            unchanged.append(ka)
            continue
        key = _result_key(found)
        merged.setdefault(key, []).append(ka)
        results.setdefault(key, found)
    groups = [Group(tuple(keys), results[k]) for k, keys in merged.items()]
    groups.sort(key=_worst_first)
    return GroupedAnalysis(
        before=before,
        after=after,
        groups=tuple(groups),
        unchanged=tuple(unchanged),
        only_before=tuple(k for k in before.states if k not in paired_b),
        only_after=tuple(k for k in after.states if k not in paired_a),
    )


def _result_key(analysis: Analysis) -> tuple:
    changes = tuple((c.name, c.kind, c.before, c.after) for c in analysis.changes)
    return (changes, analysis.findings, analysis.warnings)


def _worst_first(group: Group) -> tuple:
    sev = max((int(f.severity) for f in group.analysis.findings), default=-1)
    return (-sev, -len(group.analysis.findings), group.keys[0])
