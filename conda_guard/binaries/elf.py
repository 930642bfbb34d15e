"""Read the dynamic-linking facts of an ELF file with pyelftools.

We read what the dynamic loader reads: the program headers, the ``PT_DYNAMIC``
segment (``DT_NEEDED``, ``DT_SONAME``, ``DT_RUNPATH``/``DT_RPATH``) and the
GNU version tables it points to (``DT_VERNEED``: the ``GLIBCXX_3.4.30`` a
binary needs from ``libstdc++.so.6``; ``DT_VERDEF``: the versions a library
defines). Section headers are not used, so stripped binaries read the same.

pyelftools' ``ELFStructs`` supplies the record layouts (any word size and
byte order, machine-specific ``p_type``/``d_tag`` values); they are built
once per layout and reused. Going through ``ELFFile()`` and its section
objects instead costs about 2 ms a small file (0.5 ms of it rebuilding the
layouts), this path about 0.25 ms; the file is memory-mapped, so a 190 MB
library with megabytes of ``.dynstr`` reads in about 1 ms. Imports
pyelftools; nothing else outside the standard library.
"""

from __future__ import annotations

import functools
import mmap
import struct
from typing import IO, TYPE_CHECKING, Any

from elftools.common.exceptions import ELFError
from elftools.common.utils import struct_parse
from elftools.construct import ConstructError
from elftools.elf.constants import VER_FLAGS
from elftools.elf.structs import ELFStructs

from conda_guard.binaries.formats import BinaryInfo, BinaryReadError

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

# Bounds against malformed files (real binaries stay far below these).
_MAX_DYN = 4096
_MAX_VERSIONS = 4096
_MAX_STRTAB = 64 << 20
_MAX_STRING = 64 << 10


class ElfReader:
    """The :class:`~conda_guard.binaries.formats.BinaryReader` for ELF."""

    format = "elf"

    def sniff(self, head: bytes) -> bool:
        """True for the ELF magic."""
        return head[:4] == b"\x7fELF"

    def read(self, path: Path) -> BinaryInfo:
        """Read one ELF file (see :func:`read_elf`)."""
        return read_elf(path)


@functools.cache
def _header_structs(elfclass: int, little_endian: bool) -> ELFStructs:
    structs = ELFStructs(little_endian=little_endian, elfclass=elfclass)
    structs.create_basic_structs()
    return structs


@functools.cache
def _structs(
    elfclass: int, little_endian: bool, e_type: Any, e_machine: Any, osabi: Any
) -> ELFStructs:
    structs = ELFStructs(little_endian=little_endian, elfclass=elfclass)
    structs.create_basic_structs()
    structs.create_advanced_structs(e_type, e_machine, osabi)
    return structs


def read_elf(path: Path) -> BinaryInfo:
    """The :class:`BinaryInfo` of the ELF file at ``path``.

    A file without a dynamic segment (static executable, object file) gives
    an info with no needed libraries. Raises :class:`BinaryReadError` when the
    file is not ELF or is malformed, ``OSError`` when it cannot be opened.
    """
    with open(path, "rb") as file:
        try:
            data = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError as exc:  # an empty file cannot be mapped
            raise BinaryReadError(f"{path}: not an ELF file ({exc})") from exc
        with data:
            return _read_mapped(path, data)


def _read_mapped(path: Path, data: mmap.mmap) -> BinaryInfo:
    try:
        return _read(data)
    except (
        ELFError,
        ConstructError,
        struct.error,
        ValueError,  # also what mmap.seek raises for an offset outside the file
        IndexError,
        KeyError,
        OSError,
        OverflowError,  # an offset too large for mmap.seek (found by hypothesis)
    ) as exc:
        raise BinaryReadError(f"{path}: malformed ELF: {exc}") from exc


def _read(stream: mmap.mmap) -> BinaryInfo:
    ident = stream.read(16)
    if len(ident) < 16 or ident[:4] != b"\x7fELF":
        raise BinaryReadError("not an ELF file")
    elfclass = {1: 32, 2: 64}.get(ident[4])
    little = {1: True, 2: False}.get(ident[5])
    if elfclass is None or little is None:
        raise BinaryReadError(f"bad ELF class/data bytes {ident[4]}/{ident[5]}")
    ehdr = struct_parse(_header_structs(elfclass, little).Elf_Ehdr, stream, 0)
    osabi = ehdr["e_ident"]["EI_OSABI"]
    structs = _structs(elfclass, little, ehdr["e_type"], ehdr["e_machine"], osabi)
    machine = str(ehdr["e_machine"])

    loads: list[tuple[int, int, int]] = []  # (vaddr, filesz, offset)
    dynamic: tuple[int, int] | None = None
    phdr = structs.Elf_Phdr
    for index in range(min(ehdr["e_phnum"], 1024)):
        seg = struct_parse(phdr, stream, ehdr["e_phoff"] + index * ehdr["e_phentsize"])
        if seg["p_type"] == "PT_LOAD":
            loads.append((seg["p_vaddr"], seg["p_filesz"], seg["p_offset"]))
        elif seg["p_type"] == "PT_DYNAMIC":
            dynamic = (seg["p_offset"], seg["p_filesz"])
    if dynamic is None:
        return BinaryInfo(format="elf", machine=machine)

    tags, needed_at = _dynamic_entries(stream, structs, dynamic)

    def offset(vaddr: int) -> int:
        for start, filesz, file_offset in loads:
            if start <= vaddr < start + filesz:
                return vaddr - start + file_offset
        raise BinaryReadError(f"address {vaddr:#x} is outside the loaded segments")

    if "DT_STRTAB" not in tags:
        return BinaryInfo(format="elf", machine=machine)
    string = _StringTable(stream, offset(tags["DT_STRTAB"]), tags.get("DT_STRSZ"))

    soname = string(tags["DT_SONAME"]) if "DT_SONAME" in tags else None
    path_tag = tags.get("DT_RUNPATH", tags.get("DT_RPATH"))
    runpath = tuple(p for p in string(path_tag).split(":") if p) if path_tag else ()
    return BinaryInfo(
        format="elf",
        soname=soname,
        needed=tuple(string(at) for at in needed_at),
        runpath=runpath,
        version_needs=_version_needs(stream, structs, tags, offset, string),
        version_defs=_version_defs(stream, structs, tags, offset, string),
        machine=machine,
    )


def _dynamic_entries(
    stream: mmap.mmap, structs: ELFStructs, dynamic: tuple[int, int]
) -> tuple[dict[str, int], list[int]]:
    """The ``PT_DYNAMIC`` entries: tag → value (first wins), ``DT_NEEDED`` offsets."""
    tags: dict[str, int] = {}
    needed_at: list[int] = []
    dyn = structs.Elf_Dyn
    size = dyn.sizeof()
    stream.seek(dynamic[0])
    for _ in range(min(dynamic[1] // size, _MAX_DYN)):
        entry = dyn.parse_stream(stream)
        tag = entry["d_tag"]
        if tag == "DT_NULL":
            break
        if tag == "DT_NEEDED":
            needed_at.append(entry["d_val"])
        elif isinstance(tag, str):
            tags.setdefault(tag, entry["d_val"])
    return tags, needed_at


class _StringTable:
    """NUL-terminated strings of ``.dynstr`` by offset, sliced from the mapped file."""

    def __init__(self, data: mmap.mmap, start: int, size: int | None) -> None:
        self.data = data
        self.start = start
        self.end = min(start + (size if size is not None else _MAX_STRTAB), len(data))

    def __call__(self, at: int) -> str:
        begin = self.start + at
        if at < 0 or begin >= self.end:
            raise BinaryReadError(f"string offset {at} beyond the string table")
        end = self.data.find(b"\0", begin, min(self.end, begin + _MAX_STRING))
        raw = self.data[begin : end if end >= 0 else min(self.end, begin + _MAX_STRING)]
        return raw.decode("utf-8", "surrogateescape")


def _version_needs(
    stream: IO[bytes],
    structs: ELFStructs,
    tags: dict[str, int],
    offset: Callable[[int], int],
    string: Callable[[int], str],
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if "DT_VERNEED" not in tags:
        return ()
    out: list[tuple[str, tuple[str, ...]]] = []
    at = offset(tags["DT_VERNEED"])
    for _ in range(min(tags.get("DT_VERNEEDNUM", 0), _MAX_VERSIONS)):
        need = struct_parse(structs.Elf_Verneed, stream, at)
        names: list[str] = []
        aux_at = at + need["vn_aux"]
        for _ in range(min(need["vn_cnt"], _MAX_VERSIONS)):
            aux = struct_parse(structs.Elf_Vernaux, stream, aux_at)
            names.append(string(aux["vna_name"]))
            if not aux["vna_next"]:
                break
            aux_at += aux["vna_next"]
        out.append((string(need["vn_file"]), tuple(names)))
        if not need["vn_next"]:
            break
        at += need["vn_next"]
    return tuple(out)


def _version_defs(
    stream: IO[bytes],
    structs: ELFStructs,
    tags: dict[str, int],
    offset: Callable[[int], int],
    string: Callable[[int], str],
) -> tuple[str, ...]:
    if "DT_VERDEF" not in tags:
        return ()
    out: list[str] = []
    at = offset(tags["DT_VERDEF"])
    for _ in range(min(tags.get("DT_VERDEFNUM", 0), _MAX_VERSIONS)):
        vdef = struct_parse(structs.Elf_Verdef, stream, at)
        if vdef["vd_cnt"] and not vdef["vd_flags"] & VER_FLAGS.VER_FLG_BASE:
            aux = struct_parse(structs.Elf_Verdaux, stream, at + vdef["vd_aux"])
            out.append(string(aux["vda_name"]))
        if not vdef["vd_next"]:
            break
        at += vdef["vd_next"]
    return tuple(out)
