"""conda's ``PackageRecord`` → the neutral :class:`~conda_guard.models.Record`.

One seam, one field map (renames are commented, as conda-libmamba-solver does),
and the proposed state of a transaction: ``before − unlink + link``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..models import Record, State, channel_name

if TYPE_CHECKING:
    from collections.abc import Iterable

    from conda.models.records import PackageRecord


def _tuple(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    if isinstance(value, str):
        return tuple(v for v in value.replace(",", " ").split() if v)
    return tuple(str(v) for v in value)


def _channel(prec: PackageRecord) -> str:
    channel = getattr(prec, "channel", None)
    if channel is None:
        return ""
    # NOTE: conda's Channel object → the short name users write: base_url
    # (no subdir) is what conda-meta/<dist>.json holds, minus the subdir
    base = getattr(channel, "base_url", None) or getattr(channel, "canonical_name", "")
    text = str(base or "")
    return "" if text in ("<unknown>", "None") else channel_name(text)


def _noarch(prec: PackageRecord) -> str | None:
    value = getattr(prec, "noarch", None)
    if value is None:
        return None
    # NOTE: conda keeps noarch as a NoarchType enum; the model keeps its value
    return str(getattr(value, "value", value)) or None


def _timestamp(prec: PackageRecord) -> int | None:
    value = getattr(prec, "timestamp", None)
    if not value:
        return None
    # NOTE: conda holds seconds (float); repodata and conda-meta hold milliseconds
    seconds = float(value)
    return int(round(seconds * 1000)) if seconds < 1e11 else int(seconds)


def record_from_package_record(
    prec: PackageRecord, source: str | None = None
) -> Record:
    """A :class:`Record` from a conda ``PackageRecord`` (or ``PrefixRecord``)."""
    url = getattr(prec, "url", None) or None
    return Record(
        name=prec.name,
        version=str(prec.version),
        build=prec.build,  # NOTE: conda also calls it build_string
        build_number=int(getattr(prec, "build_number", 0) or 0),
        channel=_channel(prec),
        subdir=getattr(prec, "subdir", "") or "",
        depends=_tuple(getattr(prec, "depends", ())),
        constrains=_tuple(getattr(prec, "constrains", ())),
        track_features=_tuple(getattr(prec, "track_features", ())),
        noarch=_noarch(prec),
        url=str(url) if url else None,
        md5=getattr(prec, "md5", None) or None,
        sha256=getattr(prec, "sha256", None) or None,
        fn=getattr(prec, "fn", None) or None,
        timestamp=_timestamp(prec),
        source=source or (str(url) if url else None),
    )


def state_after(
    before: State,
    unlink_precs: Iterable[PackageRecord],
    link_precs: Iterable[PackageRecord],
    *,
    requested: dict[str, str] | None = None,
    source: str = "proposed transaction",
) -> State:
    """The state conda would leave: ``before`` − unlinked + linked records.

    Records conda does not touch keep their prefix record (with its files);
    the requested specs are those of ``before`` updated with ``requested``
    (name → spec of this command), as conda's history will hold them.
    """
    records = dict(before.records)
    for prec in unlink_precs:
        current = records.get(prec.name)
        if current is not None and not current.pip:
            del records[prec.name]
    for prec in link_precs:
        records[prec.name] = record_from_package_record(prec)
    return State(
        records=records,
        source=source,
        kind="transaction",
        explicit={**before.explicit, **(requested or {})},
        prefix=before.prefix,
        platform=before.platform,
        frozen=before.frozen,
    )
