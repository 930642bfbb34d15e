"""``python-minor``: Python changes its minor version or ABI flavour.

Every compiled package is built for one ``python_abi`` (``cp312``; the
free-threaded build ``cp314t`` is a different ABI from ``cp314``). The change
is ``high`` when something provably stays on the old ABI:

- a record of the result excludes the new Python (``python >=3.11,<3.12.0a0``);
- a compiled record of the result was built for the old ABI (its
  ``python_abi`` dependency or, in an explicit file, its build string says so);
- pip-installed distributions of a prefix stay in the old
  ``lib/pythonX.Y/site-packages``, invisible to the new interpreter — only
  when the before state is an installed prefix: the ``pypi:`` entries of a
  lock file are resolved again by the lock, nothing stays behind.

Otherwise it is ``medium``: every compiled package is replaced by a build for
the new ABI, and conda relinks ``noarch: python`` packages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import Severity
from .base import (
    APPLIED_KINDS,
    INSTALLED_KINDS,
    Rule,
    crossed,
    finding,
    is_compiled,
    record_evidence,
    violation_evidence,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..models import Change, Finding, Record
    from .base import RuleContext

RULE = Rule("python-minor", Severity.MEDIUM, "Python changes minor version or ABI")


def _label(abi: str | None, ctx: RuleContext) -> str:
    """``cp314t (free-threaded)`` for a flavoured ABI, the tag otherwise."""
    if not abi:
        return "unknown"
    flavours = ctx.table.note("python", "abi_flavours") or {}
    for suffix, name in flavours.items():
        if not suffix.startswith("_") and abi.endswith(suffix) and abi[-2].isdigit():
            return f"{abi} ({name})"
    return abi


def _left_behind(old: str | None, new: str | None, ctx: RuleContext) -> list[Record]:
    """Compiled records of the result that were built for the old ABI."""
    if not old or old == new:
        return []
    if ctx.depends_known:  # builds for a Python depend on python or python_abi
        candidates = {
            r for n in ctx.table.members("python") for r, _ in ctx.requirers(n)
        }
    else:  # an explicit file: the build strings say it
        candidates = set(ctx.after)
    return sorted(
        (
            r
            for r in candidates
            if is_compiled(r)
            and ctx.table.family_of(r.name) != "python"
            and ctx.table.variants(r).get("python") == old
        ),
        key=lambda r: r.name,
    )


def _pips(ctx: RuleContext) -> list[Record]:
    """pip dists of an installed prefix that stay (a lock file re-resolves them)."""
    if ctx.before.kind not in INSTALLED_KINDS or ctx.after.kind not in APPLIED_KINDS:
        return []
    return sorted(
        (r for r in ctx.before if r.pip and ctx.after.get(r.name) == r),
        key=lambda r: r.name,
    )


def _main(moved: list[Change]) -> Change:
    return next((c for c in moved if c.name == "python"), moved[0])


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield one finding when python (or python_abi's flavour) moves."""
    changes = ctx.changes_in("python")
    moved = [c for c in changes if crossed(c, ctx.table) or "python" in c.variants]
    if not moved:
        return
    main = _main(moved)
    if main.before is None or main.after is None:
        return
    old_abi = ctx.table.variants(main.before).get("python")
    new_abi = ctx.table.variants(main.after).get("python")
    evidence = [record_evidence(c) for c in changes]
    violated = [v for c in changes for v in ctx.violations(c.name)]
    evidence += violation_evidence(violated, "python")
    left = _left_behind(old_abi, new_abi, ctx)
    evidence += [
        f"{r.name} {r.label} "
        + ("stays and " if ctx.unchanged(r) else "")
        + f"was built for {_label(old_abi, ctx)}"
        for r in left
    ]
    pips = _pips(ctx)
    evidence += _pip_evidence(pips, main.after.version, ctx)
    stuck = sorted({r.name for r, _ in violated} | {r.name for r in (*left, *pips)})
    old = f"{main.before.version} {main.before.build}"
    new = f"{main.after.version} {main.after.build}"
    abi = f"the Python ABI from {_label(old_abi, ctx)} to {_label(new_abi, ctx)}"
    severity, message = _verdict(
        f"{main.name} {old} -> {new} changes {abi}", stuck, ctx
    )
    yield finding(
        RULE,
        message,
        moved,
        severity=severity,
        evidence=evidence,
        why=ctx.why(main.name),
    )


def _pip_evidence(pips: list[Record], version: str, ctx: RuleContext) -> list[str]:
    """What happens to pip's distributions: they stay behind, or are resolved."""
    if pips:
        return [
            f"{len(pips)} pip-installed distribution(s) stay in the old "
            f"site-packages and will not be seen by python {version}: "
            + ", ".join(f"{r.name} {r.version}" for r in pips)
        ]
    if resolved := sorted(r.name for r in ctx.after if r.pip):
        return [
            f"the PyPI entries of {ctx.after.source or 'the after state'} ("
            + ", ".join(resolved[:5])
            + (" …" if len(resolved) > 5 else "")
            + ") are resolved for the new Python: none stays in an old "
            "site-packages"
        ]
    return []


def _verdict(change: str, stuck: list[str], ctx: RuleContext) -> tuple[Severity, str]:
    """High when packages stay on the old ABI (``stuck``), else the rule's default.

    ``change`` says what moves (``python 3.11.9 h1 -> 3.12.4 h2 changes ...``).
    """
    if stuck:
        return Severity.HIGH, (
            f"{change}; these packages were "
            f"built or installed for the old one: {', '.join(stuck)}"
        )
    return RULE.severity, f"{change}; " + (
        "every compiled package in the result is a build for the new one"
        if ctx.depends_known
        else "no compiled build in the result is marked for the old one "
        "(the records carry no dependencies)"
    )
