"""Benchmark of the all-environments mode on a real 2.7 MB pixi.lock: every
environment and platform of scipy's lock file (134 pairs in both files) in one
run, against one environment of the same two files as the baseline, in the
same run, alternating. The target is a ratio of at most 2 (each file is parsed
once either way; the difference is building and analysing 134 pairs instead
of one). Both go through the command as a user runs it (text report).

Run with ``nox -s bench`` (or ``pytest tests/bench --benchmark-only -p no:xdist``).
"""

from __future__ import annotations

import contextlib
import io
import statistics
import time

import pytest

from conda_guard.cli import main

from ..lockfiles import SCIPY_AFTER, SCIPY_BEFORE, unpack

TARGET = 2.0


@pytest.fixture(scope="module")
def scipy(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scipy")
    before = unpack(SCIPY_BEFORE, tmp / "a", "pixi.lock")
    after = unpack(SCIPY_AFTER, tmp / "b", "pixi.lock")
    assert after.stat().st_size > 2_600_000
    return str(before), str(after)


def _run(*argv: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(list(argv)) == 0
    return out.getvalue()


def test_bench_all_environments_vs_one(benchmark, scipy):
    one_times: list[float] = []

    def one() -> None:
        t0 = time.perf_counter()
        _run("diff", *scipy, "-e", "test", "--platform", "linux-64")
        one_times.append(time.perf_counter() - t0)

    def every() -> str:
        return _run("diff", *scipy, "--all-environments")

    one()  # warm up (imports, ABI table, page cache)
    one_times.clear()
    text = benchmark.pedantic(every, setup=one, rounds=3, iterations=1)
    assert "134 environment/platform pairs" in text
    if benchmark.disabled:  # --benchmark-disable: ran once, nothing to compare
        return
    one_median = statistics.median(one_times)
    all_median = benchmark.stats.stats.median
    ratio = all_median / one_median
    benchmark.extra_info["one_environment_s"] = round(one_median, 3)
    benchmark.extra_info["all_environments_s"] = round(all_median, 3)
    benchmark.extra_info["ratio"] = round(ratio, 3)
    print(
        f"\none environment {one_median:.2f} s, all 134 pairs {all_median:.2f} s, "
        f"ratio {ratio:.2f} (target <= {TARGET})"
    )
    assert ratio <= TARGET
