"""Read a binary with the reader of its format: :func:`read_binary`.

:func:`readers` gives the readers, one per format (ELF today, through
pyelftools, a required dependency, imported on first use so that importing
:mod:`conda_guard.binaries` stays cheap); the first whose ``sniff`` accepts
the file's first bytes reads it. A file no reader accepts gives ``None``
(:func:`~conda_guard.binaries.formats.sniff_format` names its format).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from conda_guard.binaries.formats import HEAD_SIZE

if TYPE_CHECKING:
    from pathlib import Path

    from conda_guard.binaries.formats import BinaryInfo, BinaryReader


@functools.cache
def readers() -> tuple[BinaryReader, ...]:
    """The readers, tried in order (a fixed tuple)."""
    from conda_guard.binaries.elf import ElfReader

    return (ElfReader(),)


def read_binary(path: Path, head: bytes | None = None) -> BinaryInfo | None:
    """Read ``path`` with the first reader that recognises it, else ``None``.

    ``head`` is the file's first bytes when the caller has read them.
    Raises :class:`~conda_guard.binaries.formats.BinaryReadError` (malformed
    file) or ``OSError``.
    """
    if head is None:
        with open(path, "rb") as stream:
            head = stream.read(HEAD_SIZE)
    for reader in readers():
        if reader.sniff(head):
            return reader.read(path)
    return None
