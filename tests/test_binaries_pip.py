"""pip-installed compiled extensions: found, named, and checked."""

from __future__ import annotations

import pytest

from conda_guard.binaries import (
    check_links,
    find_pip_dists,
    pip_extensions,
    pip_findings,
)
from conda_guard.models import Record, Severity

from .binaries_helpers import add_pip_dist, build_world, make_state, with_cxx

EXT = "npext/_core.cpython-311-x86_64-linux-gnu.so"
SITE = "lib/python3.11/site-packages"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory.mktemp("pip-world"))


def py(version, build="h0_0_cpython"):
    return Record(name="python", version=version, build=build, channel="conda-forge")


def numpy(version, build="py311h0_0"):
    return Record(name="numpy", version=version, build=build, channel="conda-forge")


def _pure_prefix(tmp_path):
    """A prefix with dists written as bytes (no compiler needed)."""
    prefix = tmp_path / "env"
    add_pip_dist(
        prefix,
        "fastthing",
        "1.2.0",
        {
            "fastthing/__init__.py": b"",
            "fastthing/_speed.cpython-311-x86_64-linux-gnu.so": b"\x7fELF" + bytes(60),
            "fastthing.libs/libgfortran-abc123.so.5.0.0": b"\x7fELF" + bytes(60),
        },
    )
    add_pip_dist(prefix, "purething", "0.1", {"purething/__init__.py": b""})
    add_pip_dist(prefix, "uvthing", "3.0", {"uvthing/_x.abi3.so": b"x"}, installer="uv")
    # conda-built: INSTALLER is rewritten to conda; not a foreign dist
    add_pip_dist(
        prefix, "condathing", "2.0", {"condathing/_c.so": b"x"}, installer="conda"
    )
    # no INSTALLER: origin unknown, left out
    add_pip_dist(prefix, "mystery", "0.0", {"mystery/_m.so": b"x"}, installer=None)
    return prefix


def test_pip_extensions_names_foreign_dists_with_compiled_files(tmp_path):
    prefix = _pure_prefix(tmp_path)
    assert pip_extensions(prefix) == {
        "fastthing": (
            f"{SITE}/fastthing.libs/libgfortran-abc123.so.5.0.0",
            f"{SITE}/fastthing/_speed.cpython-311-x86_64-linux-gnu.so",
        ),
        "uvthing": (f"{SITE}/uvthing/_x.abi3.so",),
    }
    dists = {d.name: d for d in find_pip_dists(prefix)}
    assert sorted(dists) == ["fastthing", "purething", "uvthing"]
    assert dists["uvthing"].installer == "uv"
    assert dists["uvthing"].label == "uv-installed uvthing 3.0"
    assert dists["purething"].extensions == ()
    assert dists["fastthing"].dist_info == f"{SITE}/fastthing-1.2.0.dist-info"


def test_empty_prefix_has_no_pip_extensions(tmp_path):
    assert pip_extensions(tmp_path) == {}


def test_windows_layout(tmp_path):
    site = tmp_path / "Lib" / "site-packages"
    dist_info = site / "winthing-1.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "INSTALLER").write_text("pip\n")
    (dist_info / "RECORD").write_text(
        "winthing\\_w.cp311-win_amd64.pyd,sha256=x,1\nwinthing-1.0.dist-info/RECORD,,\n"
    )
    assert pip_extensions(tmp_path) == {
        "winthing": ("Lib/site-packages/winthing/_w.cp311-win_amd64.pyd",)
    }


def test_python_minor_change_names_the_orphaned_compiled_dists(tmp_path):
    prefix = _pure_prefix(tmp_path)
    before = make_state(py("3.11.7"), numpy("1.26.4"))
    after = make_state(py("3.12.1", "h1_0_cpython"), numpy("1.26.4"))
    findings = pip_findings(before, after, prefix, cache_dir=False)
    assert [(f.rule, f.severity) for f in findings] == [("python-minor", Severity.HIGH)]
    finding = findings[0]
    assert finding.message == (
        "python 3.11.7 h0_0_cpython -> 3.12.1 h1_0_cpython orphans the pip-installed "
        "compiled distributions fastthing 1.2.0, uvthing 3.0: their extensions were "
        "built for Python 3.11 and must be reinstalled"
    )
    assert finding.names == ("python", "fastthing", "uvthing")
    assert finding.evidence[0] == (
        f"pip-installed fastthing 1.2.0 ({SITE}/fastthing-1.2.0.dist-info): "
        f"{SITE}/fastthing.libs/libgfortran-abc123.so.5.0.0"
    )
    assert finding.evidence[-1].startswith("lib/python3.11/site-packages stays behind")


def test_same_python_minor_is_quiet(tmp_path):
    prefix = _pure_prefix(tmp_path)
    before = make_state(py("3.11.7"))
    after = make_state(py("3.11.8", "h2_0_cpython"))
    assert pip_findings(before, after, prefix, cache_dir=False) == ()


# --- with compiled extensions -------------------------------------------------


def _npext_prefix(world, tmp_path, *packages):
    prefix, records = world.prefix(tmp_path / "env", *packages)
    add_pip_dist(
        prefix,
        "npext",
        "0.1",
        {
            "npext/__init__.py": b"",
            EXT: world.objects["npext"],
        },
    )
    add_pip_dist(
        prefix,
        "np2ext",
        "0.2",
        {
            "np2ext/_np2.cpython-311-x86_64-linux-gnu.so": world.objects["np2ext"],
        },
    )
    return prefix, records


@with_cxx
def test_numpy_major_change_flags_extensions_built_against_numpy_1(world, tmp_path):
    prefix, _ = _npext_prefix(world, tmp_path)
    before = make_state(py("3.11.7"), numpy("1.26.4"))
    after = make_state(py("3.11.7"), numpy("2.1.0", "py311h1_0"))
    findings = pip_findings(before, after, prefix, cache_dir=tmp_path / "cache")
    assert [(f.rule, f.severity) for f in findings] == [("numpy-abi", Severity.HIGH)]
    finding = findings[0]
    assert finding.message == (
        "pip-installed npext 0.1 has compiled extensions built against NumPy 1.x; "
        "numpy 1.26.4 py311h0_0 -> 2.1.0 py311h1_0 cannot import them"
    )
    assert finding.evidence == (
        (
            f"{SITE}/{EXT} names numpy.core._multiarray_umath but not "
            "numpy._core._multiarray_umath, and _ARRAY_API: import_array of the "
            "NumPy 1.x headers (1.16-1.26)"
        ),
    )
    assert finding.names == ("numpy", "npext")


@with_cxx
def test_numpy_downgrade_flags_extensions_built_against_numpy_2(world, tmp_path):
    prefix, _ = _npext_prefix(world, tmp_path)
    before = make_state(numpy("2.1.0", "py311h1_0"))
    after = make_state(numpy("1.26.4"))
    findings = pip_findings(before, after, prefix, cache_dir=False)
    assert [(f.rule, f.severity, f.names) for f in findings] == [
        ("numpy-abi", Severity.MEDIUM, ("numpy", "np2ext"))
    ]


@with_cxx
def test_pip_extension_sonames_join_the_soname_check(world, tmp_path):
    prefix, records = _npext_prefix(world, tmp_path, "libfoo-1.2")
    record, directory = world.incoming("libfoo-2.0")
    report = check_links(
        make_state(*records.values(), prefix=prefix),
        make_state(record),
        prefix=prefix,
        incoming={"libfoo": directory},
        cache_dir=tmp_path / "cache",
    )
    assert [(f.rule, f.severity) for f in report.findings] == [
        ("soname", Severity.HIGH)
    ]
    assert report.findings[0].message == (
        "pip-installed npext 0.1 links libfoo.so.1, provided today by libfoo 1.2 "
        "h1_0, which is being replaced by libfoo 2.0 h2_0 shipping only libfoo.so.2"
    )
    assert report.findings[0].evidence == (
        (
            f"{SITE}/{EXT}: DT_NEEDED libfoo.so.1; provided today by lib/libfoo.so.1 "
            "of libfoo 1.2 h1_0"
        ),
    )


@with_cxx
def test_check_links_reports_pip_findings_too(world, tmp_path):
    prefix, records = _npext_prefix(world, tmp_path, "libfoo-1.2")
    before = make_state(*records.values(), py("3.11.7"), prefix=prefix)
    after = make_state(*records.values(), py("3.12.1", "h1_0_cpython"))
    report = check_links(before, after, prefix=prefix, cache_dir=False)
    assert [(f.rule, f.names[1:]) for f in report.findings] == [
        ("python-minor", ("np2ext", "npext"))
    ]
    quiet = check_links(before, after, prefix=prefix, cache_dir=False, pip=False)
    assert quiet.findings == ()


def test_dists_left_behind_by_an_earlier_python_change_are_not_named(tmp_path):
    prefix = _pure_prefix(tmp_path)
    add_pip_dist(prefix, "stalething", "0.9", {"stalething/_s.so": b"x"}, python="3.10")
    assert "stalething" in pip_extensions(prefix)  # the inventory lists it
    before = make_state(py("3.11.7"))
    after = make_state(py("3.12.1", "h1_0_cpython"))
    (finding,) = pip_findings(before, after, prefix, cache_dir=False)
    assert finding.names == ("python", "fastthing", "uvthing")
