"""The batch comparison: ``batch vs current``, ``incremental vs batch``, drift.

Also the ``conda create`` command that recreates an environment in one solve.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from ..models import channel_name

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from ..abi import AbiTable
    from ..analysis import Comparison
    from ..models import Finding, State
    from ..policy import Policy
    from .plan import Plan


def one_shot_command(
    current: State,
    specs: Sequence[str],
    channels: Sequence[str],
    *,
    strict: bool = False,
    labels: Mapping[str, str] | None = None,
) -> str:
    """``conda create -n NAME --override-channels -c … spec…`` for a batch solve.

    Channels served by ``--custom-channel`` are written by their name.
    """
    name = Path(current.prefix).name if current.prefix else "NAME"
    parts = ["conda", "create", "-n", name, "--override-channels"]
    for ch in channels:
        parts += ["-c", (labels or {}).get(channel_name(ch), ch)]
    if strict:
        parts.append("--strict-channel-priority")
    parts += list(specs)
    return " ".join(shlex.quote(p) for p in parts)


def compare(
    current: State,
    incremental: State,
    batch: State,
    plan: Plan,
    table: AbiTable | None,
    policy: Policy | None = None,
) -> tuple[list[Finding], list[Comparison]]:
    """``drift`` findings and the ``batch vs current`` / ``incremental vs batch``
    analyses (the second only when there is an incremental solve)."""
    from ..abi import load_table
    from ..analysis import Comparison, analyze
    from ..rules.drift import drift_findings

    table = table or load_table()
    findings = list(drift_findings(incremental, batch, table))
    comparisons = [
        Comparison(
            "batch vs current", analyze(current, batch, table=table, policy=policy)
        )
    ]
    if plan.mode != "batch":
        comparisons.append(
            Comparison(
                "incremental vs batch",
                analyze(batch, incremental, table=table, policy=policy),
            )
        )
    return findings, comparisons
