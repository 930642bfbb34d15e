"""Read ``@EXPLICIT`` files (``conda list --explicit``, conda-lock's explicit output).

Each package line is a URL to a ``.conda``/``.tar.bz2`` archive, optionally
followed by ``#<md5>`` or ``#sha256:<hash>``. Name, version and build come from
the file name; channel and subdir from the URL. Also home of the URL helpers
the lock-file readers share. Standard library only.
"""

from __future__ import annotations

import re
from collections import Counter
from operator import attrgetter
from typing import TYPE_CHECKING
from urllib.parse import unquote

from conda_guard.exceptions import InputError
from conda_guard.models import Record, State, channel_name
from conda_guard.readers.history import build_number_from_build, split_dist
from conda_guard.readers.source import (
    MAX_PACKAGES,
    display_name,
    numbered_lines,
    read_text,
)
from conda_guard.readers.validate import unique_records

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

_SPACE_RE = re.compile(r"\s")
_MD5_RE = re.compile(r"[0-9a-fA-F]{32}")
_SHA256_RE = re.compile(r"[0-9a-fA-F]{64}")
_PLATFORM_RE = re.compile(r"#\s*platform:\s*(\S+)")
_SUBDIR_RE = re.compile(
    r"noarch|(linux|osx|win|emscripten|wasi|zos)-[a-z0-9_]+", re.IGNORECASE
)

EXPLICIT_MARKER = "@EXPLICIT"


def split_package_url(url: str) -> tuple[str, str, str]:
    """Split a package URL into ``(channel_url, subdir, fn)``.

    ``…/conda-forge/linux-64/numpy-2.1.0-py312_0.conda`` gives
    ``("…/conda-forge", "linux-64", "numpy-2.1.0-py312_0.conda")``.

    ``subdir`` is ``""`` when the directory above the file is not a subdir.
    Raises ``ValueError`` when the URL does not end in a package archive.
    """
    text = url.strip()
    if not text or _SPACE_RE.search(text):
        raise ValueError(f"not a package URL: {url[:200]!r}")
    head, _, fn = text.rpartition("/")
    fn = unquote(fn)
    if not fn.endswith((".conda", ".tar.bz2")):
        raise ValueError(f"not a .conda or .tar.bz2 URL: {url[:200]!r}")
    parent, _, last = head.rpartition("/")
    if _SUBDIR_RE.fullmatch(last):
        return parent, last, fn
    return head, "", fn


def record_from_url(
    url: str,
    *,
    source: str | None = None,
    md5: str | None = None,
    sha256: str | None = None,
    name: str | None = None,
    version: str | None = None,
    build: str | None = None,
    subdir: str | None = None,
) -> Record:
    """A :class:`Record` for a package URL; given fields win over the file name.

    Raises ``ValueError`` when the URL is not a package URL.
    """
    channel_url, url_subdir, fn = split_package_url(url)
    fn_name, fn_version, fn_build = split_dist(fn)
    build = build or fn_build
    return Record(
        name=name or fn_name,
        version=version or fn_version,
        build=build,
        build_number=build_number_from_build(build),
        channel=channel_name(channel_url),
        subdir=subdir or url_subdir,
        url=url.strip(),
        md5=md5,
        sha256=sha256,
        fn=fn,
        source=source,
    )


def parse_hash(fragment: str) -> tuple[str | None, str | None]:
    """``#<md5>``/``#sha256:<hex>``/``#<sha256>`` fragment → ``(md5, sha256)``."""
    frag = fragment.strip()
    if frag.lower().startswith("sha256:"):
        frag = frag[7:]
        if _SHA256_RE.fullmatch(frag):
            return None, frag.lower()
        raise ValueError(f"bad sha256 {fragment!r}")
    if frag.lower().startswith("md5:"):
        frag = frag[4:]
    if _MD5_RE.fullmatch(frag):
        return frag.lower(), None
    if _SHA256_RE.fullmatch(frag):
        return None, frag.lower()
    raise ValueError(f"bad hash {fragment!r}")


def most_common_subdir(records: Iterable[Record]) -> str | None:
    """The most frequent platform subdir (not ``noarch``/``pypi``), or None.

    Ties go to the first name in sorted order.
    """
    counts = Counter(map(_SUBDIR, records))  # counted in C: one call per state
    for skip in ("", "noarch", "pypi"):
        counts.pop(skip, None)
    if not counts:
        return None
    return max(sorted(counts), key=counts.__getitem__)


_SUBDIR = attrgetter("subdir")


def read_explicit(
    path: str | Path,
    *,
    platform: str | None = None,
    environment: str | None = None,
    data: bytes | None = None,
) -> State:
    """Read an ``@EXPLICIT`` file into a :class:`State`."""
    text = read_text(path, data)
    p = display_name(path)
    seen_marker = False
    file_platform: str | None = None
    records: list[Record] = []
    for number, line in numbered_lines(text, p):
        if line.startswith("#"):
            m = _PLATFORM_RE.match(line)
            if m and file_platform is None:
                file_platform = m.group(1)
            continue
        if line == EXPLICIT_MARKER:
            seen_marker = True
            continue
        if not seen_marker:
            raise InputError(p, f"line before {EXPLICIT_MARKER}: {line[:80]!r}", number)
        url, _, fragment = line.partition("#")
        md5 = sha256 = None
        try:
            if fragment:
                md5, sha256 = parse_hash(fragment)
            records.append(
                record_from_url(url, source=f"{p}:{number}", md5=md5, sha256=sha256)
            )
        except ValueError as exc:
            raise InputError(p, str(exc), number) from None
        if len(records) > MAX_PACKAGES:
            break  # unique_records names the limit
    if not seen_marker:
        raise InputError(p, f"no {EXPLICIT_MARKER} line (not an explicit file)")
    return State.from_records(
        unique_records(p, records),
        source=p,
        kind="explicit",
        platform=file_platform or most_common_subdir(records),
    )
