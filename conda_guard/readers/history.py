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

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from conda_guard.exceptions import InputError
from conda_guard.graph import dep_name
from conda_guard.models import Record, channel_name

if TYPE_CHECKING:
    from collections.abc import Iterable

_HEADER_RE = re.compile(r"==>\s*(.+?)\s*<==")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
_CMD_RE = re.compile(r"#\s*cmd:\s*(.+)")
_CONDA_VERSION_RE = re.compile(r"#\s*conda version:\s*(.+)")
_SPECS_RE = re.compile(r"#\s*(\w+)\s*specs:\s*(.+)?")
# conda/conda:conda/models/version.py version_relation_re
_VERSION_RELATION_RE = re.compile(r"^(=|==|!=|<=|>=|<|>|~=)(?![=<>!~])(\S+)$")
_SUBDIR_RE = re.compile(
    r"noarch|(linux|osx|win|emscripten|wasi|zos)-[a-z0-9_]+", re.IGNORECASE
)
_EXTENSIONS = (".tar.bz2", ".conda")

_UPDATE_ACTIONS = ("update", "install", "create")
_REMOVE_ACTIONS = ("remove", "uninstall")


def spec_name(spec: str) -> str:
    """The package name of a match spec string (``conda-forge::numpy>=1`` → ``numpy``).

    :func:`conda_guard.graph.dep_name`, which raises ``ValueError`` when no name
    can be read.
    """
    name = dep_name(spec)
    if not name:
        raise ValueError(f"no package name in spec {spec!r}")
    return name


def strip_extension(filename: str) -> str:
    """``numpy-1.26.4-py311_0.conda`` → ``numpy-1.26.4-py311_0``."""
    for ext in _EXTENSIONS:
        if filename.endswith(ext):
            return filename[: -len(ext)]
    return filename


def split_dist(dist: str) -> tuple[str, str, str]:
    """Split ``name-version-build`` (extension allowed); ``ValueError`` if not one."""
    parts = strip_extension(dist.strip()).rsplit("-", 2)
    if len(parts) != 3 or not all(parts) or any(c.isspace() for c in dist.strip()):
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


def split_channel(channel: str) -> tuple[str, str]:
    """``conda-forge/win-64`` or a channel URL → ``(short channel, subdir)``."""
    text = channel.strip().rstrip("/")
    last = text.rsplit("/", 1)[-1]
    subdir = last if "/" in text and _SUBDIR_RE.fullmatch(last) else ""
    return channel_name(text), subdir


@dataclass(frozen=True, slots=True)
class DistRef:
    """One ``[channel::]name-version-build`` line of a history file."""

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
        body = text.strip()
        channel = subdir = ""
        if "::" in body:
            chan, body = body.split("::", 1)
            channel, subdir = split_channel(chan)
        name, version, build = split_dist(body)
        return cls(name, version, build, channel, subdir, text.strip(), line, path)

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
        count = len(self.revisions)
        if not count:
            raise InputError(self.path, f"no revision {n}: the history is empty")
        if not -count <= n < count:
            raise InputError(
                self.path, f"no revision {n} (revisions are 0 to {count - 1})"
            )
        return n % count

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
            if rev.cmd is None:
                continue
            for spec in rev.remove_specs:
                specs.pop(_name_at(self.path, rev, spec), None)
            for spec in rev.update_specs:
                specs[_name_at(self.path, rev, spec)] = spec
            for spec in rev.neutered_specs:
                specs[_name_at(self.path, rev, spec)] = spec
        if installed is not None:
            keep = set(installed)
            specs = {k: v for k, v in specs.items() if k in keep}
        return specs

    def dists_at(self, n: int) -> dict[str, DistRef]:
        """The package set after revision ``n`` (negative counts from the end).

        Removals match by package name, so a removal written as a full URL
        (micromamba) still removes the package added as ``channel::dist``.
        """
        last = self._index(n)
        current: dict[str, DistRef] = {}
        for rev in self.revisions[: last + 1]:
            if rev.full:
                current = {d.name: d for d in rev.added}
                continue
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


def _parse_old_specs(text: str) -> list[str]:
    """conda < 4.5 ``# install specs: a,b >=1,<2`` (version fragments rejoined)."""
    specs: list[str] = []
    for part in text.split(","):
        if _VERSION_RELATION_RE.match(part) and specs:
            specs[-1] = f"{specs[-1]},{part}"
        else:
            specs.append(part)
    return specs


def _parse_specs(text: str, path: str, line: int) -> list[str]:
    text = text.strip()
    if text.startswith("["):
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            raise InputError(path, "cannot parse the spec list", line) from None
        if not isinstance(value, (list, tuple)) or not all(
            isinstance(s, str) for s in value
        ):
            raise InputError(path, "the spec list is not a list of strings", line)
        specs = list(value)
    elif "[" not in text:
        specs = _parse_old_specs(text)
    else:
        # conda's parser leaves ``specs`` unbound here; we refuse the line
        raise InputError(path, "cannot parse the spec list", line)
    return [s.strip() for s in specs if s and s.strip() and not s.endswith("@")]


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


def parse_history_text(text: str, path: str = "history") -> History:
    """Parse the text of a history file (``path`` is used in messages)."""
    sections: list[_Section] = []
    cur: _Section | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("==>"):
            m = _HEADER_RE.fullmatch(line)
            if not m:
                raise InputError(path, "bad revision header", number)
            date = m.group(1)
            if not _DATE_RE.fullmatch(date):
                raise InputError(
                    path, f"bad revision header date {date[:40]!r}", number
                )
            cur = _Section(date, number)
            sections.append(cur)
            continue
        if line.startswith("#"):
            if cur is not None:
                _parse_comment(cur, line, path, number)
            continue  # comments before the first header are ignored (as conda)
        if cur is None:
            raise InputError(path, "no revision header before this line", number)
        kind = line[0]
        body = line[1:] if kind in "+-" else line
        try:
            dist = DistRef.parse(body, line=number, path=path)
        except ValueError:
            raise InputError(path, f"bad package line {line[:80]!r}", number) from None
        if kind == "+":
            cur.added.append(dist)
        elif kind == "-":
            cur.removed.append(dist)
        else:
            cur.bare.append(dist)
        if cur.bare and (cur.added or cur.removed):
            raise InputError(
                path, f"unexpected line in a diff section: {line[:80]!r}", number
            )
    revisions = tuple(
        Revision(
            number=i,
            date=s.date,
            cmd=s.cmd,
            conda_version=s.conda_version,
            removed=tuple(s.removed),
            added=tuple(s.bare) if s.bare else tuple(s.added),
            update_specs=tuple(s.update),
            remove_specs=tuple(s.remove),
            neutered_specs=tuple(s.neutered),
            line=s.line,
            full=bool(s.bare) or not (s.added or s.removed),
        )
        for i, s in enumerate(sections)
    )
    # A section without package lines (a command that changed nothing) would
    # empty the package set in conda's construct_states; we read it as "no
    # change", which is what happened to the prefix.
    revisions = tuple(_no_change(r) if r.full and not r.added else r for r in revisions)
    return History(path=path, revisions=revisions)


def _no_change(rev: Revision) -> Revision:
    return Revision(
        number=rev.number,
        date=rev.date,
        cmd=rev.cmd,
        conda_version=rev.conda_version,
        update_specs=rev.update_specs,
        remove_specs=rev.remove_specs,
        neutered_specs=rev.neutered_specs,
        line=rev.line,
        full=False,
    )


def _parse_comment(cur: _Section, line: str, path: str, number: int) -> None:
    m = _CMD_RE.match(line)
    if m:
        cur.cmd = m.group(1).strip()
        return
    m = _CONDA_VERSION_RE.match(line)
    if m:
        cur.conda_version = m.group(1).strip()
        return
    m = _SPECS_RE.match(line)
    if m:
        action, specs_text = m.group(1), m.group(2) or ""
        specs = _parse_specs(specs_text, path, number)
        for spec in specs:
            try:
                spec_name(spec)
            except ValueError as exc:
                raise InputError(path, str(exc), number) from None
        if action in _UPDATE_ACTIONS:
            cur.update.extend(specs)
        elif action in _REMOVE_ACTIONS:
            cur.remove.extend(specs)
        elif action == "neutered":
            cur.neutered.extend(specs)


def parse_history(path: str | Path) -> History:
    """Parse ``conda-meta/history`` (or a prefix directory holding one)."""
    p = Path(path)
    if p.is_dir():
        p = p / "conda-meta" / "history" if (p / "conda-meta").is_dir() else p
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(p, "no such file") from None
    except OSError as exc:
        raise InputError(p, f"cannot read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(p, "not UTF-8 text", line) from None
    return parse_history_text(text, str(p))
