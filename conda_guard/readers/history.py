"""Parse ``conda-meta/history``: revisions, requested specs and package sets.

The format is conda's (conda/conda:conda/history.py), also written by mamba:
a ``==> YYYY-MM-DD HH:MM:SS <==`` header per transaction, ``# cmd:``,
``# conda version:`` and ``# <action> specs:`` comments, then ``-dist`` and
``+dist`` lines. The oldest files (2016) list a full package set with bare
``name-version-build`` lines instead of a diff. Revision numbers are 0-based,
like ``conda list --revisions``. Every problem is an :class:`InputError`
naming the file and line. Standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from conda_guard.channel_names import on_change
from conda_guard.exceptions import InputError
from conda_guard.models import Record, channel_name
from conda_guard.readers.history_comments import parse_comment, spec_name
from conda_guard.readers.history_file import history_blocks, history_path

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from pathlib import Path

_HEADER_RE = re.compile(r"==>\s*(.+?)\s*<==")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
_SUBDIR_RE = re.compile(
    r"noarch|(linux|osx|win|emscripten|wasi|zos)-[a-z0-9_]+", re.IGNORECASE
)
_EXTENSIONS = (".tar.bz2", ".conda")
_SPACE_RE = re.compile(r"\s")


def strip_extension(filename: str) -> str:
    """``numpy-1.26.4-py311_0.conda`` → ``numpy-1.26.4-py311_0``."""
    if not filename.endswith(_EXTENSIONS):
        return filename
    for ext in _EXTENSIONS:
        if filename.endswith(ext):
            return filename[: -len(ext)]
    return filename


def split_dist(dist: str) -> tuple[str, str, str]:
    """Split ``name-version-build`` (extension allowed); ``ValueError`` if not one."""
    text = dist.strip()
    parts = strip_extension(text).rsplit("-", 2)
    if len(parts) != 3 or not all(parts) or _SPACE_RE.search(text):
        raise ValueError(f"not a name-version-build string: {dist!r}")
    return parts[0], parts[1], parts[2]


def build_number_from_build(build: str) -> int:
    """The build number a build string carries, else 0.

    The last ``_``-separated part made only of digits: ``hc74c709_3_cpython``
    → 3, ``13_linux64_mkl`` → 13, ``py312h58c1407_0`` → 0, ``2_gnu`` → 2.
    Used only where the source has no ``build_number`` field.
    """
    for part in reversed(build.split("_")):
        if part.isdigit() and part.isascii():
            return int(part)
    return 0


@lru_cache(maxsize=4096)
def split_channel(channel: str) -> tuple[str, str]:
    """``conda-forge/win-64`` or a channel URL → ``(short channel, subdir)``."""
    text = channel.strip().rstrip("/")
    last = text.rsplit("/", 1)[-1]
    subdir = last if "/" in text and _SUBDIR_RE.fullmatch(last) else ""
    return channel_name(text), subdir


class DistRef(NamedTuple):
    """One ``[channel::]name-version-build`` line of a history file.

    A named tuple: a long history makes millions of them.
    """

    name: str
    version: str
    build: str
    channel: str = ""
    subdir: str = ""
    text: str = ""
    line: int = 0
    path: str = ""

    @property
    def dist(self) -> str:
        """``name-version-build``."""
        return f"{self.name}-{self.version}-{self.build}"

    @classmethod
    def parse(cls, text: str, *, line: int = 0, path: str = "") -> DistRef:
        """Parse a dist string; ``ValueError`` when it is not one."""
        body = text = text.strip()
        channel = subdir = ""
        if "::" in body:
            chan, body = body.split("::", 1)
            channel, subdir = split_channel(chan)
        name, version, build = split_dist(body)
        return cls(name, version, build, channel, subdir, text, line, path)

    def to_record(self) -> Record:
        """A :class:`Record` with what the line says (no depends, no hashes)."""
        return Record(
            name=self.name,
            version=self.version,
            build=self.build,
            build_number=build_number_from_build(self.build),
            channel=self.channel,
            subdir=self.subdir,
            source=f"{self.path}:{self.line}" if self.path else f"history:{self.line}",
        )


@dataclass(frozen=True, slots=True)
class Revision:
    """One ``==> date <==`` section.

    ``full`` is True for the 2016 form that lists the whole package set
    (``added`` then holds that set and ``removed`` is empty).
    """

    number: int
    date: str
    cmd: str | None = None
    conda_version: str | None = None
    removed: tuple[DistRef, ...] = ()
    added: tuple[DistRef, ...] = ()
    update_specs: tuple[str, ...] = ()
    remove_specs: tuple[str, ...] = ()
    neutered_specs: tuple[str, ...] = ()
    line: int = 0
    full: bool = False


@dataclass(frozen=True, slots=True)
class History:
    """A parsed history file."""

    path: str
    revisions: tuple[Revision, ...]

    def __len__(self) -> int:
        return len(self.revisions)

    def _index(self, n: int) -> int:
        return revision_index(self.path, n, len(self.revisions))

    def requested_specs(
        self, upto: int | None = None, installed: Iterable[str] | None = None
    ) -> dict[str, str]:
        """Requested specs, name → spec string (conda's ``get_requested_specs_map``).

        Sections without ``# cmd:`` are skipped; in each section the removed
        names are dropped, then update specs set, then neutered specs override.
        ``upto`` stops after that revision; ``installed`` keeps only those names.
        """
        last = len(self.revisions) - 1 if upto is None else self._index(upto)
        specs: dict[str, str] = {}
        for rev in self.revisions[: last + 1]:
            apply_specs(specs, rev, self.path)
        return only_installed(specs, installed)

    def dists_at(self, n: int) -> dict[str, DistRef]:
        """The package set after revision ``n`` (negative counts from the end).

        Removals match by package name, so a removal written as a full URL
        (micromamba) still removes the package added as ``channel::dist``.
        """
        last = self._index(n)
        current: dict[str, DistRef] = {}
        for rev in self.revisions[: last + 1]:
            current = apply_dists(current, rev)
        return current


def revision_index(path: str, n: int, count: int) -> int:
    """``n`` as an index into ``count`` revisions; :class:`InputError` if none."""
    if not count:
        raise InputError(path, f"no revision {n}: the history is empty")
    if not -count <= n < count:
        raise InputError(path, f"no revision {n} (revisions are 0 to {count - 1})")
    return n % count


def apply_specs(specs: dict[str, str], rev: Revision, path: str) -> None:
    """One step of conda's ``get_requested_specs_map``, in place."""
    if rev.cmd is None:
        return
    for spec in rev.remove_specs:
        specs.pop(_name_at(path, rev, spec), None)
    for spec in rev.update_specs:
        specs[_name_at(path, rev, spec)] = spec
    for spec in rev.neutered_specs:
        specs[_name_at(path, rev, spec)] = spec


def only_installed(
    specs: dict[str, str], installed: Iterable[str] | None
) -> dict[str, str]:
    """``specs`` restricted to the ``installed`` names (all when None)."""
    if installed is None:
        return specs
    keep = (
        installed if isinstance(installed, (set, frozenset, dict)) else set(installed)
    )
    return {k: v for k, v in specs.items() if k in keep}


def apply_dists(current: dict[str, DistRef], rev: Revision) -> dict[str, DistRef]:
    """The package set after ``rev`` (``current`` is changed, or replaced if full)."""
    if rev.full:
        return {d.name: d for d in rev.added}
    for dist in rev.removed:
        current.pop(dist.name, None)
    for dist in rev.added:
        current[dist.name] = dist
    return current


def _name_at(path: str, rev: Revision, spec: str) -> str:
    try:
        return spec_name(spec)
    except ValueError as exc:
        raise InputError(path, str(exc), rev.line) from None


class _Section:
    __slots__ = (
        "added",
        "bare",
        "cmd",
        "conda_version",
        "date",
        "line",
        "neutered",
        "remove",
        "removed",
        "update",
    )

    def __init__(self, date: str, line: int) -> None:
        self.date = date
        self.line = line
        self.cmd: str | None = None
        self.conda_version: str | None = None
        self.added: list[DistRef] = []
        self.removed: list[DistRef] = []
        self.bare: list[DistRef] = []
        self.update: list[str] = []
        self.remove: list[str] = []
        self.neutered: list[str] = []


def iter_revisions(blocks: Iterable[list[str]], path: str) -> Iterator[Revision]:
    """Revisions one at a time from blocks of lines (numbered on from 1).

    Memory holds one block and one section: a history of any length streams
    through. The package lines, nearly all of a long history, take the
    short path through the loop.
    """
    cur: _Section | None = None
    count = number = 0
    for block in blocks:
        for raw in block:
            number += 1
            line = raw.strip()
            if not line:
                continue
            first = line[0]
            if (first == "+" or first == "-") and cur is not None:
                if cur.bare:
                    raise InputError(
                        path,
                        f"unexpected line in a diff section: {line[:80]!r}",
                        number,
                    )
                text = line[1:]
                known = _LINES.get(text)  # a line seen before: no call, no checks
                dist = (
                    _new_dist(DistRef, (*known, text, number, path))
                    if known is not None
                    else _package_line(line, path, number)
                )
                (cur.added if first == "+" else cur.removed).append(dist)
            elif first == "=" and line.startswith("==>"):
                if cur is not None:
                    yield _revision(cur, count)
                    count += 1
                cur = _Section(_header_date(line, path, number), number)
            elif first == "#":
                if cur is not None:
                    parse_comment(cur, line, path, number)
                # comments before the first header are ignored (as conda)
            elif cur is None and line.startswith("//"):
                continue  # pixi: "// not relevant for pixi but for `conda run -p`"
            else:
                _bare_line(cur, line, path, number)
    if cur is not None:
        yield _revision(cur, count)


def _package_line(line: str, path: str, number: int) -> DistRef:
    """The package of a ``+``/``-`` line: :func:`_dist`, inline for the usual
    ``+channel/subdir::name-version-build`` of a known channel."""
    text = line[1:]
    chan, sep, rest = text.partition("::")
    parts = rest.rsplit("-", 2)
    if (
        sep
        and len(parts) == 3
        and parts[0]
        and parts[1]
        and parts[2]
        and chan in _CHANNELS
        and not rest.endswith(_EXTENSIONS)
        and " " not in text
        and text.isprintable()  # no other whitespace either
    ):
        channel, subdir = _CHANNELS[chan]
        if len(_LINES) >= 65536:
            _LINES.clear()
        known = _LINES[text] = (*parts, channel, subdir)
        return _new_dist(DistRef, (*known, text, number, path))
    return _dist(line, path, number)


def _bare_line(cur: _Section | None, line: str, path: str, number: int) -> None:
    """A bare ``name-version-build`` line (the full package sets of 2016)."""
    if cur is None:
        raise InputError(path, "no revision header before this line", number)
    if cur.added or cur.removed:
        raise InputError(
            path, f"unexpected line in a diff section: {line[:80]!r}", number
        )
    cur.bare.append(_dist(line, path, number, bare=True))


_new_dist = tuple.__new__
#: channel text of a package line → (short channel, subdir), filled by _dist
_CHANNELS: dict[str, tuple[str, str]] = {}
#: text of a package line → its DistRef fields before ``text`` (line, path differ)
_LINES: dict[str, tuple[str, str, str, str, str]] = {}
# the short names follow the channel configuration: forget them when it changes
on_change(_CHANNELS.clear)
on_change(_LINES.clear)
on_change(split_channel.cache_clear)


def _dist(line: str, path: str, number: int, bare: bool = False) -> DistRef:
    """The package of a ``+``/``-`` line (or a bare one); what DistRef.parse gives."""
    text = line if bare else line[1:].strip()
    channel = subdir = ""
    rest = text
    if "::" in text:
        chan, rest = text.split("::", 1)
        channel, subdir = split_channel(chan)
        if len(_CHANNELS) < 4096 and not _SPACE_RE.search(chan):
            _CHANNELS[chan] = (channel, subdir)
    parts = rest.rsplit("-", 2)
    if (
        len(parts) != 3
        or not (parts[0] and parts[1] and parts[2])
        or rest.endswith(_EXTENSIONS)
        or _SPACE_RE.search(rest)
    ):
        try:  # the exact rules, and their error
            return DistRef.parse(text, line=number, path=path)
        except ValueError:
            raise InputError(path, f"bad package line {line[:80]!r}", number) from None
    return _new_dist(
        DistRef, (parts[0], parts[1], parts[2], channel, subdir, text, number, path)
    )


def _header_date(line: str, path: str, number: int) -> str:
    m = _HEADER_RE.fullmatch(line)
    if not m:
        raise InputError(path, "bad revision header", number)
    date = m.group(1)
    if not _DATE_RE.fullmatch(date):
        raise InputError(path, f"bad revision header date {date[:40]!r}", number)
    return date


def _revision(s: _Section, number: int) -> Revision:
    full = bool(s.bare) or not (s.added or s.removed)
    # A section without package lines (a command that changed nothing) would
    # empty the package set in conda's construct_states; we read it as "no
    # change", which is what happened to the prefix.
    if full and not s.bare:
        full = False
    return Revision(
        number=number,
        date=s.date,
        cmd=s.cmd,
        conda_version=s.conda_version,
        removed=tuple(s.removed),
        added=tuple(s.bare) if s.bare else tuple(s.added),
        update_specs=tuple(s.update),
        remove_specs=tuple(s.remove),
        neutered_specs=tuple(s.neutered),
        line=s.line,
        full=full,
    )


def parse_history_text(text: str, path: str = "history") -> History:
    """Parse the text of a history file (``path`` is used in messages)."""
    revisions = tuple(iter_revisions([text.splitlines()], path))
    return History(path=path, revisions=revisions)


def parse_history(path: str | Path) -> History:
    """Parse ``conda-meta/history`` (or a prefix directory holding one)."""
    p = history_path(path)
    revisions = tuple(iter_revisions(history_blocks(p), str(p)))
    return History(path=str(p), revisions=revisions)
