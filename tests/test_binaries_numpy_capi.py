"""The NumPy C-API scanner on real extension modules, and FileFacts from disk.

The ``cc`` tests build tiny extensions against the headers of NumPy 1.26 and
2.x, one without NumPy and two through pybind11 (3.x and 2.11), check that
the scanner tells them apart, and run them under both NumPy versions to show
that the classification is the real break (see tests/numpy_capi_helpers.py).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conda_guard.binaries import numpy_capi
from conda_guard.binaries.file_facts import DiskFileFacts, package_files
from conda_guard.binaries.numpy_capi import (
    classify_bytes,
    classify_file,
    fails_at_import,
    is_extension_module,
    is_shared_object,
)
from conda_guard.binaries.scan import Scanner
from conda_guard.facts import ExtensionApi, NumpyApi
from conda_guard.models import Record

from .binaries_helpers import extract, install, make_package, record_of
from .numpy_capi_helpers import (
    EXT_SUFFIX,
    NUMPY1,
    NUMPY2,
    build_all,
    build_generated,
    fetch_wheel,
    run_with_numpy,
    shared_dir,
)

SITE = "lib/python3.11/site-packages"
V1_DETAIL = (
    "names numpy.core._multiarray_umath but not numpy._core._multiarray_umath, and "
    "_ARRAY_API: import_array of the NumPy 1.x headers (1.16-1.26)"
)
NONE_DETAIL = (
    "names neither numpy._core._multiarray_umath nor numpy.core._multiarray_umath "
    "with a C-API capsule: no NumPy C-API through import_array"
)
PYBIND_NEW_DETAIL = (
    "NumPy support of pybind11 >= 2.12: picks numpy.core or numpy._core at run "
    "time, works with NumPy 1.x and 2.x"
)
PYBIND_OLD_DETAIL = (
    "names numpy.core.multiarray and _ARRAY_API: NumPy support of pybind11 < 2.12, "
    "which reads NumPy 1.x struct layouts (under NumPy 2 it imports but misreads "
    "dtype sizes)"
)


@pytest.fixture(scope="session")
def cache(tmp_path_factory):
    return shared_dir(tmp_path_factory)


@pytest.fixture(scope="session")
def modules(cache):
    return build_all(cache)


# --- the scanner on real modules -------------------------------------------


@pytest.mark.cc
def test_scanner_tells_the_real_builds_apart(modules):
    got = {name: classify_file(path) for name, path in modules.items()}
    assert got["capi1"] == (NumpyApi.V1, V1_DETAIL)
    assert got["capi2"].api is NumpyApi.V2
    assert got["capi2"].detail.startswith(
        "names numpy._core._multiarray_umath and _ARRAY_API: import_array of the "
        "NumPy 2.x headers; targets NumPy >= 1."
    )
    assert got["plain"] == (NumpyApi.NONE, NONE_DETAIL)
    assert got["pybind3"] == (NumpyApi.NONE, PYBIND_NEW_DETAIL)
    assert got["pybind211"] == (NumpyApi.V1, PYBIND_OLD_DETAIL)
    assert fails_at_import(got["capi1"].detail)
    assert fails_at_import(got["capi2"].detail)
    assert not fails_at_import(got["pybind211"].detail)


@pytest.mark.cc
def test_pybind11_leaves_pieces_not_the_module_name(modules):
    """What pybind11 >= 2.12 leaves could be mistaken for C-API use: it is not."""
    data = modules["pybind3"].read_bytes()
    assert b"_ARRAY_API" in data and b"numpy._core\x00" in data
    assert b"numpy.core\x00" in data and b"multiarray\x00" in data
    assert b"_multiarray_umath" not in data
    assert b"numpy.core.multiarray" in modules["pybind211"].read_bytes()


@pytest.mark.cc
def test_old_pybind11_beside_numpy_2_headers_is_still_1x(modules):
    """A module built with NumPy 2 headers and a vendored pybind11 < 2.12."""
    both = modules["capi2"].read_bytes() + modules["pybind211"].read_bytes()
    got = classify_bytes(both)
    assert got.api is NumpyApi.V1
    assert got.detail == (
        "names numpy._core._multiarray_umath (NumPy 2.x headers) but also "
        "numpy.core.multiarray and _ARRAY_API: NumPy support of pybind11 < 2.12, "
        "which reads NumPy 1.x struct layouts (under NumPy 2 it imports but "
        "misreads dtype sizes)"
    )
    assert not fails_at_import(got.detail)
    new = modules["capi2"].read_bytes() + modules["pybind3"].read_bytes()
    assert classify_bytes(new).api is NumpyApi.V2
    assert b"numpy.core.multiarray" not in modules["capi2"].read_bytes()


@pytest.mark.cc
def test_numpy_2_refuses_the_1x_build_and_runs_the_2x_build(cache, modules):
    """The classification is the real break: run each module under each NumPy."""
    numpy1, numpy2 = fetch_wheel(cache, NUMPY1), fetch_wheel(cache, NUMPY2)
    probe = "import {0}, numpy; print(numpy.__version__, list({0}.zeros(2)))"
    old = run_with_numpy(numpy2, modules["capi1"], probe.format("capi1"))
    assert old.returncode != 0
    assert "A module that was compiled using NumPy 1.x cannot be run in" in old.stderr
    assert "ImportError: numpy.core.multiarray failed to import" in old.stderr
    new = run_with_numpy(numpy2, modules["capi2"], probe.format("capi2"))
    assert new.returncode == 0, new.stderr
    assert new.stdout.split()[0].startswith("2.")
    assert new.stdout.strip().endswith("[np.float64(0.0), np.float64(0.0)]")
    for name in ("capi1", "capi2"):  # 2.x headers target an older 1.x: both run
        ran = run_with_numpy(numpy1, modules[name], probe.format(name))
        assert ran.returncode == 0, ran.stderr
        assert ran.stdout.strip() == "1.26.4 [0.0, 0.0]"
    plain = run_with_numpy(
        numpy2, modules["plain"], "import plain; print(plain.twice(2))"
    )
    assert plain.stdout.strip() == "4"


@pytest.mark.cc
def test_old_pybind11_imports_under_numpy_2_but_misreads_sizes(cache, modules):
    numpy1, numpy2 = fetch_wheel(cache, NUMPY1), fetch_wheel(cache, NUMPY2)
    probe = (
        "import {0}, numpy as np; "
        "print(list({0}.ramp(3)), {0}.itemsize(np.zeros(2, np.float32)))"
    )
    outputs = {}
    for name in ("pybind3", "pybind211"):
        for label, site in (("1", numpy1), ("2", numpy2)):
            ran = run_with_numpy(site, modules[name], probe.format(name))
            assert ran.returncode == 0, ran.stderr
            outputs[name, label] = ran.stdout.replace("np.float64(", "").replace(
                ")", ""
            )
    right = "[0.0, 1.0, 2.0] 4\n"
    assert outputs["pybind3", "1"] == outputs["pybind3", "2"] == right
    assert outputs["pybind211", "1"] == right
    assert outputs["pybind211", "2"] != right
    assert outputs["pybind211", "2"].strip().endswith(" 0")  # itemsize 0


@pytest.mark.cc
@pytest.mark.slow
@pytest.mark.parametrize("kind", ["cython", "f2py"])
def test_cython_and_f2py_leave_what_the_headers_leave(cache, kind):
    """Both call numpy's import_array: the headers they were built with decide."""
    numpy1, numpy2 = fetch_wheel(cache, NUMPY1), fetch_wheel(cache, NUMPY2)
    old = classify_file(build_generated(cache, kind, numpy1, f"{kind}1"))
    new = classify_file(build_generated(cache, kind, numpy2, f"{kind}2"))
    assert old == (NumpyApi.V1, V1_DETAIL)
    assert new.api is NumpyApi.V2
    assert new.detail.startswith("names numpy._core._multiarray_umath and _ARRAY_API")


# --- robustness, hypothesis --------------------------------------------------

NEEDLES = [
    b"numpy._core._multiarray_umath",
    b"numpy.core._multiarray_umath",
    b"numpy.core.multiarray",
    b"numpy.core.umath",
    b"_ARRAY_API",
    b"_UFUNC_API",
    b"_ARRAY_API is NULL pointer",
    b"pybind11 numpy support requires numpy >= 1.7.0",
    b"FAILURE obtaining numpy _ARRAY_API pointer.",
    b"module was compiled against NumPy C-API version 0x%x (NumPy 1.23) but",
    b"compiled against NumPy C-API version 0x%x (NumPy ",
]
pieces = st.lists(st.one_of(st.binary(max_size=64), st.sampled_from(NEEDLES)))


@given(st.binary(max_size=4096))
def test_classify_bytes_never_raises(data):
    assert classify_bytes(data).api in set(NumpyApi)


@given(pieces, st.integers(min_value=1, max_value=64))
def test_mmap_and_chunked_reads_agree(tmp_path_factory, parts, chunk):
    """The chunked fallback sees needles split across chunk edges, as mmap does."""
    data = b"".join(parts)
    path = tmp_path_factory.mktemp("bytes") / "x.so"
    path.write_bytes(data)
    assert classify_file(path) == classify_bytes(data)
    saved = numpy_capi._CHUNK
    numpy_capi._CHUNK = chunk
    try:
        with open(path, "rb") as stream:
            assert numpy_capi._classify_stream(stream) == classify_bytes(data)
    finally:
        numpy_capi._CHUNK = saved


def test_v2_needs_the_capsule_and_says_its_target():
    v2 = b"numpy._core._multiarray_umath\0numpy.core._multiarray_umath\0"
    assert classify_bytes(v2).api is NumpyApi.NONE  # names it, fetches no C-API
    target = b"module was compiled against NumPy C-API version 0x%x (NumPy 1.23) b"
    got = classify_bytes(v2 + b"_ARRAY_API\0" + target)
    assert got.api is NumpyApi.V2
    assert got.detail == (
        "names numpy._core._multiarray_umath and _ARRAY_API: import_array of the "
        "NumPy 2.x headers; targets NumPy >= 1.23"
    )
    old = classify_bytes(b"numpy.core.multiarray\0_ARRAY_API is NULL pointer\0")
    assert old.api is NumpyApi.V1
    assert old.detail == (
        "names numpy.core.multiarray and _ARRAY_API: import_array of the NumPy "
        "1.x headers (< 1.16)"
    )
    assert fails_at_import(old.detail)
    by_hand = classify_bytes(b"numpy.core.multiarray\0_ARRAY_API\0")
    assert by_hand.api is NumpyApi.V1 and "without numpy's headers" in by_hand.detail
    ufunc = classify_bytes(b"numpy.core._multiarray_umath\0_UFUNC_API\0")
    assert ufunc.api is NumpyApi.V1 and ": import_umath of " in ufunc.detail


def test_bad_files_do_not_raise(tmp_path):
    assert classify_file(tmp_path / "missing.so") is None
    assert classify_file(tmp_path) is None  # a directory
    (tmp_path / "empty.so").write_bytes(b"")
    assert classify_file(tmp_path / "empty.so") == (NumpyApi.NONE, NONE_DETAIL)
    if os.path.exists("/dev/null"):
        assert classify_file("/dev/null") is None  # a device: not read


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_pipe_is_not_opened(tmp_path):
    """Opening a FIFO would block until a writer comes: it is not read at all."""
    os.mkfifo(tmp_path / "pipe.so")
    assert classify_file(tmp_path / "pipe.so") is None


def test_a_file_that_cannot_be_mapped_is_read_in_chunks(tmp_path, monkeypatch):
    path = tmp_path / "x.so"
    path.write_bytes(b"x" * 100 + b"numpy.core._multiarray_umath\0_ARRAY_API")

    def refuse(*args, **kwargs):
        raise OSError("no mmap here")

    monkeypatch.setattr(numpy_capi.mmap, "mmap", refuse)
    monkeypatch.setattr(numpy_capi, "_CHUNK", 16)
    assert classify_file(path) == (NumpyApi.V1, V1_DETAIL)


@pytest.mark.parametrize(
    ("path", "extension", "shared"),
    [
        (f"{SITE}/pkg/_core.cpython-311-x86_64-linux-gnu.so", True, True),
        (f"{SITE}/pkg/_core.cpython-313t-darwin.so", True, True),
        (f"{SITE}/pkg/_core.abi3.so", True, True),
        (f"{SITE}/pkg/_core.pypy310-pp73-x86_64-linux-gnu.so", True, True),
        ("Lib/site-packages/pkg/_core.cp311-win_amd64.pyd", True, True),
        (f"{SITE}/pkg/_core.so", True, True),
        ("lib/python3.11/lib-dynload/_json.so", True, True),
        (f"{SITE}/pkg/lib_lightgbm.so", False, True),
        (f"{SITE}/scipy.libs/libopenblas-r0.3.21.so", False, True),
        ("lib/libboost_numpy311.so.1.82.0", False, True),
        ("lib/libfoo.dylib", False, True),
        ("Library/bin/boost_numpy311.dll", False, True),
        (f"{SITE}/pkg/__init__.py", False, False),
        ("lib/libfoo.so.x", False, False),
    ],
)
def test_which_files_are_looked_at(path, extension, shared):
    assert (is_extension_module(path), is_shared_object(path)) == (extension, shared)


# --- the per-file cache -------------------------------------------------------


def test_scanner_caches_the_classification(tmp_path):
    root, cache = tmp_path / "root", tmp_path / "cache"
    (root / "m").mkdir(parents=True)
    one = root / "m" / f"a{EXT_SUFFIX}"
    one.write_bytes(b"numpy.core._multiarray_umath\0_ARRAY_API\0")
    first = Scanner(root, cache)
    assert first.numpy_api(f"m/a{EXT_SUFFIX}").api is NumpyApi.V1
    assert first.reads == 1
    first.save()
    second = Scanner(root, cache)
    assert second.numpy_api(f"m/a{EXT_SUFFIX}").api is NumpyApi.V1
    assert (second.reads, second.hits) == (0, 1)
    one.write_bytes(b"numpy._core._multiarray_umath\0_ARRAY_API\0")  # size changes
    assert Scanner(root, cache).numpy_api(f"m/a{EXT_SUFFIX}").api is NumpyApi.V2
    stale = json.loads(second.cache_file.read_text())
    stale["files"][f"m/a{EXT_SUFFIX}"]["numpy_api"][0] = -1
    stale["files"][f"m/a{EXT_SUFFIX}"]["size"] = one.stat().st_size
    stale["files"][f"m/a{EXT_SUFFIX}"]["mtime_ns"] = one.stat().st_mtime_ns
    second.cache_file.write_text(json.dumps(stale))
    third = Scanner(root, cache)  # another classifier version: read again
    assert third.numpy_api(f"m/a{EXT_SUFFIX}").api is NumpyApi.V2
    assert third.reads == 1
    assert third.numpy_api("m/missing.so") is None


# --- FileFacts from a prefix and from package caches ---------------------------


def _package(root, name, files, build="py311h0_0"):
    """A real ``.conda`` with these files, extracted into ``root/pkgs``."""
    built = make_package(root / "channel", name, "1.0", build, files)
    return extract(built, root / "pkgs")


@pytest.fixture(scope="module")
def packages(tmp_path_factory, modules):
    tmp_path = tmp_path_factory.mktemp("capi-packages")
    ext = f"{SITE}/{{}}/_core{EXT_SUFFIX}"
    return {
        "oldext": _package(
            tmp_path, "oldext", {ext.format("oldext"): modules["capi1"]}
        ),
        "newext": _package(
            tmp_path,
            "newext",
            {
                ext.format("newext"): modules["capi2"],
                f"{SITE}/newext/_plain{EXT_SUFFIX}": modules["plain"],
            },
        ),
        "pyb": _package(tmp_path, "pyb", {ext.format("pyb"): modules["pybind3"]}),
        "libonly": _package(
            tmp_path, "libonly", {"lib/libplain.so.1": modules["plain"]}
        ),
        "boostish": _package(
            tmp_path, "boostish", {"lib/libboost_numpy311.so.1": modules["capi1"]}
        ),
    }


@pytest.mark.cc
def test_file_facts_of_a_prefix(tmp_path, packages):
    prefix = tmp_path / "env"
    records = {name: install(d, prefix) for name, d in packages.items()}
    facts = DiskFileFacts(prefix, cache_dir=tmp_path / "cache")
    got = {n: facts.numpy_api(r, "before") for n, r in records.items()}
    assert got["oldext"] == (
        ExtensionApi(f"{SITE}/oldext/_core{EXT_SUFFIX}", NumpyApi.V1, V1_DETAIL),
    )
    assert [(e.file, e.api) for e in got["newext"]] == [
        (f"{SITE}/newext/_core{EXT_SUFFIX}", NumpyApi.V2),
        (f"{SITE}/newext/_plain{EXT_SUFFIX}", NumpyApi.NONE),
    ]
    assert got["pyb"] == (
        ExtensionApi(f"{SITE}/pyb/_core{EXT_SUFFIX}", NumpyApi.NONE, PYBIND_NEW_DETAIL),
    )
    assert got["libonly"] == ()  # a plain library is no extension module
    assert got["boostish"] == (
        ExtensionApi("lib/libboost_numpy311.so.1", NumpyApi.V1, V1_DETAIL),
    )
    # the same build on the after side (a record without files, as a solver
    # gives it) is read through conda-meta
    bare = record_of(json.loads((packages["oldext"] / "info/index.json").read_text()))
    assert facts.numpy_api(bare, "after") == got["oldext"]
    facts.save()
    again = DiskFileFacts(prefix, cache_dir=tmp_path / "cache")
    assert again.numpy_api(records["newext"], "before") == got["newext"]
    assert again.files_read == 0


@pytest.mark.cc
def test_file_facts_say_none_when_nothing_is_known(tmp_path, packages):
    prefix = tmp_path / "env"
    install(packages["oldext"], prefix)
    facts = DiskFileFacts(prefix, cache_dir=False)
    other = Record(name="oldext", version="1.0", build="py311h9_9", channel="local")
    assert facts.numpy_api(other, "after") is None  # another build: not installed
    assert DiskFileFacts(None).numpy_api(other, "after") is None
    meta = prefix / "conda-meta" / "oldext-1.0-py311h0_0.json"
    data = json.loads(meta.read_text())
    del data["files"]
    meta.write_text(json.dumps(data))
    bare = Record(name="oldext", version="1.0", build="py311h0_0", channel="local")
    assert DiskFileFacts(prefix, cache_dir=False).numpy_api(bare, "before") is None
    # paths that leave the prefix are not read
    meta.write_text(json.dumps(dict(data, files=["../o.so", "/etc/x.so", "a\0.so"])))
    assert DiskFileFacts(prefix, cache_dir=False).numpy_api(bare, "before") == ()
    # a listed extension that cannot be read proves nothing
    meta.write_text(json.dumps(dict(data, files=[f"{SITE}/gone{EXT_SUFFIX}"])))
    facts = DiskFileFacts(prefix, cache_dir=False)
    assert facts.numpy_api(bare, "before") is None
    assert list(facts.unreadable) == [str(prefix / SITE / f"gone{EXT_SUFFIX}")]


@pytest.mark.cc
def test_file_facts_of_incoming_packages(packages):
    incoming = {
        name: record_of(json.loads((d / "info/index.json").read_text()))
        for name, d in packages.items()
    }
    pkgs_dir = packages["oldext"].parent
    by_cache = DiskFileFacts(pkgs_dirs=[pkgs_dir], cache_dir=False)
    assert [e.api for e in by_cache.numpy_api(incoming["oldext"], "after")] == [
        NumpyApi.V1
    ]
    assert by_cache.numpy_api(incoming["libonly"], "after") == ()
    by_map = DiskFileFacts(packages={"newext": packages["newext"]}, cache_dir=False)
    assert [e.api for e in by_map.numpy_api(incoming["newext"], "after")] == [
        NumpyApi.V2,
        NumpyApi.NONE,
    ]
    assert by_map.numpy_api(incoming["oldext"], "after") is None  # not mapped
    rebuilt = Record(name="newext", version="1.0", build="py311h1_1", channel="local")
    assert by_map.numpy_api(rebuilt, "after") is None  # the directory is another build


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner),
    max_leaves=8,
)


@given(
    st.one_of(
        json_values,
        st.lists(st.text(max_size=40) | st.sampled_from(["a.so", "../b.so", "/c.so"])),
    )
)
def test_file_facts_never_raise_on_odd_conda_meta(tmp_path_factory, files):
    prefix = tmp_path_factory.mktemp("odd")
    (prefix / "conda-meta").mkdir()
    (prefix / "a.so").write_bytes(b"numpy.core._multiarray_umath\0_ARRAY_API")
    meta = {"name": "odd", "version": "1", "build": "0", "files": files}
    (prefix / "conda-meta" / "odd-1-0.json").write_text(json.dumps(meta))
    record = Record(name="odd", version="1", build="0")
    got = DiskFileFacts(prefix, cache_dir=False).numpy_api(record, "before")
    assert got is None or all(isinstance(e, ExtensionApi) for e in got)


def test_package_files_without_paths_json(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "info").mkdir(parents=True)
    (pkg / "lib").mkdir()
    (pkg / "lib" / "x.so").write_bytes(b"")
    assert package_files(pkg) == ("lib/x.so",)
    (pkg / "info" / "files").write_text("lib/x.so\nlib/y.so\n")
    assert package_files(pkg) == ("lib/x.so", "lib/y.so")
    shutil.rmtree(pkg / "lib")
    assert package_files(Path(tmp_path / "nowhere")) == ()
