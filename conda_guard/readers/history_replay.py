"""``conda-meta/history`` replayed as a stream: package sets and requested specs.

:func:`replay` reads the revisions one at a time up to the one asked for and
keeps only what a state needs: the package set (name → :class:`DistRef`) and
conda's requested-specs map after that revision. Memory is O(packages + one
revision) whatever the length of the file, and reading stops at the revision
asked for (``PREFIX@1`` reads two sections). :func:`iter_replay` yields the
same after every revision, for ``conda-guard history``. The steps are the ones
:class:`~conda_guard.readers.history.History` uses, so both agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from conda_guard.readers.history import (
    DistRef,
    Revision,
    apply_dists,
    apply_specs,
    iter_revisions,
    revision_index,
)
from conda_guard.readers.history_file import history_blocks

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@dataclass
class Replay:
    """The history read up to one revision.

    ``count`` is the number of revisions read; ``last`` the last one read
    (None for a history without revisions).
    """

    path: str
    count: int = 0
    dists: dict[str, DistRef] = field(default_factory=dict)
    specs: dict[str, str] = field(default_factory=dict)
    last: Revision | None = None


def iter_replay(path: str | Path) -> Iterator[tuple[Revision, Replay]]:
    """After each revision: the revision and the replay so far (one object, updated)."""
    state = Replay(str(path))
    for rev in iter_revisions(history_blocks(path), state.path):
        state.dists = apply_dists(state.dists, rev)
        apply_specs(state.specs, rev, state.path)
        state.count += 1
        state.last = rev
        yield rev, state


def count_revisions(path: str | Path) -> int:
    """How many revisions the history has (the whole file is read and checked)."""
    count = 0
    for _ in iter_revisions(history_blocks(path), str(path)):
        count += 1
    return count


def replay(path: str | Path, upto: int | None = None) -> Replay:
    """The history replayed up to revision ``upto`` (negative: from the end).

    ``None`` reads every revision. :class:`InputError` when there is no such
    revision (the message gives the range).
    """
    if upto is not None and upto < 0:
        upto = revision_index(str(path), upto, count_revisions(path))
    state = Replay(str(path))
    for rev, state in iter_replay(path):
        if upto is not None and rev.number == upto:
            return state
    if upto is not None:
        revision_index(state.path, upto, state.count)  # raises: out of range
    return state
