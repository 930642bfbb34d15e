"""Backend parity (issue 10): the rattler backend and conda's solver give the same
link and unlink sets for real requests over ../shared/data, or the case says why.

Each request is planned once (:func:`plan_solves`) and solved by both backends in
the solve worker: ``rattler`` (py-rattler, what CI and the standalone CLI use)
and ``conda`` (conda's configured solver: classic, or conda-rattler-solver with
``CONDA_GUARD_TEST_SOLVER=rattler``). The requests of one base environment go to
each backend as one worker request, so repodata is read once per backend and
base. Removes are not in the list: neither backend has a remove job (the guard
sees conda's own remove transactions inside conda).
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from conda_guard.readers import read_state
from conda_guard.solve import SolveSetup, plan_solves, solve_request

from .conda_fixtures import TEST_SOLVER
from .solve_helpers import (
    HARVESTED_URL,
    SUBCHANNEL_PY39_URL,
    VIRTUAL,
    Step,
    build_prefix,
    needs_data,
    needs_rattler,
    solve_steps,
    write_prefix,
)

pytestmark = [pytest.mark.conda, pytest.mark.solve, needs_rattler, needs_data]


@dataclass(frozen=True)
class Base:
    """An environment the requests start from (built with rattler, as conda would)."""

    steps: tuple[tuple[str, ...], ...]
    channels: tuple[str, ...] = (HARVESTED_URL,)
    priority: str = "flexible"
    pinned: str = ""
    #: the history's specs of the last step, when they differ from its request
    history: tuple[str, ...] = ()


BASES = {
    "py312-numpy": Base((("python=3.12", "numpy"),)),
    "py312-pandas": Base((("python=3.12", "pandas=2.1"), ("numpy",))),
    "py312-pandas-pinned": Base(
        (("python=3.12", "pandas=2.1"), ("numpy",)), pinned="numpy 1.26.*\n"
    ),
    "py310-old-numpy": Base(
        (("python=3.10", "numpy=1.21.5"),), history=("python=3.10", "numpy")
    ),
    "py39-sub": Base((("python=3.9",),), channels=(SUBCHANNEL_PY39_URL,)),
    "py39-sub-strict": Base(
        (("python=3.9",),),
        channels=(SUBCHANNEL_PY39_URL, HARVESTED_URL),
        priority="strict",
    ),
}


@dataclass(frozen=True)
class Case:
    base: str
    install: tuple[str, ...] = ()
    update: tuple[str, ...] = ()
    update_all: bool = False
    #: conda solver -> why its answer differs from the rattler backend's
    differs: dict[str, str] = field(default_factory=dict)


_NOT_FROZEN = (
    "conda-rattler-solver does not hold the installed numpy 1.21.5 in an install"
    " (conda's FREEZE_INSTALLED): it moves numpy to 1.26.3 and picks pandas"
    " 2.0.3; classic (and the rattler backend, which pins the installed records"
    " as conda's frozen install does) keep numpy and pick pandas 1.4.1"
)

CASES = {
    "install-scipy": Case("py312-numpy", install=("scipy",)),
    "install-pandas": Case("py312-numpy", install=("pandas",)),
    "install-mkl-blas": Case(
        "py312-numpy",
        install=("libblas=*=*mkl",),
        differs={
            "classic": "the mkl libblas 3.11.0 builds carry track_features"
            " (blas_mkl); rattler (and conda-rattler-solver, libmamba) rank any"
            " record with track_features below one without, so they pick the"
            " 2022 libblas 3.9.0 13_linux64_mkl (no track_features); classic"
            " maximises the version of a requested package first and picks"
            " libblas 3.11.0 8_h5875eb1_mkl with mkl 2026"
        },
    ),
    "install-numpy-lt2": Case("py312-numpy", install=("numpy<2",)),
    "install-sklearn": Case("py312-numpy", install=("scikit-learn",)),
    "install-matplotlib": Case("py312-numpy", install=("matplotlib-base",)),
    "install-two": Case("py312-numpy", install=("scipy", "pandas")),
    "update-numpy": Case("py312-numpy", update=("numpy",)),
    "update-python": Case(
        "py312-numpy",
        update=("python",),
        differs={
            "rattler": "the request 'python' replaces the history spec"
            " python=3.12 (conda's UPDATE_SPECS); classic and the rattler backend"
            " then move python to 3.14, conda-rattler-solver changes nothing"
        },
    ),
    "update-all-numpy": Case("py312-numpy", update_all=True),
    "install-sklearn-old-pandas": Case("py312-pandas", install=("scikit-learn",)),
    "update-pandas": Case("py312-pandas", update=("pandas",)),
    "install-pandas-2.2": Case("py312-pandas", install=("pandas=2.2",)),
    "update-all-pandas": Case("py312-pandas", update_all=True),
    "pinned-update-all": Case("py312-pandas-pinned", update_all=True),
    "pinned-install-scipy": Case("py312-pandas-pinned", install=("scipy",)),
    "old-numpy-install-pandas": Case(
        "py310-old-numpy", install=("pandas",), differs={"rattler": _NOT_FROZEN}
    ),
    "old-numpy-install-scipy": Case("py310-old-numpy", install=("scipy",)),
    "old-numpy-update-numpy": Case(
        "py310-old-numpy",
        update=("numpy",),
        differs={
            "rattler": "numpy 2.2.6 no longer needs libstdcxx-ng; conda update"
            " with classic (and the rattler backend) drops it, conda-rattler-solver"
            " keeps it"
        },
    ),
    "old-numpy-update-all": Case(
        "py310-old-numpy",
        update_all=True,
        differs={
            "rattler": "after update --all nothing needs libstdcxx-ng;"
            " conda-rattler-solver keeps it, classic and the rattler backend drop"
            " it (conda's UPDATE_ALL solves the history's names only)"
        },
    ),
    "old-numpy-channel-spec": Case(
        "py310-old-numpy",
        install=(f"{HARVESTED_URL}::pandas",),
        differs={"rattler": _NOT_FROZEN},
    ),
    "sub-openssl-1.1": Case("py39-sub", install=("openssl=1.1.1",)),
    "sub-update-all": Case("py39-sub", update_all=True),
    "sub-install-six": Case("py39-sub", install=("six",)),
    "strict-install-numpy": Case("py39-sub-strict", install=("numpy",)),
    "strict-install-openssl": Case("py39-sub-strict", install=("openssl",)),
}


def _write_base(root: Path, base: Base) -> Path:
    prefix = root / "env"
    if base.history:
        *_, last = solve_steps(base.steps, channels=base.channels)
        write_prefix(prefix, [Step(base.history, last.records)])
    else:
        build_prefix(prefix, base.steps, channels=base.channels)
    if base.pinned:
        (prefix / "conda-meta" / "pinned").write_text(base.pinned)
    return prefix


@functools.cache
def _base_results(name: str) -> tuple[object, dict[str, dict[str, object]]]:
    """The base's state, and per backend the records of each case's solve."""
    base = BASES[name]
    root = Path(tempfile.mkdtemp(prefix=f"parity-{name}-"))
    current = read_state(str(_write_base(root, base)))
    jobs = []
    for case_id, case in CASES.items():
        if case.base != name:
            continue
        plan = plan_solves(
            current,
            install=case.install,
            update=case.update,
            update_all=case.update_all,
        )
        jobs += [replace(job, label=case_id) for job in plan.jobs()]
    results: dict[str, dict[str, object]] = {}
    for solver in ("rattler", "conda"):
        setup = SolveSetup(
            channels=base.channels,
            platform="linux-64",
            solver=solver,
            priority=base.priority,
            virtual_packages=VIRTUAL,
            timeout=600,
            conda_env={
                "CONDA_SOLVER": TEST_SOLVER,
                "CONDA_PKGS_DIRS": str(root / "pkgs"),
            },
        )
        outcome = solve_request(setup.request(jobs, current.prefix))
        assert outcome.error is None, outcome.error
        results[solver] = outcome.results
    shutil.rmtree(root, ignore_errors=True)
    return current, results


def _dists(records) -> set[str]:
    return {
        f"{r.name}-{r.version}-{r.build}"
        for r in records
        if not r.name.startswith("__")
    }


@pytest.fixture(autouse=True)
def _conda_importable():
    pytest.importorskip("conda.core.solve")
    os.environ.pop("CONDA_GUARD_SOLVE_PYTHON", None)


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_backends_agree(case_id):
    case = CASES[case_id]
    current, results = _base_results(case.base)
    before = _dists(current)
    sides = {}
    for solver in ("rattler", "conda"):
        result = results[solver][case_id]
        assert result.ok, f"{solver}: {result.message}"
        after = _dists(result.records)
        sides[solver] = (sorted(after - before), sorted(before - after))
    why = case.differs.get(TEST_SOLVER)
    if why is None:
        assert sides["rattler"] == sides["conda"], sides
    else:
        assert sides["rattler"] != sides["conda"], f"no longer differs: {why}"
