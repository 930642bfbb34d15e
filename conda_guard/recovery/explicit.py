"""Write ``@EXPLICIT`` files with ``#sha256`` anchors, in dependency order.

The format is CEP 23 as ``conda list --explicit --sha256`` prints it: a
``# platform:`` header, ``@EXPLICIT``, then one package URL per line followed
by ``#<sha256>`` (``#<md5>`` where a record has no sha256). Lines come in
dependency order (a package after what it depends on), so conda can install
the file without a solver.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Any

from ..graph import dep_name

if TYPE_CHECKING:
    from collections.abc import Iterable

EXPLICIT_MARKER = "@EXPLICIT"


def topological(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records ordered dependencies first; ties and cycles broken by name."""
    by_name = {str(r["name"]).lower(): r for r in records}
    needs: dict[str, set[str]] = {}
    users: dict[str, set[str]] = {n: set() for n in by_name}
    for name, rec in by_name.items():
        deps = {dep_name(d) for d in rec.get("depends") or ()} & by_name.keys()
        deps.discard(name)
        needs[name] = deps
        for d in deps:
            users[d].add(name)
    ready = [n for n, d in needs.items() if not d]
    heapq.heapify(ready)
    remaining = set(by_name)
    order: list[str] = []
    while remaining:
        if not ready:  # a cycle: go on with the smallest remaining name
            heapq.heappush(ready, min(remaining))
        name = heapq.heappop(ready)
        if name not in remaining:
            continue
        remaining.discard(name)
        order.append(name)
        for user in users[name]:
            needs[user].discard(name)
            if not needs[user] and user in remaining:
                heapq.heappush(ready, user)
    return [by_name[n] for n in order]


def anchored_url(rec: dict[str, Any]) -> str | None:
    """``url#sha256`` (or ``url#md5``); None without a URL."""
    url = rec.get("url")
    if not isinstance(url, str) or not url:
        return None
    digest = rec.get("sha256") or rec.get("md5")
    return f"{url}#{digest}" if digest else url


def explicit_text(
    records: Iterable[dict[str, Any]], platform: str | None, comment: str = ""
) -> str:
    """The whole file; records without a URL are listed as comments."""
    lines = ["# This file may be used to create an environment using:"]
    lines.append("# $ conda create --name <env> --file <this file>")
    if comment:
        lines.append(f"# {comment}")
    lines.append(f"# platform: {platform or 'unknown'}")
    lines.append(EXPLICIT_MARKER)
    for rec in topological(records):
        line = anchored_url(rec)
        lines.append(line if line else f"# no URL for: {rec.get('fn') or rec['name']}")
    return "\n".join(lines) + "\n"
