"""The neutral data model: records, states, changes and findings.

Everything the guard reads (a prefix, a lock file, a solver result, conda's
proposed transaction) becomes a :class:`State` of :class:`Record` objects; the
diff turns two states into :class:`Change` objects; the rules turn changes into
:class:`Finding` objects. Field names follow conda's ``PackageRecord``
(``build``, ``subdir``, ``depends``, ``fn``). This module imports only the
standard library.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .channel_names import active as active_channels
from .constants import SeverityName

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping


class _Ranked(enum.IntEnum):
    """The methods of :data:`Severity` (an enum with members cannot be extended)."""

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def _missing_(cls, value: object) -> _Ranked | None:
        if isinstance(value, str):  # by name: "high", "HIGH"
            return cls.__members__.get(value.strip().upper())
        return None

    @classmethod
    def parse(cls, value: str) -> Severity:
        """Parse ``info|low|medium|high`` (case-insensitive); ValueError otherwise."""
        try:
            return cls(str(value))
        except ValueError:
            choices = ", ".join(str(s) for s in cls)
            raise ValueError(
                f"invalid severity {value!r} (choose from {choices})"
            ) from None


#: How sure and how bad: ``info < low < medium < high`` — the names of
#: :class:`conda_guard.constants.SeverityName`, ranked in their order.
Severity = _Ranked(
    "Severity",
    [(name.name, rank) for rank, name in enumerate(SeverityName)],
    module=__name__,
    qualname="Severity",
)


def channel_name(channel: str | None) -> str:
    """Reduce a channel URL or name to the short name users write.

    ``https://conda.anaconda.org/conda-forge/linux-64`` → ``conda-forge``;
    ``https://repo.anaconda.com/pkgs/main`` → ``pkgs/main``;
    ``conda-forge/linux-64`` → ``conda-forge``; a URL under the configured
    ``channel_alias`` or a ``custom_channels`` location → its name; another
    ``file://`` URL keeps its path without the subdir. The configuration is
    :func:`conda_guard.channel_names.active` (conda's, inside conda).
    """
    return active_channels().name_of(channel)


@dataclass(frozen=True, slots=True)
class Record:
    """One package record, whatever it was read from.

    ``channel`` is the short channel name (see :func:`channel_name`);
    ``channel_url`` keeps the original when one was known. ``files`` (prefix
    records only) and ``extra`` do not take part in equality.
    """

    name: str
    version: str
    build: str = ""
    build_number: int = 0
    channel: str = ""
    subdir: str = ""
    depends: tuple[str, ...] = ()
    constrains: tuple[str, ...] = ()
    track_features: tuple[str, ...] = ()
    noarch: str | None = None
    url: str | None = None
    md5: str | None = None
    sha256: str | None = None
    fn: str | None = None
    timestamp: int | None = None
    # where the record came from, as a user can check it (a file, a file:line)
    source: str | None = field(default=None, compare=False)
    # installed by a non-conda tool (``conda list`` shows these as ``pypi_0``)
    pip: bool = False
    requested_spec: str | None = field(default=None, compare=False)
    files: tuple[str, ...] = field(default=(), compare=False, repr=False)
    python_site_packages_path: str | None = field(default=None, compare=False)

    @property
    def dist(self) -> str:
        """``name-version-build``."""
        return f"{self.name}-{self.version}-{self.build}"

    @property
    def dist_str(self) -> str:
        """``channel/subdir::name-version-build`` (conda's history form)."""
        prefix = self.channel
        if prefix and self.subdir:
            prefix = f"{prefix}/{self.subdir}"
        return f"{prefix}::{self.dist}" if prefix else self.dist

    @property
    def label(self) -> str:
        """Version, full build and channel, as reports print them."""
        text = f"{self.version} {self.build}".strip()
        if self.channel:
            text += f" ({self.channel})"
        return text

    def to_repodata(self) -> dict[str, Any]:
        """The record in repodata shape (what solvers and ``conda-meta`` read)."""
        out: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "build": self.build,
            "build_number": self.build_number,
            "subdir": self.subdir,
            "depends": list(self.depends),
            "constrains": list(self.constrains),
            "track_features": list(self.track_features),
            "channel": self.channel,
        }
        for key in ("noarch", "url", "md5", "sha256", "fn", "timestamp"):
            value = getattr(self, key)
            if value:
                out[key] = value
        return out

    @classmethod
    def from_repodata(cls, data: Mapping[str, Any], source: str = "") -> Record:
        """Inverse of :meth:`to_repodata`; also reads a solver's repodata record.

        ``track_features`` may be a string, ``noarch`` a dict or ``True``; the
        channel (a URL or a name) falls back to the URL's directory.
        """
        track = data.get("track_features") or ()
        if isinstance(track, str):
            track = tuple(t for t in track.replace(",", " ").split() if t)
        noarch = data.get("noarch")
        if isinstance(noarch, dict):
            noarch = noarch.get("type")
        if noarch is True:
            noarch = "generic"
        channel = data.get("channel") or ""
        url = data.get("url")
        if not channel and url:
            channel = url.rsplit("/", 1)[0]
        return cls(
            name=data["name"],
            version=str(data["version"]),
            build=data.get("build", ""),
            build_number=int(data.get("build_number") or 0),
            channel=channel_name(channel),
            subdir=data.get("subdir", ""),
            depends=tuple(data.get("depends") or ()),
            constrains=tuple(data.get("constrains") or ()),
            track_features=tuple(track),
            noarch=str(noarch) if noarch else None,
            url=url,
            md5=data.get("md5"),
            sha256=data.get("sha256"),
            fn=data.get("fn"),
            timestamp=data.get("timestamp"),
            source=source or None,
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON form used in reports (schema 1)."""
        out: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "build": self.build,
            "build_number": self.build_number,
            "channel": self.channel,
            "subdir": self.subdir,
        }
        if self.noarch:
            out["noarch"] = self.noarch
        if self.pip:
            out["pip"] = True
        for key in ("url", "md5", "sha256"):
            value = getattr(self, key)
            if value:
                out[key] = value
        return out


def move_text(before: Record | None, after: Record | None) -> str:
    """``1.0 -> 1.1``; with the builds when the version stays (a rebuild), so a
    move never reads ``2.0.3 -> 2.0.3``; ``removed 1.0 b`` / ``installed 1.1 b``."""
    if before is None or after is None:
        rec = before or after
        word = "removed" if after is None else "installed"
        return f"{word} {rec.version} {rec.build}".rstrip() if rec else word
    if before.version != after.version:
        return f"{before.version} -> {after.version}"
    if before.build != after.build:
        return f"{before.version} {before.build} -> {after.version} {after.build}"
    return f"{before.label} -> {after.label}"


@dataclass(frozen=True, slots=True)
class State:
    """A set of records, one per package name, with where it came from.

    ``explicit`` holds the specs the user asked for (from
    ``conda-meta/history``, an environment file, a lock file's input), keyed by
    package name. ``frozen`` is the content of ``conda-meta/frozen`` when the
    file exists (``""`` for an empty file), else ``None``. ``warnings`` are
    sentences about the input that did not stop the reading (a history that
    contradicts conda-meta, …); reports show them as notes.
    """

    records: Mapping[str, Record]
    source: str = ""
    kind: str = ""
    explicit: Mapping[str, str] = field(default_factory=dict)
    prefix: str | None = None
    platform: str | None = None
    revision: int | None = None
    frozen: str | None = None
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def __contains__(self, name: object) -> bool:
        return name in self.records

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records.values())

    def __len__(self) -> int:
        return len(self.records)

    def get(self, name: str) -> Record | None:
        """The record named ``name``, or ``None``."""
        return self.records.get(name)

    @classmethod
    def from_records(cls, records: Iterable[Record], **kwargs: Any) -> State:
        """Build a state; a later record with the same name replaces an earlier."""
        return cls(records={r.name: r for r in records}, **kwargs)

    def describe(self) -> dict[str, Any]:
        """Short JSON description (``before``/``after`` in the report)."""
        out: dict[str, Any] = {"source": self.source, "kind": self.kind}
        if self.prefix:
            out["prefix"] = self.prefix
        if self.revision is not None:
            out["revision"] = self.revision
        if self.platform:
            out["platform"] = self.platform
        out["packages"] = len(self.records)
        return out


class ChangeKind(str, enum.Enum):
    """What happened to one package name between two states."""

    INSTALLED = "installed"
    REMOVED = "removed"
    UPGRADED = "upgraded"
    DOWNGRADED = "downgraded"
    REBUILT = "rebuilt"
    CHANNEL_SWITCH = "channel-switch"
    VARIANT_SWITCH = "variant-switch"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Change:
    """One package's move. ``kind`` is the main label; ``tags`` lists all that apply.

    ``variants`` maps an axis (``blas``, ``gpu``, ``python``, ``openmp`` …) to
    ``(before, after)`` build-string markers where they differ.
    """

    name: str
    kind: ChangeKind
    before: Record | None
    after: Record | None
    tags: tuple[ChangeKind, ...] = ()
    variants: Mapping[str, tuple[str | None, str | None]] = field(default_factory=dict)

    def has(self, kind: ChangeKind) -> bool:
        """True when ``kind`` is the main kind or one of the tags."""
        return kind is self.kind or kind in self.tags

    def to_json(self) -> dict[str, Any]:
        """The JSON form used in reports (schema 1)."""
        out: dict[str, Any] = {
            "name": self.name,
            "kind": str(self.kind),
            "tags": [str(t) for t in self.tags],
            "before": self.before.to_json() if self.before else None,
            "after": self.after.to_json() if self.after else None,
        }
        if self.variants:
            out["variants"] = {
                axis: {"before": b, "after": a}
                for axis, (b, a) in sorted(self.variants.items())
            }
        return out


@dataclass(frozen=True, slots=True)
class PackageMove:
    """A package named in a finding, with its records on both sides."""

    name: str
    before: Record | None
    after: Record | None

    def to_json(self) -> dict[str, Any]:
        """The JSON form used in reports (schema 1)."""
        return {
            "name": self.name,
            "before": self.before.to_json() if self.before else None,
            "after": self.after.to_json() if self.after else None,
        }


@dataclass(frozen=True, slots=True)
class Finding:
    """One risk found by one rule, with the facts behind it.

    ``evidence`` holds checkable facts (records, dependency specs, files);
    ``why`` holds dependency paths from a requested spec to the changed package.
    """

    rule: str
    severity: Severity
    message: str
    packages: tuple[PackageMove, ...] = ()
    evidence: tuple[str, ...] = ()
    why: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The JSON form used in reports (schema 1)."""
        return {
            "rule": self.rule,
            "severity": str(self.severity),
            "message": self.message,
            "packages": [p.to_json() for p in self.packages],
            "evidence": list(self.evidence),
            "why": list(self.why),
        }

    @property
    def names(self) -> tuple[str, ...]:
        """The package names this finding is about."""
        return tuple(p.name for p in self.packages)
