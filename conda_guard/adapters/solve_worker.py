"""The solve worker (`python -m conda_guard.adapters.solve_worker`): JSON in, lines out.

Solvers run here, in a child process, because py-rattler can crash the
interpreter at exit and any solver can run past the guard's time budget; the
parent (``conda_guard.solve``) reads each result line as it comes, kills the
worker when the budget runs out and treats a crash after the final ``done``
line as success. The worker ends with ``os._exit(0)`` after flushing.

Protocol. stdin: one JSON object ``{"backend": "rattler" | "conda",
"channels": [...], "platforms": [...], "channel_priority":
"strict" | "flexible" | "disabled", "virtual_packages": [...] | null,
"prefix": str | null, "jobs": [{"label", "specs", "locked", "pinned",
"retry_unpinned", "timeout", "delay" (a testing aid: seconds to wait first),
...}]}``. stdout: one JSON object per line:
``{"event": "result", "label", "ok": true, "records": [...], "seconds"}``,
``{"event": "result", "label", "ok": false, "error": "unsatisfiable" |
"timeout" | "solve", "message", "conflicts"}``, ``{"event": "error",
"message"}`` for a failure before any solve, and ``{"event": "done"}`` last.
Anything else the solver prints goes to stderr. This module imports no
solver at top level; the backend is imported when asked for.
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import TYPE_CHECKING, Any

from ..graph import dep_name as spec_name

if TYPE_CHECKING:
    from collections.abc import Sequence

_OUT: Any = None


def emit(message: dict[str, Any]) -> None:
    """Write one protocol line to the parent and flush it."""
    out = _OUT if _OUT is not None else sys.stdout
    out.write(json.dumps(message, sort_keys=True) + "\n")
    out.flush()


def stream(result: dict[str, Any]) -> None:
    """Send one job's result to the parent as soon as it is ready."""
    emit({"event": "result", **result})


def one_line(exc: BaseException) -> str:
    """The first line of an exception's message."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


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


def parse_virtual_package(text: str) -> tuple[str, str, str]:
    """``__glibc=2.35`` / ``__cuda 12.4`` / ``__archspec=1=x86_64`` / ``__unix``.

    Returns ``(name, version, build)``; version defaults to ``0``, build to
    ``0``. Raises ValueError on a name that does not start with ``__``.
    """
    parts = [p for p in re.split(r"[=\s]+", text.strip()) if p]
    if not parts or not parts[0].startswith("__"):
        raise ValueError(
            f"invalid virtual package {text!r} (expected e.g. __glibc=2.35, __unix)"
        )
    name = parts[0]
    version = parts[1] if len(parts) > 1 else "0"
    build = parts[2] if len(parts) > 2 else "0"
    return name, version, build


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


def error_result(exc: BaseException, requested: Sequence[str]) -> dict[str, Any]:
    """The worker's JSON for a failed solve (unsatisfiable, timeout or other)."""
    from ..exceptions import SolveError

    kind = type(exc).__name__
    if isinstance(exc, SolveError):
        return {"ok": False, "error": "solve", "message": str(exc)}
    text = str(exc)
    if kind == "SolverError":
        if "timed out" in text.lower() or "timeout" in text.lower():
            return {"ok": False, "error": "timeout", "message": one_line(exc)}
        readable, conflicts = explain_unsat(text, requested)
        return {
            "ok": False,
            "error": "unsatisfiable",
            "message": readable,
            "conflicts": list(conflicts),
        }
    return {"ok": False, "error": "solve", "message": f"{kind}: {one_line(exc)}"}


def make_solver(request: dict[str, Any]) -> Any:
    """The backend object named by ``request["backend"]``."""
    backend = request.get("backend", "rattler")
    if backend == "rattler":
        from .rattler_solve import RattlerSolver

        return RattlerSolver(
            request.get("channels", ()),
            request.get("platforms", ()),
            channel_priority=request.get("channel_priority", "flexible"),
            virtual_packages=request.get("virtual_packages"),
        )
    if backend == "conda":
        from .conda_solve import CondaSolver

        return CondaSolver(
            request.get("channels", ()),
            request.get("platforms", ()),
            channel_priority=request.get("channel_priority"),
            virtual_packages=request.get("virtual_packages"),
            prefix=request.get("prefix"),
        )
    raise ValueError(f"unknown solver backend {backend!r}")


def run(request: dict[str, Any]) -> None:
    """Solve every job of ``request``, streaming results, then say ``done``."""
    from ..exceptions import GuardError

    try:
        solver = make_solver(request)
        emit({"event": "ready", "solver": solver.name})
        solver.solve_jobs(request.get("jobs", ()))
    except GuardError as exc:
        emit({"event": "error", "message": str(exc)})
    except ImportError as exc:
        emit(
            {
                "event": "error",
                "message": f"the {request.get('backend')} solver is not available"
                f" in {sys.executable}: {one_line(exc)}",
            }
        )
    except Exception as exc:  # a solver bug: report it, never hang the parent
        emit({"event": "error", "message": f"{type(exc).__name__}: {one_line(exc)}"})
    emit({"event": "done"})


def main() -> None:
    """Entry point: read the request, run it, flush, ``os._exit(0)``."""
    global _OUT
    # keep the protocol on a private copy of stdout; stray prints go to stderr
    _OUT = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    try:
        request = json.loads(sys.stdin.read() or "{}")
    except ValueError as exc:
        emit({"event": "error", "message": f"bad worker request: {exc}"})
        emit({"event": "done"})
    else:
        run(request)
    _OUT.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    # run the imported module, not __main__: the backends import this module
    # and must share its private stdout
    from conda_guard.adapters import solve_worker

    solve_worker.main()
