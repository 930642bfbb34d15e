"""Benchmark of ``check`` with its file proof on a 1,000-package prefix, cold and warm.

1,000 packages, each a shared library and an executable (real ELF objects
compiled with ``cc``: five variants copied under each package's own names,
linking ``libfoo.so.1`` and the C library), every tenth also a Python
extension module (built against the numpy 1.26 or 2.x headers, or without
NumPy; tests/numpy_capi_helpers.py) depending on ``numpy``, plus numpy 2.2.6
and python 3.11: 2,100 binaries. One package links a library nothing
provides and the numpy 1.x modules sit under numpy 2, so the findings are
real. Cold runs start from an empty cache directory; warm runs reuse it.

Baseline in the same run, alternating: reading the same files (every
candidate binary's bytes and every ``conda-meta`` record, ``json.load``).
``extra_info`` holds both medians, the ratio and the cache file's size.

Run with ``nox -s bench`` (or ``pytest tests/bench/test_bench_check.py
--benchmark-only -p no:xdist -s``).
"""

from __future__ import annotations

import json
import shutil
import statistics
import time

import pytest

from conda_guard.binaries.scan import is_candidate
from conda_guard.checkup import check_environment

from ..binaries_helpers import APP_C, LIBAPP_C, LIBFOO_C, compile_so, needs_cc
from ..numpy_capi_helpers import EXT_SUFFIX, build_all, shared_dir

pytestmark = needs_cc

PACKAGES = 1000
SITE = "lib/python3.11/site-packages"
MAIN_C = (
    "extern int app_foo(void);\nint main(void) { return app_foo() == 2 ? 0 : 1; }\n"
)


def _record(meta, name, version, build, files, depends=()):
    data = {
        "name": name,
        "version": version,
        "build": build,
        "build_number": 0,
        "channel": "https://conda.anaconda.org/conda-forge",
        "subdir": "linux-64",
        "depends": list(depends),
        "files": files,
    }
    (meta / f"{name}-{version}-{build}.json").write_text(json.dumps(data))


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    modules = build_all(shared_dir(tmp_path_factory))
    root = tmp_path_factory.mktemp("bench-check")
    objs = root / "o"
    libfoo = compile_so(
        objs / "libfoo.so.1", LIBFOO_C, soname="libfoo.so.1", rpath=None
    )
    (objs / "libfoo.so").symlink_to("libfoo.so.1")
    libs = [
        compile_so(
            objs / f"libv{i}.so",
            LIBAPP_C + f"int v{i}(void) {{ return {i}; }}\n",
            libs=("foo",),
            libdirs=(objs,),
        )
        for i in range(5)
    ]
    exe = compile_so(
        objs / "main", APP_C, executable=True, libs=("foo",), libdirs=(objs,)
    )
    compile_so(objs / "libmissing.so", LIBFOO_C, soname="libmissing.so.1", rpath=None)
    prefix = root / "env"
    meta = prefix / "conda-meta"
    meta.mkdir(parents=True)
    (prefix / "lib").mkdir()
    (prefix / "bin").mkdir()
    shutil.copy2(libfoo, prefix / "lib" / "libfoo.so.1")
    _record(meta, "libfoo", "1.2", "h0_0", ["lib/libfoo.so.1"])
    _record(meta, "python", "3.11.9", "h0_0", ["bin/python3.11"])
    (prefix / "bin" / "python3.11").write_text("#!/bin/sh\n")
    _record(meta, "numpy", "2.2.6", "py311h0_0", [f"{SITE}/numpy/__init__.py"])
    (prefix / SITE / "numpy").mkdir(parents=True)
    (prefix / SITE / "numpy" / "__init__.py").write_text("")
    kinds = ("capi1", "capi2", "plain")
    for p in range(PACKAGES):
        files = [f"lib/libpkg{p}.so", f"bin/pkg{p}", f"share/pkg{p}/README"]
        shutil.copy2(libs[p % 5], prefix / files[0])
        shutil.copy2(exe, prefix / files[1])
        (prefix / "share" / f"pkg{p}").mkdir(parents=True)
        (prefix / files[2]).write_text("readme\n")
        depends = ["libfoo >=1.2,<2.0a0"]
        if p % 10 == 0:
            ext = f"{SITE}/pkg{p}/_core{EXT_SUFFIX}"
            (prefix / ext).parent.mkdir(parents=True)
            shutil.copy2(modules[kinds[(p // 10) % 3]], prefix / ext)
            files.append(ext)
            depends.append("numpy")
        if p == 7:  # one library linking what nothing provides
            broken = compile_so(
                objs / "libbroken.so",
                LIBAPP_C.replace("app_foo", "brk_foo"),
                libs=("missing",),
                libdirs=(objs,),
            )
            shutil.copy2(broken, prefix / "lib" / "libbroken.so")
            files.append("lib/libbroken.so")
        _record(meta, f"pkg{p}", "1.0", "h0_0", files, depends)
    return prefix, root


def _floor(prefix) -> int:
    """Read what check reads: every record, every candidate binary's bytes."""
    total = 0
    for path in sorted((prefix / "conda-meta").glob("*.json")):
        with open(path, "rb") as stream:
            record = json.load(stream)
        for rel in record["files"]:
            if is_candidate(rel):
                with open(prefix / rel, "rb") as stream:
                    total += len(stream.read())
    return total


def _check(prefix, cache):
    return check_environment(str(prefix), cache_dir=cache)


def _expected(analysis) -> None:
    rules = sorted((f.rule, str(f.severity)) for f in analysis.findings)
    assert ("soname", "high") in rules
    assert ("numpy-abi", "high") in rules
    broken = [f for f in analysis.findings if f.rule == "soname"]
    message = (
        "pkg7 1.0 links libmissing.so.1, which nothing in the prefix or on this "
        "system provides"
    )
    assert [f.message for f in broken] == [message]


def _compare(benchmark, floor_times, label, cache) -> None:
    if benchmark.disabled:
        return
    floor = statistics.median(floor_times)
    median = benchmark.stats.stats.median
    sizes = sum(p.stat().st_size for p in cache.rglob("*.json"))
    benchmark.extra_info.update(
        {
            f"{label}_s": round(median, 3),
            "read_same_files_s": round(floor, 3),
            "ratio": round(median / floor, 2),
            "cache_bytes": sizes,
        }
    )
    print(
        f"\ncheck {label}: {median:.3f} s; reading the same files: {floor:.3f} s; "
        f"ratio {median / floor:.1f}; cache {sizes / 1024:.0f} KiB"
    )


def test_bench_check_cold(benchmark, env):
    prefix, root = env
    cache = root / "cache-cold"
    floor_times: list[float] = []

    def setup():
        shutil.rmtree(cache, ignore_errors=True)
        t0 = time.perf_counter()
        _floor(prefix)
        floor_times.append(time.perf_counter() - t0)

    analysis = benchmark.pedantic(
        _check, args=(prefix, cache), setup=setup, rounds=3, iterations=1
    )
    _expected(analysis)
    _compare(benchmark, floor_times, "cold", cache)


def test_bench_check_warm(benchmark, env):
    prefix, root = env
    cache = root / "cache-warm"
    _check(prefix, cache)  # fill the cache
    floor_times: list[float] = []

    def setup():
        t0 = time.perf_counter()
        _floor(prefix)
        floor_times.append(time.perf_counter() - t0)

    analysis = benchmark.pedantic(
        _check, args=(prefix, cache), setup=setup, rounds=5, iterations=1
    )
    _expected(analysis)
    _compare(benchmark, floor_times, "warm", cache)
