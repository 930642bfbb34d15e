"""Benchmarks at scale, end to end (a subprocess each: process start included).

1. ``conda-guard diff A B --json`` of two 1,000-package prefixes (conda-meta
   records made of real harvested conda-forge records: the oldest and the
   newest build of the first 1,000 names) against its floor, a bare
   ``json.load`` of the same 2,000 files in a fresh interpreter. Both are
   measured alternating in the same run; the ratio goes to ``extra_info``
   (goal <= 3).
2. A big ``conda-meta/history`` (200 MB by default, CONDA_GUARD_BENCH_HISTORY_MB
   to change it), made of the real chemtools history repeated, beside that
   prefix's real records: ``check``, ``diff P@1 P`` and ``history --summary``,
   each with its peak RSS and CPU time in ``extra_info`` (goal <= 300 MB and
   <= 10 s), against a floor that reads the file's lines in a fresh
   interpreter.

These only run with benchmarks on: ``nox -s bench`` or
``pytest tests/bench/test_bench_scale.py --benchmark-only -p no:xdist -s``.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

from ..helpers import DATA, HARVESTED, ROOT, needs_data

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = needs_data
CHEMTOOLS = DATA / "prefixes" / "chemtools-win64-mkl-openssl-downgrade"
HISTORY_MB = float(os.environ.get("CONDA_GUARD_BENCH_HISTORY_MB", "200"))
FLOOR = (
    "import json, sys, glob\n"
    "for d in sys.argv[1:]:\n"
    "    for f in glob.glob(d + '/conda-meta/*.json'):\n"
    "        with open(f, 'rb') as fh:\n"
    "            json.load(fh)\n"
)
LINES_FLOOR = "import sys\nfor line in open(sys.argv[1], 'rb'):\n    pass\n"


def _skip_unless_enabled(benchmark) -> None:
    if benchmark.disabled:
        pytest.skip("end-to-end scale benchmark: runs with --benchmark-only")


def _run(argv: list[str]) -> dict[str, float]:
    """Run ``argv``; its exit status, wall time, CPU time and peak RSS (MB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stderr is not None
    with proc.stderr:
        err = proc.stderr.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)  # its own rusage: peak RSS, CPU
    wall = time.perf_counter() - start
    code = proc.returncode = os.waitstatus_to_exitcode(status)
    assert code in (0, 1), err
    return {
        "exit": code,
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "rss_mb": usage.ru_maxrss / 1024,
    }


def _guard(*args: str) -> list[str]:
    return [sys.executable, "-m", "conda_guard", *args]


# --- 1. two 1,000-package prefixes ----------------------------------------------


@pytest.fixture(scope="module")
def two_prefixes(tmp_path_factory) -> tuple[Path, Path]:
    by_name: dict[str, list[dict]] = {}
    for sub in sorted(p for p in HARVESTED.iterdir() if p.is_dir()):
        data = json.loads((sub / "repodata.json").read_text(encoding="utf-8"))
        for key in ("packages", "packages.conda"):
            for fn, rec in data.get(key, {}).items():
                rec = dict(rec, fn=fn, subdir=rec.get("subdir") or sub.name)
                by_name.setdefault(rec["name"], []).append(rec)
    names = sorted(by_name)[:1000]
    root = tmp_path_factory.mktemp("bench-e2e")
    for side, index in (("before", 0), ("after", -1)):
        meta = root / side / "conda-meta"
        meta.mkdir(parents=True)
        for name in names:
            rec = dict(
                sorted(by_name[name], key=lambda r: (r["version"], r["build"]))[index]
            )
            channel = f"https://conda.anaconda.org/conda-forge/{rec['subdir']}"
            rec.update(url=f"{channel}/{rec['fn']}", channel=channel, files=[])
            path = meta / f"{rec['name']}-{rec['version']}-{rec['build']}.json"
            path.write_text(json.dumps(rec), encoding="utf-8")
    return root / "before", root / "after"


def test_bench_diff_1000_json_vs_json_load(benchmark, two_prefixes):
    _skip_unless_enabled(benchmark)
    before, after = two_prefixes
    floor_argv = [sys.executable, "-c", FLOOR, str(before), str(after)]
    guard_argv = _guard("diff", str(before), str(after), "--json")
    floors: list[float] = []

    def floor() -> None:
        floors.append(_run(floor_argv)["wall_s"])

    for _ in range(2):  # warm the page cache and both paths
        floor()
        _run(guard_argv)
    floors.clear()
    result = benchmark.pedantic(
        lambda: _run(guard_argv), setup=floor, rounds=9, iterations=1
    )
    assert result["exit"] == 1  # the 1,000 moves have high findings
    floor_median = statistics.median(floors)
    ratio = benchmark.stats.stats.median / floor_median
    benchmark.extra_info.update(
        floor_median_s=round(floor_median, 4),
        guard_median_s=round(benchmark.stats.stats.median, 4),
        ratio=round(ratio, 2),
    )
    print(
        f"\njson.load floor {floor_median * 1000:.0f} ms, diff --json "
        f"{benchmark.stats.stats.median * 1000:.0f} ms: {ratio:.2f}x (goal <= 3)"
    )


# --- 2. a big conda-meta/history ------------------------------------------------


@pytest.fixture(scope="module")
def big_history(tmp_path_factory) -> Path:
    """chemtools' real records, and its real history repeated to HISTORY_MB."""
    prefix = tmp_path_factory.mktemp("bench-history") / "env"
    meta = prefix / "conda-meta"
    meta.mkdir(parents=True)
    for src in (CHEMTOOLS / "conda-meta").glob("*.json"):
        shutil.copy(src, meta)
    text = (CHEMTOOLS / "conda-meta" / "history").read_bytes()
    copies = max(1, int(HISTORY_MB * 1e6 // len(text)))
    with open(meta / "history", "wb") as fh:
        for _ in range(copies):
            fh.write(text)
    return prefix


def _history_case(benchmark, big_history: Path, argv: list[str]) -> None:
    _skip_unless_enabled(benchmark)
    history = big_history / "conda-meta" / "history"
    floor = _run([sys.executable, "-c", LINES_FLOOR, str(history)])
    result = benchmark.pedantic(lambda: _run(argv), rounds=1, iterations=1)
    size_mb = history.stat().st_size / 1e6
    benchmark.extra_info.update(
        history_mb=round(size_mb),
        rss_mb=round(result["rss_mb"]),
        cpu_s=round(result["cpu_s"], 2),
        wall_s=round(result["wall_s"], 2),
        lines_floor_cpu_s=round(floor["cpu_s"], 2),
    )
    print(
        f"\n{' '.join(argv[3:])[:60]}: {size_mb:.0f} MB history, peak RSS "
        f"{result['rss_mb']:.0f} MB, CPU {result['cpu_s']:.1f} s "
        f"(reading its lines: {floor['cpu_s']:.1f} s)"
    )


def test_bench_big_history_check(benchmark, big_history):
    _history_case(benchmark, big_history, _guard("check", str(big_history)))


def test_bench_big_history_diff_revision_1(benchmark, big_history):
    argv = _guard("diff", f"{big_history}@1", str(big_history))
    _history_case(benchmark, big_history, argv)


def test_bench_big_history_summary(benchmark, big_history):
    argv = _guard("history", str(big_history), "--summary")
    _history_case(benchmark, big_history, argv)
