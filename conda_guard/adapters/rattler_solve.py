"""Dry-run solves with py-rattler: channels, priority and virtual packages as flags.

The only module (with the worker that calls it) that imports ``rattler``; it
runs inside the solve worker subprocess (see ``solve_worker``), never in the
CLI process, because py-rattler can crash the interpreter at exit. One
:class:`RattlerSolver` holds one ``Gateway``: repodata is loaded once and
shared by the incremental and the batch solve, which run concurrently.

Jobs and results are the typed :mod:`conda_guard.solve.protocol` objects; a
rattler record becomes a :class:`~conda_guard.models.Record` through its
repodata JSON (:func:`record_from_rattler`). Works with
py-rattler 0.26 and 0.28 (0.28 wants ``BuildString`` objects for virtual
packages and renamed ``Platform`` to ``Subdir``; both accept plain strings for
platforms and sources).
"""

from __future__ import annotations

import asyncio
import datetime
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import rattler

from ..exceptions import SolveError
from ..models import Record
from ..solve.channels import host_platform
from ..solve.protocol import FailureKind, JobResult, one_line, parse_virtual_package
from ..solve.unsat import explain_unsat

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from ..solve.protocol import Job

#: CLI priority name -> rattler's ChannelPriority member name.
PRIORITIES = {"strict": "Strict", "flexible": "Flexible", "disabled": "Disabled"}


def default_virtual_packages(platform: str) -> list[str]:
    """A plain set of virtual packages for ``platform`` (used off the host)."""
    os_name, _, arch = platform.partition("-")
    archspec = {
        "64": "x86_64",
        "aarch64": "aarch64",
        "arm64": "arm64",
        "ppc64le": "ppc64le",
    }.get(arch, arch or "x86_64")
    if os_name == "linux":
        return ["__unix", "__linux=5.15", "__glibc=2.28", f"__archspec=1={archspec}"]
    if os_name == "osx":
        return ["__unix", "__osx=11.0", f"__archspec=1={archspec}"]
    if os_name == "win":
        return ["__win", f"__archspec=1={archspec}"]
    return []


def _generic_virtual(name: str, version: str, build: str) -> Any:
    build_arg: Any = build
    if hasattr(rattler, "BuildString"):  # py-rattler >= 0.28
        build_arg = rattler.BuildString(build)
    return rattler.GenericVirtualPackage(
        rattler.PackageName(name), rattler.Version(version), build_arg
    )


def record_from_rattler(record: Any) -> Record:
    """A rattler ``RepoDataRecord`` as a :class:`~conda_guard.models.Record`."""
    data = json.loads(record.to_json())
    # to_json gives the channel as a URL with a trailing slash
    data.setdefault("fn", str(record.file_name))
    data.setdefault("url", str(record.url))
    if record.channel:
        data["channel"] = str(record.channel)
    return Record.from_repodata(data)


def with_pip(record: Any) -> Any:
    """conda's ``add_pip_as_python_dependency`` on one rattler record.

    conda (``SubdirData``) appends ``pip`` to the dependencies of ``python``
    2.x and 3.x when it reads repodata; the same here, in place.
    """
    if record.name.normalized != "python" or not str(record.version).startswith(
        ("2.", "3.")
    ):
        return record
    depends = list(record.depends)
    if not any(d.split()[0] == "pip" for d in depends if d.strip()):
        record.depends = [*depends, "pip"]
    return record


def _fn(record: Record) -> str:
    return record.fn or f"{record.name}-{record.version}-{record.build}.conda"


def _write_channel(
    root: Path, records: Sequence[Record], platforms: Sequence[str]
) -> str:
    """A local channel (``repodata.json`` per subdir) holding ``records``."""
    subdirs = {p: {"packages": {}, "packages.conda": {}} for p in platforms}
    for record in records:
        subdir = record.subdir or "noarch"
        entry = record.to_repodata()
        for key in ("channel", "url", "fn"):
            entry.pop(key, None)
        entry["subdir"] = subdir
        if record.track_features:
            entry["track_features"] = " ".join(record.track_features)
        else:
            entry.pop("track_features", None)
        fn = _fn(record)
        key = "packages.conda" if fn.endswith(".conda") else "packages"
        subdirs.setdefault(subdir, {"packages": {}, "packages.conda": {}})
        subdirs[subdir][key][fn] = entry
    for subdir, content in subdirs.items():
        path = root / subdir
        path.mkdir(parents=True, exist_ok=True)
        doc = {"info": {"subdir": subdir}, "repodata_version": 1, **content}
        (path / "repodata.json").write_text(json.dumps(doc))
    return root.as_uri()


def _failure(job: Job, exc: BaseException, seconds: float) -> JobResult:
    """The result of a failed solve: unsatisfiable, out of time, or other."""
    kind, text = type(exc).__name__, str(exc)
    failure, message, conflicts = FailureKind.SOLVE, f"{kind}: {one_line(exc)}", ()
    if isinstance(exc, SolveError):
        message = text
    elif kind == "SolverError" and (
        "timed out" in text.lower() or "timeout" in text.lower()
    ):
        failure, message = FailureKind.TIMEOUT, one_line(exc)
    elif kind == "SolverError":
        failure = FailureKind.UNSATISFIABLE
        message, conflicts = explain_unsat(text, job.specs)
    return JobResult(
        job.label,
        failure=failure,
        message=message,
        conflicts=tuple(conflicts),
        seconds=seconds,
    )


def _match_spec(text: str) -> Any:
    try:
        return rattler.MatchSpec(text, strict=False)
    except TypeError:  # very old signature
        return rattler.MatchSpec(text)
    except Exception as exc:  # rattler's InvalidMatchSpecError
        raise SolveError(f"invalid spec {text!r}: {exc}") from None


def _kept_names(job: Job, specs: Sequence[Any]) -> list[str]:
    """Installed names an install keeps although nothing needs them any more.

    ``conda install`` keeps a package the new solution no longer depends on
    (libgfortran after a BLAS switch, libxcrypt under an older python);
    ``conda update`` drops it, and so does rattler, which installs only what
    a spec needs. For an install each locked (installed, free to move) name
    becomes a name-only spec; when that makes the solve fail, it runs
    without them. (Seen with conda's classic solver: tests/test_solve_parity.py.)
    """
    if job.command != "install":
        return []
    named = {s.name.normalized for s in specs if s.name is not None}
    return sorted({r.name for r in job.locked} - named)


class RattlerSolver:
    """One gateway, one set of channels/platforms/virtual packages, many solves."""

    name = "rattler"

    def __init__(
        self,
        channels: Sequence[str],
        platforms: Sequence[str],
        *,
        channel_priority: str = "flexible",
        virtual_packages: Sequence[str] | None = None,
        add_pip: bool = True,
        offline: bool = False,
        workdir: str | None = None,
    ) -> None:
        if not channels:
            raise SolveError("no channel to solve against (pass --channel)")
        self.channels = [str(c) for c in channels]
        self.platforms = list(platforms)
        try:
            self.priority = getattr(
                rattler.ChannelPriority, PRIORITIES[channel_priority]
            )
        except (KeyError, AttributeError):
            raise SolveError(
                f"channel priority {channel_priority!r} is not supported by rattler"
            ) from None
        self.virtual_package_specs = self._virtual_specs(virtual_packages)
        self.virtual_packages = [
            _generic_virtual(*parse_virtual_package(v))
            for v in self.virtual_package_specs
        ]
        self.add_pip = add_pip
        self.workdir = workdir
        self.gateway = self._gateway(offline)
        self.sources = list(self.channels)
        self._found: dict[tuple[str, ...], Any] = {}
        self._originals: dict[str, Record] = {}
        self._extra: str | None = None

    @staticmethod
    def _gateway(offline: bool) -> Any:
        """The gateway; offline, it reads local channels and its cache only."""
        if not offline:
            return rattler.Gateway()
        config = rattler.SourceConfig(cache_action="force-cache-only")
        return rattler.Gateway(default_config=config)

    def _virtual_specs(self, given: Sequence[str] | None) -> list[str]:
        if given is not None:
            return list(given)
        target = next((p for p in self.platforms if p != "noarch"), "noarch")
        if target == host_platform():
            try:
                found = [v.into_generic() for v in rattler.VirtualPackage.detect()]
                return [
                    f"{v.name.normalized}={v.version}={v.build_string}" for v in found
                ]
            except Exception:  # detection is best effort
                pass
        return default_virtual_packages(target)

    # -- record lookup ----------------------------------------------------

    @staticmethod
    def _key(name: str, version: str, build: str, subdir: str) -> tuple[str, ...]:
        return (name, str(version), str(build), str(subdir))

    def _key_of(self, record: Record) -> tuple[str, ...]:
        return self._key(record.name, record.version, record.build, record.subdir)

    async def _query(self, sources: Sequence[str], names: Sequence[str]) -> None:
        try:
            result = await self.gateway.query(
                sources, self.platforms, names, recursive=False
            )
        except Exception as exc:
            raise SolveError(f"cannot read the channels: {one_line(exc)}") from None
        for per_channel in result:
            for rec in per_channel:
                key = self._key(rec.name.normalized, rec.version, rec.build, rec.subdir)
                self._found.setdefault(key, rec)

    async def _index_installed(self, installed: Sequence[Record], tmp: str) -> None:
        """Find the installed records in the channels; serve the others locally.

        conda keeps an installed package that no channel carries any more (a
        local build, a dropped channel): it is in its index as installed. To
        do the same, such records go into a local channel of their own, the
        lowest in priority, so the solver can keep them.
        """
        if not installed:
            return
        await self._query(self.channels, sorted({r.name for r in installed}))
        missing = [r for r in installed if self._key_of(r) not in self._found]
        if not missing:
            return
        url = _write_channel(Path(tmp) / "installed", missing, self.platforms)
        self._extra = url
        self.sources = [*self.channels, url]
        for record in missing:
            self._originals[_fn(record)] = record
        await self._query([url], sorted({r.name for r in missing}))

    def _lookup(self, wanted: Sequence[Record]) -> list[Any]:
        """The RepoDataRecords of installed records (see ``_index_installed``).

        rattler adds ``pip`` to python's dependencies in the repodata it
        solves from, not in records handed over as locked or pinned: those get
        it here, as conda's index gives them (:func:`with_pip`).
        """
        found = (self._found.get(self._key_of(r)) for r in wanted)
        records = [rec for rec in found if rec is not None]
        if self.add_pip:
            for rec in records:
                with_pip(rec)
        return records

    def _to_record(self, record: Any) -> Record:
        if self._extra and str(record.channel or "").rstrip("/") == self._extra:
            original = self._originals.get(str(record.file_name))
            if original is not None:
                return original
        return record_from_rattler(record)

    # -- solving ----------------------------------------------------------

    async def _solve(self, job: Job, *, keep: bool = True) -> JobResult:
        started = time.perf_counter()
        if job.delay:  # testing aid: a solve that takes this long
            await asyncio.sleep(job.delay)
        specs = [_match_spec(s) for s in job.specs]
        locked = self._lookup(job.locked)
        pinned = self._lookup(job.pinned)
        kept = _kept_names(job, specs) if keep else []
        kwargs: dict[str, Any] = {
            "gateway": self.gateway,
            "platforms": self.platforms,
            "locked_packages": locked,
            "pinned_packages": pinned,
            "virtual_packages": self.virtual_packages,
            "channel_priority": self.priority,
            # conda's add_pip_as_python_dependency (default true)
            "add_pip_as_python_dependency": self.add_pip,
        }
        if job.timeout:
            kwargs["timeout"] = datetime.timedelta(seconds=job.timeout)
        if job.constraints:  # conda-meta/pinned: constrain, never install
            kwargs["constraints"] = [_match_spec(c) for c in job.constraints]
        try:
            # installed-only records are there for the incremental solve only
            sources = self.sources if (locked or pinned) else self.channels
            records = await rattler.solve(
                sources, [*specs, *map(_match_spec, kept)], **kwargs
            )
        except Exception as exc:
            if pinned and job.retry_unpinned:
                return await self._retry_unpinned(job)
            if kept:  # an installed package has to go: let the solver drop it
                return await self._solve(job, keep=False)
            return _failure(job, exc, time.perf_counter() - started)
        return JobResult(
            job.label,
            records=tuple(self._to_record(r) for r in records),
            seconds=time.perf_counter() - started,
        )

    async def _retry_unpinned(self, job: Job) -> JobResult:
        """conda retries a failed --freeze-installed solve unfrozen."""
        retry = replace(
            job, pinned=(), retry_unpinned=False, locked=(*job.locked, *job.pinned)
        )
        result = await self._solve(retry)
        note = (
            "the frozen solve failed; solved again with installed"
            " packages preferred but free to move (as conda does)"
        )
        return replace(result, notes=(note, *result.notes))

    async def _load(self, jobs: Sequence[Job], tmp: str) -> None:
        """Load the repodata once (the solves share it), index installed records."""
        names = sorted(
            {
                _match_spec(s).name.normalized
                for job in jobs
                for s in job.specs
                if _match_spec(s).name is not None
            }
        )
        try:
            await self.gateway.query(self.channels, self.platforms, names)
        except Exception as exc:
            raise SolveError(f"cannot read the channels: {one_line(exc)}") from None
        installed = {
            (r.name, r.build, r.subdir): r
            for job in jobs
            for r in (*job.locked, *job.pinned)
        }
        await self._index_installed(list(installed.values()), tmp)

    def solve_jobs(
        self, jobs: Sequence[Job], report: Callable[[JobResult], None]
    ) -> None:
        """Solve all jobs concurrently on the shared gateway; report as they finish."""
        if not jobs:
            return

        async def run_all() -> None:
            with tempfile.TemporaryDirectory(
                prefix="installed-", dir=self.workdir
            ) as tmp:
                await self._load(jobs, tmp)
                for fut in asyncio.as_completed([self._solve(j) for j in jobs]):
                    report(await fut)

        asyncio.run(run_all())
