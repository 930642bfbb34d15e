"""Reading an input once, within limits: a file, ``-`` (standard input) or a pipe.

A state file is read in one go and only once, so ``<(cat file)`` and ``-``
work; :func:`read_bytes` refuses what no environment needs before reading it
(the size of a regular file is known from ``fstat``; a pipe is read up to the
limit plus one byte). The limits, documented in docs/cli.md:

- :data:`MAX_INPUT_BYTES`: a state file or a ``conda-meta/*.json`` record;
- :data:`MAX_PACKAGES`: the packages of one state;
- :data:`MAX_LINE_BYTES`: one line of ``conda-meta/history`` (read as a
  stream, so the file itself has no size limit) or of a line-based state
  file (:func:`numbered_lines`);
- the YAML limits of :mod:`~conda_guard.readers.yaml_loader`.

Standard library only.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import sys
from typing import TYPE_CHECKING, Any

from conda_guard.exceptions import InputError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

#: the largest state file (lock file, explicit file, export, conda-meta record)
MAX_INPUT_BYTES = 32 * 1024 * 1024
#: the most packages one state may hold (a large environment has 2,000)
MAX_PACKAGES = 20_000
#: the longest line of conda-meta/history or of a line-based state file
MAX_LINE_BYTES = 1024 * 1024
#: the name a state read from standard input goes by
STDIN = "-"
STDIN_NAME = "<stdin>"


def display_name(path: str | Path) -> str:
    """How messages name an input (``<stdin>`` for ``-``)."""
    text = str(path)
    return STDIN_NAME if text == STDIN else text


def _size_error(path: str | Path, size: int | None = None) -> InputError:
    what = f"is {size / 1e6:,.0f} MB" if size else "is larger than the limit"
    return InputError(
        display_name(path),
        f"{what}; state files are limited to {MAX_INPUT_BYTES // 2**20} MiB",
    )


def os_error(path: str | Path, exc: OSError) -> InputError:
    """An :class:`InputError` for an ``OSError`` met while reading ``path``."""
    if isinstance(exc, FileNotFoundError):
        return InputError(path, "no such file or directory")
    if isinstance(exc, IsADirectoryError):
        return InputError(path, "is a directory, not a file")
    if exc.errno == errno.ENAMETOOLONG:
        return InputError(path, "file name too long")
    return InputError(path, f"cannot read: {exc.strerror or exc}")


def path_kind(path: str | Path) -> str | None:
    """``"dir"``, ``"file"`` (anything readable that is not a directory) or None.

    :class:`InputError` for names the system refuses (too long, NUL bytes).
    """
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except ValueError:  # an embedded NUL byte
        raise InputError(path, "not a valid path (NUL byte)") from None
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EACCES):
            return None
        raise os_error(path, exc) from None
    return "dir" if stat.S_ISDIR(st.st_mode) else "file"


def _read_stream(fh: object, path: str | Path) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = fh.read(min(1 << 20, MAX_INPUT_BYTES + 1 - total))  # type: ignore[attr-defined]
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > MAX_INPUT_BYTES:
            raise _size_error(path)


def read_bytes(path: str | Path) -> bytes:
    """The bytes of ``path`` (``-``: standard input), read once, within the limit."""
    if str(path) == STDIN:
        return _read_stream(sys.stdin.buffer, path)
    try:
        with open(path, "rb", buffering=0) as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                return _read_stream(fh, path)  # a pipe, a device: up to the limit
            if st.st_size > MAX_INPUT_BYTES:
                raise _size_error(path, st.st_size)
            data = fh.read(st.st_size + 1)
            if len(data) > st.st_size:  # grew since fstat: read it with the limit
                data += _read_stream(fh, path)
                if len(data) > MAX_INPUT_BYTES:
                    raise _size_error(path, len(data))
            return data
    except ValueError:  # an embedded NUL byte
        raise InputError(path, "not a valid path (NUL byte)") from None
    except OSError as exc:
        raise os_error(path, exc) from None


def decode(data: bytes, path: str | Path) -> str:
    """UTF-8 text (a BOM is dropped); :class:`InputError` with the line if not."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(display_name(path), "not UTF-8 text", line) from None


def read_text(path: str | Path, data: bytes | None = None) -> str:
    """The text of ``path`` (or of ``data`` already read from it)."""
    return decode(read_bytes(path) if data is None else data, path)


def load_json(path: str, text: str) -> Any:
    """Parse JSON text; :class:`InputError` (with the line) when it is not JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"invalid JSON: {exc.msg}", exc.lineno) from None
    except ValueError:  # an integer over sys.get_int_max_str_digits() digits
        raise InputError(path, "invalid JSON: a number with too many digits") from None
    except RecursionError:
        raise InputError(path, "invalid JSON: nested too deeply") from None


def numbered_lines(text: str, path: str) -> Iterator[tuple[int, str]]:
    """``(number, stripped line)`` of the non-blank lines of a state file.

    :class:`InputError` for a line over :data:`MAX_LINE_BYTES` characters.
    """
    for number, raw in enumerate(text.splitlines(), 1):
        if len(raw) > MAX_LINE_BYTES:
            raise InputError(
                path,
                f"line longer than {MAX_LINE_BYTES // 2**20} MiB (not a state file)",
                number,
            )
        line = raw.strip()
        if line:
            yield number, line


def check_count(path: str | Path, count: int, what: str = "packages") -> None:
    """:class:`InputError` when a state holds more than :data:`MAX_PACKAGES`."""
    if count > MAX_PACKAGES:
        raise InputError(
            display_name(path),
            f"more than {MAX_PACKAGES:,} {what}; a state is limited to "
            f"{MAX_PACKAGES:,} packages",
        )
