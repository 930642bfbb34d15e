"""The libraries this machine's dynamic loader finds outside any prefix.

A binary in a conda environment links the C library, and sometimes other
libraries, from the system. :class:`SystemLibraries` lists what the loader
would find: the directories of ``/etc/ld.so.conf`` (with its ``include``
lines, as ``ldconfig`` reads them) and the loader's default directories
(``/lib``, ``/usr/lib``, ``/lib64``, ``/usr/lib64`` and the multiarch ones),
each read once with ``os.listdir``. glibc's own libraries and the dynamic
loader count as provided on any Linux; libraries of the GPU or graphics
driver (``libcuda.so.1``, ``libGL.so.1`` …) come with the machine, never
with a prefix (:meth:`SystemLibraries.host_only`). The lists are data:
``conda_guard/data/system_libraries.json``.

The answer only holds for a prefix made for this machine's platform
(:func:`host_subdir`); for another one nothing outside the prefix is
judged. ``/etc/ld.so.cache`` is not read (the configuration it is built
from is). Standard library only.
"""

from __future__ import annotations

import fnmatch
import functools
import glob
import json
import os
import platform
import sys
from importlib.resources import files
from pathlib import Path

#: ``platform.machine()`` → (conda subdir suffix, Debian multiarch triplet)
_MACHINES = {
    "x86_64": ("64", "x86_64-linux-gnu"),
    "amd64": ("64", "x86_64-linux-gnu"),
    "aarch64": ("aarch64", "aarch64-linux-gnu"),
    "arm64": ("aarch64", "aarch64-linux-gnu"),
    "ppc64le": ("ppc64le", "powerpc64le-linux-gnu"),
    "s390x": ("s390x", "s390x-linux-gnu"),
}
#: ``include`` lines followed at most this deep (a loop stops here)
_MAX_INCLUDE_DEPTH = 8


@functools.lru_cache(maxsize=1)
def _data() -> dict[str, list[str]]:
    text = files("conda_guard").joinpath("data").joinpath("system_libraries.json")
    return json.loads(text.read_text(encoding="utf-8"))


def host_subdir() -> str | None:
    """This machine's conda subdir (``linux-64``, ``osx-arm64`` …), if known."""
    machine = platform.machine().lower()
    if sys.platform.startswith("linux"):
        known = _MACHINES.get(machine)
        return f"linux-{known[0]}" if known else None
    if sys.platform == "darwin":
        return "osx-arm64" if machine == "arm64" else "osx-64"
    if sys.platform == "win32":
        return "win-64" if machine in ("amd64", "x86_64") else None
    return None


def ld_so_conf_dirs(path: str = "/etc/ld.so.conf", depth: int = 0) -> list[str]:
    """The directories an ``ld.so.conf`` lists, ``include`` globs followed."""
    try:
        with open(path, encoding="utf-8", errors="replace") as stream:
            lines = stream.read(1 << 20).splitlines()
    except OSError:
        return []
    out: list[str] = []
    base = os.path.dirname(path)
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("include") and line[7:8].isspace():
            if depth >= _MAX_INCLUDE_DEPTH:
                continue
            for pattern in line[7:].split():
                pattern = os.path.join(base, pattern)
                for conf in sorted(glob.glob(pattern)):
                    out += ld_so_conf_dirs(conf, depth + 1)
        elif line.startswith("hwcap"):
            continue
        elif line.startswith("/"):
            out.extend(part for part in line.replace(",", " ").split() if part)
    return list(dict.fromkeys(out))


class SystemLibraries:
    """What the system's dynamic loader provides outside the prefix.

    ``dirs`` defaults to the directories of ``/etc/ld.so.conf`` followed by
    the loader's defaults. :meth:`find` gives the path of a soname (first
    directory that has it), :meth:`provides` also counts glibc's libraries.
    """

    def __init__(self, dirs: list[str] | None = None) -> None:
        if dirs is None:
            multiarch = _MACHINES.get(platform.machine().lower(), ("", ""))[1]
            defaults = [
                d.replace("{multiarch}", multiarch)
                for d in _data()["default_dirs"]
                if multiarch or "{multiarch}" not in d
            ]
            dirs = [*ld_so_conf_dirs(), *defaults]
        self.dirs = list(dict.fromkeys(dirs))
        self.glibc = frozenset(_data()["glibc"])
        self._host = tuple(_data()["host"])
        self._names: dict[str, str] | None = None

    def _index(self) -> dict[str, str]:
        if self._names is None:
            names: dict[str, str] = {}
            for directory in self.dirs:
                try:
                    entries = os.listdir(directory)
                except OSError:
                    continue
                for name in entries:
                    names.setdefault(name, directory)
            self._names = names
        return self._names

    def find(self, soname: str) -> Path | None:
        """The path the loader would take ``soname`` from, or ``None``."""
        directory = self._index().get(soname)
        if directory is None:
            return None
        path = Path(directory) / soname
        return path if path.exists() else None

    def provides(self, soname: str) -> bool:
        """True for glibc's libraries and anything in the system's directories."""
        return soname in self.glibc or self.find(soname) is not None

    def host_only(self, soname: str) -> bool:
        """True for a library of the GPU or graphics driver (the machine's)."""
        return any(fnmatch.fnmatchcase(soname, pattern) for pattern in self._host)
