"""Link-level proof from binaries: sonames, symbol versions, pip extensions.

Conda only knows the dependencies packages declare; what fails at import time
is the binaries. This package reads the shared objects and executables that
stay in a prefix and checks them against what the prefix will provide after a
transaction (see :func:`check_links`), and finds pip-installed compiled
extensions conda cannot see (:func:`pip_extensions`, :func:`pip_findings`).

Binary-format library: **pyelftools**. It is pure Python (one wheel for every
platform and Python, nothing to compile, installs where conda runs), BSD
licensed, maintained (releases through 2025, 0.33 here) and small. LIEF reads
ELF, Mach-O and PE but ships a native extension per platform/Python (~20 MB
wheels; not built for every interpreter conda runs on), which is a heavy,
fragile dependency for a conda plugin that only needs dynamic-section
entries and GNU version tables. The reader interface
(:mod:`conda_guard.binaries.formats`) is format-neutral, so a Mach-O
(``LC_LOAD_DYLIB``/``LC_ID_DYLIB``) or PE (import table) reader can be added
beside :mod:`~conda_guard.binaries.elf` — with LIEF or by hand — without
changing callers.

Modules: ``formats`` (neutral result, reader protocol), ``elf`` (the ELF
reader), ``read`` (the readers, by format), ``scan`` (what to read, the
per-file cache), ``pip`` (non-conda dists), and the link check in steps:
``index`` (who provides which file), ``check`` (what binaries need that goes
away), ``findings`` (their findings and notes) and ``links``
(:func:`check_links`, which runs them). Nothing here imports conda;
pyelftools, a required dependency, is imported when the first binary is
read.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conda_guard.binaries.formats import BinaryInfo, sniff_format
    from conda_guard.binaries.links import LinkReport, check_links
    from conda_guard.binaries.pip import (
        PipDist,
        find_pip_dists,
        pip_extension_findings,
        pip_extensions,
        pip_findings,
    )
    from conda_guard.binaries.read import read_binary
    from conda_guard.binaries.scan import (
        default_cache_dir,
        guess_pkgs_dirs,
        incoming_from_cache,
    )

#: each name below → the module it comes from, imported when first asked for
#: (the link check's modules are not on the path of a run that reads no file)
_HOME = {
    "BinaryInfo": "formats",
    "sniff_format": "formats",
    "LinkReport": "links",
    "check_links": "links",
    "PipDist": "pip",
    "find_pip_dists": "pip",
    "pip_extension_findings": "pip",
    "pip_extensions": "pip",
    "pip_findings": "pip",
    "read_binary": "read",
    "default_cache_dir": "scan",
    "guess_pkgs_dirs": "scan",
    "incoming_from_cache": "scan",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "BinaryInfo",
    "LinkReport",
    "PipDist",
    "check_links",
    "default_cache_dir",
    "find_pip_dists",
    "guess_pkgs_dirs",
    "incoming_from_cache",
    "pip_extension_findings",
    "pip_extensions",
    "pip_findings",
    "read_binary",
    "sniff_format",
]
