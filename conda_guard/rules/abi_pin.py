"""``abi-pin``: a library that conda-forge pins for ABI reasons crosses its pin.

The pinned libraries (libprotobuf, icu, hdf5, libabseil, boost …) come from
conda-forge's pinning file (``data/abi_pins.json``); crossing the pin means a
new soname. It only matters for packages that link the library and were not
rebuilt; in a re-solved lock file every dependent is a build for the new
version. A package that links a pinned library carries its run_exports bound
(``libprotobuf >=4.25.3,<4.25.4.0a0``), so the proof is in the depends:

- ``high`` when a record of the result was built for the old version: its
  dependency excludes the new one (named in the message, with the spec);
- ``info`` otherwise — nothing that stays depends on the old version (a
  dependency without an upper bound is a run-time requirement, not a link:
  linking would have added the bound). ``info`` findings are notes, not risks.

Families with a rule of their own (numpy, python, openssl, CUDA, the C++
runtime, BLAS) are left to those rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import Severity
from .base import Rule, crossed, finding, record_evidence, violation_evidence

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..models import Change, Finding
    from .base import RuleContext

RULE = Rule("abi-pin", Severity.INFO, "an ABI-pinned library crosses its pin")


def claims(change: Change, ctx: RuleContext) -> bool:
    """True for a pinned library (no family of its own) crossing its pin."""
    table = ctx.table
    if table.family_of(change.name) is not None or table.pin(change.name) is None:
        return False
    return crossed(change, table)


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding for each pinned library crossing its pin granularity."""
    for change in ctx.changes:
        if not claims(change, ctx):
            continue
        assert change.before and change.after
        pin = ctx.table.pin(change.name)
        assert pin is not None
        violated = ctx.violations(change.name)
        moves = f"{change.name} {change.before.version} -> {change.after.version}"
        if violated:
            names = sorted({r.name for r, _ in violated})
            message = (
                f"{moves} crosses its ABI pin ({pin.granularity}) under "
                f"{', '.join(names)}, built for the old version"
            )
            severity = Severity.HIGH
        elif ctx.depends_known:
            message = (
                f"{moves} crosses its ABI pin ({pin.granularity}); nothing in the "
                f"result depends on the old version"
                + (" as far as dependencies are known" if ctx.depends_partial else "")
            )
            severity = Severity.INFO
        else:
            message = (
                f"{moves} crosses its ABI pin ({pin.granularity}); the records carry "
                f"no dependencies, so which packages link it cannot be seen"
            )
            severity = Severity.INFO
        yield finding(
            RULE,
            message,
            [change],
            severity=severity,
            evidence=[
                record_evidence(change),
                f"conda-forge pins {change.name} at '{pin.granularity}' ({pin.source})",
                *violation_evidence(violated, f"{change.name} {change.after.version}"),
            ],
            why=ctx.why(change.name) if violated else (),
        )
