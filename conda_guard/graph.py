"""The dependency graph of a state, read from the records' ``depends``.

``dep_name`` is the one parser of the package name in a spec string, used by
the rules, the readers (history, environment files), the solve layer and the
link checks: it pulls the name out without a full parse (cached: the same
spec strings recur across thousands of records). ``reverse_edges`` maps each
package name to the records that depend on it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import State

# conda's MatchSpec: the name runs up to a space, an operator or a bracket
_NAME = re.compile(r"[^\s=<>!~\[\],|()]+")


@lru_cache(maxsize=65536)
def dep_name(spec: str) -> str:
    """The lowercased package name a spec is about, without channel or subdir.

    ``conda-forge/linux-64::NumPy>=1.26`` → ``numpy``, ``python 3.11.*`` →
    ``python``, ``python_abi[build=*_cp313t]`` → ``python_abi``; ``""`` when
    the text names no package (empty, ``*``, ``>=1``).
    """
    text = spec.strip()
    if "::" in text:
        text = text.split("::", 1)[1].strip()
    m = _NAME.match(text)
    if not m or m.group(0) in ("*", "@"):
        return ""
    return m.group(0).lower()


def reverse_edges(state: State) -> dict[str, list[tuple[str, str]]]:
    """dependency name → [(dependent name, spec text)], for every record."""
    rev: dict[str, list[tuple[str, str]]] = {}
    for rec in state:
        for spec in rec.depends:
            rev.setdefault(dep_name(spec), []).append((rec.name, spec))
    return rev
