"""``conda doctor`` check ``abi-guard``: the report of ``conda guard check``.

conda calls :func:`check` as ``action(prefix, verbose)`` and only logs what it
raises, so the check prints its own ✓/✗ lines and the command to run next.
"""

from __future__ import annotations

import shlex
from pathlib import Path

OK_MARK = "\N{CHECK MARK}"
X_MARK = "\N{BALLOT X}"


def environment_findings(prefix: str) -> tuple[list, list[str]]:
    """Findings and notes about ``prefix`` as it is (``conda guard check``)."""
    from ..analysis import analyze
    from ..models import State
    from ..readers.prefix import read_prefix

    state = read_prefix(prefix)
    empty = State(records={}, source="(empty)", kind="empty", explicit=state.explicit)
    analysis = analyze(empty, state)
    notes = list(analysis.notes)
    findings = list(analysis.findings)
    try:
        from ..binaries import pip_extensions
    except ImportError as exc:
        notes.append(f"pip extension check skipped: {exc}")
    else:
        dists = pip_extensions(Path(prefix))
        if dists:
            from ..commands import _pip_findings

            findings.extend(_pip_findings(dists))
    return findings, notes


def check(prefix: str, verbose: bool) -> None:
    """Print one ✓/✗ line (and each finding when there are some)."""
    from ..exceptions import GuardError
    from ..report.common import finding_line

    quoted = shlex.quote(prefix)
    try:
        findings, notes = environment_findings(prefix)
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
