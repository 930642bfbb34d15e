"""Benchmark of check_links on a prefix with 500 real shared objects.

50 packages × 10 shared objects (half C, half C++ built with the system
compilers), all linking ``libfoo.so.1`` and depending on ``libfoo``; the
transaction replaces libfoo 1.2 by 2.0 (which ships only ``libfoo.so.2``), so
every object is in scope and every package gets a ``soname`` finding. Cold runs
start from an empty cache directory; warm runs reuse it. Targets: ≤ 1 s cold,
≤ 100 ms warm.

Run with ``nox -s bench`` (or ``pytest tests/bench --benchmark-only -p no:xdist``).
"""

from __future__ import annotations

import json
import shutil

import pytest

from conda_guard.binaries import check_links

from ..binaries_helpers import (
    CXX_SRC,
    LIBAPP_C,
    build_world,
    compile_so,
    make_state,
    needs_cxx,
    record_of,
)

pytestmark = needs_cxx

PACKAGES = 50
PER_PACKAGE = 10


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench-binaries")
    world = build_world(root / "world", cxx=False)
    prefix, records = world.prefix(root / "env", "libfoo-1.2")
    libdir = world.objects["libfoo1"].parent
    objects = [
        compile_so(
            root / "o" / f"libc{i}.so",
            LIBAPP_C + f"int v{i};\n",
            libs=("foo",),
            libdirs=(libdir,),
        )
        for i in range(5)
    ] + [
        compile_so(
            root / "o" / f"libcxx{i}.so",
            CXX_SRC + f"int v{i};\n",
            cxx=True,
            libs=("foo",),
            libdirs=(libdir,),
        )
        for i in range(5)
    ]
    meta = prefix / "conda-meta"
    for p in range(PACKAGES):
        files = []
        for k in range(PER_PACKAGE):
            rel = f"lib/libpkg{p}_{k}.so"
            shutil.copy2(objects[k], prefix / rel)
            files.append(rel)
        files.append(f"share/pkg{p}/README")
        (prefix / "share" / f"pkg{p}").mkdir(parents=True)
        (prefix / files[-1]).write_text("readme\n")
        index = {
            "name": f"pkg{p}",
            "version": "1.0",
            "build": "h0_0",
            "build_number": 0,
            "depends": ["libfoo >=1.2,<2.0a0"],
            "subdir": "linux-64",
        }
        (meta / f"pkg{p}-1.0-h0_0.json").write_text(
            json.dumps(dict(index, files=files))
        )
        records[f"pkg{p}"] = record_of(index, files=files)
    incoming_record, incoming_dir = world.incoming("libfoo-2.0")
    before = make_state(*records.values(), prefix=prefix)
    after = make_state(
        *(r for n, r in records.items() if n != "libfoo"), incoming_record
    )
    return prefix, before, after, {"libfoo": incoming_dir}, root / "cache"


def _run(env):
    prefix, before, after, incoming, cache = env
    return check_links(before, after, prefix=prefix, incoming=incoming, cache_dir=cache)


def test_bench_check_links_cold(benchmark, env):
    cache = env[-1]

    def clear():
        shutil.rmtree(cache, ignore_errors=True)

    report = benchmark.pedantic(_run, args=(env,), setup=clear, rounds=5, iterations=1)
    assert report.stats["files_scanned"] == PACKAGES * PER_PACKAGE
    assert report.stats["files_read"] >= PACKAGES * PER_PACKAGE
    assert report.stats["cache_hits"] == 0
    assert len(report.findings) == PACKAGES
    assert {f.rule for f in report.findings} == {"soname"}


def test_bench_check_links_warm(benchmark, env):
    _run(env)  # fill the cache
    report = benchmark(_run, env)
    assert report.stats["files_scanned"] == PACKAGES * PER_PACKAGE
    assert report.stats["files_read"] == 0
    assert len(report.findings) == PACKAGES
