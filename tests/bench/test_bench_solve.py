"""Benchmark of the dry-run solve: incremental + batch + analysis vs one plain solve.

The environment is real solver output over the harvested conda-forge channel
(python 3.12 + numpy); the request is ``--install pandas scikit-learn``.
"plain" is what one dry-run ``install`` costs through the same worker (start
the worker, load the repodata, solve once); "guard" is the whole ``--batch``
proposal: the incremental and the batch solve on one gateway (repodata loaded
once, both solves concurrent), the comparisons and the drift findings, then
the main analysis. Both are measured in the same run, alternating, and the
ratio is stored in ``extra_info`` (target <= 1.3). A second benchmark times
the same inside one process (no worker start) for the solver-only ratio.

Run with ``nox -s bench`` (or ``pytest tests/bench --benchmark-only -p no:xdist``).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

import pytest

from conda_guard.analysis import analyze
from conda_guard.readers import read_state
from conda_guard.solve import SolveSetup, plan_solves, propose_plan, run_worker

from ..solve_helpers import (
    HARVESTED_URL,
    VIRTUAL,
    build_prefix,
    needs_data,
    needs_rattler,
)

pytestmark = [pytest.mark.solve, needs_rattler, needs_data]

REQUEST = ["pandas", "scikit-learn"]
TARGET = 1.3


@pytest.fixture(scope="module")
def current(tmp_path_factory):
    prefix = build_prefix(
        tmp_path_factory.mktemp("bench") / "env", [["python=3.12", "numpy"]]
    )
    return read_state(str(prefix))


def _plain_doc(current):
    plan = plan_solves(current, install=REQUEST)
    return {
        "backend": "rattler",
        "channels": [HARVESTED_URL],
        "platforms": ["linux-64", "noarch"],
        "virtual_packages": list(VIRTUAL),
        "jobs": [
            {
                "label": "incremental",
                "specs": list(plan.incremental_specs),
                "pinned": [
                    {
                        "name": r.name,
                        "version": r.version,
                        "build": r.build,
                        "subdir": r.subdir,
                    }
                    for r in plan.pinned
                ],
                "retry_unpinned": True,
            }
        ],
    }


def test_bench_incremental_batch_analysis_vs_plain(benchmark, current):
    plan = plan_solves(current, install=REQUEST)
    doc = _plain_doc(current)
    plain_times: list[float] = []

    def plain() -> None:
        t0 = time.perf_counter()
        outcome = run_worker(doc, timeout=60)
        plain_times.append(time.perf_counter() - t0)
        assert outcome.results["incremental"].ok

    def guard():
        setup = SolveSetup(
            channels=(HARVESTED_URL,), platform="linux-64", virtual_packages=VIRTUAL
        )
        proposal = propose_plan(current, plan, setup, batch=True)
        analysis = analyze(current, proposal.incremental, extra=proposal.findings)
        return proposal, analysis

    for _ in range(2):  # warm both paths (imports, page cache)
        plain()
        guard()
    plain_times.clear()
    proposal, analysis = benchmark.pedantic(guard, setup=plain, rounds=15, iterations=1)
    assert proposal.batch is not None
    assert [c.label for c in proposal.comparisons] == [
        "batch vs current",
        "incremental vs batch",
    ]
    assert proposal.incremental.get("scikit-learn").version == "1.7.0"
    if benchmark.disabled:  # --benchmark-disable: ran once, nothing to compare
        return
    plain_median = statistics.median(plain_times)
    guard_median = benchmark.stats.stats.median
    ratio = guard_median / plain_median
    benchmark.extra_info["plain_median_s"] = round(plain_median, 4)
    benchmark.extra_info["guard_median_s"] = round(guard_median, 4)
    benchmark.extra_info["ratio"] = round(ratio, 3)
    print(
        f"\nplain solve {plain_median * 1000:.1f} ms, incremental+batch+analysis"
        f" {guard_median * 1000:.1f} ms, ratio {ratio:.2f} (target <= {TARGET})"
    )
    assert ratio <= TARGET


_IN_PROCESS = r"""
import asyncio, json, os, statistics, sys, time
from conda_guard.adapters.rattler_solve import RattlerSolver
from conda_guard.solve.protocol import SolveRequest
request = SolveRequest.from_json(json.loads(sys.argv[1]))
jobs_plain = request.jobs[:1]
jobs_both = request.jobs
def run(jobs):
    t0 = time.perf_counter()
    solver = RattlerSolver(request.channels, request.platforms,
                           virtual_packages=request.virtual_packages)
    solver.solve_jobs(jobs, lambda result: None)
    return time.perf_counter() - t0
plain, both = [], []
for _ in range(3):
    run(jobs_plain); run(jobs_both)
for _ in range(15):
    plain.append(run(jobs_plain)); both.append(run(jobs_both))
print(json.dumps({"plain": statistics.median(plain), "both": statistics.median(both)}))
sys.stdout.flush()
os._exit(0)
"""


def test_bench_solver_only_in_process(benchmark, current):
    """Fresh gateway + one solve vs fresh gateway + incremental + batch."""
    plan = plan_solves(current, install=REQUEST)
    doc = _plain_doc(current)
    doc["jobs"].append({"label": "batch", "specs": list(plan.batch_specs)})

    def run():
        out = subprocess.run(
            [sys.executable, "-c", _IN_PROCESS, json.dumps(doc)],
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    result = benchmark.pedantic(run, rounds=1, iterations=1)
    ratio = result["both"] / result["plain"]
    benchmark.extra_info.update(
        plain_s=round(result["plain"], 4),
        incremental_and_batch_s=round(result["both"], 4),
        ratio=round(ratio, 3),
    )
    print(
        f"\nin-process: plain {result['plain'] * 1000:.1f} ms, incremental+batch"
        f" {result['both'] * 1000:.1f} ms, ratio {ratio:.2f}"
    )
    assert result["plain"] > 0
