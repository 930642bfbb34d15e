"""The rattler backend solves as conda does: ``pip`` is a dependency of ``python``.

conda adds ``pip`` to python's dependencies when it reads repodata
(``add_pip_as_python_dependency``, true by default), and writes that into
``conda-meta/python-*.json``. A rattler solve without it drops an installed
``pip`` nothing else needs: a false ``broken-dependency`` (pip is removed but
python still depends on it) and a false ``drift`` (issue 10.3). Real rattler
solves over the harvested channel, in the worker.
"""

from __future__ import annotations

import dataclasses

import pytest

from conda_guard.analysis import analyze
from conda_guard.readers import read_state
from conda_guard.solve import (
    SolveSetup,
    plan_solves,
    propose_plan,
    run_worker,
)

from .solve_helpers import (
    HARVESTED_URL,
    VIRTUAL,
    build_prefix,
    needs_data,
    needs_rattler,
)

pytestmark = [pytest.mark.solve, needs_rattler, needs_data]


def _setup(**kw) -> SolveSetup:
    return SolveSetup(
        channels=(HARVESTED_URL,),
        platform="linux-64",
        virtual_packages=VIRTUAL,
        timeout=120,
        **kw,
    )


def test_python_depends_on_pip_in_the_solve():
    doc = {
        "backend": "rattler",
        "channels": [HARVESTED_URL],
        "platforms": ["linux-64", "noarch"],
        "virtual_packages": list(VIRTUAL),
        "jobs": [{"label": "one", "specs": ["python 3.12.*"]}],
    }
    records = {r.name: r for r in run_worker(doc, timeout=60).results["one"].records}
    assert "pip" in records["python"].depends
    assert "pip" in records
    without = run_worker({**doc, "add_pip": False}, timeout=60).results["one"].records
    names = {r.name: r for r in without}
    assert "pip" not in names and "pip" not in names["python"].depends


@pytest.fixture(scope="module")
def python_env(tmp_path_factory):
    """python 3.12 and numpy, installed as conda does (python depends on pip)."""
    prefix = tmp_path_factory.mktemp("pip") / "env"
    return build_prefix(prefix, [["python=3.12"], ["numpy<2"]])


def test_install_keeps_pip_and_reports_nothing_false(python_env):
    current = read_state(str(python_env))
    assert "pip" in current.get("python").depends and "pip" in current
    plan = plan_solves(current, install=("requests",))
    proposal = propose_plan(current, plan, _setup(), batch=True)
    assert "pip" in proposal.incremental and "pip" in proposal.batch
    rules = {f.rule for f in analyze(current, proposal.incremental).findings}
    assert "broken-dependency" not in rules
    assert [f for f in proposal.findings if "pip" in f.names] == []


def test_without_pip_injection_the_finding_is_false(python_env):
    """The control: a solve without conda's pip rule gives the false findings."""
    current = read_state(str(python_env))
    plan = plan_solves(current, install=("requests",))
    setup = dataclasses.replace(_setup(), add_pip=False)
    proposal = propose_plan(current, plan, setup, batch=True)
    assert "pip" not in proposal.incremental
    broken = [
        f
        for f in analyze(current, proposal.incremental).findings
        if f.rule == "broken-dependency"
    ]
    assert broken and "pip" in broken[0].names
