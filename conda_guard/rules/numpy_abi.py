"""``numpy-abi``: compiled packages next to a numpy whose C-API they were not
built for.

NumPy's ABI works forward only: an extension compiled against the 1.x
headers fails to import under numpy 2.x ("A module that was compiled using
NumPy 1.x cannot be run in NumPy 2.x"). What proves it:

- a dependency that excludes the new numpy (``numpy >=1.26.0,<2.0a0`` under
  numpy 2): ``high``;
- the package's files (a prefix, the package cache): an extension module that
  names only ``numpy.core._multiarray_umath`` was compiled against the 1.x
  headers (``high``, naming the file); one that names
  ``numpy._core._multiarray_umath`` against 2.x (fine); one that names
  neither does not use the C-API through ``import_array`` (pybind11, Cython
  without ``cimport numpy``, nanobind, ctypes: nothing to break).

Metadata alone proves less. conda-forge packages built against numpy 2 declare
``numpy …,<3``; a compiled package whose numpy dependency has no upper bound
was either built against 1.x or does not have numpy as a build dependency at
all (contourpy through pybind11, lightgbm through ctypes). Such a package next
to a numpy that crosses to 2.x is ``medium``, worded as what cannot be proven;
the record's build date is shown when it predates numpy 2.0's first
pre-release. A newly installed compiled package (an old build pulled in by a
loose dependency) next to numpy ≥ 2 is judged the same way; from metadata it
is reported only when its build date proves it older than numpy 2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import ChangeKind, Severity
from .base import Rule, crossed, finding, record_evidence, violation_evidence
from .numpy_verdicts import Verdict, judge

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..models import Change, Finding
    from .base import RuleContext

RULE = Rule("numpy-abi", Severity.MEDIUM, "numpy crosses its C-API/ABI major version")


def _major(version: str) -> int:
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else 0


def _names(verdicts: list[Verdict]) -> str:
    return ", ".join(sorted({v.record.name for v in verdicts}))


def _crossing(change: Change, ctx: RuleContext) -> Finding:
    assert change.before and change.after
    name, new = change.name, change.after
    upgrade = change.has(ChangeKind.UPGRADED) and _major(new.version) >= 2
    verdicts = judge(name, new, ctx, every=True) if upgrade else []
    violated = ctx.violations(name)
    proven = [v for v in verdicts if v.kind == "v1"]
    unknown = [v for v in verdicts if v.kind == "unknown"]
    evidence = [record_evidence(change)]
    evidence += violation_evidence(violated, f"{name} {new.version}")
    evidence += [line for v in verdicts for line in v.lines]
    if unknown and ctx.after.kind == "conda-lock":
        evidence.append(
            "a conda-lock.yml keeps one spec per dependency name: the '<3' bound "
            "of a build for numpy 2 may be missing from these records"
        )
    moves = f"{name} {change.before.version} -> {new.version}"
    broken = sorted({r.name for r, _ in violated} | {v.record.name for v in proven})
    if broken:
        severity = Severity.HIGH
        message = (
            f"{moves} crosses the NumPy C-API major version under packages built "
            f"against the old one: {', '.join(broken)}"
        )
    elif unknown:
        severity = RULE.severity
        message = (
            f"{moves} crosses the NumPy C-API major version; whether "
            f"{_names(unknown)} {'was' if len(unknown) == 1 else 'were'} compiled "
            f"against numpy 1.x cannot be proven from metadata (no upper bound on "
            f"numpy"
            + ("; their files are not available)" if ctx.files is not None else ")")
        )
    elif not ctx.depends_known:
        severity = RULE.severity
        message = (
            f"{moves} crosses the NumPy C-API major version; the records carry no "
            f"dependencies, so which compiled packages were built against numpy "
            f"1.x cannot be proven"
        )
    else:
        severity = RULE.severity
        none = [v for v in verdicts if v.kind == "none"]
        message = (
            f"{moves} crosses the NumPy C-API major version; compiled dependents "
            f"in the result declare support for it"
            + (f" or use no NumPy C-API ({_names(none)})" if none else "")
            + (" as far as dependencies are known" if ctx.depends_partial else "")
        )
    return finding(
        RULE,
        message,
        [change],
        severity=severity,
        evidence=evidence,
        why=ctx.why(name),
    )


def _newcomers(name: str, ctx: RuleContext) -> Finding | None:
    """New or changed compiled dependents next to a numpy >= 2 that did not cross."""
    target = ctx.after.get(name)
    if target is None or _major(target.version) < 2:
        return None
    verdicts = [
        v
        for v in judge(name, target, ctx, every=False)
        if v.kind == "v1" or (v.kind == "unknown" and v.built_before)
    ]
    excluded = [
        (r, s)
        for r, s in ctx.violations(name)
        if r.name in ctx.by_name and name not in ctx.by_name
    ]
    if not verdicts and not excluded:
        return None
    changes = [
        ctx.by_name[n]
        for n in sorted(
            {v.record.name for v in verdicts} | {r.name for r, _ in excluded}
        )
    ]
    proven = {v.record.name for v in verdicts if v.kind == "v1"} | {
        r.name for r, _ in excluded
    }
    here = f"{name} {target.version} {target.build}"
    if proven:
        severity = Severity.HIGH
        message = (
            f"{', '.join(sorted(proven))} "
            f"{'is' if len(proven) == 1 else 'are'} installed next to {here} but "
            f"built against numpy 1.x"
        )
    else:
        severity = RULE.severity
        message = (
            f"{_names(verdicts)} {'is' if len(verdicts) == 1 else 'are'} installed "
            f"next to {here} but built before numpy 2.0 existed; whether "
            f"{'it uses' if len(verdicts) == 1 else 'they use'} the NumPy C-API "
            f"cannot be proven from metadata"
        )
    return finding(
        RULE,
        message,
        changes,
        severity=severity,
        evidence=[
            *violation_evidence(excluded, here),
            *(line for v in verdicts for line in v.lines),
        ],
        why=[w for c in changes for w in ctx.why(c.name)],
    )


def check(ctx: RuleContext) -> Iterator[Finding]:
    """One finding per numpy-family package that crosses its major version, and
    one for compiled packages newly installed next to numpy 2 that predate it."""
    crossing = set()
    for change in ctx.changes_in("numpy"):
        if crossed(change, ctx.table):
            crossing.add(change.name)
            yield _crossing(change, ctx)
    for rec in ctx.after:
        if ctx.table.family_of(rec.name) == "numpy" and rec.name not in crossing:
            found = _newcomers(rec.name, ctx)
            if found is not None:
                yield found
