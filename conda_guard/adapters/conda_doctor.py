"""``conda doctor`` check ``abi-guard``: the report of ``conda guard check``.

The same check (:func:`conda_guard.checkup.check_environment`): the records,
and the prefix's own files (sonames nothing provides, C++ runtime symbol
versions, extension modules built against NumPy 1.x under numpy 2, pip
distributions left in an old Python's site-packages).

conda calls :func:`check` as ``action(prefix, verbose)`` and only logs what it
raises, so the check prints its own ✓/✗ lines and the command to run next.
The ``plugins.guard_*`` policy (``guard_ignore``, ``guard_allow``) applies.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..models import Finding
    from ..policy import Policy

OK_MARK = "\N{CHECK MARK}"
X_MARK = "\N{BALLOT X}"


def environment_findings(
    prefix: str, policy: Policy
) -> tuple[list[Finding], list[str]]:
    """Findings and notes about ``prefix`` as it is (``conda guard check``).

    ``policy`` (the ``plugins.guard_*`` settings) drops ignored and allowed
    findings, as everywhere else.
    """
    from ..checkup import check_environment

    analysis = check_environment(prefix, policy)
    return list(analysis.findings), list(analysis.notes)


def check(prefix: str, verbose: bool) -> None:
    """Print one ✓/✗ line (and each finding when there are some)."""
    from ..exceptions import GuardError
    from ..report.common import finding_line
    from .conda_settings import read_settings

    quoted = shlex.quote(prefix)
    try:
        findings, notes = environment_findings(prefix, read_settings().policy())
    except GuardError as exc:
        print(f"{X_MARK} conda-guard could not read the environment: {exc}\n")
        return
    if not findings:
        print(f"{OK_MARK} No ABI risks found in the environment (conda-guard).\n")
        if verbose:
            for note in notes:
                print(f"  note: {note}")
        return
    print(f"{X_MARK} conda-guard found {len(findings)} ABI risk(s) in the environment:")
    for f in findings:
        print(f"  {finding_line(f)}")
        if verbose:
            for e in f.evidence:
                print(f"      - {e}")
    if verbose:
        for note in notes:
            print(f"  note: {note}")
    print(f"  Details: conda guard check -p {quoted}\n")
