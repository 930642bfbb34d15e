"""Reading ``conda-meta/history`` as a stream of line blocks, within limits.

:func:`history_blocks` reads about 1 MiB at a time, decodes and splits it at
C speed, and ends each block at a newline, so the lines are numbered as
``str.splitlines`` numbers the whole text; a line over
:data:`~conda_guard.readers.source.MAX_LINE_BYTES` or bytes that are not
UTF-8 are an :class:`~conda_guard.exceptions.InputError` naming the line.
The history file has no size limit. Standard library only.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from conda_guard.exceptions import InputError
from conda_guard.readers.source import MAX_LINE_BYTES, os_error

if TYPE_CHECKING:
    from collections.abc import Iterator


def history_path(path: str | Path) -> Path:
    """``conda-meta/history`` of a prefix directory, or ``path`` itself."""
    p = Path(path)
    if p.is_dir() and (p / "conda-meta").is_dir():
        return p / "conda-meta" / "history"
    return p


_BLOCK = 1 << 20


def history_blocks(path: str | Path) -> Iterator[list[str]]:
    """The lines of a history file in blocks of about 1 MiB, read as a stream.

    Blocks end at a newline, so their lines are numbered as ``str.splitlines``
    numbers the whole text. A line over
    :data:`~conda_guard.readers.source.MAX_LINE_BYTES`, or bytes that are not
    UTF-8, are an :class:`InputError` naming the line.
    """
    try:
        fh = open(path, "rb", buffering=0)  # closed by the with below
    except OSError as exc:
        raise os_error(path, exc) from None
    number = 0
    carry = b""
    with fh:
        while True:
            try:
                chunk = fh.read(_BLOCK)
            except OSError as exc:
                raise os_error(path, exc) from None
            data = carry + chunk
            end = data.rfind(b"\n") + 1 if chunk else len(data)
            carry = data[end:]
            if len(carry) > MAX_LINE_BYTES:
                raise _long_line(path, number + data.count(b"\n", 0, end) + 1)
            if end:
                lines = _decode_lines(path, data[:end], number)
                if max(map(len, lines), default=0) > MAX_LINE_BYTES:
                    at = next(i for i, x in enumerate(lines) if len(x) > MAX_LINE_BYTES)
                    raise _long_line(path, number + at + 1)
                number += len(lines)
                yield lines
            if not chunk:
                return


def _long_line(path: str | Path, number: int) -> InputError:
    return InputError(
        path,
        f"line longer than {MAX_LINE_BYTES // 2**20} MiB (not a conda history)",
        number,
    )


def _decode_lines(path: str | Path, data: bytes, number: int) -> list[str]:
    try:
        return data.decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        line = number + data.count(b"\n", 0, exc.start) + 1
        raise InputError(path, "not UTF-8 text", line) from None
