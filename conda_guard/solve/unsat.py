"""Solves that failed: the solver's conflict tree, read, and the errors raised.

:func:`explain_unsat` folds rattler's conflict tree (used by both backends,
in the worker) and names the conflicting specs as the user wrote them;
:func:`unsat_message` and :func:`raise_failed` turn a failed
:class:`~conda_guard.solve.protocol.JobResult` into the guard's errors.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NoReturn

from ..exceptions import SolveError, UnsatisfiableError
from ..graph import dep_name as spec_name
from .protocol import FailureKind

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .protocol import JobResult

_PREFIX = "Cannot solve the request because of: "

_CONFLICT_RE = re.compile(
    r"^(?P<spec>.+?) (?:cannot be installed|can be installed)"
    r"|^No candidates were found for (?P<missing>.+?)\.?$"
    r"|^(?P<leaf>.+?), for which no candidates were found"
)

_DUP_RE = re.compile(
    r"^(?P<indent>[│├└─\s]*)(?P<name>\S+) (?P<version>[^\s,]+), "
    r"which conflicts with (?P<rest>.*)$"
)

_TREE = "│├└─ "


def unsat_message(what: str, result: JobResult, held_python: str | None = None) -> str:
    """``WHAT is unsatisfiable: conflicting specs 'a', 'b'`` and the solver's chain."""
    head = f"{what} is unsatisfiable"
    if result.conflicts:
        head += ": conflicting specs " + ", ".join(f"'{c}'" for c in result.conflicts)
    if held_python and held_python in result.conflicts:
        head += (
            f" ('{held_python}' holds the installed python minor version, as conda"
            " does; request python explicitly to move it)"
        )
    chain = result.message.strip()
    if chain:
        head += "\n" + "\n".join("  " + line for line in chain.splitlines())
    return head


def raise_failed(
    what: str, result: JobResult, hint: str = "", held_python: str | None = None
) -> NoReturn:
    """Raise the error of a failed solve of ``what`` (``the request (install x)``)."""
    if result.failure is FailureKind.UNSATISFIABLE:
        message = unsat_message(what, result, held_python)
        if hint:
            message += "\n" + hint
        raise UnsatisfiableError(message, result.conflicts)
    if result.failure is FailureKind.TIMEOUT:
        raise SolveError(f"{what}: the solver ran out of time ({result.message})")
    raise SolveError(f"{what}: {result.message or 'the solve failed'}")


def explain_unsat(
    message: str, requested: Sequence[str]
) -> tuple[str, tuple[str, ...]]:
    """Turn rattler's conflict tree into ``(readable text, conflicting specs)``.

    Keeps the tree (it is the chain), drops the boilerplate prefix and folds
    the "numpy 2.4.6, which conflicts with ..." lines that repeat once per
    candidate into one line per package. The conflicting specs are the roots
    of the tree (depth 0 and 1), named as the user wrote them where the
    package name matches a requested spec.
    """
    text = message.strip()
    if text.startswith(_PREFIX):
        text = text[len(_PREFIX) :]
    lines: list[str] = []
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip():
            continue
        dup = _DUP_RE.match(line)
        prev = _DUP_RE.match(lines[-1]) if (dup and lines) else None
        if (
            dup
            and prev
            and prev.group("name") == dup.group("name")
            and prev.group("rest") == dup.group("rest")
        ):
            versions = prev.group("version").split("|")
            if dup.group("version") not in versions:
                versions.append(dup.group("version"))
            lines[-1] = (
                f"{dup.group('indent')}{dup.group('name')} {'|'.join(versions)}, "
                f"which conflicts with {dup.group('rest')}"
            )
            continue
        lines.append(line)
    lines = [ln.replace("|", " | ") if _DUP_RE.match(ln) else ln for ln in lines]
    found: list[str] = []
    deeper: list[str] = []
    for line in lines:
        body = line.lstrip(_TREE)
        depth = (len(line) - len(body)) // 3
        m = _CONFLICT_RE.match(body.strip())
        if not m:
            continue
        spec = m.group("spec") or m.group("missing") or m.group("leaf")
        if not spec or spec.startswith("The following packages"):
            continue
        (found if depth <= 1 else deeper).append(spec.strip())
    conflicts = list(map_to_requested(found, requested))
    # a requested spec whose package the chain runs out of (e.g. `python=3.11`
    # behind "python >=3.12,<3.13.0a0, for which no candidates were found")
    names = {spec_name(s): s for s in requested}
    for spec in deeper:
        mine = names.get(spec_name(spec))
        if mine is not None and mine not in conflicts:
            conflicts.append(mine)
    return "\n".join(lines), tuple(conflicts)


def map_to_requested(found: Sequence[str], requested: Sequence[str]) -> tuple[str, ...]:
    """Name the user's own specs where the solver's wording differs."""
    by_name: dict[str, list[str]] = {}
    for spec in requested:
        by_name.setdefault(spec_name(spec), []).append(spec)
    out: list[str] = []
    for spec in found:
        same = by_name.get(spec_name(spec), [])
        exact = [s for s in same if _squash(s) == _squash(spec)]
        if exact:
            chosen = exact[0]
        elif len(same) == 1:
            chosen = same[0]
        else:
            chosen = spec
        if chosen not in out:
            out.append(chosen)
    return tuple(out)


def _squash(spec: str) -> str:
    return re.sub(r"\s+", " ", spec.strip().replace("=", " ")).strip()
