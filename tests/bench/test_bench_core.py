"""Benchmarks of the core: diff + all rules on a 1,000-package pair of states
built from real harvested conda-forge records, against the bare diff as a
baseline in the same run; and the import time of the core.

Run with ``nox -s bench`` (or ``pytest tests/bench --benchmark-only -p no:xdist``).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from conda_guard.abi import load_table
from conda_guard.analysis import analyze
from conda_guard.diff import compare_versions, diff_states
from conda_guard.models import State

from ..helpers import all_records, needs_data

pytestmark = needs_data


@pytest.fixture(scope="module")
def pair() -> tuple[State, State]:
    """1,000 names; after takes another real build of every name that has one."""
    by_name: dict[str, list] = {}
    for rec in all_records():
        by_name.setdefault(rec.name, []).append(rec)
    names = sorted(by_name)[:1000]
    before, after = {}, {}
    for name in names:
        recs = sorted(by_name[name], key=lambda r: (r.version, r.build))
        before[name] = recs[0]
        after[name] = recs[-1]
    b = State(records=before, source="bench-before", kind="bench")
    a = State(
        records=after,
        source="bench-after",
        kind="bench",
        explicit={n: n for n in names[::50]},
    )
    return b, a


def test_pair_is_realistic(pair):
    before, after = pair
    assert len(before) == len(after) == 1000
    changes = diff_states(before, after, load_table())
    assert len(changes) > 300  # a third or more of the names move
    assert (
        sum(compare_versions(c.after.version, c.before.version) < 0 for c in changes)
        >= 0
    )


def test_bench_diff_only(benchmark, pair):
    before, after = pair
    table = load_table()
    result = benchmark(diff_states, before, after, table)
    assert result


def test_bench_diff_and_rules(benchmark, pair):
    before, after = pair
    table = load_table()
    result = benchmark(analyze, before, after, table=table)
    assert result.findings


def _fresh_table():
    """A new ABI table (empty variant cache), as the first analysis of a run
    sees it; the parse caches are cleared too."""
    from conda_guard import abi, matchspec, version
    from conda_guard.rules import base

    for cached in (base.parse_spec, matchspec._parse_cached, version.parse_version):
        cached.cache_clear()
    return (
        abi.AbiTable(abi._read("abi_pins.json"), abi._read("abi_families.json")),
    ), {}


def test_bench_diff_only_cold(benchmark, pair):
    before, after = pair
    result = benchmark.pedantic(
        lambda table: diff_states(before, after, table),
        setup=_fresh_table,
        rounds=8,
        iterations=1,
    )
    assert result


def test_bench_diff_and_rules_cold(benchmark, pair):
    before, after = pair
    result = benchmark.pedantic(
        lambda table: analyze(before, after, table=table),
        setup=_fresh_table,
        rounds=8,
        iterations=1,
    )
    assert result.findings


def test_bench_import_core(benchmark):
    code = (
        "import conda_guard.analysis, conda_guard.readers, conda_guard.report, "
        "conda_guard.cli"
    )

    def run() -> None:
        subprocess.run([sys.executable, "-c", code], check=True)

    def baseline() -> None:
        subprocess.run([sys.executable, "-c", "pass"], check=True)

    benchmark.pedantic(run, rounds=5, iterations=1)
    import time

    t0 = time.perf_counter()
    for _ in range(5):
        baseline()
    base = (time.perf_counter() - t0) / 5
    benchmark.extra_info["interpreter_start_s"] = round(base, 4)
