"""Read a conda prefix (``conda-meta/*.json``, history, frozen, pip installs).

A prefix state holds one :class:`Record` per ``conda-meta/<dist>.json``
PrefixRecord, the requested specs from ``conda-meta/history``, the content of
``conda-meta/frozen`` and the Python distributions installed by other tools
(``*.dist-info`` not owned by conda, shown by ``conda list`` as ``pypi_0``).
``read_prefix_revision`` rebuilds the package set at a history revision.
Standard library only.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from conda_guard.exceptions import InputError
from conda_guard.models import Record, State, channel_name
from conda_guard.readers.explicit import most_common_subdir, split_package_url
from conda_guard.readers.history import History, parse_history

if TYPE_CHECKING:
    from typing import Any

_PIP_NAME_RE = re.compile(r"[-_.]+")


def normalize_pip_name(name: str) -> str:
    """PEP 503 name: lower case, runs of ``-_.`` become ``-``."""
    return _PIP_NAME_RE.sub("-", name).lower()


def _str_tuple(value: Any) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)):
        # C-level loop: drops None/"" entries, keeps strings as they are
        return tuple(map(str, filter(None, value)))
    return ()


def _features(value: Any) -> tuple[str, ...]:
    """``track_features`` is a string (comma/space separated) or a list."""
    if isinstance(value, str):
        return tuple(f for f in re.split(r"[,\s]+", value) if f)
    return _str_tuple(value)


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


def _int_or(value: Any, default: int | None) -> int | None:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return default


def _opt_str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text if text and text != "None" else None


def record_from_prefix_json(data: Any, source: str) -> Record:
    """A :class:`Record` from a parsed PrefixRecord; :class:`InputError` if invalid."""
    if not isinstance(data, dict):
        raise InputError(source, "not a package record (expected a JSON object)")
    for key in ("name", "version"):
        if not isinstance(data.get(key), (str, int, float)) or data.get(key) in ("",):
            raise InputError(source, f"not a package record (no {key!r})")
    build = data.get("build", data.get("build_string", ""))
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
    requested = _opt_str(data.get("requested_spec"))
    if requested is None:
        specs = data.get("requested_specs")
        if isinstance(specs, list) and specs:
            requested = _opt_str(specs[0])
    files = data.get("files")
    return Record(
        name=str(data["name"]),
        version=str(data["version"]),
        build=str(build or ""),
        build_number=_int_or(data.get("build_number"), 0) or 0,
        channel=channel_name(channel_url),
        subdir=subdir,
        depends=_str_tuple(data.get("depends")),
        constrains=_str_tuple(data.get("constrains")),
        track_features=_features(data.get("track_features")),
        noarch=_noarch(data),
        url=url,
        md5=_opt_str(data.get("md5")),
        sha256=_opt_str(data.get("sha256")),
        fn=_opt_str(data.get("fn")),
        timestamp=_int_or(data.get("timestamp"), None),
        source=source,
        requested_spec=requested,
        files=_str_tuple(files) if isinstance(files, list) else (),
        python_site_packages_path=_opt_str(data.get("python_site_packages_path")),
    )


def _load_json(path: str) -> Any:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(path, "not UTF-8 text", line) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"invalid JSON: {exc.msg}", exc.lineno) from None
    except RecursionError:
        raise InputError(path, "invalid JSON: nested too deeply") from None


def _conda_meta(prefix: Path) -> Path:
    if not prefix.exists():
        raise InputError(prefix, "no such directory")
    if not prefix.is_dir():
        raise InputError(prefix, "not a directory (a prefix is a directory)")
    meta = prefix / "conda-meta"
    if not meta.is_dir():
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
    records: dict[str, Record] = {}
    for path in entries:
        rec = record_from_prefix_json(_load_json(path), path)
        records[rec.name] = rec
    return records


def _site_packages_dirs(prefix: Path, records: dict[str, Record]) -> list[Path]:
    dirs: list[Path] = []
    for rec in records.values():
        if rec.python_site_packages_path:
            dirs.append(prefix / rec.python_site_packages_path)
    lib = prefix / "lib"
    if lib.is_dir():
        try:
            for entry in sorted(os.scandir(lib), key=lambda e: e.name):
                if entry.name.startswith("python") and entry.is_dir():
                    dirs.append(Path(entry.path) / "site-packages")
        except OSError:
            pass
    dirs.append(prefix / "Lib" / "site-packages")
    out: list[Path] = []
    seen: set[str] = set()
    for d in dirs:
        key = os.path.normcase(os.path.realpath(d))
        if key not in seen and d.is_dir():
            seen.add(key)
            out.append(d)
    return out


def _read_small(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _metadata_fields(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break  # the body (long description) starts after a blank line
        key, sep, value = line.partition(":")
        if sep and key in ("Name", "Version") and key not in fields:
            fields[key] = value.strip()
    return fields


def _metadata_file(entry: Path) -> Path:
    """The metadata file of a ``.dist-info``/``.egg-info`` entry."""
    if entry.name.endswith(".dist-info"):
        return entry / "METADATA"
    return entry / "PKG-INFO" if entry.is_dir() else entry


def read_pip_records(prefix: str | Path, records: dict[str, Record]) -> list[Record]:
    """Python distributions in site-packages that conda did not install.

    A ``*.dist-info`` (or ``*.egg-info`` directory or file) counts when its
    ``INSTALLER`` is not ``conda`` and no conda record lists its metadata file
    (``METADATA``/``PKG-INFO``) among its files.
    """
    root = Path(prefix)
    found: list[Record] = []
    owned: set[str] | None = None
    for site in _site_packages_dirs(root, records):
        try:
            infos = sorted(
                e.name
                for e in os.scandir(site)
                if e.name.endswith((".dist-info", ".egg-info"))
            )
        except OSError:
            continue
        for info in infos:
            entry = site / info
            meta_file = _metadata_file(entry)
            installer = ""
            if entry.is_dir():
                installer = (_read_small(entry / "INSTALLER") or "").strip().lower()
            if installer == "conda":
                continue
            if owned is None:
                owned = {f for r in records.values() for f in r.files}
            try:
                rel = meta_file.relative_to(root).as_posix()
            except ValueError:
                rel = ""
            if rel in owned:
                continue
            meta = _metadata_fields(_read_small(meta_file) or "")
            stem = info.rsplit(".", 1)[0]
            dir_name, _, dir_version = stem.partition("-")
            dir_version = dir_version.split("-", 1)[0]  # drop "-py3.11" of eggs
            name = meta.get("Name") or dir_name
            version = meta.get("Version") or dir_version
            if not name or not version:
                continue
            found.append(
                Record(
                    name=normalize_pip_name(name),
                    version=version,
                    build="pypi_0",
                    channel="pypi",
                    subdir="pypi",
                    pip=True,
                    source=str(entry),
                )
            )
    return found


def read_frozen(prefix: str | Path) -> str | None:
    """Content of ``conda-meta/frozen`` (``""`` when empty), None when absent."""
    path = Path(prefix) / "conda-meta" / "frozen"
    if not path.is_file():
        return None
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(path, "not UTF-8 text") from None


def _history(prefix: Path) -> History | None:
    path = prefix / "conda-meta" / "history"
    if not path.is_file():
        return None
    return parse_history(path)


def _merge_pip(records: dict[str, Record], pip: list[Record]) -> dict[str, Record]:
    """Add pip records; one clobbering a conda package replaces it (as conda does)."""
    if not pip:
        return records
    by_norm = {normalize_pip_name(name): name for name in records}
    out = dict(records)
    for rec in pip:
        conda_name = by_norm.get(rec.name)
        if conda_name is not None:
            out.pop(conda_name, None)
        out[rec.name] = rec
    return out


def read_prefix(
    path: str | Path, *, platform: str | None = None, environment: str | None = None
) -> State:
    """Read a prefix directory into a :class:`State`."""
    prefix = Path(path)
    conda_records = read_prefix_records(prefix)
    history = _history(prefix)
    explicit = history.requested_specs(installed=conda_records) if history else {}
    records = _merge_pip(conda_records, read_pip_records(prefix, conda_records))
    return State(
        records=records,
        source=str(path),
        kind="prefix",
        explicit=explicit,
        prefix=str(path),
        platform=most_common_subdir(list(conda_records.values())),
        frozen=read_frozen(prefix),
    )


def _revision_state(
    path: str | Path,
    history: History,
    current: dict[str, Record],
    number: int,
    dists: dict[str, Any],
) -> State:
    records: list[Record] = []
    for name, dist in sorted(dists.items()):
        rec = current.get(name)
        if rec is not None and rec.version == dist.version and rec.build == dist.build:
            records.append(rec)
        else:
            records.append(dist.to_record())
    return State.from_records(
        records,
        source=f"{path}@{number}",
        kind="prefix",
        explicit=history.requested_specs(upto=number, installed=dists),
        prefix=str(path),
        platform=most_common_subdir(records),
        revision=number,
    )


def _prefix_history(prefix: Path, what: str) -> History:
    history = _history(prefix)
    if history is None:
        raise InputError(
            prefix / "conda-meta" / "history",
            f"no history file, so {what} cannot be rebuilt",
        )
    return history


def read_prefix_revision(path: str | Path, revision: int) -> State:
    """The prefix at history revision ``revision`` (0-based, as ``conda list -r``).

    A package still installed with the same name, version and build keeps its
    full record from ``conda-meta``; others are built from the history line.
    """
    prefix = Path(path)
    current = read_prefix_records(prefix)
    history = _prefix_history(prefix, f"revision {revision}")
    dists = history.dists_at(revision)
    return _revision_state(path, history, current, revision % len(history), dists)


def read_prefix_revisions(path: str | Path) -> tuple[State, ...]:
    """Every history revision of a prefix, reading ``conda-meta`` only once."""
    prefix = Path(path)
    current = read_prefix_records(prefix)
    history = _prefix_history(prefix, "revisions")
    states: list[State] = []
    dists: dict[str, Any] = {}
    for rev in history.revisions:
        if rev.full:
            dists = {d.name: d for d in rev.added}
        else:
            for d in rev.removed:
                dists.pop(d.name, None)
            for d in rev.added:
                dists[d.name] = d
        states.append(_revision_state(path, history, current, rev.number, dict(dists)))
    return tuple(states)
