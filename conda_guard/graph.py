"""The dependency graph of a state, read from the records' ``depends``.

``dep_name`` pulls the package name out of a dependency spec without a full
parse (cached: the same spec strings recur across thousands of records);
``reverse_edges`` maps each package name to the records that depend on it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import State

_NAME = re.compile(r"\s*(?:[^\s:]+::)?([A-Za-z0-9_][A-Za-z0-9_.\-]*)")


@lru_cache(maxsize=65536)
def dep_name(spec: str) -> str:
    """The package name a dependency spec is about (cheap, no full parse)."""
    m = _NAME.match(spec)
    return m.group(1).lower() if m else spec.strip().lower()


def reverse_edges(state: State) -> dict[str, list[tuple[str, str]]]:
    """dependency name → [(dependent name, spec text)], for every record."""
    rev: dict[str, list[tuple[str, str]]] = {}
    for rec in state:
        for spec in rec.depends:
            rev.setdefault(dep_name(spec), []).append((rec.name, spec))
    return rev
