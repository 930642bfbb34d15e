"""Read ``pixi.lock`` (rattler lock format, versions 4 to 7).

An environment lists, per platform, selectors that point into the top-level
``packages:`` list: ``conda: <url or path>`` (v6 selectors may add ``name``,
``version``, ``build``, ``subdir`` to tell apart packages with one location),
``pypi: <url or path>`` and, from v7, ``conda_source: name[hash] @ path``.
Package entries are ``kind: conda|pypi`` mappings in v4/v5 and keyed by
``conda``/``pypi``/``conda_source`` from v6. v7 declares ``platforms:`` whose
names may differ from their subdir. Fields missing from an entry are derived
from the file name as rattler does. YAML via ``env_yaml.load_yaml``.
"""

from __future__ import annotations

import re
from contextlib import suppress
from typing import TYPE_CHECKING, Any, NamedTuple

from conda_guard.exceptions import InputError, UsageError
from conda_guard.models import Record, State, channel_name
from conda_guard.readers.conda_lock import choose_platform, one_line
from conda_guard.readers.env_yaml import load_yaml
from conda_guard.readers.explicit import split_package_url
from conda_guard.readers.history import build_number_from_build, split_dist
from conda_guard.readers.pip_dists import pip_record
from conda_guard.readers.source import display_name
from conda_guard.readers.validate import unique_records

if TYPE_CHECKING:
    from pathlib import Path

SUPPORTED_VERSIONS = (4, 5, 6, 7)
_SOURCE_ID_RE = re.compile(r"\s*([^\s\[@]+)\s*(?:\[[^\]]*\])?\s*(?:@\s*(.*))?")


def _str_tuple(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v) for v in value if v is not None)
    if isinstance(value, str) and value:
        return (value,)
    return ()


def _opt(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _location(entry: dict[str, Any], version: int) -> tuple[str, str] | None:
    """``(kind, location)`` of a package entry, kind in conda/pypi/source."""
    if version <= 5:
        kind = entry.get("kind")
        loc = entry.get("url", entry.get("path"))
        if kind in ("conda", "pypi") and loc is not None:
            return str(kind), str(loc)
        return None
    if "conda" in entry:
        return "conda", str(entry["conda"])
    if "conda_source" in entry:
        return "source", str(entry["conda_source"])
    if "pypi" in entry:
        return "pypi", str(entry["pypi"])
    return None


class _FromLocation(NamedTuple):
    """What a package's location says about it (``None``/``""``: nothing)."""

    name: str | None = None
    version: str | None = None
    build: str | None = None
    subdir: str = ""
    channel: str = ""
    url: str | None = None
    fn: str | None = None


def _from_location(kind: str, location: str) -> _FromLocation:
    """Name, version, build (and channel, subdir for a URL) from a location."""
    if kind == "source":
        m = _SOURCE_ID_RE.fullmatch(location)
        return _FromLocation(name=m.group(1) if m else None)
    if "://" in location:
        subdir = channel = ""
        fn = name = version = build = None
        with suppress(ValueError):  # keeps what was read before the error
            channel_url, subdir, fn = split_package_url(location)
            name, version, build = split_dist(fn)
            channel = channel_name(channel_url)
        return _FromLocation(name, version, build, subdir, channel, location, fn)
    try:  # a local archive path
        fn = location.replace("\\", "/").rpartition("/")[2]
        name, version, build = split_dist(fn)
    except ValueError:
        return _FromLocation()
    return _FromLocation(name, version, build, fn=fn)


def _noarch(entry: dict[str, Any], subdir: str, build: str) -> str | None:
    """The entry's noarch type, else derived as rattler's ``derive_noarch_type``."""
    noarch = entry.get("noarch")
    if isinstance(noarch, dict):
        noarch = noarch.get("type")
    if isinstance(noarch, str) and noarch:
        return noarch
    if subdir == "noarch":
        return "python" if "py" in build else "generic"
    return None


def _conda_record(
    entry: dict[str, Any], kind: str, location: str, source: str
) -> Record:
    """A record from a conda (or conda source) package entry; ``ValueError`` if bad."""
    derived = _from_location(kind, location)
    name = _opt(entry.get("name")) or derived.name
    version = _opt(entry.get("version")) or derived.version
    if not name or version is None:
        raise ValueError(f"package {location!r} has no name or version")
    build = _opt(entry.get("build")) or derived.build or ""
    subdir = _opt(entry.get("subdir")) or derived.subdir
    build_number = _int(entry.get("build_number"))
    channel = derived.channel
    if entry.get("channel"):
        channel = channel_name(str(entry["channel"]))
    return Record(
        name=name,
        version=version,
        build=build,
        build_number=(
            build_number_from_build(build) if build_number is None else build_number
        ),
        channel=channel,
        subdir=subdir,
        depends=_str_tuple(entry.get("depends")),
        constrains=_str_tuple(entry.get("constrains")),
        track_features=_str_tuple(entry.get("track_features")),
        noarch=_noarch(entry, subdir, build),
        url=derived.url,
        md5=_opt(entry.get("md5")),
        sha256=_opt(entry.get("sha256")),
        fn=derived.fn,
        timestamp=_int(entry.get("timestamp")),
        source=source,
        python_site_packages_path=_opt(entry.get("python_site_packages_path")),
    )


def _pypi_record(entry: dict[str, Any], location: str, source: str) -> Record:
    name = _opt(entry.get("name"))
    if not name:
        raise ValueError(f"pypi package {location!r} has no name")
    version = _opt(entry.get("version")) or ""
    return pip_record(
        name,
        version,
        source,
        url=location if "://" in location else None,
        sha256=_opt(entry.get("sha256")),
    )


def _matches(entry: dict[str, Any], selector: dict[str, Any], location: str) -> bool:
    for key in ("name", "version", "build", "subdir"):
        want = selector.get(key)
        if want is None:
            continue
        have = entry.get(key)
        if have is None and "://" in location:
            try:
                _, sub, fn = split_package_url(location)
                n, v, b = split_dist(fn)
                have = {"name": n, "version": v, "build": b, "subdir": sub}[key]
            except ValueError:
                have = None
        if have is not None and str(have) != str(want):
            return False
    return True


def _platform_map(p: str, data: dict[str, Any], version: int) -> dict[str, str]:
    """v7 ``platforms:`` → name → subdir (empty for older versions)."""
    out: dict[str, str] = {}
    if version < 7:
        return out
    platforms = data.get("platforms") or []
    if not isinstance(platforms, list):
        raise InputError(p, "'platforms' is not a list")
    for item in platforms:
        if isinstance(item, dict) and item.get("name"):
            out[str(item["name"])] = str(item.get("subdir") or item["name"])
        elif isinstance(item, str):
            out[item] = item
    return out


def _check_version(p: str, doc: dict[str, Any]) -> int:
    version = doc.get("version")
    if version not in SUPPORTED_VERSIONS or isinstance(version, bool):
        shown = str(version)[:20] if version is not None else "(none)"
        raise InputError(
            p,
            f"pixi.lock version {shown} is not supported "
            f"({SUPPORTED_VERSIONS[0]}–{SUPPORTED_VERSIONS[-1]} are)",
        )
    return int(version)


def _environment(
    p: str, doc: dict[str, Any], environment: str | None
) -> tuple[str, dict[Any, Any]]:
    """The chosen environment's name and its platform → selectors mapping."""
    envs = doc.get("environments")
    if not isinstance(envs, dict) or not envs:
        raise InputError(p, "'environments' is empty or not a mapping")
    env_name = environment or "default"
    if env_name not in envs:
        raise UsageError(
            f"{p}: no environment {env_name!r} "
            f"(it has {one_line(sorted(map(str, envs)))}); "
            "choose one with --environment"
        )
    env = envs[env_name]
    if not isinstance(env, dict) or not isinstance(env.get("packages", {}), dict):
        raise InputError(p, f"environment {env_name!r} is not a mapping")
    return env_name, env.get("packages") or {}


def _package_index(
    p: str, packages: Any, version: int
) -> dict[tuple[str, str], list[int]]:
    """``(kind, location)`` → indices into the top-level ``packages`` list."""
    if not isinstance(packages, list):
        raise InputError(p, "'packages' is not a list")
    index: dict[tuple[str, str], list[int]] = {}
    for i, entry in enumerate(packages):
        if not isinstance(entry, dict):
            raise InputError(p, f"package entry {i} is not a mapping")
        loc = _location(entry, version)
        if loc is None:
            raise InputError(p, f"package entry {i} has no conda/pypi location")
        kind = "conda" if loc[0] == "source" and version < 7 else loc[0]
        index.setdefault((kind, loc[1]), []).append(i)
    return index


def _selector(p: str, where: str, sel: Any) -> tuple[str, str]:
    if isinstance(sel, dict):
        for key, kind in (
            ("conda", "conda"),
            ("conda_source", "source"),
            ("pypi", "pypi"),
        ):
            if key in sel:
                return kind, str(sel[key])
    raise InputError(p, f"bad selector in {where}: {sel!r}"[:160])


_SELECT_KEYS = ("name", "version", "build", "subdir")


def read_pixi_lock(
    path: str | Path,
    *,
    platform: str | None = None,
    environment: str | None = None,
    data: bytes | None = None,
    doc: Any = None,
    cache: dict[Any, Any] | None = None,
) -> State:
    """Read one environment and platform of a ``pixi.lock`` into a :class:`State`.

    ``data`` is the file's bytes when already read; ``doc`` the file already
    parsed, and ``cache`` a dict kept between calls on the same ``doc`` (all
    environments read from one parse; the package index and each record are
    made once).
    """
    p = display_name(path)
    if doc is None:
        doc = load_yaml(path, data)
    if not isinstance(doc, dict) or "environments" not in doc:
        raise InputError(p, "not a pixi.lock file (no 'environments')")
    version = _check_version(p, doc)
    where, selectors, platform_subdir = _chosen(p, doc, version, environment, platform)
    packages = doc.get("packages") or []
    if cache is None:
        index = _package_index(p, packages, version)
    elif (index := cache.get("index")) is None:
        index = cache["index"] = _package_index(p, packages, version)
    records: list[Record] = []
    for sel in selectors:
        kind, loc = _selector(p, where, sel)
        if cache is not None:
            key = (kind, loc, platform_subdir, *(sel.get(k) for k in _SELECT_KEYS))
            if (known := cache.get(key)) is not None:
                records.append(known)
                continue
        records.append(
            _record_for(
                p,
                where,
                packages,
                index,
                version,
                (kind, loc),
                sel,
                platform_subdir,
                shared=cache is not None,
            )
        )
        if cache is not None:
            cache[key] = records[-1]
    return State.from_records(
        unique_records(p, records), source=p, kind="pixi-lock", platform=platform_subdir
    )


def _chosen(
    p: str,
    doc: dict[str, Any],
    version: int,
    environment: str | None,
    platform: str | None,
) -> tuple[str, list[Any], str]:
    """``(where, selectors, subdir)`` of the chosen environment and platform.

    ``where`` names them (``env/platform``) in messages; a v7 platform may be
    chosen by its subdir when its name differs.
    """
    env_name, per_platform = _environment(p, doc, environment)
    subdir_of = _platform_map(p, doc, version)
    names = [str(k) for k in per_platform]
    if platform is not None and platform not in names:
        # v7 platform names may differ from their subdir: accept the subdir
        same = [n for n in names if subdir_of.get(n) == platform]
        platform = same[0] if len(same) == 1 else platform
    chosen = choose_platform(p, names, platform)
    where = f"{env_name}/{chosen}"
    selectors = per_platform.get(chosen) or []
    if not isinstance(selectors, list):
        raise InputError(p, f"packages of {where} are not a list")
    return where, selectors, subdir_of.get(chosen, chosen)


def _record_for(
    p: str,
    where: str,
    packages: list[Any],
    index: dict[tuple[str, str], list[int]],
    version: int,
    location: tuple[str, str],
    sel: dict[str, Any],
    platform_subdir: str,
    *,
    shared: bool,
) -> Record:
    """The record a selector points at (``shared``: one record for every
    environment that has it, its source naming the package entry)."""
    kind, loc = location
    candidates = index.get((kind, loc), [])
    if kind == "conda" and version >= 6:
        candidates = [i for i in candidates if _matches(packages[i], sel, loc)]
    elif kind == "conda" and len(candidates) > 1:
        same = [i for i in candidates if packages[i].get("subdir") == platform_subdir]
        candidates = same or candidates
    if not candidates:
        raise InputError(p, f"{where}: no package entry for {loc!r}"[:300])
    entry = packages[candidates[0]]
    source = f"{p} (package {candidates[0]})" if shared else f"{p} ({where})"
    try:
        if kind == "pypi":
            return _pypi_record(entry, loc, source)
        return _conda_record(entry, kind, loc, source)
    except ValueError as exc:
        raise InputError(p, str(exc)) from None
