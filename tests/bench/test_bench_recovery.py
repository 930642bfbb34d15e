"""Benchmark: what taking a generation adds to a guarded conda transaction.

The environment is a real solve over the harvested conda-forge channel
(``python=3.12 pandas scikit-learn matplotlib-base sympy jupyterlab``, 186
packages), turned into a local channel of real records with empty payloads
(tests/conda_channel.py writes them, conda-index indexes them) and created
with conda. The transaction is ``conda install -p ENV <one more package>``
(undone, untimed, after each round), run as a user runs it, in three
settings alternating: generations off; on with an empty store (every archive
hard-linked: the first generation of an environment, the worst case); on with
a warm store (only the new package is linked: every later generation).
Medians and ratios against "off" go to ``extra_info`` (goal: <= 1.10). The
payloads are empty, so the transactions are faster than real ones and the
ratios overstate the cost.

It also records the store's disk use with hard links and with copies (a store
on another file system with ``guard_snapshot_copy``).

Run with ``pytest tests/bench/test_bench_recovery.py --benchmark-only -p
no:xdist -m conda -s`` where conda is (see docs/dev/conda-from-source.md).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("conda", reason="conda runs the transactions")

from conda_guard.recovery.capture import capture
from conda_guard.recovery.fsutil import human_bytes
from conda_guard.recovery.store import Store

from ..conda_channel import _write_package
from ..solve_helpers import needs_data, needs_rattler, solve

pytestmark = [pytest.mark.conda, needs_data, needs_rattler]

SPECS = [
    "python=3.12",
    "pandas",
    "scikit-learn",
    "matplotlib-base",
    "sympy",
    "jupyterlab",
]
EXTRA = "filelock"
ROUNDS = 4
GOAL = 1.10


def _conda(env: dict[str, str], *argv: object) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "conda", *map(str, argv)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    elapsed = time.perf_counter() - t0
    if proc.returncode:
        raise AssertionError(
            f"conda {argv}: {proc.stdout[-2000:]}{proc.stderr[-2000:]}"
        )
    return elapsed


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    pytest.importorskip("conda_index", reason="conda-index indexes the channel")
    root = tmp_path_factory.mktemp("bench-recovery")
    results = solve(
        [
            {"label": "env", "specs": SPECS},
            {"label": "more", "specs": [*SPECS, EXTRA]},
        ]
    )
    env_records = results["env"]["records"]
    records = {r["fn"]: r for r in env_records + results["more"]["records"]}
    channel = root / "channel"
    for sub in ("linux-64", "noarch"):
        (channel / sub).mkdir(parents=True)
    for fn, rec in records.items():
        _write_package(rec, fn, channel / rec["subdir"])
    subprocess.run(
        [sys.executable, "-m", "conda_index", str(channel)],
        check=True,
        capture_output=True,
    )
    condarc = root / "condarc"
    condarc.write_text(
        "offline: true\nsolver: classic\nadd_pip_as_python_dependency: false\n"
        f"channels:\n  - {channel.as_uri()}\n"
        f"pkgs_dirs:\n  - {root / 'pkgs'}\nplugins:\n  guard_batch: never\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONDA")}
    env.update(CONDARC=str(condarc), CONDA_NUMBER_CHANNEL_NOTICES="0")
    explicit = root / "explicit.txt"
    explicit.write_text(
        "@EXPLICIT\n"
        + "".join(f"{channel.as_uri()}/{r['subdir']}/{r['fn']}\n" for r in env_records)
    )
    prefix = root / "env"
    _conda(env, "create", "-y", "-p", prefix, "--file", explicit)
    return root, prefix, env, len(env_records)


def test_bench_generation_cost_of_a_transaction(benchmark, big):
    root, prefix, env, count = big
    assert count >= 100
    times: dict[str, list[float]] = {"off": [], "fresh": [], "warm": []}
    warm_store = root / "warm-store"

    def settings(mode: str) -> dict[str, str]:
        store = warm_store if mode == "warm" else root / f"store-{time.time_ns()}"
        return {
            **env,
            "CONDA_PLUGINS_GUARD_SNAPSHOT": "false" if mode == "off" else "true",
            "CONDA_PLUGINS_GUARD_SNAPSHOT_DIR": str(store),
        }

    undo = {**env, "CONDA_PLUGINS_GUARD_SNAPSHOT": "false"}
    _conda(settings("warm"), "install", "-y", "-p", prefix, EXTRA)  # fills the store
    _conda(undo, "remove", "-y", "-p", prefix, EXTRA)

    def one(mode: str) -> None:
        times[mode].append(_conda(settings(mode), "install", "-y", "-p", prefix, EXTRA))
        _conda(undo, "remove", "-y", "-p", prefix, EXTRA)

    def round_() -> None:
        for mode in ("off", "fresh", "warm"):
            one(mode)

    benchmark.pedantic(round_, rounds=ROUNDS, iterations=1)
    med = {k: statistics.median(v) for k, v in times.items()}
    ratio_fresh, ratio_warm = med["fresh"] / med["off"], med["warm"] / med["off"]
    benchmark.extra_info.update(
        packages=count,
        off_s=round(med["off"], 3),
        fresh_store_s=round(med["fresh"], 3),
        warm_store_s=round(med["warm"], 3),
        ratio_fresh=round(ratio_fresh, 3),
        ratio_warm=round(ratio_warm, 3),
    )
    print(
        f"\nconda install in a {count}-package environment: generations off "
        f"{med['off']:.2f} s, on (empty store) {med['fresh']:.2f} s "
        f"(x{ratio_fresh:.3f}), on (warm store) {med['warm']:.2f} s "
        f"(x{ratio_warm:.3f}); goal <= x{GOAL}"
    )
    assert Store.for_prefix(prefix, warm_store).numbers()


def test_bench_capture_alone_and_disk_use(benchmark, big):
    root, prefix, _env, count = big
    pkgs = [root / "pkgs"]

    def fresh_capture() -> float:
        store = Store.for_prefix(prefix, root / f"cap-{time.time_ns()}")
        t0 = time.perf_counter()
        capture(prefix, store, pkgs_dirs=pkgs)
        return time.perf_counter() - t0

    benchmark.pedantic(fresh_capture, rounds=5, iterations=1)
    linked = Store.for_prefix(prefix, root / "usage-linked")
    capture(prefix, linked, pkgs_dirs=pkgs)
    usage = {"hardlink": linked.usage()}
    shm = Path("/dev/shm")
    copied_root = shm / f"cg-bench-{os.getpid()}"
    if shm.is_dir() and shm.stat().st_dev != root.stat().st_dev:
        try:
            copied = Store.for_prefix(prefix, copied_root)
            capture(prefix, copied, pkgs_dirs=pkgs, allow_copy=True)
            usage["copy"] = copied.usage()
        finally:
            shutil.rmtree(copied_root, ignore_errors=True)
    for how, u in usage.items():
        benchmark.extra_info[f"{how}_apparent_bytes"] = u.apparent
        benchmark.extra_info[f"{how}_only_in_store_bytes"] = u.only_here
        print(
            f"\nstore with {how}s: {u.files} archives, {human_bytes(u.apparent)} "
            f"apparent, {human_bytes(u.only_here)} only in the store"
        )
    assert usage["hardlink"].only_here == 0
    assert usage["hardlink"].files == count
