"""What a binary tells the dynamic loader, independent of the file format.

:class:`BinaryInfo` is the format-neutral result (needed libraries, own
soname, search path, symbol versions needed and defined). A reader for one
format implements :class:`BinaryReader` (``sniff`` the first bytes, ``read``
the file) and is listed in :data:`conda_guard.binaries.read.READERS`, which
picks the reader. Only ELF has a reader today (:mod:`conda_guard.binaries.elf`);
Mach-O and PE are recognised by :func:`sniff_format` so the scan can say how
many it skipped, and a reader for them fits beside ELF without changing
callers. This module imports no reader (readers import it). Standard library
only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pathlib import Path

#: Bytes :func:`sniff_format` needs from the start of a file.
HEAD_SIZE = 8

_MACHO_MAGICS = (
    b"\xfe\xed\xfa\xce",  # MH_MAGIC
    b"\xce\xfa\xed\xfe",  # MH_CIGAM
    b"\xfe\xed\xfa\xcf",  # MH_MAGIC_64
    b"\xcf\xfa\xed\xfe",  # MH_CIGAM_64
    b"\xca\xfe\xba\xbe",  # FAT_MAGIC (also Java class files; a reader must check)
)


class BinaryReadError(Exception):
    """A file looked like a binary of a known format but could not be read."""


@dataclass(frozen=True, slots=True)
class BinaryInfo:
    """The dynamic-linking facts of one binary.

    ``version_needs`` pairs a needed library (the ``vn_file`` of ELF, e.g.
    ``libstdc++.so.6``) with the symbol versions needed from it
    (``GLIBCXX_3.4.30``); ``version_defs`` lists the versions the binary itself
    defines (the base version, its own soname, is left out).
    """

    format: str
    soname: str | None = None
    needed: tuple[str, ...] = ()
    runpath: tuple[str, ...] = ()
    version_needs: tuple[tuple[str, tuple[str, ...]], ...] = ()
    version_defs: tuple[str, ...] = ()
    machine: str = ""

    def needs_from(self, library: str) -> tuple[str, ...]:
        """Symbol versions this binary needs from ``library`` (a soname)."""
        for name, versions in self.version_needs:
            if name == library:
                return versions
        return ()

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form (the cache stores this)."""
        out: dict[str, Any] = {"format": self.format}
        if self.soname:
            out["soname"] = self.soname
        if self.needed:
            out["needed"] = list(self.needed)
        if self.runpath:
            out["runpath"] = list(self.runpath)
        if self.version_needs:
            out["version_needs"] = [[n, list(v)] for n, v in self.version_needs]
        if self.version_defs:
            out["version_defs"] = list(self.version_defs)
        if self.machine:
            out["machine"] = self.machine
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BinaryInfo:
        """Inverse of :meth:`to_json`."""
        return cls(
            format=str(data["format"]),
            soname=data.get("soname"),
            needed=tuple(data.get("needed", ())),
            runpath=tuple(data.get("runpath", ())),
            version_needs=tuple(
                (str(n), tuple(v)) for n, v in data.get("version_needs", ())
            ),
            version_defs=tuple(data.get("version_defs", ())),
            machine=str(data.get("machine", "")),
        )


class BinaryReader(Protocol):
    """One binary format: recognise it from its first bytes, then read it."""

    format: str

    def sniff(self, head: bytes) -> bool:
        """True when ``head`` (the first :data:`HEAD_SIZE` bytes) is this format."""
        ...

    def read(self, path: Path) -> BinaryInfo:
        """Read ``path``; raise :class:`BinaryReadError` when it is malformed."""
        ...


def sniff_format(head: bytes) -> str | None:
    """``"elf"``, ``"macho"``, ``"pe"`` or ``None`` from a file's first bytes."""
    if head[:4] == b"\x7fELF":
        return "elf"
    if head[:4] in _MACHO_MAGICS:
        return "macho"
    if head[:2] == b"MZ":
        return "pe"
    return None
