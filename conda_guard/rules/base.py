"""What every rule shares: the :class:`Rule` header, the :class:`RuleContext`
the rules read, and helpers that turn records and dependency specs into
evidence a user can check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from ..graph import dep_name, reverse_edges
from ..matchspec import MatchSpec
from ..models import ChangeKind, Finding, PackageMove, Severity
from ..why import why_paths

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from ..abi import AbiTable
    from ..facts import FileFacts
    from ..models import Change, Record, State

#: State kinds that describe an installed prefix (its pip dists are on disk)
#: and the kinds of a change applied to one (conda's transaction, a dry run).
INSTALLED_KINDS = frozenset({"prefix", "conda-list-json", "conda-list-export"})
APPLIED_KINDS = INSTALLED_KINDS | {"transaction", "solve"}


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule's stable id, its default severity and what it looks for."""

    id: str
    severity: Severity
    summary: str


@lru_cache(maxsize=65536)
def parse_spec(spec: str) -> MatchSpec | None:
    """A parsed spec, or None when the text is not a valid match spec."""
    try:
        return MatchSpec.parse(spec)
    except ValueError:
        return None


def spec_matches(spec: str, record: Record) -> bool:
    """True when ``record`` satisfies ``spec`` (unparsable specs count as met)."""
    parsed = parse_spec(spec)
    return True if parsed is None else parsed.match(record)


def spec_has_upper_bound(spec: str) -> bool:
    """True when the spec's version part has an upper bound."""
    parsed = parse_spec(spec)
    if parsed is None or parsed.version is None:
        return False
    return parsed.version.has_upper_bound()


@dataclass(frozen=True, slots=True)
class Dependent:
    """A record that depends on a package, with the spec text that says so."""

    record: Record
    specs: tuple[str, ...]


@dataclass
class RuleContext:
    """Everything a rule may read; built once per analysis.

    ``files`` answers questions only a package's files can (the NumPy C-API
    an extension module uses); ``None`` when no files are known (lock files,
    explicit files), and rules then say what metadata cannot prove.
    """

    before: State
    after: State
    changes: tuple[Change, ...]
    table: AbiTable
    files: FileFacts | None = None
    by_name: dict[str, Change] = field(init=False)
    _specs: dict[str, MatchSpec | None] = field(init=False, repr=False)
    _violations: dict[str, list[tuple[Record, str]]] = field(init=False, repr=False)
    _family_users: dict[tuple[str, str], frozenset[str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.by_name = {c.name: c for c in self.changes}
        self._specs = {}
        self._violations = {}

    def spec(self, text: str) -> MatchSpec | None:
        """``text`` parsed once per analysis (None when it is not a valid spec)."""
        try:
            return self._specs[text]
        except KeyError:
            parsed = self._specs[text] = parse_spec(text)
            return parsed

    def satisfies(self, spec: str, record: Record) -> bool:
        """True when ``record`` satisfies ``spec`` (unparsable specs count as met)."""
        parsed = self.spec(spec)
        return True if parsed is None else parsed.match(record)

    def has_upper_bound(self, spec: str) -> bool:
        """True when the spec's version part caps the version from above."""
        parsed = self.spec(spec)
        return (
            parsed is not None
            and parsed.version is not None
            and (parsed.version.has_upper_bound())
        )

    @cached_property
    def depends_known(self) -> bool:
        """True when the after state's records carry their dependencies.

        An @EXPLICIT file (URLs only) carries none: what depends would prove
        must then be said to be unprovable.
        """
        return any(rec.depends for rec in self.after)

    def known_before(self, name: str) -> bool:
        """True when the before state says what ``name`` depended on: it was not
        installed, or its record carries its dependencies (a history revision
        has none for a package no longer installed, so what it needed then
        cannot be compared)."""
        rec = self.before.get(name)
        return rec is None or bool(rec.depends)

    @cached_property
    def depends_partial(self) -> bool:
        """True when some records of the after state may lack their dependencies:
        a prefix at a history revision (``PREFIX@N``) has them only for the
        packages still installed (the history keeps ``name-version-build``)."""
        return self.depends_known and self.after.revision is not None

    @cached_property
    def explicit(self) -> Mapping[str, str]:
        """The user's requested specs: the after state's if known, else before's."""
        return self.after.explicit or self.before.explicit

    @cached_property
    def _reverse_after(self) -> dict[str, list[tuple[str, str]]]:
        return reverse_edges(self.after)

    @cached_property
    def _reverse_before(self) -> dict[str, list[tuple[str, str]]]:
        return reverse_edges(self.before)

    @cached_property
    def _constrains(self) -> dict[str, list[tuple[Record, str]]]:
        out: dict[str, list[tuple[Record, str]]] = {}
        for rec in self.after:
            for spec in rec.constrains:
                out.setdefault(dep_name(spec), []).append((rec, spec))
        return out

    def requirers(self, name: str, side: str = "after") -> list[tuple[Record, str]]:
        """(record, spec) for every depends entry on ``name`` in one state."""
        state = self.after if side == "after" else self.before
        rev = self._reverse_after if side == "after" else self._reverse_before
        return [(state.records[n], spec) for n, spec in rev.get(name, ())]

    def dependents(self, name: str) -> list[Dependent]:
        """Records of the after state that depend on ``name``, with their specs."""
        grouped: dict[str, list[str]] = {}
        for dependent, spec in self._reverse_after.get(name, ()):
            grouped.setdefault(dependent, []).append(spec)
        return [
            Dependent(self.after.records[n], tuple(grouped[n])) for n in sorted(grouped)
        ]

    def stays(self, name: str) -> bool:
        """True when ``name`` is in both states and did not change."""
        return name in self.before and name in self.after and name not in self.by_name

    def violations(self, name: str) -> list[tuple[Record, str]]:
        """After-state records whose depends or constrains exclude ``name``'s record.

        Computed once per name (several rules ask); each distinct spec text is
        parsed once per analysis.
        """
        try:
            return self._violations[name]
        except KeyError:
            pass
        target = self.after.get(name)
        out: list[tuple[Record, str]] = []
        if target is not None:
            out = [
                (self.after.records[dependent], spec)
                for dependent, spec in self._reverse_after.get(name, ())
                if not self.satisfies(spec, target)
            ]
            out.sort(key=lambda v: v[0].name)
            out += [
                (rec, spec)
                for rec, spec in self._constrains.get(name, ())
                if not self.satisfies(spec, target)
            ]
        self._violations[name] = out
        return out

    def unchanged(self, record: Record) -> bool:
        """True when ``record`` is in both states, the same artifact."""
        return self.stays(record.name) and self.before.get(record.name) == record

    def changes_in(self, family: str) -> list[Change]:
        """Changes of packages that belong to ABI family ``family``."""
        return [c for c in self.changes if self.table.family_of(c.name) == family]

    def why(self, name: str) -> tuple[str, ...]:
        """Dependency paths from the requested specs to ``name`` (after state)."""
        if name in self.after:
            return why_paths(self.after, name, self.explicit, rev=self._reverse_after)
        return why_paths(self.before, name, self.explicit, rev=self._reverse_before)


def move(change: Change) -> PackageMove:
    """The :class:`PackageMove` of a change."""
    return PackageMove(change.name, change.before, change.after)


def moves(changes: Iterable[Change]) -> tuple[PackageMove, ...]:
    """Moves of several changes, in order."""
    return tuple(move(c) for c in changes)


def full(record: Record | None) -> str:
    """``name version build (channel)`` or ``(none)``."""
    if record is None:
        return "(none)"
    return f"{record.name} {record.label}"


def arrow(change: Change) -> str:
    """``name before-label -> after-label`` with full builds."""
    b = change.before.label if change.before else "(not installed)"
    a = change.after.label if change.after else "(removed)"
    return f"{change.name} {b} -> {a}"


def record_evidence(change: Change) -> str:
    """One evidence line naming both records of a change."""
    return f"{arrow(change)} [{change.kind}]"


def finding(
    rule: Rule,
    message: str,
    changes: Iterable[Change],
    *,
    severity: Severity | None = None,
    evidence: Iterable[str] = (),
    why: Iterable[str] = (),
) -> Finding:
    """Build a finding of ``rule`` (its default severity unless given).

    Evidence lines that only repeat the records of the finding's own packages
    are dropped (the report shows those records already); order is kept.
    """
    changes = tuple(changes)
    shown = {record_evidence(c) for c in changes}
    return Finding(
        rule=rule.id,
        severity=rule.severity if severity is None else severity,
        message=message,
        packages=moves(changes),
        evidence=tuple(e for e in dict.fromkeys(evidence) if e not in shown),
        why=tuple(dict.fromkeys(why)),
    )


def is_compiled(record: Record) -> bool:
    """True for a conda record that is not noarch (it may carry binaries).

    A record is noarch when it says so or lives in a ``noarch`` subdir (lock
    files and explicit files give the subdir, not the ``noarch`` field).
    """
    return not record.noarch and record.subdir != "noarch" and not record.pip


def crossed(change: Change, table: AbiTable) -> bool:
    """True when a version change crosses the package's ABI pin granularity."""
    if change.before is None or change.after is None:
        return False
    if not (change.has(ChangeKind.UPGRADED) or change.has(ChangeKind.DOWNGRADED)):
        return False
    return table.crosses_pin(change.name, change.before.version, change.after.version)


def violation_evidence(
    violations: Iterable[tuple[Record, str]], target: str
) -> list[str]:
    """Evidence lines for records whose specs exclude ``target``'s new record."""
    return [
        f"{rec.name} {rec.label} requires '{spec}', which the new {target} "
        f"does not satisfy"
        for rec, spec in violations
    ]
