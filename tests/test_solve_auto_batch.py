"""``guard_batch: auto`` / no ``--batch``: the batch solve runs when an install
pulls a compiled package built against numpy (issue 10.4), over real repodata.

The issue's case (numba 0.57.1 next to numpy 2.0.1, where a one-shot solve picks
numba 0.59.1 + numpy 1.26.4) is not in ../shared/data: the harvested channel has
one numba (0.55.1, py310). The same shape, real: a python 3.10 environment whose
``numpy`` (requested without a version) is 1.21.5, the newest when it was
installed. ``conda install pandas`` keeps numpy and picks pandas 1.4.1 (2022,
``numpy >=1.21.5,<2.0a0``); a one-shot solve of the same requests picks pandas
2.0.3 with numpy 1.26.3.
"""

from __future__ import annotations

import argparse

import pytest

from conda_guard.abi import load_table
from conda_guard.models import State
from conda_guard.readers import read_state
from conda_guard.solve import add_solve_arguments, options_from_args, propose
from conda_guard.solve.trigger import batch_reason

from .solve_helpers import (
    HARVESTED_URL,
    VIRTUAL,
    Step,
    needs_data,
    needs_rattler,
    solve_steps,
    write_prefix,
)

pytestmark = [pytest.mark.solve, needs_rattler, needs_data]


def parse(*argv: str) -> object:
    p = argparse.ArgumentParser()
    add_solve_arguments(p)
    flags = [f"--virtual-package={v}" for v in VIRTUAL]
    return options_from_args(p.parse_args([*argv, "-c", HARVESTED_URL, *flags]))


def old_numpy_prefix(path):
    """python 3.10 + numpy 1.21.5, both requested loosely (history: ``numpy``)."""
    (step,) = solve_steps([["python=3.10", "numpy=1.21.5"]])
    return write_prefix(path, [Step(("python=3.10", "numpy"), step.records)])


def full(rec) -> str:
    return f"{rec.version} {rec.build}"


def test_install_of_an_old_compiled_numpy_dependent_runs_the_batch(tmp_path):
    current = read_state(str(old_numpy_prefix(tmp_path / "env")))
    assert full(current.get("numpy")) == "1.21.5 py310h647a097_0"
    proposal = propose(parse("--install", "pandas"), current)
    assert full(proposal.incremental.get("pandas")) == "1.4.1 py310hb5077e9_0"
    assert full(proposal.incremental.get("numpy")) == "1.21.5 py310h647a097_0"
    assert proposal.batch is not None
    assert full(proposal.batch.get("pandas")) == "2.0.3 py310h7cbd5c2_1"
    assert full(proposal.batch.get("numpy")) == "1.26.3 py310hb13e2d6_0"
    drift = {n for f in proposal.findings if f.rule == "drift" for n in f.names}
    assert {"pandas", "numpy"} <= drift
    (note,) = [n for n in proposal.notes if n.startswith("batch solve: ")]
    assert "pandas 1.4.1 py310hb5077e9_0 is compiled against numpy" in note


def test_no_batch_flag_and_no_trigger_skip_the_batch(tmp_path):
    current = read_state(str(old_numpy_prefix(tmp_path / "env")))
    off = propose(parse("--install", "pandas", "--no-batch"), current)
    assert off.batch is None and not off.findings
    # a noarch package: nothing compiled against numpy comes in
    plain = propose(parse("--install", "filelock"), current)
    assert plain.incremental.get("filelock") is not None
    assert plain.batch is None
    assert not any(n.startswith("batch solve") for n in plain.notes)


def test_batch_reason_needs_a_compiled_numpy_dependent(tmp_path):
    table = load_table()
    current = read_state(str(old_numpy_prefix(tmp_path / "env")))
    proposal = propose(parse("--install", "pandas", "--no-batch"), current)
    assert batch_reason(current, proposal.incremental, table)
    # nothing linked: no reason; numpy itself is not a dependent of numpy
    assert batch_reason(current, current, table) is None
    # a new environment of python + numpy: numpy comes in, nothing built on it
    empty = State(records={}, source="(new environment)", kind="prefix")
    assert batch_reason(empty, current, table) is None
    assert batch_reason(empty, proposal.incremental, table)
