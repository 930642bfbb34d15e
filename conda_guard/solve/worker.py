"""Run the solve worker subprocess under a time budget (the parent's side).

The worker itself is ``python -m conda_guard.adapters.solve_worker``; this
module starts it, writes the request, reads each result line as it comes,
and kills it when the budget runs out. Standard library only.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..exceptions import SolveError
from .protocol import WorkerOutcome

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .protocol import SolveRequest


#: environment variable naming the Python that runs the worker (e.g. one with conda)
PYTHON_ENV = "CONDA_GUARD_SOLVE_PYTHON"


_WORKER = "conda_guard.adapters.solve_worker"


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (root, env.get("PYTHONPATH", "")) if p
    )
    env.setdefault("PYTHONIOENCODING", "utf-8")
    return env


def run_worker(
    document: Mapping[str, Any], *, timeout: float, python: str | None = None
) -> WorkerOutcome:
    """Run the solve worker on ``document``; stop it when ``timeout`` runs out.

    Results are read line by line as they come; the worker is killed at the
    deadline and whatever arrived is returned. A worker that exits badly after
    its final ``done`` line counts as a success (py-rattler can crash at exit).
    """
    exe = python or os.environ.get(PYTHON_ENV) or sys.executable
    started = time.perf_counter()
    try:
        proc = subprocess.Popen(
            [exe, "-m", _WORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_worker_env(),
        )
    except OSError as exc:
        raise SolveError(f"cannot start the solve worker {exe}: {exc}") from None
    lines: queue.Queue[bytes | None] = queue.Queue()
    errors: list[bytes] = []

    def pump_out() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    def pump_err() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            if len(errors) < 200:
                errors.append(line)

    threads = [
        threading.Thread(target=pump_out, daemon=True),
        threading.Thread(target=pump_err, daemon=True),
    ]
    for t in threads:
        t.start()
    outcome = WorkerOutcome()
    try:
        assert proc.stdin is not None
        proc.stdin.write(json.dumps(document).encode())
        proc.stdin.close()
    except OSError:
        pass  # the worker died at once; its stderr says why
    deadline = started + timeout
    done = False
    while True:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            outcome.timed_out = True
            break
        try:
            raw = lines.get(timeout=remaining)
        except queue.Empty:
            outcome.timed_out = True
            break
        if raw is None:
            break
        try:
            message = json.loads(raw)
        except ValueError:
            continue
        event = message.get("event")
        if event == "result":
            outcome.results[message.get("label", "")] = message
        elif event == "error":
            outcome.error = message.get("message", "the solve worker failed")
        elif event == "done":
            done = True
            break
    if outcome.timed_out:
        proc.kill()
    try:
        rc = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = proc.wait()
    for t in threads:
        t.join(timeout=5)
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()
    if not done and not outcome.timed_out:
        tail = b"".join(errors[-5:]).decode("utf-8", "replace").strip()
        last = tail.splitlines()[-1] if tail else ""
        outcome.crashed = f"the solve worker exited with code {rc}" + (
            f": {last}" if last else ""
        )
    outcome.seconds = time.perf_counter() - started
    return outcome


def solve_request(request: SolveRequest) -> WorkerOutcome:
    """Run ``request`` in a worker under its time budget."""
    return run_worker(request.to_json(), timeout=request.timeout, python=request.python)
