"""Policy: which findings count, and which block. Pure functions, no I/O.

``ignore`` drops findings by rule id; ``allow`` exempts packages (by name or
match spec): a finding whose packages are all allowed is dropped. ``fail_on``
is the lowest severity that fails the command (exit 1) or blocks conda.
``show`` is the lowest severity reported (everything by default); reports for
people raise it to ``low``, so ``info`` findings (a pinned library moved and
nothing in the result was built for the old version) are counted in a note
instead of listed. A finding that fails the command is always shown.
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
    show: Severity = Severity.INFO

    @property
    def shown(self) -> Severity:
        """The lowest severity reported: ``show``, or ``fail_on`` when lower."""
        return min(self.show, self.fail_on)


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
    hidden: tuple[Finding, ...] = field(default=())

    @property
    def notes(self) -> tuple[str, ...]:
        """Sentences saying what the filters dropped or hid."""
        out: list[str] = []
        if self.dropped:
            rules = sorted({f.rule for f in self.dropped})
            out.append(
                f"{len(self.dropped)} finding(s) not shown, ignored or allowed by "
                f"your settings: {', '.join(rules)}"
            )
        if self.hidden:
            rules = sorted({f.rule for f in self.hidden})
            sev = ", ".join(sorted({str(f.severity) for f in self.hidden}))
            out.append(
                f"{len(self.hidden)} {sev} finding(s) not shown "
                f"({', '.join(rules)}); --show-info or --json shows them"
            )
        return tuple(out)


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
    """Drop findings of ignored rules and findings about allowed packages only;
    hide findings below ``policy.shown``."""
    kept: list[Finding] = []
    dropped: list[Finding] = []
    hidden: list[Finding] = []
    shown = policy.shown
    for f in findings:
        if f.rule in policy.ignore or (
            policy.allow
            and f.packages
            and all(_allowed(p, policy.allow) for p in f.packages)
        ):
            dropped.append(f)
        elif f.severity < shown:
            hidden.append(f)
        else:
            kept.append(f)
    return Filtered(tuple(kept), tuple(dropped), tuple(hidden))


def decide(findings: Iterable[Finding], policy: Policy) -> Decision:
    """Split findings into those that block (>= ``fail_on``) and the rest."""
    blocking, passing = [], []
    for f in findings:
        (blocking if f.severity >= policy.fail_on else passing).append(f)
    return Decision(tuple(blocking), tuple(passing))


def unknown_rule(value: str) -> str:
    """Why ``value`` is no rule id: a did-you-mean and the list of rule ids."""
    import difflib

    from .rules import RULE_IDS

    ids = sorted(RULE_IDS)
    near = difflib.get_close_matches(value.lower().replace("_", "-"), ids, n=1)
    hint = f"did you mean {near[0]}? " if near else ""
    return f"no rule has this id ({hint}rule ids: {', '.join(ids)})"


def check_rule_ids(values: Iterable[str], option: str = "--ignore") -> None:
    """Raise :class:`UsageError` for a value that names no rule."""
    from .exceptions import UsageError
    from .rules import RULE_IDS

    for value in values:
        if value not in RULE_IDS:
            raise UsageError(f"{option} {value!r}: {unknown_rule(value)}")


def split_accept(values: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``--accept`` values → (rule ids, package names or specs).

    A rule id is one of :data:`~conda_guard.rules.RULE_IDS`; anything else
    must parse as a match spec (else :class:`UsageError`). Whether a bare name
    names a package can only be told once the transaction is known:
    :func:`check_accepted_packages`.
    """
    from .exceptions import UsageError
    from .matchspec import MatchSpec
    from .rules import RULE_IDS

    rules: list[str] = []
    packages: list[str] = []
    for value in (v.strip() for v in values):
        if value in RULE_IDS:
            rules.append(value)
            continue
        try:
            MatchSpec.parse(value)
        except ValueError as exc:
            raise UsageError(
                f"--accept {value!r}: not a rule id, nor a package spec ({exc})"
            ) from None
        packages.append(value)
    return tuple(rules), tuple(packages)


def check_accepted_packages(values: Iterable[str], names: Iterable[str]) -> None:
    """An ``--accept`` package value must name a package of the transaction.

    ``names`` are the package names before and after it. A bare name (no
    version, build or channel) that is none of them is taken for a mistyped
    rule id: :class:`UsageError` with the rule ids. A spec with constraints
    (``'openssl >=3'``) is a package spec whatever it names.
    """
    from .exceptions import UsageError
    from .matchspec import MatchSpec

    known = set(names)
    for value in values:
        spec = MatchSpec.parse(value)
        if spec.name in known or value.strip().lower() != spec.name:
            continue
        raise UsageError(
            f"--accept {value!r}: no package of this transaction has this name, "
            f"and {unknown_rule(value)}"
        )
