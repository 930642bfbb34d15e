"""What crosses the process boundary to the solve worker, and back.

Both sides use these types: the parent (:mod:`conda_guard.solve.worker`)
writes a :class:`SolveRequest` of :class:`Job` objects as one JSON document on
the worker's stdin; the worker (``python -m conda_guard.adapters.solve_worker``)
answers with one JSON event per line through an :class:`EventWriter`:
``{"event": "ready", "solver"}``, one ``{"event": "result", ...}`` per job (a
:class:`JobResult`, streamed as soon as it is ready), ``{"event": "error",
"message"}`` for a failure before any solve, and ``{"event": "done"}`` last.
A backend (:class:`SolverBackend`) solves jobs and reports each result through
a callback. Records travel in repodata shape (:meth:`Record.to_repodata`,
:meth:`Record.from_repodata`). Standard library only.
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import asdict, dataclass, field, replace
from typing import IO, TYPE_CHECKING, Any, Protocol

from ..constants import DEFAULT_BATCH_TIMEOUT
from ..models import Record, channel_name

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence


class FailureKind(str, enum.Enum):
    """Why a job has no solution."""

    UNSATISFIABLE = "unsatisfiable"
    TIMEOUT = "timeout"
    SOLVE = "solve"  # anything else: a bad spec, an unreadable channel, a bug


@dataclass(frozen=True)
class Job:
    """One solve of a request: its specs and what the installed records do.

    ``locked`` records are preferred (free to move), ``pinned`` ones may not
    move; a failed pinned solve is retried with them locked when
    ``retry_unpinned`` (conda's retry of a frozen install). ``constraints``
    (``conda-meta/pinned``) constrain and never install. ``command``,
    ``request``, ``update_all`` and ``update_deps`` tell the conda backend which
    of conda's modifiers to use. ``delay`` is a testing aid (seconds to wait).
    """

    label: str
    specs: tuple[str, ...] = ()
    command: str = "install"  # install | update | create
    request: tuple[str, ...] = ()
    locked: tuple[Record, ...] = ()
    pinned: tuple[Record, ...] = ()
    retry_unpinned: bool = False
    constraints: tuple[str, ...] = ()
    update_all: bool = False
    update_deps: bool = False
    timeout: float | None = None
    delay: float = 0.0

    @property
    def requested(self) -> tuple[str, ...]:
        """The specs the user wrote (named in conflict messages)."""
        return self.request or self.specs

    def to_json(self) -> dict[str, Any]:
        """The job in the worker's stdin document."""
        out = asdict(self)
        out["locked"] = [r.to_repodata() for r in self.locked]
        out["pinned"] = [r.to_repodata() for r in self.pinned]
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Job:
        """Inverse of :meth:`to_json` (missing keys take their defaults)."""
        timeout = data.get("timeout")
        return cls(
            label=str(data.get("label", "")),
            specs=tuple(map(str, data.get("specs") or ())),
            command=str(data.get("command") or "install"),
            request=tuple(map(str, data.get("request") or ())),
            locked=tuple(Record.from_repodata(d) for d in data.get("locked") or ()),
            pinned=tuple(Record.from_repodata(d) for d in data.get("pinned") or ()),
            retry_unpinned=bool(data.get("retry_unpinned", False)),
            constraints=tuple(map(str, data.get("constraints") or ())),
            update_all=bool(data.get("update_all", False)),
            update_deps=bool(data.get("update_deps", False)),
            timeout=None if timeout is None else float(timeout),
            delay=float(data.get("delay") or 0.0),
        )


@dataclass(frozen=True)
class JobResult:
    """The answer to one :class:`Job`: records, or why there are none."""

    label: str
    records: tuple[Record, ...] = ()
    failure: FailureKind | None = None
    message: str = ""
    conflicts: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when the job was solved."""
        return self.failure is None

    def to_json(self) -> dict[str, Any]:
        """The ``result`` event's fields."""
        out: dict[str, Any] = {
            "label": self.label,
            "ok": self.ok,
            "seconds": self.seconds,
            "notes": list(self.notes),
        }
        if self.ok:
            out["records"] = [r.to_repodata() for r in self.records]
        else:
            out.update(
                error=str(self.failure.value) if self.failure else "",
                message=self.message,
                conflicts=list(self.conflicts),
            )
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> JobResult:
        """Inverse of :meth:`to_json`; a record's channel is named here, from
        its URL, with this process's channel configuration (the worker's may
        not know the user's ``channel_alias``)."""
        failure = None if data.get("ok") else FailureKind(data.get("error", "solve"))
        return cls(
            label=str(data.get("label", "")),
            records=tuple(_named(d) for d in data.get("records") or ()),
            failure=failure,
            message=str(data.get("message", "")),
            conflicts=tuple(map(str, data.get("conflicts") or ())),
            notes=tuple(map(str, data.get("notes") or ())),
            seconds=float(data.get("seconds") or 0.0),
        )


@dataclass(frozen=True)
class SolveRequest:
    """Everything a worker needs: backend, channels, platform, jobs.

    ``timeout`` is the budget of the whole request (each job gets it too);
    ``python`` the interpreter that runs the worker (default: this one, or
    ``$CONDA_GUARD_SOLVE_PYTHON``). ``offline``: read no channel over the
    network (conda's ``offline``). ``add_pip``: ``pip`` is a dependency of
    ``python`` (conda's ``add_pip_as_python_dependency``, true by default).
    ``workdir`` is the worker's private temporary directory (set by the
    parent, :func:`conda_guard.solve.worker.run_worker`). ``conda_env``: conda
    settings (``CONDA_*`` variables) the conda backend applies, for what the
    parent's command line changed.
    """

    solver: str = "rattler"
    channels: tuple[str, ...] = ()
    platform: str = ""
    channel_priority: str | None = "flexible"
    virtual_packages: tuple[str, ...] | None = None
    timeout: float = DEFAULT_BATCH_TIMEOUT
    jobs: tuple[Job, ...] = ()
    prefix: str | None = None
    python: str | None = None
    offline: bool = False
    add_pip: bool = True
    workdir: str | None = None
    #: ``CONDA_*`` variables the conda backend sets before reading its context
    conda_env: Mapping[str, str] = field(default_factory=dict)

    @property
    def platforms(self) -> tuple[str, ...]:
        """The subdirs to read: the platform and ``noarch``."""
        if not self.platform or self.platform == "noarch":
            return ("noarch",)
        return (self.platform, "noarch")

    def to_json(self) -> dict[str, Any]:
        """The worker's stdin document."""
        return {
            "backend": self.solver,
            "channels": list(self.channels),
            "platforms": list(self.platforms),
            "channel_priority": self.channel_priority,
            "virtual_packages": (
                None if self.virtual_packages is None else list(self.virtual_packages)
            ),
            "prefix": self.prefix,
            "offline": self.offline,
            "add_pip": self.add_pip,
            "conda_env": dict(self.conda_env),
            "jobs": [
                {**job.to_json(), "timeout": job.timeout or self.timeout}
                for job in self.jobs
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SolveRequest:
        """The worker's view of its stdin document."""
        platforms = [str(p) for p in data.get("platforms") or ()]
        virtual = data.get("virtual_packages")
        return cls(
            solver=str(data.get("backend", "rattler")),
            channels=tuple(map(str, data.get("channels") or ())),
            platform=next((p for p in platforms if p != "noarch"), "noarch"),
            channel_priority=data.get("channel_priority"),
            virtual_packages=None if virtual is None else tuple(map(str, virtual)),
            jobs=tuple(Job.from_json(j) for j in data.get("jobs") or ()),
            prefix=data.get("prefix"),
            offline=bool(data.get("offline", False)),
            add_pip=bool(data.get("add_pip", True)),
            workdir=data.get("workdir") or None,
            conda_env={
                str(k): str(v)
                for k, v in dict(data.get("conda_env") or {}).items()
                if str(k).startswith("CONDA_")
            },
        )


def _named(data: Mapping[str, Any]) -> Record:
    record = Record.from_repodata(data)
    url = data.get("url")
    if not isinstance(url, str) or "://" not in url:
        return record
    channel = channel_name(url)
    return record if channel == record.channel else replace(record, channel=channel)


@dataclass
class WorkerOutcome:
    """What came back from a worker: results by job label, and why some did not."""

    results: dict[str, JobResult] = field(default_factory=dict)
    error: str | None = None
    timed_out: bool = False
    crashed: str | None = None
    seconds: float = 0.0


class SolverBackend(Protocol):
    """A solver in the worker: one set of channels and platforms, many jobs."""

    name: str

    def solve_jobs(
        self, jobs: Sequence[Job], report: Callable[[JobResult], None]
    ) -> None:
        """Solve ``jobs``, calling ``report`` with each result as it is ready."""
        ...


class EventWriter:
    """The worker's side of the protocol: one JSON event per line, flushed."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def send(self, event: str, **fields: Any) -> None:
        """Write one event line and flush it."""
        line = json.dumps({"event": event, **fields}, sort_keys=True)
        self.stream.write(line + "\n")
        self.stream.flush()

    def result(self, result: JobResult) -> None:
        """Send one job's result as soon as it is ready."""
        self.send("result", **result.to_json())


def one_line(exc: BaseException) -> str:
    """The first line of an exception's message."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def parse_virtual_package(text: str) -> tuple[str, str, str]:
    """``__glibc=2.35`` / ``__cuda 12.4`` / ``__archspec=1=x86_64`` / ``__unix``.

    Returns ``(name, version, build)``; version defaults to ``0``, build to
    ``0``. Raises ValueError on a name that does not start with ``__`` or is
    not a package name.
    """
    parts = [p for p in re.split(r"[=\s]+", text.strip()) if p]
    if not parts or not _VIRTUAL_NAME.fullmatch(parts[0]) or len(parts) > 3:
        raise ValueError(
            f"invalid virtual package {text!r} (expected e.g. __glibc=2.35, __unix)"
        )
    name = parts[0]
    version = parts[1] if len(parts) > 1 else "0"
    build = parts[2] if len(parts) > 2 else "0"
    return name, version, build


_VIRTUAL_NAME = re.compile(r"__[a-z0-9][a-z0-9_.\-]*")
