"""``guard_batch: auto`` (the default) inside conda: an install that pulls an old
compiled numpy dependent gives a ``drift`` finding (issue 10.4).

Real conda (classic, or ``CONDA_GUARD_TEST_SOLVER=rattler``) solves
``conda install pandas`` over the harvested conda-forge repodata
(../shared/data) into a python 3.10 prefix whose loosely requested numpy is
1.21.5: classic keeps numpy and picks pandas 1.4.1; the batch solve (conda's
solver, in the worker) picks pandas 2.0.3 + numpy 1.26.3. conda-rattler-solver
does not hold numpy in this install and picks pandas 2.0.3 itself. The issue's numba
0.57.1 / 0.59.1 records are not in the shared data; see
tests/test_solve_auto_batch.py.
"""

from __future__ import annotations

import pytest

pytest.importorskip(
    "conda", reason="conda is not importable (see docs/dev/conda-from-source.md)"
)

from conda.exceptions import DryRunExit

from .conda_fixtures import TEST_SOLVER
from .solve_helpers import HARVESTED_URL, needs_data, needs_rattler
from .test_solve_auto_batch import old_numpy_prefix

pytestmark = [pytest.mark.conda, pytest.mark.solve, needs_rattler, needs_data]


def _install(conda_cli, prefix, *specs):
    return conda_cli(
        "install",
        "-p",
        str(prefix),
        "--dry-run",
        "--json",  # conda's text plan wants sizes some harvested records lack
        "--override-channels",
        "-c",
        HARVESTED_URL,
        *specs,
        raises=DryRunExit,
    )


def test_default_settings_catch_an_old_compiled_numpy_dependent(
    tmp_path, conda_cli, guard_config, guard_outcomes
):
    prefix = old_numpy_prefix(tmp_path / "env")
    out, err, exc = _install(conda_cli, prefix, "pandas")
    (outcome,) = guard_outcomes
    analysis = outcome.analysis
    after = {c.name: c.after for c in analysis.changes}
    pandas = (after["pandas"].version, after["pandas"].build)
    # the batch solve ran, whatever conda's solver picked
    assert any(n.startswith("batch solve: pandas ") for n in analysis.notes)
    drift = {n for f in analysis.findings if f.rule == "drift" for n in f.names}
    if TEST_SOLVER == "rattler":
        # conda-rattler-solver does not hold numpy here: its install already
        # picks the one-shot answer, so there is no old build to catch
        assert pandas == ("2.0.3", "py310h7cbd5c2_1")
        assert "pandas" not in drift
        return
    assert pandas == ("1.4.1", "py310hb5077e9_0")
    assert "pandas" in drift
    text = " ".join(err.split())
    assert "[drift] pandas: the incremental result has pandas 1.4.1" in text
    assert "a one-shot solve picks pandas 2.0.3 py310h7cbd5c2_1" in text


def test_update_all_setting_and_a_noarch_install_run_no_batch(
    tmp_path, conda_cli, guard_config, guard_outcomes
):
    prefix = old_numpy_prefix(tmp_path / "env")
    guard_config(guard_batch="update-all")
    _install(conda_cli, prefix, "pandas")
    guard_config()  # auto again
    _install(conda_cli, prefix, "filelock")
    old, plain = guard_outcomes
    for outcome in (old, plain):
        assert not [f for f in outcome.analysis.findings if f.rule == "drift"]
        assert not [n for n in outcome.analysis.notes if n.startswith("batch")]
    assert "pandas" in {c.name for c in old.analysis.changes}
    assert [c.name for c in plain.analysis.changes] == ["filelock"]
