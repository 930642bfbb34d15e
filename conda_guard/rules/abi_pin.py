"""``abi-pin``: a library that conda-forge pins for ABI reasons crosses its pin.

The pinned libraries (libprotobuf, icu, hdf5, libabseil, boost …) come from
conda-forge's pinning file (``data/abi_pins.json``); crossing the pin means a
new soname. Families with a rule of their own (numpy, python, openssl, CUDA,
the C++ runtime, BLAS) are left to those rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import Severity
from .base import Rule, crossed, finding, is_compiled, record_evidence

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..models import Finding
    from .base import RuleContext

RULE = Rule("abi-pin", Severity.LOW, "an ABI-pinned library crosses its pin")


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding for each pinned library crossing its pin granularity."""
    table = ctx.table
    for change in ctx.changes:
        if table.family_of(change.name) is not None:
            continue
        pin = table.pin(change.name)
        if pin is None or not crossed(change, table):
            continue
        assert change.before and change.after
        users = [d for d in ctx.dependents(change.name) if is_compiled(d.record)]
        evidence = [
            record_evidence(change),
            f"conda-forge pins {change.name} at '{pin.granularity}' ({pin.source})",
        ]
        if users:
            evidence.append(
                f"{len(users)} compiled package(s) link it: "
                + ", ".join(
                    f"{d.record.name} ({', '.join(repr(s) for s in d.specs)})"
                    for d in users[:10]
                )
                + (" …" if len(users) > 10 else "")
            )
        yield finding(
            RULE,
            f"{change.name} {change.before.version} -> {change.after.version} "
            f"crosses its ABI pin ({pin.granularity}); packages linking it must "
            f"be builds for the new version",
            [change],
            evidence=evidence,
            why=ctx.why(change.name),
        )
