"""``check`` finds an environment already broken, from the prefix's own files;
``diff PREFIX_A PREFIX_B`` reads the after prefix's files (issue 10 points 5
and 6, issue 14 point 3).

Every prefix is real: shared objects compiled with ``cc``/``c++``, extension
modules built against the headers of numpy 1.26.4 and 2.x and through
pybind11 (tests/numpy_capi_helpers.py), packaged as ``.conda`` files,
extracted and linked into prefixes with their ``conda-meta`` records
(tests/binaries_helpers.py). A warn-mode install that removed a library is
what conda leaves behind: the package's files and record gone, or replaced.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil

import pytest

from conda_guard.checkup import check_environment
from conda_guard.cli import main

from .binaries_helpers import (
    add_pip_dist,
    build_world,
    extract,
    install,
    make_package,
    needs_cxx,
)
from .numpy_capi_helpers import EXT_SUFFIX, build_all, shared_dir

pytestmark = needs_cxx

SITE = "lib/python3.11/site-packages"


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CONDA_GUARD_CACHE_DIR", str(tmp_path / "guard-cache"))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory.mktemp("checkup-world"))


@pytest.fixture(scope="module")
def modules(tmp_path_factory):
    return build_all(shared_dir(tmp_path_factory))


@pytest.fixture(scope="module")
def pkgs(tmp_path_factory, modules):
    """Extracted packages: numpy 1 and 2, python 3.11, and numpy dependents."""
    root = tmp_path_factory.mktemp("checkup-pkgs")

    def package(name, version, files, depends=(), build="py311h0_0"):
        built = make_package(
            root / "channel", name, version, build, files, depends=depends
        )
        return extract(built, root / "pkgs")

    ext = f"{SITE}/{{}}/_core{EXT_SUFFIX}"
    return {
        "numpy-1": package("numpy", "1.26.4", {f"{SITE}/numpy/__init__.py": b""}),
        "numpy-2": package("numpy", "2.2.6", {f"{SITE}/numpy/__init__.py": b""}),
        "python": package("python", "3.11.9", {"bin/python3.11": b"#!/bin/sh\n"}),
        # built against the numpy 1.26 headers, no upper bound on numpy
        "oldext": package(
            "oldext", "1.0", {ext.format("oldext"): modules["capi1"]}, ("numpy",)
        ),
        "newext": package(
            "newext", "1.0", {ext.format("newext"): modules["capi2"]}, ("numpy",)
        ),
        # pybind11 >= 2.12: works with both; contourpy's case
        "pyb": package(
            "pyb", "1.0", {ext.format("pyb"): modules["pybind3"]}, ("numpy",)
        ),
        # a library loaded through ctypes (lightgbm's case): no C-API
        "ctypeslib": package(
            "ctypeslib", "1.0", {"lib/lib_ctypeslib.so": modules["plain"]}, ("numpy",)
        ),
    }


def _prefix(tmp_path, world, pkgs, *keys, name="env"):
    prefix = tmp_path / name
    prefix.mkdir()
    for key in keys:
        install(world.packages[key] if key in world.packages else pkgs[key], prefix)
    return prefix


def _check(prefix, *extra, code=None):
    """``conda-guard check PREFIX --json``: its findings (rule, severity, message)."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["check", str(prefix), "--json", *extra])
    report = json.loads(out.getvalue())
    if code is not None:
        assert status == code, report
    return report


def _remove(prefix, key, world):
    """Remove a package as conda does: its files and its conda-meta record."""
    meta = next((prefix / "conda-meta").glob(f"{key.rsplit('-', 1)[0]}-*.json"))
    for rel in json.loads(meta.read_text())["files"]:
        (prefix / rel).unlink()
    meta.unlink()


# --- sonames nothing provides ------------------------------------------------


def test_a_library_removed_under_a_package_that_links_it(tmp_path, world, pkgs):
    prefix = _prefix(tmp_path, world, pkgs, "libfoo-1.2", "other-1.0")
    assert _check(prefix, code=0)["findings"] == []
    _remove(prefix, "libfoo-1.2", world)  # a warn-mode `conda remove libfoo`
    report = _check(prefix, code=1)
    [finding] = report["findings"]
    assert (finding["rule"], finding["severity"]) == ("soname", "high")
    assert finding["message"] == (
        "other 1.0 links libfoo.so.1, which nothing in the prefix or on this "
        "system provides"
    )
    assert finding["evidence"][0] == "bin/other: DT_NEEDED libfoo.so.1"


def test_a_library_replaced_by_a_new_soname(tmp_path, world, pkgs):
    # a warn-mode `conda install libfoo=2`: libfoo.so.1 goes, app still links it
    prefix = _prefix(tmp_path, world, pkgs, "libfoo-2.0", "app-1.0")
    findings = _check(prefix, code=1)["findings"]
    soname = [f for f in findings if f["rule"] == "soname"]
    assert [f["message"] for f in soname] == [
        (
            "app 1.0 links libfoo.so.1, which nothing in the prefix or on this system "
            "provides"
        )
    ]
    assert soname[0]["evidence"][:2] == [
        "bin/app: DT_NEEDED libfoo.so.1",
        "lib/libapp.so: DT_NEEDED libfoo.so.1",
    ]


def test_a_library_elsewhere_in_the_prefix_counts_as_provided(tmp_path, world, pkgs):
    # libfoo-compat ships lib/libfoo.so.1 as a file, not a link: still provided
    prefix = _prefix(tmp_path, world, pkgs, "libfoo-compat-1.2", "app-1.0")
    findings = _check(prefix)["findings"]
    assert [f for f in findings if f["rule"] == "soname"] == []


def test_a_library_the_system_provides_counts(tmp_path, world, pkgs):
    from conda_guard.binaries.health import environment_links
    from conda_guard.binaries.scan import ScannerPool
    from conda_guard.binaries.system import SystemLibraries
    from conda_guard.readers import read_state

    prefix = _prefix(tmp_path, world, pkgs, "libfoo-1.2", "other-1.0")
    system_dir = tmp_path / "system"
    system_dir.mkdir()
    shutil.copy2(prefix / "lib" / "libfoo.so.1.2.0", system_dir / "libfoo.so.1")
    _remove(prefix, "libfoo-1.2", world)
    state = read_state(str(prefix), "prefix")
    pool = ScannerPool(False)
    found = environment_links(
        state, prefix, pool=pool, system=SystemLibraries([str(system_dir)])
    )
    assert found.findings == ()
    nothing = environment_links(state, prefix, pool=pool, system=SystemLibraries([]))
    assert [f.rule for f in nothing.findings] == ["soname"]


# --- symbol versions above the prefix's libstdc++ ----------------------------


def test_glibcxx_above_the_prefixs_libstdcxx(tmp_path, world, pkgs):
    prefix = _prefix(tmp_path, world, pkgs, "libstdcxx-4.9.2", "cxxlib-1.0")
    findings = _check(prefix, "--ignore", "broken-dependency", code=1)["findings"]
    [finding] = findings
    assert (finding["rule"], finding["severity"]) == ("cxx-runtime", "high")
    assert finding["message"].startswith("cxxlib 1.0 needs GLIBCXX_3.4.")
    assert finding["message"].endswith(
        "but the libstdc++.so.6 it loads (lib/libstdc++.so.6 of libstdcxx 4.9.2) "
        "defines up to GLIBCXX_3.4.20"
    )
    assert finding["evidence"][0].startswith("lib/libcxxuser.so: needs GLIBCXX_3.4.")


def test_a_new_enough_libstdcxx_is_quiet(tmp_path, world, pkgs):
    prefix = _prefix(tmp_path, world, pkgs, "libstdcxx-14.1.0", "cxxlib-1.0")
    findings = _check(prefix, "--ignore", "broken-dependency")["findings"]
    assert findings == []


# --- the NumPy C-API of extension modules -------------------------------------


def test_numpy2_next_to_an_extension_built_against_numpy1(tmp_path, world, pkgs):
    prefix = _prefix(tmp_path, world, pkgs, "python", "numpy-2", "oldext")
    [finding] = _check(prefix, code=1)["findings"]
    assert (finding["rule"], finding["severity"]) == ("numpy-abi", "high")
    assert finding["message"] == (
        "oldext is installed next to numpy 2.2.6 py311h0_0 but built against numpy 1.x"
    )
    assert any(
        e.startswith(
            f"oldext 1.0 py311h0_0 (local): {SITE}/oldext/_core{EXT_SUFFIX} was "
            "compiled against the NumPy 1.x C-API"
        )
        for e in finding["evidence"]
    ), finding["evidence"]
    # records only (--no-links): what metadata cannot prove is not high
    assert _check(prefix, "--no-links", code=0)["findings"] == []


@pytest.mark.parametrize("key", ["pyb", "ctypeslib", "newext"])
def test_healthy_numpy2_environments_are_quiet(tmp_path, world, pkgs, key):
    prefix = _prefix(tmp_path, world, pkgs, "python", "numpy-2", key)
    report = _check(prefix, code=0)
    assert report["findings"] == []


def test_numpy1_with_the_old_extension_is_fine(tmp_path, world, pkgs):
    prefix = _prefix(tmp_path, world, pkgs, "python", "numpy-1", "oldext")
    assert _check(prefix, code=0)["findings"] == []


# --- pip-installed distributions ----------------------------------------------


def test_a_pip_dist_left_in_an_old_site_packages(tmp_path, world, pkgs, modules):
    prefix = _prefix(tmp_path, world, pkgs, "python")
    add_pip_dist(
        prefix,
        "fastthing",
        "1.0",
        {f"fastthing/_speedups{EXT_SUFFIX}": modules["plain"]},
        python="3.10",
    )
    add_pip_dist(
        prefix, "purething", "2.0", {"purething/__init__.py": b""}, python="3.10"
    )
    findings = _check(prefix, code=1)["findings"]
    minor = [f for f in findings if f["rule"] == "python-minor"]
    assert [(f["severity"], f["message"]) for f in minor] == [
        (
            "high",
            (
                "2 pip-installed distribution(s) left in "
                "lib/python3.10/site-packages by an earlier Python change cannot "
                "be imported by python 3.11.9: "
                "fastthing 1.0, purething 2.0 (1 with compiled extensions built for "
                "another Python); reinstall them"
            ),
        )
    ]
    assert (
        "python 3.11.9 py311h0_0 looks in lib/python3.11/site-packages only, and "
        "conda does not move files it did not install"
    ) in minor[0]["evidence"]


def test_a_pip_extension_built_against_numpy1_under_numpy2(
    tmp_path, world, pkgs, modules
):
    prefix = _prefix(tmp_path, world, pkgs, "python", "numpy-2")
    add_pip_dist(prefix, "npx", "0.1", {f"npx/_core{EXT_SUFFIX}": modules["capi1"]})
    add_pip_dist(prefix, "pbx", "0.1", {f"pbx/_core{EXT_SUFFIX}": modules["pybind3"]})
    findings = _check(prefix, code=1)["findings"]
    abi = [f for f in findings if f["rule"] == "numpy-abi"]
    assert [(f["severity"], f["message"]) for f in abi] == [
        (
            "high",
            (
                "pip-installed npx 0.1 has compiled extensions built against "
                "NumPy 1.x; the installed numpy 2.2.6 py311h0_0 cannot import them"
            ),
        )
    ]
    assert abi[0]["evidence"][0].startswith(f"{SITE}/npx/_core{EXT_SUFFIX} names")


# --- what could not be read, and the cache --------------------------------------


def test_unreadable_and_unlisted_files_are_said(tmp_path, world, pkgs):
    prefix = _prefix(tmp_path, world, pkgs, "libfoo-1.2", "app-1.0")
    (prefix / "lib" / "libapp.so").write_bytes(b"\x7fELF\x02\x01\x01" + bytes(9))
    meta = next((prefix / "conda-meta").glob("libfoo-*.json"))
    data = json.loads(meta.read_text())
    meta.write_text(json.dumps(dict(data, files=[])))
    report = _check(prefix)
    notes = report["notes"]
    assert any(
        n.startswith(
            "1 package(s) list no files in conda-meta; their binaries were "
            "not checked: libfoo 1.2 h1_0"
        )
        for n in notes
    ), notes
    # an unreadable binary makes "no findings" doubtful: a warning, shown always
    assert any(
        "could not be read as binaries" in w and "lib/libapp.so" in w
        for w in report["warnings"]
    ), report["warnings"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["check", str(prefix), "--ignore", "broken-dependency"])
    assert "  warning: 1 file(s) under" in out.getvalue()


def test_a_warm_check_reads_nothing_and_prunes_the_cache(tmp_path, world, pkgs):
    prefix = _prefix(
        tmp_path, world, pkgs, "python", "numpy-2", "oldext", "app-1.0", "libfoo-1.2"
    )
    first = check_environment(str(prefix))
    cache_files = list((tmp_path / "guard-cache" / "binaries").glob("*.json"))
    assert len(cache_files) >= 1
    from conda_guard.binaries.scan import ScannerPool

    pool = ScannerPool()
    scanner = pool.get(prefix)
    assert scanner.reads == 0 and scanner.cache_file is not None
    second = check_environment(str(prefix))
    assert [f.message for f in second.findings] == [f.message for f in first.findings]
    _remove(prefix, "app-1.0", world)
    check_environment(str(prefix))
    entries = json.loads(scanner.cache_file.read_text())["files"]
    assert not any(p.startswith(("bin/app", "lib/libapp")) for p in entries)


def test_check_never_writes_into_the_prefix(tmp_path, world, pkgs, monkeypatch):
    from .binaries_helpers import snapshot

    prefix = _prefix(tmp_path, world, pkgs, "libfoo-2.0", "app-1.0")
    monkeypatch.setenv("CONDA_GUARD_CACHE_DIR", str(prefix / "cache"))
    before = snapshot(prefix)
    _check(prefix, code=1)
    assert snapshot(prefix) == before


# --- diff PREFIX_A PREFIX_B (point 6) ---------------------------------------------


def _diff(before, after, *extra):
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["diff", str(before), str(after), "--json", *extra])
    return status, json.loads(out.getvalue())


def test_diff_of_two_prefixes_reads_the_after_prefixs_files(tmp_path, world, pkgs):
    a = _prefix(tmp_path, world, pkgs, "libfoo-1.2", "app-1.0", name="a")
    b = _prefix(tmp_path, world, pkgs, "libfoo-2.0", "app-1.0", name="b")
    status, report = _diff(a, b)
    soname = [f for f in report["findings"] if f["rule"] == "soname"]
    assert [(f["severity"], f["message"]) for f in soname] == [
        (
            "high",
            (
                "app 1.0 links libfoo.so.1, provided today by libfoo 1.2 h1_0, "
                "which is being replaced by libfoo 2.0 h2_0 shipping only libfoo.so.2"
            ),
        )
    ]
    assert status == 1
    assert not any("not known yet" in n for n in report["notes"]), report["notes"]


def test_diff_of_two_prefixes_where_the_soname_stays(tmp_path, world, pkgs):
    a = _prefix(tmp_path, world, pkgs, "libfoo-1.2", "app-1.0", name="a")
    b = _prefix(tmp_path, world, pkgs, "libfoo-1.3", "app-1.0", name="b")
    status, report = _diff(a, b)
    assert [f for f in report["findings"] if f["rule"] == "soname"] == []
    assert not any("not known yet" in n for n in report["notes"]), report["notes"]


def test_diff_proves_the_numpy_break_from_both_prefixes(tmp_path, world, pkgs):
    a = _prefix(tmp_path, world, pkgs, "python", "numpy-1", "oldext", name="a")
    b = _prefix(tmp_path, world, pkgs, "python", "numpy-2", "oldext", name="b")
    status, report = _diff(a, b)
    abi = [f for f in report["findings"] if f["rule"] == "numpy-abi"]
    assert [f["severity"] for f in abi] == ["high"]
    assert "under packages built against the old one: oldext" in abi[0]["message"]
    # newly installed in the after prefix only: its files are read there
    c = _prefix(tmp_path, world, pkgs, "python", "numpy-2", name="c")
    status, report = _diff(c, b)
    abi = [f for f in report["findings"] if f["rule"] == "numpy-abi"]
    assert [(f["severity"], f["message"]) for f in abi] == [
        (
            "high",
            (
                "oldext is installed next to numpy 2.2.6 py311h0_0 but built against "
                "numpy 1.x"
            ),
        )
    ]
    assert status == 1
    # the same pair without the files: medium at most
    status, report = _diff(c, b, "--no-links")
    assert [f["severity"] for f in report["findings"] if f["rule"] == "numpy-abi"] in (
        [],
        ["medium"],
    )
