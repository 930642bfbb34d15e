"""Run the solve worker subprocess under a time budget (the parent's side).

The worker itself is ``python -m conda_guard.adapters.solve_worker`` (named
here as a module path, never imported: solvers stay out of this process);
this module starts it, writes the request, reads each result event as it
comes (:mod:`conda_guard.solve.protocol`) and kills it when the budget runs
out. Standard library only.

Temporary files: the worker writes only under one directory the parent makes
for it (``conda-guard-solve-<parent pid>-XXXX`` in the system's temporary
directory, passed as ``workdir`` in the request) and removes when the worker
has ended, also when it was killed at the deadline. A directory whose parent
process is gone (killed itself) is removed by the next run.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..exceptions import SolveError
from .protocol import JobResult, WorkerOutcome

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .protocol import SolveRequest


#: environment variable naming the Python that runs the worker (e.g. one with conda)
PYTHON_ENV = "CONDA_GUARD_SOLVE_PYTHON"


_WORKER = "conda_guard.adapters.solve_worker"

#: name prefix of the worker's temporary directories
WORKDIR_PREFIX = "conda-guard-solve-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists (another user's), or cannot tell: keep it
    return True


def sweep_workdirs(root: str | None = None) -> list[str]:
    """Remove the worker directories of parent processes that are gone.

    Returns the paths removed. A directory is named
    ``conda-guard-solve-<pid>-XXXX``; one whose pid runs is left alone.
    """
    base = Path(root or tempfile.gettempdir())
    removed: list[str] = []
    try:
        entries = list(os.scandir(base))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(WORKDIR_PREFIX):
            continue
        pid_text = entry.name[len(WORKDIR_PREFIX) :].split("-", 1)[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid():
            continue
        if not _alive(int(pid_text)) and entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(entry.path)
    return removed


def make_workdir() -> str:
    """A fresh private directory for one worker (removed by :func:`run_worker`)."""
    sweep_workdirs()
    return tempfile.mkdtemp(prefix=f"{WORKDIR_PREFIX}{os.getpid()}-")


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
    The worker's temporary directory is removed when it has ended.
    """
    exe = python or os.environ.get(PYTHON_ENV) or sys.executable
    started = time.perf_counter()
    workdir = make_workdir()
    try:
        document = {**document, "workdir": workdir}
        worker = _Worker(exe, json.dumps(document).encode())
        outcome = WorkerOutcome()
        done = _read_events(worker.lines, started + timeout, outcome)
        rc = worker.stop(kill=outcome.timed_out)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if not done and not outcome.timed_out:
        last = worker.last_error_line()
        outcome.crashed = f"the solve worker exited with code {rc}" + (
            f": {last}" if last else ""
        )
    outcome.seconds = time.perf_counter() - started
    return outcome


class _Worker:
    """The worker process, with threads pumping its stdout and stderr."""

    def __init__(self, exe: str, document: bytes) -> None:
        try:
            self.proc = subprocess.Popen(
                [exe, "-m", _WORKER],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=_worker_env(),
            )
        except OSError as exc:
            raise SolveError(f"cannot start the solve worker {exe}: {exc}") from None
        self.lines: queue.Queue[bytes | None] = queue.Queue()
        self.errors: list[bytes] = []
        self.threads = [
            threading.Thread(target=self._pump_out, daemon=True),
            threading.Thread(target=self._pump_err, daemon=True),
        ]
        for t in self.threads:
            t.start()
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(document)
            self.proc.stdin.close()
        except OSError:
            pass  # the worker died at once; its stderr says why

    def _pump_out(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def _pump_err(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            if len(self.errors) < 200:
                self.errors.append(line)

    def stop(self, *, kill: bool) -> int:
        """Wait for the worker (killing it first when ``kill``); its exit code."""
        if kill:
            self.proc.kill()
        try:
            rc = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        for t in self.threads:
            t.join(timeout=5)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()
        return rc

    def last_error_line(self) -> str:
        """The last line the worker wrote to stderr (why it crashed)."""
        tail = b"".join(self.errors[-5:]).decode("utf-8", "replace").strip()
        return tail.splitlines()[-1] if tail else ""


def _read_events(
    lines: queue.Queue[bytes | None], deadline: float, outcome: WorkerOutcome
) -> bool:
    """Read events into ``outcome`` until ``done`` (True), EOF or the deadline."""
    while True:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            outcome.timed_out = True
            return False
        try:
            raw = lines.get(timeout=remaining)
        except queue.Empty:
            outcome.timed_out = True
            return False
        if raw is None:
            return False
        try:
            message = json.loads(raw)
        except ValueError:
            continue
        event = message.get("event")
        if event == "result":
            result = JobResult.from_json(message)
            outcome.results[result.label] = result
        elif event == "error":
            outcome.error = message.get("message", "the solve worker failed")
        elif event == "done":
            return True


def solve_request(request: SolveRequest) -> WorkerOutcome:
    """Run ``request`` in a worker under its time budget."""
    return run_worker(request.to_json(), timeout=request.timeout, python=request.python)
