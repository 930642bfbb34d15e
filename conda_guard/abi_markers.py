"""Variant markers: what a record's name, build, version or dependencies say
about its BLAS, GPU, CUDA, Python ABI, OpenMP or MPI variant.

The markers are data (``variant_markers`` in ``data/abi_families.json``);
:class:`Marker` is one compiled marker and :class:`VariantReader` reads them
all from a record (:meth:`conda_guard.abi.AbiTable.variants` caches the result
per record). Standard library only.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    from conda_guard.models import Record

__all__ = ["FIELDS", "Marker", "VariantReader"]

#: the record fields a marker may read
FIELDS = ("name", "build", "version", "depends", "track_features")


class Marker:
    """One compiled variant marker from ``abi_families.json``."""

    __slots__ = (
        "axis",
        "families",
        "field",
        "major_only_from",
        "mapping",
        "names",
        "regex",
        "require",
        "value",
    )

    def __init__(self, entry: Mapping[str, Any], axis: str) -> None:
        self.axis = axis
        self.field: str = entry["field"]
        if self.field not in FIELDS:
            raise ValueError(f"abi_families.json: bad field {self.field!r}")
        self.regex: re.Pattern[str] = re.compile(entry["regex"])
        self.value: str | None = entry.get("value")
        self.mapping: Mapping[str, str] = entry.get("map", {})
        fams = entry.get("families")
        names = entry.get("names")
        self.families = frozenset(fams) if fams else None
        self.names = frozenset(names) if names else None
        self.require: str | None = entry.get("require")
        self.major_only_from: int | None = entry.get("major_only_from")


class VariantReader:
    """The variant markers, and what each reads in every distinct text.

    Names, builds and dependency strings recur across thousands of records, so
    each marker reads each distinct text of its field at most once (memoized),
    and only when it applies to a record being read (its ``families`` and
    ``names``). Per field, one screening regex (the markers' regexes as
    alternatives, groups unnamed, a backreference widened to any text) finds
    something wherever a marker would: a text it finds nothing in, like most
    dependency strings, is read by no marker, without asking each.
    """

    def __init__(self, markers: tuple[Marker, ...]) -> None:
        self.markers = markers
        self.screens = {
            f: _screen([m for m in markers if m.field == f]) for f in FIELDS
        }
        #: field -> text -> marker index -> value (None: reads nothing there);
        #: a text the screen finds nothing in maps to None
        self.memo: dict[str, dict[str, dict[int, str | None] | None]] = {
            f: {} for f in FIELDS
        }
        #: the names some marker is limited to (``names``)
        self.named = frozenset(n for m in markers if m.names for n in m.names)
        #: (family, name or None) -> field -> the markers that apply, in order;
        #: the name only for a name some marker is limited to, so that the
        #: plans are a few, one per family
        self.plans: dict[tuple[str | None, str | None], dict[str, tuple[int, ...]]] = {}

    def plan(self, name: str, family: str | None) -> dict[str, tuple[int, ...]]:
        """Field -> indices of the markers that apply to package ``name``."""
        key = (family, name if name in self.named else None)
        plan = self.plans.get(key)
        if plan is None:
            if len(self.plans) > 65536:
                self.plans.clear()
            plan = {}
            for i, m in enumerate(self.markers):
                if (m.families is None or family in m.families) and (
                    m.names is None or name in m.names
                ):
                    plan[m.field] = (*plan.get(m.field, ()), i)
            self.plans[key] = plan
        return plan

    def entry(self, field: str, text: str) -> dict[int, str | None] | None:
        """What the markers of ``field`` read in ``text`` so far (None: nothing
        can be read in it)."""
        memo = self.memo[field]
        try:
            return memo[text]
        except KeyError:
            pass
        if len(memo) > 65536:
            memo.clear()
        screen = self.screens[field]
        found = None if screen is not None and not screen.search(text.strip()) else {}
        memo[text] = found
        return found

    def read(self, record: Record, family: str | None) -> dict[str, str]:
        """Axis -> value: per axis, the first marker (in file order) that applies
        to the record and reads something (in the first text of its field)."""
        found: dict[int, str] = {}
        for field, indices in self.plan(record.name, family).items():
            for text in _field_values(record, field):
                entry = self.entry(field, text)
                if entry is None:
                    continue
                for i in indices:
                    if i in found:
                        continue
                    try:
                        value = entry[i]
                    except KeyError:
                        value = entry[i] = _read_text(self.markers[i], text)
                    if value is not None:
                        found[i] = value
        out: dict[str, str] = {}
        for i in sorted(found):
            out.setdefault(self.markers[i].axis, found[i])
        return out


def _screen(markers: list[Marker]) -> re.Pattern[str] | None:
    """A regex that finds a match in every text one of ``markers`` matches (None:
    no screen, e.g. for patterns with inline flags or numbered backreferences)."""
    patterns = [m.regex.pattern for m in markers]
    if not patterns or any(re.search(r"\\[1-9]", p) for p in patterns):
        return None
    relaxed = (
        re.sub(r"(?<!\\)\(\?P<\w+>", "(?:", re.sub(r"\(\?P=\w+\)", "(?:.*?)", p))
        for p in patterns
    )
    try:
        return re.compile("|".join(f"(?:{p})" for p in relaxed))
    except re.error:
        return None


def _field_values(record: Record, field: str) -> tuple[str, ...]:
    if field == "depends":
        return record.depends
    if field == "track_features":
        return record.track_features
    return (getattr(record, field) or "",)


def _read_text(marker: Marker, text: str) -> str | None:
    """The value ``marker`` reads in one text of its field, or None."""
    m = marker.regex.search(text.strip())
    if m is None:
        return None
    groups = {k: v for k, v in m.groupdict().items() if v is not None}
    if marker.require == "next_minor" and (
        int(groups["next"]) != int(groups["minor"]) + 1
    ):
        return None
    major = groups.get("major")
    if (
        marker.major_only_from is not None
        and major is not None
        and (int(major) >= marker.major_only_from or "minor" not in groups)
    ):
        value = major  # minors of one major are compatible (or not given)
    elif marker.value is not None:
        value = marker.value.format(**groups)
    elif "value" in groups:
        value = groups["value"]
    else:
        return None
    return marker.mapping.get(value, value)
