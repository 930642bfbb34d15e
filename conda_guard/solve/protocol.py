"""What crosses the process boundary to the solve worker, and back.

:class:`SolveRequest` is the worker's stdin document; :class:`WorkerOutcome`
holds what came back; :func:`record_from_solver` reads a solved record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..constants import DEFAULT_BATCH_TIMEOUT
from ..models import Record, channel_name

if TYPE_CHECKING:
    from collections.abc import Mapping


@dataclass(frozen=True)
class SolveRequest:
    """Everything a worker needs, independent of argparse."""

    solver: str = "rattler"
    channels: tuple[str, ...] = ()
    platform: str = ""
    channel_priority: str | None = "flexible"
    virtual_packages: tuple[str, ...] | None = None
    timeout: float = DEFAULT_BATCH_TIMEOUT
    jobs: tuple[dict[str, Any], ...] = ()
    prefix: str | None = None
    python: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The worker's stdin document."""
        platforms = [self.platform, "noarch"] if self.platform != "noarch" else []
        return {
            "backend": self.solver,
            "channels": list(self.channels),
            "platforms": platforms or ["noarch"],
            "channel_priority": self.channel_priority,
            "virtual_packages": (
                None if self.virtual_packages is None else list(self.virtual_packages)
            ),
            "prefix": self.prefix,
            "jobs": [dict(j, timeout=self.timeout) for j in self.jobs],
        }


@dataclass
class WorkerOutcome:
    """What came back from a worker: results by job label, and why some did not."""

    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str | None = None
    timed_out: bool = False
    crashed: str | None = None
    seconds: float = 0.0


def record_from_solver(data: Mapping[str, Any], source: str = "") -> Record:
    """A worker's repodata-shaped dict as a :class:`Record`."""
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
    return Record(
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
