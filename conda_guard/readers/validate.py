"""Checks the readers share: field types of JSON records, one record per name.

A record field of the wrong type (``"version": 1.1``, ``"depends": null``,
``"build_number": "zero"``) and two records for one name are errors naming
the input, never a silent pick: a version read from a float is not the
version that was written, and which of two records is installed is exactly
what the guard cannot know. Standard library only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conda_guard.exceptions import InputError
from conda_guard.readers.source import check_count

if TYPE_CHECKING:
    from collections.abc import Iterable

    from conda_guard.models import Record


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def text_field(
    source: str,
    data: dict[str, Any],
    *keys: str,
    required: bool = True,
    label: str = "",
) -> str:
    """The first of ``keys`` present in ``data``: a non-empty string.

    ``label`` starts the reason of an error (``"entry 3: "``).
    """
    for key in keys:
        if key not in data:
            continue
        value = data[key]
        if isinstance(value, str) and value.strip():
            return value
        if value is None or value == "":
            break
        raise InputError(
            source,
            f"{label}{key!r} is {type(value).__name__} {_shown(value)}, not a string",
        )
    if required:
        raise InputError(source, f"{label}not a package record (no {keys[0]!r})")
    return ""


def int_field(
    source: str, data: dict[str, Any], key: str, label: str = ""
) -> int | None:
    """An integer field (digits in a string are accepted), None when absent."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit() and value.isascii():
        return int(value) if len(value) <= 18 else None
    raise InputError(source, f"{label}{key!r} is {_shown(value)}, not an integer")


def str_list_field(source: str, data: dict[str, Any], key: str) -> tuple[str, ...]:
    """A list of strings (absent: empty); empty strings are dropped."""
    if key not in data:
        return ()
    value = data[key]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(filter(None, value))
    bad = (
        value
        if not isinstance(value, list)
        else next(v for v in value if not isinstance(v, str))
    )
    raise InputError(source, f"{key!r} holds {_shown(bad)}; expected a list of strings")


def unique_records(
    path: str, records: Iterable[Record], what: str = "packages"
) -> list[Record]:
    """``records`` unchanged; :class:`InputError` when one name appears twice.

    A pip record and a conda record may share a name (``conda list`` shows
    both when pip replaced a conda package; the later one wins, as before).
    """
    seen: dict[tuple[str, bool], Record] = {}
    out: list[Record] = []
    for rec in records:
        key = (rec.name, rec.pip)
        first = seen.get(key)
        if first is not None:
            raise InputError(
                path,
                f"two records for {rec.name!r}: {_where(first)} and {_where(rec)} "
                "(which one is installed is unknown)",
            )
        seen[key] = rec
        out.append(rec)
    check_count(path, len(out), what)
    return out


def _where(rec: Record) -> str:
    source = rec.source or ""
    label = f"{rec.version} {rec.build}".strip()
    if source.endswith(".json"):
        return f"{label} ({source.replace(chr(92), '/').rsplit('/', 1)[-1]})"
    line = source.rsplit(":", 1)[-1]
    return f"{label} (line {line})" if line.isdigit() else label
