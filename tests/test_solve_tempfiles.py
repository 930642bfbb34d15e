"""The solve worker leaves no temporary files behind, also when it is killed.

The parent makes one private directory per worker
(``conda-guard-solve-<pid>-XXXX``) and removes it when the worker has ended;
the directories of a parent that was killed itself are removed by the next
run (issue 12.9: a solve timeout left empty ``/tmp/conda-guard-XXXX``
directories, because the worker was killed inside a ``TemporaryDirectory``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import pytest

from conda_guard.solve import run_worker
from conda_guard.solve.worker import WORKDIR_PREFIX, make_workdir, sweep_workdirs

from .solve_helpers import HARVESTED_URL, VIRTUAL, needs_data, needs_rattler


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """The system's temporary directory, for the parent and the worker, is here."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    monkeypatch.setenv("TMPDIR", str(root))
    return root


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.solve
@needs_rattler
@needs_data
def test_a_worker_killed_at_the_deadline_leaves_nothing(private_tmp):
    installed = {
        "name": "zlib-local",
        "version": "1.0",
        "build": "0",
        "build_number": 0,
        "subdir": "linux-64",
        "depends": [],
    }
    doc = {
        "backend": "rattler",
        "channels": [HARVESTED_URL],
        "platforms": ["linux-64", "noarch"],
        "virtual_packages": list(VIRTUAL),
        # a record no channel has: the worker writes a local channel for it
        "jobs": [
            {
                "label": "slow",
                "specs": ["python 3.12.*"],
                "locked": [installed],
                "delay": 30,
            }
        ],
    }
    outcome = run_worker(doc, timeout=3)
    assert outcome.timed_out
    assert list(private_tmp.iterdir()) == []


@pytest.mark.solve
@needs_rattler
@needs_data
def test_a_finished_worker_leaves_nothing(private_tmp):
    doc = {
        "backend": "rattler",
        "channels": [HARVESTED_URL],
        "platforms": ["linux-64", "noarch"],
        "virtual_packages": list(VIRTUAL),
        "jobs": [{"label": "one", "specs": ["python 3.12.*"]}],
    }
    outcome = run_worker(doc, timeout=60)
    assert outcome.results["one"].ok
    assert list(private_tmp.iterdir()) == []


def test_a_worker_that_cannot_start_leaves_nothing(private_tmp):
    from conda_guard.exceptions import SolveError

    with pytest.raises(SolveError):
        run_worker({"jobs": []}, timeout=5, python=str(private_tmp / "no-python"))
    assert list(private_tmp.iterdir()) == []


def test_sweep_removes_only_the_directories_of_dead_parents(private_tmp):
    dead = private_tmp / f"{WORKDIR_PREFIX}{_dead_pid()}-abc"
    (dead / "installed-x" / "linux-64").mkdir(parents=True)
    alive = private_tmp / f"{WORKDIR_PREFIX}{os.getppid()}-def"
    alive.mkdir()
    mine = private_tmp / f"{WORKDIR_PREFIX}{os.getpid()}-ghi"
    mine.mkdir()
    other = private_tmp / "conda-guard-solve-notapid"
    other.mkdir()
    removed = sweep_workdirs(str(private_tmp))
    assert removed == [str(dead)]
    assert sorted(p.name for p in private_tmp.iterdir()) == sorted(
        p.name for p in (alive, mine, other)
    )


def test_make_workdir_sweeps_first(private_tmp):
    dead = private_tmp / f"{WORKDIR_PREFIX}{_dead_pid()}-abc"
    dead.mkdir()
    made = make_workdir()
    assert not dead.exists()
    assert os.path.basename(made).startswith(f"{WORKDIR_PREFIX}{os.getpid()}-")
    os.rmdir(made)
