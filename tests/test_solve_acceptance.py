"""Issue 4 acceptance: real rattler solves over ../shared/data channels, no mocks.

Prefixes are built from real solver output (tests/solve_helpers.py). Each
step of a sequence is what ``propose`` says ``conda install`` would do,
applied to the prefix before the next step.
"""

from __future__ import annotations

import argparse
import dataclasses
import json

import pytest

from conda_guard.analysis import analyze
from conda_guard.exceptions import UnsatisfiableError
from conda_guard.readers import read_state
from conda_guard.solve import (
    SolveOptions,
    SolveSetup,
    add_solve_arguments,
    options_from_args,
    plan_solves,
    propose,
    propose_plan,
)

from .solve_helpers import (
    HARVESTED_URL,
    SUBCHANNEL_PY39_URL,
    VIRTUAL,
    build_prefix,
    needs_data,
    needs_rattler,
    solve_steps,
    step_from_state,
    write_prefix,
)

pytestmark = [pytest.mark.solve, needs_rattler, needs_data]

VFLAGS = [f"--virtual-package={v}" for v in VIRTUAL]


def parse(*argv: str) -> SolveOptions:
    p = argparse.ArgumentParser()
    add_solve_arguments(p)
    return options_from_args(p.parse_args([*argv, *VFLAGS]))


def full(rec) -> str:
    return f"{rec.version} {rec.build}"


def run_sequence(tmp_path, first, later):
    """Create with ``first``, then dry-run + apply each of ``later``.

    Returns ``[(specs, current, proposal, analysis)]`` per later step.
    """
    prefix = tmp_path / "env"
    steps = solve_steps([first])
    write_prefix(prefix, steps)
    out = []
    for specs in later:
        current = read_state(str(prefix))
        proposal = propose(parse("--install", *specs, "--batch"), current)
        analysis = analyze(current, proposal.incremental, extra=proposal.findings)
        out.append((specs, current, proposal, analysis))
        steps.append(step_from_state(specs, proposal.incremental))
        write_prefix(prefix, steps)
    return prefix, out


def rules(analysis) -> dict[str, list]:
    found: dict[str, list] = {}
    for f in analysis.findings:
        found.setdefault(f.rule, []).append(f)
    return found


def test_numpy_pytorch_pandas_sklearn_sequence(tmp_path):
    """The issue's sequence on the harvested channel.

    `numpy` alone picks python 3.14; `pytorch` (a cpu_mkl build) then switches
    BLAS to MKL and OpenMP to LLVM; `pandas` has no python 3.14 build here, so
    the third step is unsatisfiable with python held at its minor version (as
    conda holds it), and so is one batch create of all four.
    """
    prefix, steps = run_sequence(tmp_path, ["numpy"], [["pytorch"]])
    (_, current, proposal, analysis) = steps[0]
    assert full(current.get("python")) == "3.14.6 habeac84_101_cp314"
    assert full(proposal.incremental.get("numpy")) == "2.4.6 py314h2b28147_0"
    found = rules(analysis)
    blas = found["blas-switch"][0]
    assert str(blas.severity) == "medium"
    libblas = {p.name: p for p in blas.packages}["libblas"]
    assert full(libblas.before) == "3.11.0 5_h4a7cf45_openblas"
    assert full(libblas.after) == "3.11.0 8_h5875eb1_mkl"
    assert "openmp-switch" in found
    # numpy did not move, so no numpy-abi finding on this step
    assert "numpy-abi" not in found
    # the batch of numpy + pytorch agrees with the incremental result, but for
    # the OpenBLAS stack conda keeps although nothing needs it any more (one
    # low drift finding)
    assert proposal.batch is not None
    (kept,) = proposal.findings
    assert (kept.rule, str(kept.severity)) == ("drift", "low")
    assert [c.label for c in proposal.comparisons] == [
        "batch vs current",
        "incremental vs batch",
    ]
    leftovers = proposal.comparisons[1].analysis.changes
    assert {c.name for c in leftovers} == set(kept.names)
    assert {"libopenblas", "libgfortran"} <= set(kept.names)
    assert all(c.before is None for c in leftovers)

    current = read_state(str(prefix))
    with pytest.raises(UnsatisfiableError) as err:
        propose(parse("--install", "pandas", "--batch"), current)
    assert err.value.conflicts == ("pandas", "python 3.14.*")
    text = str(err.value)
    assert text.splitlines()[0] == (
        "the request (install pandas) is unsatisfiable: conflicting specs 'pandas',"
        " 'python 3.14.*' ('python 3.14.*' holds the installed python minor version,"
        " as conda does; request python explicitly to move it)"
    )
    assert "python >=3.12,<3.13.0a0, for which no candidates were found." in text
    assert "Traceback" not in text
    assert "one-shot" not in text  # the batch solve fails as well

    # one batch create of all four
    plan = plan_solves(current, install=["pandas", "scikit-learn"])
    plan = dataclasses.replace(plan, mode="batch")
    setup = SolveSetup(
        channels=(HARVESTED_URL,), platform="linux-64", virtual_packages=VIRTUAL
    )
    batch = propose_plan(current, plan, setup, batch=True)
    assert batch.batch is None
    (drift,) = batch.findings
    assert (drift.rule, str(drift.severity)) == ("drift", "medium")
    assert drift.evidence[0] == "one-shot specs: numpy pytorch pandas scikit-learn"
    assert "pytorch" in " ".join(drift.evidence[1:])
    assert drift.message == (
        "the history specs plus the request cannot be solved in one command"
        " (conflicting: 'pytorch', 'scikit-learn'); recreating this environment"
        " from its history would fail."
    )
    assert any(
        n.startswith(
            "batch comparison skipped (batch vs current, incremental vs batch): a"
            " one-shot solve of the history specs plus the request is unsatisfiable"
        )
        for n in batch.notes
    )


def test_incremental_sequence_drifts_from_batch(tmp_path):
    """python 3.12 + numpy, then pandas=2.1, pandas, scikit-learn vs one batch.

    pandas 2.1 needs numpy <2, so numpy moves 2.3.0 -> 1.26.4 on the way and
    stays there; a one-shot create of the same requests picks numpy 2.3.0.
    """
    _, steps = run_sequence(
        tmp_path,
        ["python=3.12", "numpy"],
        [["pandas=2.1"], ["pandas"], ["scikit-learn"]],
    )
    moves = []
    for specs, current, proposal, analysis in steps:
        for f in analysis.findings:
            if f.rule == "numpy-abi":
                (p,) = [p for p in f.packages if p.name == "numpy"]
                moves.append((specs[0], full(p.before), full(p.after)))
    assert moves == [("pandas=2.1", "2.3.0 py312h6cf2f7f_0", "1.26.4 py312heda63a1_0")]
    # the first step: incremental and batch agree (the request forces numpy <2)
    assert steps[0][2].findings == ()

    specs, current, proposal, analysis = steps[-1]
    inc, batch = proposal.incremental, proposal.batch
    assert full(inc.get("numpy")) == "1.26.4 py312heda63a1_0"
    assert full(batch.get("numpy")) == "2.3.0 py312h6cf2f7f_0"
    assert full(inc.get("scikit-learn")) == full(batch.get("scikit-learn"))
    drift = [f for f in proposal.findings if f.rule == "drift"]
    numpy = [f for f in drift if f.names == ("numpy",)]
    assert len(numpy) == 1 and str(numpy[0].severity) == "medium"
    assert numpy[0].message.startswith(
        "numpy: the incremental result has numpy 1.26.4 py312heda63a1_0"
    )
    assert "a one-shot solve picks numpy 2.3.0 py312h6cf2f7f_0" in numpy[0].message
    assert numpy[0].why == ("requested 'numpy' -> numpy 1.26.4 py312heda63a1_0",)
    labels = {c.label: c.analysis for c in proposal.comparisons}
    inc_vs_batch = labels["incremental vs batch"]
    assert [c.name for c in inc_vs_batch.changes] == ["numpy"]
    assert "numpy-abi" in {f.rule for f in inc_vs_batch.findings}
    (cmd,) = proposal.commands
    assert cmd == (
        f"conda create -n env --override-channels -c {HARVESTED_URL}"
        " python=3.12 numpy pandas scikit-learn"
    )


def test_update_all_with_loose_numpy_in_history(tmp_path):
    prefix = build_prefix(tmp_path / "env", [["python=3.12", "pandas=2.1"], ["numpy"]])
    current = read_state(str(prefix))
    assert current.explicit["numpy"] == "numpy"
    assert full(current.get("numpy")) == "1.26.4 py312heda63a1_0"
    proposal = propose(parse("--update-all"), current)
    analysis = analyze(current, proposal.incremental, extra=proposal.findings)
    assert full(proposal.incremental.get("numpy")) == "2.3.0 py312h6cf2f7f_0"
    assert full(proposal.incremental.get("pandas")) == "2.2.2 py312h1d6d2e6_1"
    assert full(proposal.incremental.get("python")) == "3.12.13 hd63d673_0_cpython"
    (numpy,) = rules(analysis)["numpy-abi"]
    assert str(numpy.severity) == "medium"
    assert numpy.why == ("requested 'numpy' -> numpy 2.3.0 py312h6cf2f7f_0",)
    # the batch keeps the history constraint pandas=2.1, so numpy stays <2 there
    assert full(proposal.batch.get("numpy")) == "1.26.4 py312heda63a1_0"
    assert any(f.rule == "drift" and f.names == ("numpy",) for f in proposal.findings)


def test_forcing_mkl_in_an_openblas_env(tmp_path):
    prefix = build_prefix(tmp_path / "env", [["python=3.12", "numpy"]])
    current = read_state(str(prefix))
    assert full(current.get("libblas")) == "3.11.0 5_h4a7cf45_openblas"
    proposal = propose(parse("--install", "libblas=*=*mkl"), current)
    analysis = analyze(current, proposal.incremental)
    (blas,) = rules(analysis)["blas-switch"]
    assert str(blas.severity) == "medium"
    moved = {p.name: p for p in blas.packages}
    assert full(moved["libblas"].after) == "3.9.0 13_linux64_mkl"
    assert full(moved["libblas"].before) == "3.11.0 5_h4a7cf45_openblas"
    assert "requested 'libblas=*=*mkl' -> libblas 3.9.0 13_linux64_mkl" in blas.why
    assert any("frozen solve failed" in n for n in proposal.notes)


def test_channel_priority_strict_flexible_disabled(tmp_path):
    """An env made from the py39 subchannel; `-c subchannel -c harvested`.

    openssl is in both channels (3.3.0 in the first, 3.3.1 in the second).
    Strict and flexible priority keep it in the first channel; with priority
    disabled the newer build from the second channel wins: channel-mix.
    (rattler's flexible only reaches into a lower channel when a solve needs
    it, and its strict is per spec: `python=3.9.18`, found only in the lower
    channel, is still taken from there.)
    """
    prefix = build_prefix(
        tmp_path / "env", [["python=3.9"]], channels=(SUBCHANNEL_PY39_URL,)
    )
    current = read_state(str(prefix))
    assert full(current.get("openssl")) == "3.3.0 hd590300_0"
    channels = ["-c", SUBCHANNEL_PY39_URL, "-c", HARVESTED_URL]
    for priority in ("strict", "flexible"):
        proposal = propose(
            parse("--install", "openssl", *channels, "--channel-priority", priority),
            current,
        )
        analysis = analyze(current, proposal.incremental)
        assert analysis.changes == (), priority
        assert "channel-mix" not in rules(analysis), priority
    strict = propose(
        parse("--install", "openssl", *channels, "--strict-channel-priority"),
        current,
    )
    assert strict.incremental.get("openssl").channel == SUBCHANNEL_PY39_URL
    disabled = propose(
        parse("--install", "openssl", *channels, "--channel-priority", "disabled"),
        current,
    )
    analysis = analyze(current, disabled.incremental)
    openssl = disabled.incremental.get("openssl")
    assert (openssl.version, openssl.channel) == ("3.3.1", HARVESTED_URL)
    mix = rules(analysis)["channel-mix"]
    assert any("openssl" in f.names and str(f.severity) == "medium" for f in mix)


def test_unsatisfiable_request_exits_2_naming_the_specs(tmp_path, capsys):
    from conda_guard.cli import main

    prefix = build_prefix(tmp_path / "env", [["python=3.12", "numpy"]])
    code = main(
        ["diff", str(prefix), "--install", "python=3.11", "pandas=2.1", *VFLAGS]
    )
    err = capsys.readouterr().err
    assert code == 2
    first = err.splitlines()[0]
    assert first.startswith("conda-guard: error: ")
    assert first.endswith("conflicting specs 'pandas=2.1', 'python=3.11'")
    assert "Traceback" not in err


def test_cli_json_has_comparisons_and_command(tmp_path, capsys):
    from conda_guard.cli import main

    prefix = build_prefix(tmp_path / "env", [["python=3.12", "pandas=2.1"], ["numpy"]])
    code = main(["diff", str(prefix), "--update-all", "--json", *VFLAGS])
    out = json.loads(capsys.readouterr().out)
    assert code in (0, 1)
    labels = [c["label"] for c in out["comparisons"]]
    assert labels == ["batch vs current", "incremental vs batch"]
    assert out["commands"][0].startswith("conda create -n env --override-channels")
    assert "numpy-abi" in {f["rule"] for f in out["findings"]}


def test_pinned_file_holds_numpy_through_update_all(tmp_path):
    prefix = build_prefix(tmp_path / "env", [["python=3.12", "pandas=2.1"], ["numpy"]])
    (prefix / "conda-meta" / "pinned").write_text("numpy 1.26.*\n")
    current = read_state(str(prefix))
    proposal = propose(parse("--update-all"), current)
    assert full(proposal.incremental.get("numpy")) == "1.26.4 py312heda63a1_0"
    assert full(proposal.incremental.get("pandas")) == "2.2.2 py312h1d6d2e6_1"
    assert "pinned (conda-meta/pinned): numpy 1.26.*" in proposal.notes
    analysis = analyze(current, proposal.incremental)
    assert "numpy-abi" not in rules(analysis)


def test_policy_filters_the_comparisons(tmp_path):
    from conda_guard.policy import Policy

    prefix = build_prefix(tmp_path / "env", [["python=3.12", "pandas=2.1"], ["numpy"]])
    current = read_state(str(prefix))
    proposal = propose(
        parse("--update-all"), current, policy=Policy(ignore=frozenset({"numpy-abi"}))
    )
    for comparison in proposal.comparisons:
        assert "numpy-abi" not in {f.rule for f in comparison.analysis.findings}
    unfiltered = propose(parse("--update-all"), current)
    assert "numpy-abi" in {
        f.rule for c in unfiltered.comparisons for f in c.analysis.findings
    }
