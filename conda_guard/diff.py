"""The diff: two states in, one :class:`~conda_guard.models.Change` per moved name out.

A package is unchanged when version, build and channel agree (a channel that
one side does not know is not a difference). ``noarch: python`` records that
conda relinks on a Python change keep their version and build, so they are no
change here either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .channel_names import active as active_channels
from .models import Change, ChangeKind
from .version import InvalidVersion, parse_version

if TYPE_CHECKING:
    from .abi import AbiTable
    from .models import Record, State

# The order in which a change's tags pick its main kind.
_PRIMARY = (
    ChangeKind.UPGRADED,
    ChangeKind.DOWNGRADED,
    ChangeKind.VARIANT_SWITCH,
    ChangeKind.CHANNEL_SWITCH,
    ChangeKind.REBUILT,
)


def compare_versions(a: str, b: str) -> int:
    """-1, 0 or 1 as conda orders ``a`` and ``b``; plain text order if unparsable."""
    if a == b:
        return 0
    try:
        va, vb = parse_version(a), parse_version(b)
    except InvalidVersion:
        return (a > b) - (a < b)
    return (va > vb) - (va < vb)


def same_package(before: Record, after: Record) -> bool:
    """True when both records are the same artifact as far as either side knows."""
    if before.version != after.version or before.build != after.build:
        return False
    if before.pip != after.pip:
        return False
    return not channels_differ(before, after)


def channels_differ(before: Record, after: Record) -> bool:
    """True when both channels are known and are not one channel.

    One channel under two names is no move: a history's ``defaults`` and
    conda-meta's ``pkgs/main``, an alias's name and its URL
    (:meth:`conda_guard.channel_names.ChannelNames.same`).
    """
    if not (before.channel and after.channel) or before.channel == after.channel:
        return False
    return not active_channels().same(before.channel, after.channel)


def variant_changes(
    before: Record, after: Record, table: AbiTable | None
) -> dict[str, tuple[str | None, str | None]]:
    """Axis → (before, after) for every variant axis whose value differs."""
    if table is None:
        return {}
    vb, va = table.variants(before), table.variants(after)
    return {
        axis: (vb.get(axis), va.get(axis))
        for axis in sorted(set(vb) | set(va))
        if vb.get(axis) != va.get(axis)
    }


def classify(before: Record, after: Record, table: AbiTable | None) -> Change | None:
    """The change from ``before`` to ``after`` of one name, or None if unchanged."""
    if same_package(before, after):
        return None
    tags: list[ChangeKind] = []
    order = compare_versions(after.version, before.version)
    if order > 0:
        tags.append(ChangeKind.UPGRADED)
    elif order < 0:
        tags.append(ChangeKind.DOWNGRADED)
    elif before.build != after.build or before.build_number != after.build_number:
        tags.append(ChangeKind.REBUILT)
    variants = variant_changes(before, after, table)
    if variants:
        tags.append(ChangeKind.VARIANT_SWITCH)
    if channels_differ(before, after):
        tags.append(ChangeKind.CHANNEL_SWITCH)
    if not tags:
        # Same version, build and channel but a pip/conda swap.
        tags.append(ChangeKind.REBUILT)
    kind = next(k for k in _PRIMARY if k in tags)
    return Change(
        name=before.name,
        kind=kind,
        before=before,
        after=after,
        tags=tuple(k for k in _PRIMARY if k in tags),
        variants=variants,
    )


def diff_states(
    before: State, after: State, table: AbiTable | None = None
) -> tuple[Change, ...]:
    """All changes from ``before`` to ``after``, sorted by package name."""
    changes: list[Change] = []
    b_recs, a_recs = before.records, after.records
    for name in sorted(b_recs.keys() | a_recs.keys()):
        b, a = b_recs.get(name), a_recs.get(name)
        if b is a:
            continue  # the same record object (a history revision's untouched ones)
        if b is None:
            changes.append(
                Change(name, ChangeKind.INSTALLED, None, a, (ChangeKind.INSTALLED,))
            )
        elif a is None:
            changes.append(
                Change(name, ChangeKind.REMOVED, b, None, (ChangeKind.REMOVED,))
            )
        else:
            change = classify(b, a, table)
            if change is not None:
                changes.append(change)
    return tuple(changes)
