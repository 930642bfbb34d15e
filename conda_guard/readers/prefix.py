"""Read a conda prefix (``conda-meta/*.json``, history, frozen, pip installs).

A prefix state holds one :class:`Record` per ``conda-meta/<dist>.json``
PrefixRecord, the requested specs from ``conda-meta/history``, the content of
``conda-meta/frozen`` and the Python distributions installed by other tools
(``*.dist-info`` not owned by conda, shown by ``conda list`` as ``pypi_0``).
``read_prefix_revision`` rebuilds the package set at a history revision.
Standard library only.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from conda_guard.channel_names import active as active_channels
from conda_guard.exceptions import InputError
from conda_guard.models import Record, State, channel_name
from conda_guard.readers.explicit import most_common_subdir, split_package_url
from conda_guard.readers.history import DistRef, Revision, only_installed
from conda_guard.readers.history_replay import Replay, iter_replay, replay
from conda_guard.readers.pip_dists import (
    merge_pip,
    read_pip_records,
)
from conda_guard.readers.source import check_count, load_json, path_kind, read_text
from conda_guard.readers.validate import (
    int_field,
    str_list_field,
    text_field,
    unique_records,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any


def _features(source: str, data: dict[str, Any]) -> tuple[str, ...]:
    """``track_features`` is a string (comma/space separated) or a list."""
    value = data.get("track_features")
    if isinstance(value, str):
        return tuple(f for f in re.split(r"[,\s]+", value) if f)
    if value is None:
        return ()
    return str_list_field(source, data, "track_features")


def _noarch(data: dict[str, Any]) -> str | None:
    """``noarch`` is ``python``/``generic``, a ``{"type": …}`` dict or a bool."""
    value = data.get("noarch")
    if isinstance(value, dict):
        value = value.get("type")
    if isinstance(value, str):
        value = value.strip().lower()
        return value if value and value not in ("none", "false") else None
    if value is True:
        return "generic"
    if data.get("noarch_python") is True:
        return "python"
    return None


def _opt_str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text if text and text != "None" else None


def _channel_and_subdir(data: dict[str, Any]) -> tuple[str, str, str | None]:
    url = _opt_str(data.get("url"))
    channel_url = _opt_str(data.get("channel")) or ""
    subdir = _opt_str(data.get("subdir")) or ""
    if url and (not channel_url or not subdir):
        try:
            url_channel, url_subdir, _ = split_package_url(url)
        except ValueError:
            url_channel, url_subdir = "", ""
        channel_url = channel_url or url_channel
        subdir = subdir or url_subdir
    return channel_url, subdir, url


def record_from_prefix_json(data: Any, source: str) -> Record:
    """A :class:`Record` from a parsed PrefixRecord; :class:`InputError` if invalid.

    ``name``, ``version`` and ``build`` must be non-empty strings,
    ``build_number`` an integer, ``depends``/``constrains`` lists of strings.
    """
    if not isinstance(data, dict):
        raise InputError(source, "not a package record (expected a JSON object)")
    name = text_field(source, data, "name")
    version = text_field(source, data, "version")
    build = text_field(source, data, "build", "build_string")
    channel_url, subdir, url = _channel_and_subdir(data)
    requested = _opt_str(data.get("requested_spec"))
    if requested is None:
        specs = data.get("requested_specs")
        if isinstance(specs, list) and specs:
            requested = _opt_str(specs[0])
    files = data.get("files")
    return Record(
        name=name,
        version=version,
        build=build,
        build_number=int_field(source, data, "build_number") or 0,
        channel=channel_name(channel_url),
        subdir=subdir,
        depends=str_list_field(source, data, "depends"),
        constrains=str_list_field(source, data, "constrains"),
        track_features=_features(source, data),
        noarch=_noarch(data),
        url=url,
        md5=_opt_str(data.get("md5")),
        sha256=_opt_str(data.get("sha256")),
        fn=_opt_str(data.get("fn")),
        timestamp=_timestamp(data.get("timestamp")),
        source=source,
        requested_spec=requested,
        files=tuple(map(str, filter(None, files))) if isinstance(files, list) else (),
        python_site_packages_path=_opt_str(data.get("python_site_packages_path")),
    )


def _timestamp(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _load_json(path: str) -> Any:
    return load_json(path, read_text(path))


def _conda_meta(prefix: Path) -> Path:
    kind = path_kind(prefix)
    if kind is None:
        raise InputError(prefix, "no such directory")
    if kind != "dir":
        raise InputError(prefix, "not a directory (a prefix is a directory)")
    meta = prefix / "conda-meta"
    if path_kind(meta) != "dir":
        raise InputError(prefix, "not a conda prefix (no conda-meta directory)")
    return meta


def read_prefix_records(prefix: str | Path) -> dict[str, Record]:
    """The conda records of a prefix, name → record (``conda-meta/*.json``)."""
    meta = _conda_meta(Path(prefix))
    try:
        entries = sorted(
            e.path for e in os.scandir(meta) if e.name.endswith(".json") and e.is_file()
        )
    except OSError as exc:
        raise InputError(meta, f"cannot list: {exc.strerror or exc}") from None
    check_count(meta, len(entries), "records in conda-meta")
    records = [record_from_prefix_json(_load_json(path), path) for path in entries]
    return {rec.name: rec for rec in unique_records(str(meta), records)}


def read_frozen(prefix: str | Path) -> str | None:
    """Content of ``conda-meta/frozen`` (``""`` when empty), None when absent."""
    path = Path(prefix) / "conda-meta" / "frozen"
    if path_kind(path) != "file":
        return None
    return read_text(path)


def _history_file(prefix: Path) -> Path | None:
    path = prefix / "conda-meta" / "history"
    return path if path_kind(path) == "file" else None


def _written_by_pixi(path: Path) -> bool:
    """pixi writes one line, ``// not relevant for pixi but for `conda run -p```."""
    try:
        with open(path, "rb") as fh:
            return fh.read(256).lstrip().startswith(b"//")
    except OSError:
        return False


def _names(names: list[str]) -> str:
    shown = ", ".join(sorted(names)[:3])
    return shown + (", …" if len(names) > 3 else "")


def history_warnings(
    path: Path, replayed: Replay, records: dict[str, Record]
) -> tuple[str, ...]:
    """What the history says that conda-meta contradicts (or that it says nothing)."""
    if replayed.count == 0:
        if _written_by_pixi(path):
            return ()
        return (f"{path}: the history has no revisions; requested specs are unknown",)
    dists = replayed.dists
    missing = [n for n in dists if n not in records]
    extra = [n for n in records if n not in dists]
    other = [
        n
        for n, d in dists.items()
        if n in records
        and (records[n].version, records[n].build) != (d.version, d.build)
    ]
    if not (missing or extra or other):
        return ()
    parts = [
        f"{len(names)} {what}: {_names(names)}"
        for names, what in (
            (missing, "not in conda-meta"),
            (extra, "not in the history"),
            (other, "at another version or build"),
        )
        if names
    ]
    text = (
        f"{path}: the history does not describe this prefix: its last revision "
        f"(#{replayed.count - 1}) has {len(dists)} packages, conda-meta "
        f"{len(records)} ({'; '.join(parts)})"
    )
    return (text,)


def read_prefix(
    path: str | Path, *, platform: str | None = None, environment: str | None = None
) -> State:
    """Read a prefix directory into a :class:`State`.

    The history is replayed as a stream for the requested specs; what it says
    against conda-meta (another package set, no revisions) becomes a warning.
    """
    prefix = Path(path)
    conda_records = read_prefix_records(prefix)
    hpath = _history_file(prefix)
    explicit: dict[str, str] = {}
    warnings: tuple[str, ...] = ()
    if hpath is not None:
        replayed = replay(hpath)
        explicit = only_installed(replayed.specs, conda_records)
        warnings = history_warnings(hpath, replayed, conda_records)
    records = merge_pip(conda_records, read_pip_records(prefix, conda_records))
    return State(
        records=records,
        source=str(path),
        kind="prefix",
        explicit=explicit,
        prefix=str(path),
        platform=most_common_subdir(list(conda_records.values())),
        frozen=read_frozen(prefix),
        warnings=warnings,
    )


def _record_of(
    dist: DistRef, current: dict[str, Record], names: HistoryChannels
) -> Record:
    """conda-meta's record when it is the same build, else one from the line
    (its channel named as conda-meta names it, :class:`HistoryChannels`)."""
    rec = current.get(dist.name)
    if rec is not None and rec.version == dist.version and rec.build == dist.build:
        return rec
    record = dist.to_record()
    channel = names.resolve(dist.channel, rec)
    return record if channel == record.channel else replace(record, channel=channel)


class HistoryChannels:
    """The history's channel names as conda-meta names the same channels.

    conda's history names a channel by its canonical name (``forge`` for
    ``file:///mirror/forge`` under that ``channel_alias``, ``defaults`` for
    ``pkgs/main``); conda-meta by its URL. A history name becomes the
    conda-meta name of the same channel (:meth:`ChannelNames.same`), that of
    the package's own record first, else the most used one; so a revision
    state mixes no two names of one channel.
    """

    def __init__(self, current: dict[str, Record]) -> None:
        counts: dict[str, int] = {}
        for rec in current.values():
            if rec.channel:
                counts[rec.channel] = counts.get(rec.channel, 0) + 1
        self.channels = sorted(counts, key=lambda c: -counts[c])
        self.known: dict[str, str] = {}
        self.names = active_channels()

    def resolve(self, channel: str, own: Record | None) -> str:
        """The conda-meta name of the history's ``channel``."""
        if not channel or channel in self.channels:
            return channel
        if own is not None and own.channel and self.names.same(channel, own.channel):
            return own.channel
        if channel not in self.known:
            self.known[channel] = next(
                (c for c in self.channels if self.names.same(channel, c)), channel
            )
        return self.known[channel]


def _revision_state(
    path: str | Path, replayed: Replay, records: dict[str, Record], number: int
) -> State:
    return State(
        records=records,
        source=f"{path}@{number}",
        kind="prefix",
        explicit=only_installed(replayed.specs, replayed.dists),
        prefix=str(path),
        platform=most_common_subdir(records.values()),
        revision=number,
    )


def _prefix_history(prefix: Path, what: str) -> Path:
    hpath = _history_file(prefix)
    if hpath is None:
        raise InputError(
            prefix / "conda-meta" / "history",
            f"no history file, so {what} cannot be rebuilt",
        )
    return hpath


def read_prefix_revision(path: str | Path, revision: int) -> State:
    """The prefix at history revision ``revision`` (0-based, as ``conda list -r``).

    A package still installed with the same name, version and build keeps its
    full record from ``conda-meta``; others are built from the history line.
    Only the history up to that revision is read.
    """
    prefix = Path(path)
    current = read_prefix_records(prefix)
    replayed = replay(_prefix_history(prefix, f"revision {revision}"), revision)
    names = HistoryChannels(current)
    records = {
        name: _record_of(dist, current, names)
        for name, dist in sorted(replayed.dists.items())
    }
    assert replayed.last is not None
    return _revision_state(path, replayed, records, replayed.last.number)


def iter_prefix_revisions(path: str | Path) -> Iterator[tuple[Revision, State]]:
    """Each history revision of a prefix and its state, as a stream.

    ``conda-meta`` is read once; the records follow the package lines of each
    revision (a record is made once per line), so a revision costs what it
    changes plus a sorted copy of the package set.
    """
    prefix = Path(path)
    current = read_prefix_records(prefix)
    names = HistoryChannels(current)
    records: dict[str, Record] = {}
    for rev, replayed in iter_replay(_prefix_history(prefix, "revisions")):
        if rev.full:
            records = {}
        for dist in rev.removed:
            records.pop(dist.name, None)
        for dist in rev.added:
            records[dist.name] = _record_of(replayed.dists[dist.name], current, names)
        state_records = dict(sorted(records.items()))
        yield rev, _revision_state(path, replayed, state_records, rev.number)


def read_prefix_revisions(path: str | Path) -> tuple[State, ...]:
    """Every history revision of a prefix (see :func:`iter_prefix_revisions`)."""
    return tuple(state for _, state in iter_prefix_revisions(path))
