"""Why is a package here: dependency paths from requested specs to it.

The path is read from the ``depends`` of the records in one state, walking
backwards from the package to the nearest packages the user asked for, so each
step is an edge a user can check in ``conda-meta`` or the repodata.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from .graph import reverse_edges

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .models import Record, State

MAX_PATHS = 3


def _label(rec: Record | None, name: str) -> str:
    return f"{name} {rec.version} {rec.build}".rstrip() if rec else name


def why_paths(
    state: State,
    target: str,
    requested: Mapping[str, str],
    limit: int = MAX_PATHS,
    rev: Mapping[str, list[tuple[str, str]]] | None = None,
) -> tuple[str, ...]:
    """Up to ``limit`` shortest paths from requested specs to ``target``.

    Each path reads ``requested 'pandas>=2' -> pandas 2.2.2 py311h_1 depends
    'numpy >=1.19,<3' -> numpy 2.1.0 py311h_0``. When nothing requested leads to
    ``target`` the direct dependents are listed instead, and when the state has
    no dependency data at all the result is empty. Pass ``rev``
    (:func:`~conda_guard.graph.reverse_edges` of ``state``) when asking many times.
    """
    if target not in state:
        return ()
    if target in requested:
        return (
            f"requested '{requested[target]}' -> {_label(state.get(target), target)}",
        )
    if rev is None:
        rev = reverse_edges(state)
    # BFS backwards from target; parent[n] = (next hop towards target, spec)
    parent: dict[str, tuple[str, str]] = {}
    queue = deque([target])
    seen = {target}
    roots: list[str] = []
    while queue and len(roots) < limit:
        node = queue.popleft()
        for dependent, spec in sorted(rev.get(node, ())):
            if dependent in seen:
                continue
            seen.add(dependent)
            parent[dependent] = (node, spec)
            if dependent in requested:
                roots.append(dependent)
                if len(roots) >= limit:
                    break
            else:
                queue.append(dependent)
    paths = []
    for root in roots:
        parts = [f"requested '{requested[root]}'"]
        node = root
        while node != target:
            nxt, spec = parent[node]
            parts.append(f"{_label(state.get(node), node)} depends '{spec}'")
            node = nxt
        parts.append(_label(state.get(target), target))
        paths.append(" -> ".join(parts))
    if paths:
        return tuple(paths)
    direct = sorted({(d, s) for d, s in rev.get(target, ())})
    if not direct:
        return ()
    shown = ", ".join(f"{_label(state.get(d), d)} ('{s}')" for d, s in direct[:5])
    more = f" and {len(direct) - 5} more" if len(direct) > 5 else ""
    return (f"required by {shown}{more}",)
