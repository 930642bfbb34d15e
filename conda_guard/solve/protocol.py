"""What crosses the process boundary to the solve worker, and back.

:class:`SolveRequest` is the worker's stdin document; :class:`WorkerOutcome`
holds what came back; :func:`record_from_solver` reads a solved record.
"""

from __future__ import annotations

import re
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


def one_line(exc: BaseException) -> str:
    """The first line of an exception's message."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def parse_virtual_package(text: str) -> tuple[str, str, str]:
    """``__glibc=2.35`` / ``__cuda 12.4`` / ``__archspec=1=x86_64`` / ``__unix``.

    Returns ``(name, version, build)``; version defaults to ``0``, build to
    ``0``. Raises ValueError on a name that does not start with ``__``.
    """
    parts = [p for p in re.split(r"[=\s]+", text.strip()) if p]
    if not parts or not parts[0].startswith("__"):
        raise ValueError(
            f"invalid virtual package {text!r} (expected e.g. __glibc=2.35, __unix)"
        )
    name = parts[0]
    version = parts[1] if len(parts) > 1 else "0"
    build = parts[2] if len(parts) > 2 else "0"
    return name, version, build
