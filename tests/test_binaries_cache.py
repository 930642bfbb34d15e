"""The binary cache cannot be poisoned: validated entries, strong keys, atomic
writes, pruning, and no cache below the current directory (issue 12 point 8).

The files scanned are real: a NumPy 1.x-style extension module and a shared
library compiled with ``cc`` (tests/binaries_helpers.py), so a wrong cache
entry would hide a real verdict.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conda_guard.binaries import cache as cache_mod
from conda_guard.binaries.cache import (
    CACHE_SCHEMA,
    KEEP_DAYS,
    cache_dir_problem,
    default_cache_dir,
    file_key,
    load_entries,
    valid_entry,
)
from conda_guard.binaries.scan import Scanner, ScannerPool
from conda_guard.facts import NumpyApi

from .binaries_helpers import LIBFOO_C, NUMPY1_EXT_C, compile_so, with_cc

EXT = "lib/python3.11/site-packages/m/_core.cpython-311-x86_64-linux-gnu.so"
LIB = "lib/libfoo.so.1"


@pytest.fixture(scope="module")
def objects(tmp_path_factory):
    root = tmp_path_factory.mktemp("cache-objects")
    if shutil.which("cc") is None:
        pytest.skip("no C compiler ('cc') on PATH")
    lib = compile_so(root / "libfoo.so.1", LIBFOO_C, soname="libfoo.so.1", rpath=None)
    ext = compile_so(
        root / "_core.so", NUMPY1_EXT_C, rpath=None, flags=("-Wl,-z,undefs",)
    )
    return {"lib": lib, "ext": ext}


@pytest.fixture
def root(tmp_path, objects):
    root = tmp_path / "env"
    for rel, key in ((EXT, "ext"), (LIB, "lib")):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(objects[key], root / rel)
    return root


def _warm(root, cache):
    scanner = Scanner(root, cache)
    assert scanner.info(LIB) is not None
    assert scanner.numpy_api(EXT).api is NumpyApi.V1
    scanner.save()
    return scanner.cache_file


def _rewrite(cache_file, change):
    data = json.loads(cache_file.read_text())
    change(data["files"])
    cache_file.write_text(json.dumps(data))


# the corrupt variants of issue 12.8; each crashed every run before
CORRUPT = {
    "entry without info": lambda e: e[LIB].pop("info"),
    "info as {}": lambda e: e[LIB].update(info={}),
    "info as a string": lambda e: e[LIB].update(info="elf"),
    "needed: 5": lambda e: e[LIB]["info"].update(needed=5),
    "malformed version_needs": lambda e: e[LIB]["info"].update(
        version_needs=[["libc.so.6"]]
    ),
    "version_needs of numbers": lambda e: e[LIB]["info"].update(
        version_needs=[["libc.so.6", [1, 2]]]
    ),
    "kind as a list": lambda e: e[LIB].update(kind=["binary"]),
    "key of strings": lambda e: e[LIB].update(key=["1", "2", "3", "4"]),
    "numpy_api with a list as api": lambda e: e[EXT].update(numpy_api=[1, ["1.x"], ""]),
    "entry as a list": lambda e: e.update({LIB: [1, 2]}),
}


@with_cc
@pytest.mark.parametrize("change", CORRUPT.values(), ids=CORRUPT.keys())
def test_corrupt_entries_are_dropped_and_the_files_read_again(tmp_path, root, change):
    cache_file = _warm(root, tmp_path / "cache")
    _rewrite(cache_file, change)
    pool = ScannerPool(tmp_path / "cache")
    scanner = pool.get(root)
    assert scanner.rejected == 1
    info = scanner.info(LIB)
    assert info is not None and info.soname == "libfoo.so.1"
    assert scanner.numpy_api(EXT).api is NumpyApi.V1
    assert scanner.reads == 1  # only the dropped entry's file
    note = (
        f"1 malformed entry of the binary cache {cache_file} was ignored (the "
        "file was read again)"
    )
    assert pool.notes() == [note]
    pool.save()  # written back clean
    again = Scanner(root, tmp_path / "cache")
    assert again.rejected == 0


@with_cc
def test_deep_nesting_is_ignored_not_a_recursion_error(tmp_path, root):
    cache_file = _warm(root, tmp_path / "cache")
    cache_file.write_text('{"schema": 2, "files": ' + "[" * 100_000 + "]" * 100_000)
    scanner = Scanner(root, tmp_path / "cache")
    assert scanner.numpy_api(EXT).api is NumpyApi.V1
    assert scanner.reads == 1


@with_cc
def test_an_entry_with_the_same_size_and_mtime_is_not_trusted(tmp_path, root):
    # the file is replaced by one of the same size and mtime (a reproducible
    # rebuild keeps both); its cached answer must not hide the new verdict
    cache_file = _warm(root, tmp_path / "cache")
    _rewrite(cache_file, lambda e: e[EXT].update(numpy_api=[1, "none", "forged"]))
    assert Scanner(root, tmp_path / "cache").numpy_api(EXT).detail == "forged"
    st_before = os.stat(root / EXT)
    with open(root / EXT, "r+b") as stream:  # in place: same inode and size
        stream.seek(10)  # e_ident padding: no reader looks at it
        stream.write(b"\x01")
    os.utime(root / EXT, ns=(st_before.st_atime_ns, st_before.st_mtime_ns))
    now = os.stat(root / EXT)
    same = ("st_size", "st_mtime_ns", "st_ino")
    assert [getattr(now, a) for a in same] == [getattr(st_before, a) for a in same]
    scanner = Scanner(root, tmp_path / "cache")
    assert scanner.numpy_api(EXT).api is NumpyApi.V1
    assert scanner.reads == 1


@with_cc
def test_a_copy_with_another_inode_is_read_again(tmp_path, root):
    cache_file = _warm(root, tmp_path / "cache")
    _rewrite(cache_file, lambda e: e[EXT].update(numpy_api=[1, "none", "forged"]))
    shutil.copy2(root / EXT, root / (EXT + ".new"))
    os.replace(root / (EXT + ".new"), root / EXT)  # same bytes, size, mtime
    scanner = Scanner(root, tmp_path / "cache")
    assert scanner.numpy_api(EXT).api is NumpyApi.V1
    assert scanner.reads == 1


@with_cc
def test_writes_are_atomic_and_leave_no_temporary_files(tmp_path, root, monkeypatch):
    cache_file = _warm(root, tmp_path / "cache")
    good = cache_file.read_bytes()
    (root / "lib" / "libbar.so").write_bytes(b"\x7fELF broken")
    scanner = Scanner(root, tmp_path / "cache")
    scanner.info("lib/libbar.so")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(cache_mod.json, "dump", boom)
    scanner.save()  # fails quietly: a cache only saves time
    assert cache_file.read_bytes() == good
    assert sorted(p.name for p in cache_file.parent.iterdir()) == [cache_file.name]


@with_cc
def test_stale_entries_are_pruned(tmp_path, root):
    cache_file = _warm(root, tmp_path / "cache")
    day = cache_mod.today()

    def add_stale(entries):
        for i in range(1000):  # files that are gone, used long ago
            entries[f"lib/gone{i}.so"] = {"key": [1, 1, 1, "x"], "used": day - 400}
        entries["lib/recent.so"] = {"key": [1, 1, 1, "x"], "used": day - 1}

    _rewrite(cache_file, add_stale)
    scanner = Scanner(root, tmp_path / "cache")
    scanner.info(LIB)
    scanner.save()
    kept = set(json.loads(cache_file.read_text())["files"])
    assert kept == {LIB, EXT, "lib/recent.so"}
    assert day - 1 >= day - KEEP_DAYS
    # a scan that saw every file of the root keeps only what it used
    scanner = Scanner(root, tmp_path / "cache")
    scanner.info(LIB)
    scanner.numpy_api(EXT)
    scanner.save(every_file_seen=True)
    assert set(json.loads(cache_file.read_text())["files"]) == {LIB, EXT}


@with_cc
def test_an_oversized_cache_file_is_ignored(tmp_path, root, monkeypatch):
    cache_file = _warm(root, tmp_path / "cache")
    monkeypatch.setattr(cache_mod, "MAX_CACHE_BYTES", 10)
    scanner = Scanner(root, tmp_path / "cache")
    assert scanner.info(LIB) is not None
    assert scanner.reads == 1
    assert cache_file.exists()


def test_a_relative_cache_dir_is_ignored_with_a_note(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CONDA_GUARD_CACHE_DIR", "relative/cache")
    assert default_cache_dir() is None
    problem = cache_dir_problem()
    assert problem is not None and "'relative/cache' is not an absolute path" in problem
    pool = ScannerPool()
    (tmp_path / "root").mkdir()
    pool.get(tmp_path / "root").save()
    assert pool.notes() == [problem]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["root"]
    monkeypatch.setenv("CONDA_GUARD_CACHE_DIR", "~/cache")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / "cache"
    assert cache_dir_problem() is None


def test_file_key_of_what_is_not_a_regular_file(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "dir").mkdir()
    (tmp_path / "link").symlink_to("missing")
    for name in ("pipe", "dir", "link", "absent"):
        assert file_key(tmp_path / name, follow=True) is None
    (tmp_path / "small").write_bytes(b"abc")
    size, _, ino, digest = file_key(tmp_path / "small", follow=False)
    assert (size, ino) == (3, os.stat(tmp_path / "small").st_ino)
    assert len(digest) == 32


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
entry_like = st.fixed_dictionaries(
    {},
    optional={
        "key": st.one_of(
            json_values,
            st.tuples(st.integers(), st.integers(), st.integers(), st.text()).map(list),
        ),
        "used": json_values,
        "kind": st.one_of(
            json_values, st.sampled_from(["binary", "none", "error", "pe"])
        ),
        "info": st.one_of(
            json_values,
            st.fixed_dictionaries(
                {"format": st.text(max_size=5)},
                optional={
                    "needed": json_values,
                    "soname": json_values,
                    "version_needs": json_values,
                    "version_defs": json_values,
                },
            ),
        ),
        "reason": json_values,
        "numpy_api": st.one_of(
            json_values,
            st.tuples(
                st.integers(), st.sampled_from(["1.x", "2.x", "none", "x"]), json_values
            ).map(list),
        ),
    },
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    files=st.dictionaries(
        st.text(max_size=20), st.one_of(entry_like, json_values), max_size=6
    )
)
def test_the_loader_never_raises_and_keeps_only_valid_entries(tmp_path, files):
    root = tmp_path / "root"
    cache_file = tmp_path / "c.json"
    doc = {"schema": CACHE_SCHEMA, "root": os.path.abspath(root), "files": files}
    cache_file.write_text(json.dumps(doc))
    entries, dropped = load_entries(cache_file, root)
    assert len(entries) + dropped == len(files)
    for entry in entries.values():
        assert valid_entry(entry)
        # and a kept entry can be used: the scanner's code paths do not raise
        if entry.get("kind") == "binary":
            from conda_guard.binaries.formats import BinaryInfo

            BinaryInfo.from_json(entry["info"])
        if entry.get("numpy_api") is not None:  # null: not classified yet
            NumpyApi(entry["numpy_api"][1])


@settings(max_examples=200)
@given(data=st.binary(max_size=300))
def test_the_loader_never_raises_on_bytes(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("bytes") / "c.json"
    path.write_bytes(data)
    assert load_entries(path, path.parent) == ({}, 0)
