"""An environment as it is: what its records and its own files prove broken.

:func:`check_environment` is ``conda-guard check`` and ``conda doctor``'s
``abi-guard``: the rules on the empty state → the prefix (what the records
say: dependencies that do not hold, …, with the NumPy C-API of extension
modules read from the files, :class:`~conda_guard.binaries.file_facts.DiskFileFacts`),
plus the binaries' proof (:func:`~conda_guard.binaries.health.environment_links`:
sonames nothing provides, symbol versions above what the loaded library
defines) and the pip-installed distributions (left in an old Python's
site-packages, built against NumPy 1.x under numpy 2). One
:class:`~conda_guard.binaries.scan.ScannerPool` serves every read, so each
file is read at most once and the prefix's cache is written once, pruned to
the files this scan used. The policy's filters apply to every finding.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .analysis import Analysis, analyze
from .models import State
from .policy import Policy, apply_filters

if TYPE_CHECKING:
    from .models import Finding


def check_environment(
    prefix: str,
    policy: Policy | None = None,
    *,
    files: bool = True,
    cache_dir: Path | None | bool = None,
) -> Analysis:
    """The analysis of ``prefix`` as it is (``files=False``: records only)."""
    from .readers import read_state

    policy = policy or Policy()
    state = read_state(prefix, "prefix")
    empty = State(records={}, source="(empty)", kind="empty", explicit=state.explicit)
    if not files:
        found = analyze(empty, state, policy=policy)
        return _as_is(found, state, (), _frozen(state), ())
    from .binaries import pip_extension_findings
    from .binaries.file_facts import DiskFileFacts
    from .binaries.health import environment_links
    from .binaries.pip import environment_pip_findings, find_pip_dists
    from .binaries.scan import ScannerPool

    root = Path(prefix)
    pool = ScannerPool(cache_dir)
    facts = DiskFileFacts(root, pool=pool)
    # records without files (an exported or hand-made prefix): the rules say
    # that no files are known, not that they could not be read
    listed = any(r.files for r in state)
    found = analyze(empty, state, policy=policy, files=facts if listed else None)
    dists = find_pip_dists(root)
    links = environment_links(state, root, pool=pool, dists=dists)
    extra: list[Finding] = [*links.findings]
    extra += environment_pip_findings(state, dists, pool.get(root))
    extensions = {d.name: d.extensions for d in dists if d.extensions}
    extra += pip_extension_findings(extensions)
    pool.save(every_file_seen=(root,))
    kept = apply_filters(extra, policy)
    notes = [*links.notes, *kept.notes, *_frozen(state)]
    doubts = [*links.warnings, *_unreadable(facts.unreadable)]
    return _as_is(found, state, kept.kept, notes, doubts)


def _unreadable(unreadable: dict[str, str]) -> list[str]:
    """The files whose NumPy C-API could not be read."""
    missing = sorted(unreadable)
    if not missing:
        return []
    note = (
        f"{len(missing)} extension module(s) could not be read, so their NumPy "
        f"C-API was not checked: {', '.join(missing[:3])}"
    )
    return [note]


def _frozen(state: State) -> list[str]:
    if state.frozen is None:
        return []
    return ["the environment is marked frozen (conda-meta/frozen)"]


def _as_is(
    found: Analysis,
    state: State,
    extra: tuple[Finding, ...] | list[Finding],
    notes: list[str] | tuple[str, ...],
    doubts: list[str] | tuple[str, ...],
) -> Analysis:
    """The analysis as ``check`` shows it: no changes, the prefix on both sides.

    ``doubts`` (files that could not be read) go with the warnings, which the
    report shows even when there is no finding.
    """
    return Analysis(
        before=state,
        after=state,
        changes=(),
        findings=found.findings,
        notes=(*found.notes, *notes),
        warnings=(*found.warnings, *doubts),
    ).extend(findings=extra)
