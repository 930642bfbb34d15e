"""The conda solver backend: real conda solves (classic backend) over local channels.

Needs an importable conda in the Python that runs the tests (the worker runs
``sys.executable``); run by hand, e.g.
``/path/to/conda-python -m pytest -m conda tests/test_solve_conda.py``.
"""

from __future__ import annotations

import argparse
import os

import pytest

from conda_guard.analysis import analyze
from conda_guard.exceptions import SolveError, UnsatisfiableError
from conda_guard.readers import read_state
from conda_guard.solve import (
    SolveOptions,
    add_solve_arguments,
    options_from_args,
    propose,
)

from .solve_helpers import (
    HARVESTED_URL,
    SUBCHANNEL_PY39_URL,
    VIRTUAL,
    build_prefix,
    needs_data,
    needs_rattler,
)

pytestmark = [pytest.mark.conda, pytest.mark.solve, needs_rattler, needs_data]

VFLAGS = [f"--virtual-package={v}" for v in VIRTUAL]


@pytest.fixture(autouse=True)
def conda_env(monkeypatch, tmp_path):
    pytest.importorskip("conda.core.solve")
    # conda's solver backend for these tests (classic ships with conda)
    monkeypatch.setenv(
        "CONDA_SOLVER", os.environ.get("CONDA_GUARD_TEST_SOLVER", "classic")
    )
    monkeypatch.setenv("CONDA_PKGS_DIRS", str(tmp_path / "pkgs"))
    monkeypatch.delenv("CONDA_GUARD_SOLVE_PYTHON", raising=False)


def parse(*argv: str) -> SolveOptions:
    p = argparse.ArgumentParser()
    add_solve_arguments(p)
    return options_from_args(p.parse_args([*argv, "--solver", "conda", *VFLAGS]))


def full(rec) -> str:
    return f"{rec.version} {rec.build}"


def test_conda_install_mkl_switches_blas(tmp_path):
    prefix = build_prefix(tmp_path / "env", [["python=3.12", "numpy"]])
    current = read_state(str(prefix))
    proposal = propose(
        parse("--install", "libblas=*=*mkl", "-c", HARVESTED_URL), current
    )
    libblas = proposal.incremental.get("libblas")
    assert libblas.build.endswith("_mkl")
    assert libblas.channel == HARVESTED_URL
    analysis = analyze(current, proposal.incremental)
    (blas,) = [f for f in analysis.findings if f.rule == "blas-switch"]
    moved = {p.name: p for p in blas.packages}
    assert full(moved["libblas"].before) == "3.11.0 5_h4a7cf45_openblas"
    # conda read the prefix and its history itself: python stays put
    assert full(proposal.incremental.get("python")) == full(current.get("python"))


def test_conda_batch_vs_incremental_drift(tmp_path):
    prefix = build_prefix(
        tmp_path / "env", [["python=3.12", "pandas=2.1"], ["numpy"], ["pandas"]]
    )
    current = read_state(str(prefix))
    assert full(current.get("numpy")) == "1.26.4 py312heda63a1_0"
    proposal = propose(
        parse("--install", "scikit-learn", "--batch", "-c", HARVESTED_URL), current
    )
    assert full(proposal.batch.get("numpy")) == "2.3.0 py312h6cf2f7f_0"
    assert full(proposal.incremental.get("numpy")) == "1.26.4 py312heda63a1_0"
    assert any(f.rule == "drift" and f.names == ("numpy",) for f in proposal.findings)
    assert [c.label for c in proposal.comparisons] == [
        "batch vs current",
        "incremental vs batch",
    ]


def test_conda_update_all_moves_loose_numpy(tmp_path):
    prefix = build_prefix(tmp_path / "env", [["python=3.12", "pandas=2.1"], ["numpy"]])
    current = read_state(str(prefix))
    proposal = propose(parse("--update-all", "-c", HARVESTED_URL), current)
    analysis = analyze(current, proposal.incremental)
    (numpy,) = [f for f in analysis.findings if f.rule == "numpy-abi"]
    assert full(numpy.packages[0].after) == "2.3.0 py312h6cf2f7f_0"


def test_conda_unsatisfiable_names_the_specs(tmp_path):
    prefix = build_prefix(tmp_path / "env", [["python=3.12", "numpy"]])
    current = read_state(str(prefix))
    with pytest.raises(UnsatisfiableError) as err:
        propose(
            parse("--install", "python=3.11", "pandas=2.1", "-c", HARVESTED_URL),
            current,
        )
    assert set(err.value.conflicts) == {"python=3.11", "pandas=2.1"}
    assert "Traceback" not in str(err.value)


def test_conda_strict_priority_keeps_the_first_channel(tmp_path):
    prefix = build_prefix(
        tmp_path / "env", [["python=3.9"]], channels=(SUBCHANNEL_PY39_URL,)
    )
    current = read_state(str(prefix))
    proposal = propose(
        parse(
            "--install",
            "openssl",
            "-c",
            SUBCHANNEL_PY39_URL,
            "-c",
            HARVESTED_URL,
            "--strict-channel-priority",
        ),
        current,
    )
    assert proposal.incremental.get("openssl").channel == SUBCHANNEL_PY39_URL
    analysis = analyze(current, proposal.incremental)
    assert "channel-mix" not in {f.rule for f in analysis.findings}


def test_conda_unknown_backend_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("CONDA_SOLVER", "no-such-solver")
    prefix = build_prefix(tmp_path / "env", [["python=3.12"]])
    current = read_state(str(prefix))
    with pytest.raises(SolveError) as err:
        propose(parse("--install", "numpy", "-c", HARVESTED_URL), current)
    assert "no-such-solver" in str(err.value)
    assert "\n" not in str(err.value)


def test_conda_reads_the_pinned_file(tmp_path):
    prefix = build_prefix(tmp_path / "env", [["python=3.12", "pandas=2.1"], ["numpy"]])
    (prefix / "conda-meta" / "pinned").write_text("numpy 1.26.*\n")
    current = read_state(str(prefix))
    proposal = propose(parse("--update-all", "-c", HARVESTED_URL), current)
    assert full(proposal.incremental.get("numpy")) == "1.26.4 py312heda63a1_0"
