"""Dry-run solves with py-rattler: channels, priority and virtual packages as flags.

The only module (with the worker that calls it) that imports ``rattler``; it
runs inside the solve worker subprocess (see ``solve_worker``), never in the
CLI process, because py-rattler can crash the interpreter at exit. One
:class:`RattlerSolver` holds one ``Gateway``: repodata is loaded once and
shared by the incremental and the batch solve, which run concurrently.

Records cross the process boundary as plain dicts in repodata shape
(``name``, ``version``, ``build``, ``build_number``, ``subdir``, ``depends``,
``constrains``, ``track_features``, ``noarch``, ``fn``, ``url``, ``channel``,
``md5``, ``sha256``, ``timestamp``, ``size``, ``license``). Works with
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
from pathlib import Path
from typing import TYPE_CHECKING, Any

import rattler

from ..exceptions import SolveError
from ..solve.protocol import one_line, parse_virtual_package
from .solve_worker import error_result, stream

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

#: CLI priority name -> rattler's ChannelPriority member name.
PRIORITIES = {"strict": "Strict", "flexible": "Flexible", "disabled": "Disabled"}

_RECORD_KEYS = (
    "name",
    "version",
    "build",
    "build_number",
    "subdir",
    "depends",
    "constrains",
    "track_features",
    "features",
    "noarch",
    "fn",
    "url",
    "channel",
    "md5",
    "sha256",
    "timestamp",
    "size",
    "license",
    "python_site_packages_path",
)


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


def host_platform() -> str:
    """conda's name for the running platform (``linux-64``, ``osx-arm64`` ...)."""
    return (
        str(rattler.Platform.current())
        if hasattr(rattler, "Platform")
        else (str(rattler.Subdir.current()))
    )


def _generic_virtual(name: str, version: str, build: str) -> Any:
    build_arg: Any = build
    if hasattr(rattler, "BuildString"):  # py-rattler >= 0.28
        build_arg = rattler.BuildString(build)
    return rattler.GenericVirtualPackage(
        rattler.PackageName(name), rattler.Version(version), build_arg
    )


def record_to_dict(record: Any) -> dict[str, Any]:
    """A rattler ``RepoDataRecord`` as a repodata-shaped dict."""
    data = json.loads(record.to_json())
    out = {key: data[key] for key in _RECORD_KEYS if data.get(key) not in (None, "")}
    # to_json gives the channel as a URL with a trailing slash
    out.setdefault("fn", str(record.file_name))
    out.setdefault("url", str(record.url))
    if record.channel:
        out["channel"] = str(record.channel)
    out.setdefault("depends", [])
    out.setdefault("constrains", [])
    return out


def _fn(data: dict[str, Any]) -> str:
    return f"{data['name']}-{data['version']}-{data.get('build', '')}.conda"


_REPODATA_KEYS = (
    "name",
    "version",
    "build",
    "build_number",
    "depends",
    "constrains",
    "subdir",
    "noarch",
    "md5",
    "sha256",
    "timestamp",
    "size",
    "license",
)


def _write_channel(
    root: Path, records: Sequence[dict[str, Any]], platforms: Sequence[str]
) -> str:
    """A local channel (``repodata.json`` per subdir) holding ``records``."""
    subdirs = {p: {"packages": {}, "packages.conda": {}} for p in platforms}
    for data in records:
        subdir = data.get("subdir") or "noarch"
        entry = {k: data[k] for k in _REPODATA_KEYS if data.get(k) not in (None, "")}
        entry.setdefault("build", "")
        entry.setdefault("build_number", 0)
        entry.setdefault("depends", [])
        entry["subdir"] = subdir
        track = data.get("track_features")
        if track:
            entry["track_features"] = (
                track if isinstance(track, str) else " ".join(track)
            )
        fn = data.get("fn") or _fn(data)
        key = "packages.conda" if fn.endswith(".conda") else "packages"
        subdirs.setdefault(subdir, {"packages": {}, "packages.conda": {}})
        subdirs[subdir][key][fn] = entry
    for subdir, content in subdirs.items():
        path = root / subdir
        path.mkdir(parents=True, exist_ok=True)
        doc = {"info": {"subdir": subdir}, "repodata_version": 1, **content}
        (path / "repodata.json").write_text(json.dumps(doc))
    return root.as_uri()


def _match_spec(text: str) -> Any:
    try:
        return rattler.MatchSpec(text, strict=False)
    except TypeError:  # very old signature
        return rattler.MatchSpec(text)
    except Exception as exc:  # rattler's InvalidMatchSpecError
        raise SolveError(f"invalid spec {text!r}: {exc}") from None


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
        self.gateway = rattler.Gateway()
        self.sources = list(self.channels)
        self._found: dict[tuple[str, ...], Any] = {}
        self._originals: dict[str, dict[str, Any]] = {}
        self._extra: str | None = None

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

    async def _index_installed(self, installed: Sequence[dict[str, Any]], tmp: str):
        """Find the installed records in the channels; serve the others locally.

        conda keeps an installed package that no channel carries any more (a
        local build, a dropped channel): it is in its index as installed. To
        do the same, such records go into a local channel of their own, the
        lowest in priority, so the solver can keep them.
        """
        if not installed:
            return
        names = sorted({d["name"] for d in installed})
        await self._query(self.channels, names)
        missing = [
            d
            for d in installed
            if self._key(
                d["name"], d["version"], d.get("build", ""), d.get("subdir", "")
            )
            not in self._found
        ]
        if not missing:
            return
        url = _write_channel(Path(tmp) / "installed", missing, self.platforms)
        self._extra = url
        self.sources = [*self.channels, url]
        for d in missing:
            self._originals[d.get("fn") or _fn(d)] = d
        await self._query([url], sorted({d["name"] for d in missing}))

    def _lookup(self, wanted: Sequence[dict[str, Any]]) -> list[Any]:
        """The RepoDataRecords of installed records (see ``_index_installed``)."""
        out = []
        for d in wanted:
            key = self._key(
                d["name"], d["version"], d.get("build", ""), d.get("subdir", "")
            )
            rec = self._found.get(key)
            if rec is not None:
                out.append(rec)
        return out

    def _to_dict(self, record: Any) -> dict[str, Any]:
        if self._extra and str(record.channel or "").rstrip("/") == self._extra:
            original = self._originals.get(str(record.file_name))
            if original is not None:
                return dict(original)
        return record_to_dict(record)

    # -- solving ----------------------------------------------------------

    async def _solve(self, job: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        if job.get("delay"):  # testing aid: a solve that takes this long
            await asyncio.sleep(float(job["delay"]))
        specs = [_match_spec(s) for s in job.get("specs", ())]
        locked = self._lookup(job.get("locked", ()))
        pinned = self._lookup(job.get("pinned", ()))
        timeout = job.get("timeout")
        kwargs: dict[str, Any] = {
            "gateway": self.gateway,
            "platforms": self.platforms,
            "locked_packages": locked,
            "pinned_packages": pinned,
            "virtual_packages": self.virtual_packages,
            "channel_priority": self.priority,
        }
        if timeout:
            kwargs["timeout"] = datetime.timedelta(seconds=float(timeout))
        if job.get("constraints"):  # conda-meta/pinned: constrain, never install
            kwargs["constraints"] = [_match_spec(c) for c in job["constraints"]]
        try:
            # installed-only records are there for the incremental solve only
            sources = self.sources if (locked or pinned) else self.channels
            records = await rattler.solve(sources, specs, **kwargs)
        except Exception as exc:
            if pinned and job.get("retry_unpinned", False):
                # conda retries a failed --freeze-installed solve unfrozen
                retry = dict(job, pinned=(), retry_unpinned=False)
                retry["locked"] = list(job.get("locked", ())) + list(job["pinned"])
                result = await self._solve(retry)
                note = (
                    "the frozen solve failed; solved again with installed"
                    " packages preferred but free to move (as conda does)"
                )
                result["notes"] = [note, *result.get("notes", ())]
                return result
            return {
                "label": job.get("label", ""),
                **error_result(exc, job.get("specs", ())),
                "seconds": time.perf_counter() - started,
            }
        return {
            "label": job.get("label", ""),
            "ok": True,
            "records": [self._to_dict(r) for r in records],
            "seconds": time.perf_counter() - started,
        }

    def solve_jobs(self, jobs: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Solve all jobs concurrently on the shared gateway; yield as they finish."""
        jobs = list(jobs)
        if not jobs:
            return iter(())
        results: list[dict[str, Any]] = []

        async def run_all() -> None:
            # load the repodata once before the solves share it
            names = sorted(
                {
                    _match_spec(s).name.normalized
                    for job in jobs
                    for s in job.get("specs", ())
                    if _match_spec(s).name is not None
                }
            )
            try:
                await self.gateway.query(self.channels, self.platforms, names)
            except Exception as exc:
                raise SolveError(f"cannot read the channels: {one_line(exc)}") from None
            installed = {
                (d["name"], d.get("build", ""), d.get("subdir", "")): d
                for job in jobs
                for d in (*job.get("locked", ()), *job.get("pinned", ()))
            }
            with tempfile.TemporaryDirectory(prefix="conda-guard-") as tmp:
                await self._index_installed(list(installed.values()), tmp)
                for fut in asyncio.as_completed([self._solve(j) for j in jobs]):
                    results.append(await fut)
                    stream(results[-1])

        asyncio.run(run_all())
        return iter(results)
