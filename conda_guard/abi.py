"""ABI knowledge as data: package families, ABI pins and variant markers.

Loads ``conda_guard/data/abi_pins.json`` (generated from conda-forge's pinning
file by ``scripts/make_abi_table.py``) and ``conda_guard/data/abi_families.json``
(hand-curated) once, on the first :func:`load_table` call, and answers the
questions rules ask: which family a package belongs to, how coarse its ABI pin
is, whether a version move crosses that pin, which variant (BLAS, GPU, CUDA,
Python ABI, OpenMP, MPI) a record is, and which ``GLIBCXX_`` symbols a GCC
runtime provides. Standard library only; importing this module reads no file.
"""

from __future__ import annotations

import functools
from collections import namedtuple
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .abi_markers import Marker, VariantReader

if TYPE_CHECKING:
    import re
    from collections.abc import Mapping

    from conda_guard.models import Record

__all__ = [
    "AXES",
    "FAMILIES",
    "AbiTable",
    "Pin",
    "SymbolRow",
    "load_table",
]

FAMILIES = (
    "numpy",
    "blas",
    "openmp",
    "cuda",
    "gpu",
    "python",
    "cxx-runtime",
    "openssl",
    "mpi",
)
AXES = ("blas", "gpu", "cuda", "python", "openmp", "mpi")
_DEPTH = {"x": 1, "x.x": 2, "x.x.x": 3}


@dataclass(frozen=True, slots=True)
class Pin:
    """How much of a package's version its ABI follows.

    ``granularity`` is ``"x"``, ``"x.x"`` or ``"x.x.x"``; ``by_major`` overrides
    it for some major versions (openssl 1.x is ``x.x.x``, 3.x is ``x``).
    ``source`` says where the pin came from (the pinning file key, or the
    curated family).
    """

    name: str
    granularity: str
    source: str
    by_major: tuple[tuple[str, str], ...] = ()

    def granularity_for(self, version: str) -> str:
        """The granularity that applies to ``version`` (see ``by_major``)."""
        if self.by_major:
            major = _release_ints(version, 1)[1][0]
            for key, gran in self.by_major:
                if key == str(major):
                    return gran
        return self.granularity


class SymbolRow(namedtuple("SymbolRow", "gcc glibcxx cxxabi libstdcxx_so")):
    """One GCC release and the newest libstdc++ symbol versions it defines."""

    __slots__ = ()


def _release_ints(version: str, k: int) -> tuple[int, tuple[int, ...]]:
    """``(epoch, first k release components as ints)``; missing parts are 0.

    A component's number is its leading integer (``1q`` → 1, ``0rc1`` → 0), so
    ``1.1.1q`` and ``1.1.1w`` share the ``x.x.x`` key ``(1, 1, 1)``, as conda's
    ``>=1.1.1q,<1.1.2a`` bound does.
    """
    try:
        from conda_guard.version import parse_version

        parsed = parse_version(version)
    except (ImportError, ValueError):
        parsed = None
    if parsed is not None:
        nums: list[int] = []
        for comp in parsed.release[:k]:
            head = comp[0] if comp else 0
            nums.append(head if isinstance(head, int) else 0)
        epoch = parsed.epoch
    else:
        # not a conda version: compare the leading digits of each dot part
        epoch_text, _, rest = version.strip().lower().rpartition("!")
        epoch = int(epoch_text) if epoch_text.isdigit() else 0
        nums = []
        for part in rest.replace("_", ".").split(".")[:k]:
            digits = ""
            for ch in part:
                if not ch.isdigit():
                    break
                digits += ch
            nums.append(int(digits) if digits else 0)
    nums.extend([0] * (k - len(nums)))
    return epoch, tuple(nums)


def _version_key(version: str) -> tuple[int, ...]:
    """A sort key for ``major.minor[.patch]`` text (GCC and symbol versions)."""
    return tuple(int(p) if p.isdigit() else 0 for p in version.strip().split("."))


def _patterns_regex(globs: list[str]) -> re.Pattern[str] | None:
    """Every family's name patterns in one regex, one group ``p<i>`` per
    pattern: the group that matched is the first pattern, in file order."""
    import fnmatch
    import re

    if not globs:
        return None
    return re.compile(
        "|".join(f"(?P<p{i}>{fnmatch.translate(g)})" for i, g in enumerate(globs))
    )


class AbiTable:
    """The loaded ABI tables; build it with :func:`load_table`."""

    def __init__(self, pins: Mapping[str, Any], families: Mapping[str, Any]) -> None:
        self.pins_source: Mapping[str, Any] = pins.get("_source", {})
        self._member_of: dict[str, str | None] = {}
        self._members: dict[str, frozenset[str]] = {}
        self._pins: dict[str, Pin] = {
            name: Pin(
                name=name,
                granularity=entry["granularity"],
                source=f"conda-forge pinning: {entry['key']}",
            )
            for name, entry in pins.get("pins", {}).items()
        }
        self.family_notes: dict[str, dict[str, Any]] = {}
        globs: list[tuple[str, str]] = []  # (fnmatch pattern, family), in order
        for fam, spec in families["families"].items():
            self._add_family(fam, spec)
            globs.extend((glob, fam) for glob in spec.get("patterns", ()))
        self._pattern_families = tuple(fam for _, fam in globs)
        self._patterns = _patterns_regex([g for g, _ in globs])
        self._markers = tuple(
            Marker(entry, axis)
            for axis, entries in families["variant_markers"].items()
            if not axis.startswith("_")
            for entry in entries
        )
        self.system_floors: dict[str, dict[str, str]] = {
            k: v
            for k, v in families.get("system_floors", {}).items()
            if isinstance(v, dict)  # keys are virtual packages (__glibc)
        }
        self._globs: dict[tuple[str, str], tuple[re.Pattern[str], ...]] = {}
        #: variants per (name, version, build, depends, track_features): the
        #: fields markers read; the diff and several rules ask for the same
        self._variant_cache: dict[tuple[Any, ...], dict[str, str]] = {}
        self._reader = VariantReader(self._markers)
        self._symbols = tuple(
            SymbolRow(
                gcc=row["gcc"],
                glibcxx=row["glibcxx"],
                cxxabi=row["cxxabi"],
                libstdcxx_so=row["libstdcxx_so"],
            )
            for row in sorted(
                families["symbol_versions"]["gcc"], key=lambda r: _version_key(r["gcc"])
            )
        )

    def _add_family(self, fam: str, spec: Mapping[str, Any]) -> None:
        """One family of ``abi_families.json``: its members, pins and notes."""
        members = frozenset(spec.get("members", ()))
        self._members[fam] = members
        for name in members:
            if name in self._member_of:
                raise ValueError(
                    f"abi_families.json: {name!r} is in both "
                    f"{self._member_of[name]!r} and {fam!r}"
                )
            self._member_of[name] = fam
        for name, pin in spec.get("pins", {}).items():
            self._pins[name] = Pin(
                name=name,
                granularity=pin["granularity"],
                source=f"abi_families.json: {fam}",
                by_major=tuple(sorted(pin.get("by_major", {}).items())),
            )
        self.family_notes[fam] = {
            k: v for k, v in spec.items() if k not in ("members", "patterns", "pins")
        }

    # -- families ----------------------------------------------------------
    @property
    def families(self) -> tuple[str, ...]:
        """The family ids, in file order."""
        return tuple(self._members)

    def family_of(self, name: str) -> str | None:
        """The family of package ``name`` (members first, then name patterns)."""
        try:
            return self._member_of[name]
        except KeyError:
            pass
        m = self._patterns.match(name) if self._patterns is not None else None
        found = self._pattern_families[int(m.lastgroup[1:])] if m else None
        self._member_of[name] = found  # cache misses and pattern hits too
        return found

    def note(self, family: str, key: str) -> Any:
        """A family's extra data (``abi_break``, ``provided_by`` …), or None."""
        return self.family_notes.get(family, {}).get(key)

    def name_in(self, family: str, key: str, name: str) -> bool:
        """True when ``name`` matches a glob of ``family``'s ``key`` list.

        ``key`` names a block with ``patterns`` (e.g. the CUDA ``toolchain``).
        """
        globs = self._globs.get((family, key))
        if globs is None:
            import fnmatch
            import re

            block = self.note(family, key) or {}
            globs = tuple(
                re.compile(fnmatch.translate(g)) for g in block.get("patterns", ())
            )
            self._globs[(family, key)] = globs
        return any(g.match(name) for g in globs)

    def provided_by(self, family: str, name: str) -> tuple[str, ...]:
        """Packages that carry ``name``'s libraries (a metapackage, a split)."""
        block = self.note(family, "provided_by") or {}
        return tuple(block.get(name, ()))

    def members(self, family: str) -> frozenset[str]:
        """The listed member names of ``family`` (patterns not expanded)."""
        try:
            return self._members[family]
        except KeyError:
            raise KeyError(f"unknown ABI family {family!r}") from None

    # -- pins ----------------------------------------------------------------
    def pin(self, name: str) -> Pin | None:
        """The ABI pin of ``name``: curated family pin first, else conda-forge's."""
        return self._pins.get(name)

    def pinned_names(self) -> frozenset[str]:
        """Every package name that has a pin."""
        return frozenset(self._pins)

    def crosses_pin(self, name: str, before_version: str, after_version: str) -> bool:
        """True when moving ``name`` between the versions crosses its ABI pin.

        Compares the epoch and the first k components (k from the pin's
        granularity, the finer one when ``by_major`` gives the two versions
        different ones). Unpinned packages never cross.
        """
        pin = self._pins.get(name)
        if pin is None:
            return False
        k = max(
            _DEPTH.get(pin.granularity_for(before_version), 3),
            _DEPTH.get(pin.granularity_for(after_version), 3),
        )
        return _release_ints(before_version, k) != _release_ints(after_version, k)

    # -- variants ------------------------------------------------------------
    def variants(self, record: Record) -> dict[str, str]:
        """Axis → value read from the record's name, build, version, depends.

        Axes: ``blas`` (blas-family members only), ``gpu``, ``cuda``, ``python``,
        ``openmp`` (openmp family), ``mpi``. Axes without a marker are absent.
        Computed once per distinct record (a fresh dict each call).
        """
        key = (
            record.name,
            record.version,
            record.build,
            record.depends,
            record.track_features,
        )
        cached = self._variant_cache.get(key)
        if cached is not None:
            return dict(cached)
        if len(self._variant_cache) > 65536:
            self._variant_cache.clear()
        out = self._reader.read(record, self.family_of(record.name))
        self._variant_cache[key] = out
        return dict(out)

    # -- C++ runtime symbols ---------------------------------------------------
    def symbol_row(self, gcc_version: str) -> SymbolRow | None:
        """The symbol row for a GCC (or libstdcxx/libgcc package) version.

        The row of the newest listed release not above ``gcc_version`` within
        its major; None below GCC 7.1 or past the last listed major.
        """
        key = _version_key(gcc_version)
        best = None
        for row in self._symbols:
            if _version_key(row.gcc) <= key:
                best = row
        if best is None or key[0] > _version_key(self._symbols[-1].gcc)[0]:
            return None
        return best

    def glibcxx_for_gcc(self, gcc_version: str) -> str | None:
        """Newest ``GLIBCXX_`` version GCC ``gcc_version`` defines (``3.4.30``)."""
        row = self.symbol_row(gcc_version)
        return row.glibcxx if row else None

    def cxxabi_for_gcc(self, gcc_version: str) -> str | None:
        """Newest ``CXXABI_`` version GCC ``gcc_version`` defines (``1.3.13``)."""
        row = self.symbol_row(gcc_version)
        return row.cxxabi if row else None

    def gcc_for_glibcxx(self, glibcxx: str) -> str | None:
        """Oldest listed GCC that defines ``GLIBCXX_<glibcxx>``; None if unknown.

        Accepts ``3.4.30`` or ``GLIBCXX_3.4.30``.
        """
        want = _version_key(glibcxx.removeprefix("GLIBCXX_"))
        for row in self._symbols:
            if _version_key(row.glibcxx) >= want:
                return row.gcc
        return None

    def gcc_for_cxxabi(self, cxxabi: str) -> str | None:
        """Oldest listed GCC that defines ``CXXABI_<cxxabi>``; None if unknown."""
        want = _version_key(cxxabi.removeprefix("CXXABI_"))
        for row in self._symbols:
            if _version_key(row.cxxabi) >= want:
                return row.gcc
        return None

    @property
    def symbol_rows(self) -> tuple[SymbolRow, ...]:
        """The GCC → symbol-version table, oldest first."""
        return self._symbols


def _read(name: str) -> dict[str, Any]:
    """A packaged JSON file: read beside this module when the package is a
    directory (a plain read; ``importlib.resources`` costs ~30 ms to import),
    else through the package's loader (a zip file, another importer)."""
    import json
    import os

    try:
        with open(os.path.join(os.path.dirname(__file__), "data", name), "rb") as fh:
            data = fh.read()
    except OSError:  # not on disk as files (NotADirectoryError inside a zip)
        from importlib.resources import files

        data = files("conda_guard").joinpath("data").joinpath(name).read_bytes()
    return json.loads(data)


@functools.cache
def load_table() -> AbiTable:
    """The ABI table from the packaged JSON files (read once per process)."""
    return AbiTable(_read("abi_pins.json"), _read("abi_families.json"))
