"""The rule registry: every rule module, in report order, and :func:`run_rules`.

A rule module exports ``RULE`` (a :class:`~conda_guard.rules.base.Rule`: id,
default severity, one-line summary) and ``check(ctx) -> Iterator[Finding]``.
Rule ids are stable: users write them in ``guard_ignore`` and ``--ignore``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import (
    abi_pin,
    blas_switch,
    broken_dependency,
    channel_mix,
    cuda_change,
    cxx_runtime,
    downgrade,
    explicit_spec,
    frozen,
    glibc_floor,
    gpu_to_cpu,
    mpi_switch,
    numpy_abi,
    openmp_switch,
    openssl_major,
    python_minor,
)
from .base import Rule, RuleContext

if TYPE_CHECKING:
    from ..models import Finding

__all__ = ["RULES", "RULE_IDS", "Rule", "RuleContext", "run_rules"]

RULES = (
    frozen,
    numpy_abi,
    python_minor,
    gpu_to_cpu,
    cuda_change,
    mpi_switch,
    blas_switch,
    openmp_switch,
    cxx_runtime,
    openssl_major,
    glibc_floor,
    abi_pin,
    broken_dependency,
    channel_mix,
    explicit_spec,
    downgrade,
)

#: Ids of the rules above plus those whose findings come from other layers.
RULE_IDS: tuple[str, ...] = (
    *(m.RULE.id for m in RULES),
    "soname",  # conda_guard.binaries (link-level proof)
    "drift",  # conda_guard.solve (incremental vs batch)
    "pip-extension",  # conda_guard.binaries.pip (compiled pip-installed dists)
)


def run_rules(ctx: RuleContext) -> tuple[Finding, ...]:
    """Run every rule on ``ctx``; findings sorted by severity (high first), rule."""
    findings: list[Finding] = []
    for module in RULES:
        findings.extend(module.check(ctx))
    return tuple(sorted(findings, key=lambda f: (-f.severity, f.rule, f.names)))
