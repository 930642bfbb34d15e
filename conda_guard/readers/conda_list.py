"""Read ``conda list`` output: ``--json``, ``--export`` (``-e``) and the plain table.

``--json`` is a list of objects with ``base_url``, ``build_number``,
``build_string``, ``channel``, ``dist_name``, ``name``, ``platform`` and
``version`` (mamba adds ``url``/``md5``/``sha256``). ``--export`` is
``name=version=build`` lines under a ``# platform: <subdir>`` header. The table
has ``name version build [channel]`` columns. Packages with build ``pypi_0``
or channel ``pypi`` were installed by pip. Standard library only.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from conda_guard.exceptions import InputError
from conda_guard.models import Record, State, channel_name
from conda_guard.readers.explicit import most_common_subdir
from conda_guard.readers.history import build_number_from_build
from conda_guard.readers.pip_dists import pip_record
from conda_guard.readers.source import (
    MAX_PACKAGES,
    check_count,
    display_name,
    load_json,
    numbered_lines,
    read_text,
)
from conda_guard.readers.validate import (
    int_field,
    text_field,
    unique_records,
)

if TYPE_CHECKING:
    from pathlib import Path

_PLATFORM_RE = re.compile(r"#\s*platform:\s*(\S+)")
_EXPORT_RE = re.compile(
    r"(?:([^\s:]+)::)?([^\s=<>!~\[\]]+)=([^\s=<>!~\[\]]+)=([^\s=<>!~\[\]]+)"
)
_TABLE_HEADER = "# packages in environment at"


def _is_pip(build: str, channel: str) -> bool:
    return build in ("pypi_0", "<pip>") or channel == "pypi"


def read_conda_list_json(
    path: str | Path,
    *,
    platform: str | None = None,
    environment: str | None = None,
    data: bytes | None = None,
) -> State:
    """Read ``conda list --json`` output into a :class:`State`."""
    p = display_name(path)
    doc = load_json(p, read_text(path, data))
    if not isinstance(doc, list):
        raise InputError(p, "not 'conda list --json' output (expected a JSON list)")
    check_count(p, len(doc))
    records = [_json_record(p, i, item) for i, item in enumerate(doc)]
    conda_records = [r for r in records if not r.pip]
    return State.from_records(
        unique_records(p, records),
        source=p,
        kind="conda-list-json",
        platform=most_common_subdir(conda_records),
    )


def _text(item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    return "" if value is None else str(value)


def _json_record(p: str, i: int, item: Any) -> Record:
    where = f"entry {i}: "
    if not isinstance(item, dict):
        raise InputError(p, f"entry {i} is not an object")
    name = text_field(p, item, "name", label=where)
    version = text_field(p, item, "version", label=where)
    build = text_field(p, item, "build_string", "build", label=where)
    channel = text_field(p, item, "channel", required=False, label=where)
    channel = channel or text_field(p, item, "base_url", required=False, label=where)
    source = f"{p} (entry {i})"
    if _is_pip(build, channel):
        return pip_record(name, version, source)
    number = int_field(p, item, "build_number", label=where)
    if number is None:
        number = build_number_from_build(build)
    return Record(
        name=name,
        version=version,
        build=build,
        build_number=number,
        channel=channel_name(channel),
        subdir=_text(item, "platform") or _text(item, "subdir"),
        url=_text(item, "url") or None,
        md5=_text(item, "md5") or None,
        sha256=_text(item, "sha256") or None,
        source=source,
    )


def read_conda_list_export(
    path: str | Path,
    *,
    platform: str | None = None,
    environment: str | None = None,
    data: bytes | None = None,
) -> State:
    """Read ``conda list --export`` or plain ``conda list`` output."""
    p = display_name(path)
    text = read_text(path, data)
    file_platform: str | None = None
    table = False
    records: list[Record] = []
    for number, line in numbered_lines(text, p):
        if line.startswith("#"):
            m = _PLATFORM_RE.match(line)
            if m and file_platform is None:
                file_platform = m.group(1)
            if line.startswith(_TABLE_HEADER):
                table = True
            continue
        source = f"{p}:{number}"
        rec = _table_record(line, source) if table else _export_record(line, source)
        if rec is None:
            what = "'name version build [channel]'" if table else "'name=version=build'"
            raise InputError(p, f"expected {what}, got {line[:80]!r}", number)
        records.append(rec)
        if len(records) > MAX_PACKAGES:
            break  # unique_records names the limit
    if not records and not table and file_platform is None:
        raise InputError(p, "no packages (not 'conda list --export' output)")
    conda_records = [r for r in records if not r.pip]
    return State.from_records(
        unique_records(p, records),
        source=p,
        kind="conda-list-export",
        platform=file_platform or most_common_subdir(conda_records),
    )


def _export_record(line: str, source: str) -> Record | None:
    m = _EXPORT_RE.fullmatch(line)
    if not m:
        return None
    chan, name, version, build = m.groups()
    channel = channel_name(chan) if chan else ""
    if _is_pip(build, channel):
        return pip_record(name, version, source)
    return Record(
        name=name,
        version=version,
        build=build,
        build_number=build_number_from_build(build),
        channel=channel,
        source=source,
    )


def _table_record(line: str, source: str) -> Record | None:
    parts = line.split()
    if len(parts) not in (3, 4):
        return None
    name, version, build = parts[:3]
    channel = channel_name(parts[3]) if len(parts) == 4 else ""
    if _is_pip(build, channel):
        return pip_record(name, version, source)
    return Record(
        name=name,
        version=version,
        build=build,
        build_number=build_number_from_build(build),
        channel=channel,
        source=source,
    )
