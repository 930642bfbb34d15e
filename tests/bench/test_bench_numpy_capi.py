"""Benchmark of the NumPy C-API scan: 300 extension modules, cold and warm.

A prefix with 100 packages × 3 real extension modules (built against NumPy
1.26 headers, 2.x headers, and without NumPy; see tests/numpy_capi_helpers.py),
each padded to 512 KiB with random bytes so the scan reads as much as a
mid-sized real module. Cold runs start from an empty cache directory; warm
runs reuse it. Baseline in the same run: reading the same bytes.

Run with ``nox -s bench`` (or ``pytest tests/bench --benchmark-only -p no:xdist``).
"""

from __future__ import annotations

import json
import os
import random
import shutil

import pytest

from conda_guard.binaries.file_facts import DiskFileFacts
from conda_guard.facts import NumpyApi
from conda_guard.models import Record

from ..numpy_capi_helpers import EXT_SUFFIX, build_all, shared_dir

pytestmark = pytest.mark.cc

PACKAGES = 100
KINDS = ("capi1", "capi2", "plain")
SIZE = 512 * 1024
SITE = "lib/python3.11/site-packages"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    modules = build_all(shared_dir(tmp_path_factory))
    root = tmp_path_factory.mktemp("bench-capi")
    prefix = root / "env"
    (prefix / "conda-meta").mkdir(parents=True)
    noise = random.Random(0).randbytes(SIZE)
    records, paths = [], []
    for p in range(PACKAGES):
        files = []
        for kind in KINDS:
            rel = f"{SITE}/pkg{p}/_{kind}{EXT_SUFFIX}"
            data = modules[kind].read_bytes()
            (prefix / rel).parent.mkdir(parents=True, exist_ok=True)
            (prefix / rel).write_bytes(data + noise[: max(0, SIZE - len(data))])
            files.append(rel)
            paths.append(prefix / rel)
        meta = {"name": f"pkg{p}", "version": "1.0", "build": "py311h0_0"}
        (prefix / "conda-meta" / f"pkg{p}-1.0-py311h0_0.json").write_text(
            json.dumps(dict(meta, files=files))
        )
        records.append(Record(**meta, channel="local"))
    return prefix, records, paths, root / "cache"


def _scan(env) -> dict[NumpyApi, int]:
    prefix, records, _, cache = env
    counts = dict.fromkeys(NumpyApi, 0)
    with DiskFileFacts(prefix, cache_dir=cache) as facts:
        for record in records:
            for ext in facts.numpy_api(record, "before"):
                counts[ext.api] += 1
    return counts


EXPECTED = {NumpyApi.V1: PACKAGES, NumpyApi.V2: PACKAGES, NumpyApi.NONE: PACKAGES}


def test_bench_capi_baseline_read_the_same_bytes(benchmark, env):
    paths = env[2]

    def read_all() -> int:
        total = 0
        for path in paths:
            with open(path, "rb") as stream:
                while chunk := stream.read(1 << 20):
                    total += len(chunk)
        return total

    assert benchmark(read_all) == sum(os.path.getsize(p) for p in paths)


def test_bench_capi_cold(benchmark, env):
    cache = env[-1]

    def clear():
        shutil.rmtree(cache, ignore_errors=True)

    counts = benchmark.pedantic(_scan, args=(env,), setup=clear, rounds=5)
    assert counts == EXPECTED


def test_bench_capi_warm(benchmark, env):
    _scan(env)  # fill the cache
    prefix, records, _, cache = env
    facts = DiskFileFacts(prefix, cache_dir=cache)
    facts.numpy_api(records[0], "before")
    assert facts.files_read == 0
    assert benchmark(_scan, env) == EXPECTED
