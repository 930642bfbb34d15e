"""check_links on prefixes made from real, compiled, packaged shared objects."""

from __future__ import annotations

import dataclasses
import os
import shutil

import pytest

from conda_guard.binaries import LinkReport, check_links
from conda_guard.models import Severity

from .binaries_helpers import (
    build_world,
    make_state,
    needs_cxx,
    readelf_needs,
    snapshot,
    with_cc,
)

pytestmark = needs_cxx


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory.mktemp("binaries-world"))


@pytest.fixture
def cache(tmp_path):
    return tmp_path / "cache"


def transaction(world, tmp_path, installed, replace=(), remove=(), add=()):
    """(before, after, incoming) for a prefix with ``installed`` packages."""
    prefix, records = world.prefix(tmp_path / "env", *installed)
    before = make_state(*records.values(), prefix=prefix)
    after_records = {name: rec for name, rec in records.items() if name not in remove}
    incoming = {}
    for key in (*replace, *add):
        record, directory = world.incoming(key)
        after_records[record.name] = record
        incoming[record.name] = directory
    return prefix, before, make_state(*after_records.values()), incoming


def test_disappearing_soname_is_caught_with_the_message(world, tmp_path, cache):
    prefix, before, after, incoming = transaction(
        world, tmp_path, ("libfoo-1.2", "app-1.0"), replace=("libfoo-2.0",)
    )
    report = check_links(
        before, after, prefix=prefix, incoming=incoming, cache_dir=cache
    )
    assert isinstance(report, LinkReport)
    assert [(f.rule, f.severity) for f in report.findings] == [
        ("soname", Severity.HIGH)
    ]
    finding = report.findings[0]
    assert finding.message == (
        "app 1.0 links libfoo.so.1, provided today by libfoo 1.2 h1_0, "
        "which is being replaced by libfoo 2.0 h2_0 shipping only libfoo.so.2"
    )
    assert finding.evidence == (
        (
            "bin/app: DT_NEEDED libfoo.so.1; provided today by lib/libfoo.so.1 "
            "of libfoo 1.2 h1_0"
        ),
        (
            "lib/libapp.so: DT_NEEDED libfoo.so.1; provided today by lib/libfoo.so.1 "
            "of libfoo 1.2 h1_0"
        ),
    )
    assert [(p.name, p.before.build, p.after.build) for p in finding.packages] == [
        ("app", "h0_0", "h0_0"),
        ("libfoo", "h1_0", "h2_0"),
    ]
    assert report.notes == ()


def test_still_provided_soname_is_not_flagged(world, tmp_path, cache):
    prefix, before, after, incoming = transaction(
        world, tmp_path, ("libfoo-1.2", "app-1.0"), replace=("libfoo-1.3",)
    )
    report = check_links(
        before, after, prefix=prefix, incoming=incoming, cache_dir=cache
    )
    assert report.findings == ()
    assert report.notes == ()
    assert report.stats["files_scanned"] == 2  # bin/app, lib/libapp.so


def test_soname_provided_by_another_incoming_package_is_not_flagged(
    world, tmp_path, cache
):
    prefix, before, after, incoming = transaction(
        world,
        tmp_path,
        ("libfoo-1.2", "app-1.0"),
        replace=("libfoo-2.0",),
        add=("libfoo-compat-1.2",),
    )
    report = check_links(
        before, after, prefix=prefix, incoming=incoming, cache_dir=cache
    )
    assert report.findings == ()


def test_removed_provider(world, tmp_path, cache):
    prefix, before, after, incoming = transaction(
        world, tmp_path, ("libfoo-1.2", "app-1.0"), remove=("libfoo",)
    )
    report = check_links(
        before, after, prefix=prefix, incoming=incoming, cache_dir=cache
    )
    assert [f.message for f in report.findings] == [
        (
            "app 1.0 links libfoo.so.1, provided today by libfoo 1.2 h1_0, "
            "which is being removed"
        )
    ]
    assert report.findings[0].packages[-1].after is None


def test_unknown_incoming_files_give_a_note_not_a_guess(world, tmp_path, cache):
    prefix, before, after, _ = transaction(
        world, tmp_path, ("libfoo-1.2", "app-1.0"), replace=("libfoo-2.0",)
    )
    report = check_links(before, after, prefix=prefix, incoming={}, cache_dir=cache)
    assert report.findings == ()
    assert report.notes == (
        (
            "incoming files of libfoo 2.0 h2_0 are not known yet (not extracted: a "
            "dry run or an empty package cache), so whether libfoo 2.0 h2_0 still "
            "ships libfoo.so.1, provided today by libfoo 1.2 h1_0, was not checked "
            "(linked by app 1.0: bin/app, lib/libapp.so)"
        ),
    )


def test_transitive_dependents_are_scanned_unrelated_ones_are_not(
    world, tmp_path, cache
):
    # plugin depends on app (not on libfoo) and links libfoo.so.1: transitive.
    # other declares no dependency at all: out of scope unless scan_all.
    prefix, before, after, incoming = transaction(
        world,
        tmp_path,
        ("libfoo-1.2", "app-1.0", "plugin-1.0", "other-1.0"),
        replace=("libfoo-2.0",),
    )
    report = check_links(
        before, after, prefix=prefix, incoming=incoming, cache_dir=cache
    )
    assert sorted(f.packages[0].name for f in report.findings) == ["app", "plugin"]
    assert report.stats["packages_scanned"] == 2
    full = check_links(
        before, after, prefix=prefix, incoming=incoming, cache_dir=cache, scan_all=True
    )
    assert sorted(f.packages[0].name for f in full.findings) == [
        "app",
        "other",
        "plugin",
    ]
    other = next(f for f in full.findings if f.packages[0].name == "other")
    assert other.message.startswith("other 1.0 links libfoo.so.1, provided today by")


def test_no_change_no_scan(world, tmp_path, cache):
    prefix, before, after, incoming = transaction(
        world, tmp_path, ("libfoo-1.2", "app-1.0")
    )
    report = check_links(
        before, after, prefix=prefix, incoming=incoming, cache_dir=cache
    )
    assert report == LinkReport((), (), report.stats)
    assert report.stats["files_scanned"] == 0


def test_files_are_read_from_conda_meta_when_records_lack_them(world, tmp_path, cache):
    prefix, before, after, incoming = transaction(
        world, tmp_path, ("libfoo-1.2", "app-1.0"), replace=("libfoo-2.0",)
    )
    bare = make_state(
        *(dataclasses.replace(r, files=()) for r in before), prefix=prefix
    )
    assert all(not r.files for r in bare)
    report = check_links(bare, after, prefix=prefix, incoming=incoming, cache_dir=cache)
    assert [f.rule for f in report.findings] == ["soname"]


def test_macho_and_scripts_are_skipped_with_a_note(world, tmp_path, cache):
    prefix, before, after, incoming = transaction(
        world, tmp_path, ("libfoo-1.2", "tool-1.0"), replace=("libfoo-2.0",)
    )
    report = check_links(
        before, after, prefix=prefix, incoming=incoming, cache_dir=cache
    )
    assert report.findings == ()
    assert report.notes == (
        f"1 macho file(s) under {prefix} were not checked (no macho reader yet)",
    )


# --- C++ runtime ------------------------------------------------------------


def _expected_cxx_message(world, owner, package):
    needs = readelf_needs(world.objects["cxx"], "libstdc++.so.6")
    # the stub defines GLIBCXX_3.4 .. 3.4.20 and CXXABI_1.3 .. 1.3.8
    glibcxx = [v for v in needs if v.startswith("GLIBCXX_3.4.")]
    top = max(glibcxx, key=lambda v: int(v.rsplit(".", 1)[1]))
    assert int(top.rsplit(".", 1)[1]) > 20, needs
    cxxabi = [
        v for v in needs if v.startswith("CXXABI_1.3.") and int(v.rsplit(".")[-1]) > 8
    ]
    if cxxabi:
        top_abi = max(cxxabi, key=lambda v: int(v.rsplit(".", 1)[1]))
        return (
            f"{owner} needs {top_abi} and {top}, {package} provides up to "
            "CXXABI_1.3.8 and GLIBCXX_3.4.20"
        )
    return f"{owner} needs {top}, {package} provides up to GLIBCXX_3.4.20"


def test_glibcxx_above_incoming_libstdcxx_is_caught(world, tmp_path, cache):
    prefix, before, after, incoming = transaction(
        world,
        tmp_path,
        ("libstdcxx-12.2.0", "cxxlib-1.0"),
        replace=("libstdcxx-4.9.2",),
    )
    report = check_links(
        before, after, prefix=prefix, incoming=incoming, cache_dir=cache
    )
    assert [(f.rule, f.severity) for f in report.findings] == [
        ("cxx-runtime", Severity.HIGH)
    ]
    finding = report.findings[0]
    assert finding.message == _expected_cxx_message(
        world, "cxxlib 1.0", "libstdcxx 4.9.2"
    )
    assert finding.evidence[-1] == (
        "lib/libstdc++.so.6 of libstdcxx 4.9.2 h9_0 defines up to "
        "CXXABI_1.3.8, GLIBCXX_3.4.20"
    )
    assert finding.evidence[0].startswith("lib/libcxxuser.so: needs GLIBCXX_3.4.")
    assert [(p.name, p.before.version, p.after.version) for p in finding.packages] == [
        ("cxxlib", "1.0", "1.0"),
        ("libstdcxx", "12.2.0", "4.9.2"),
    ]


def test_runtime_rename_libstdcxx_ng_to_libstdcxx(world, tmp_path, cache):
    # the file moves from libstdcxx-ng (removed) to libstdcxx (new)
    prefix, before, after, incoming = transaction(
        world,
        tmp_path,
        ("libstdcxx-ng-12.2.0", "cxxlib-ng-1.0"),
        remove=("libstdcxx-ng",),
        add=("libstdcxx-4.9.2",),
    )
    report = check_links(
        before, after, prefix=prefix, incoming=incoming, cache_dir=cache
    )
    assert [f.message for f in report.findings] == [
        _expected_cxx_message(world, "cxxlib-ng 1.0", "libstdcxx 4.9.2")
    ]
    move = report.findings[0].packages[-1]
    assert (move.before.name, move.after.name) == ("libstdcxx-ng", "libstdcxx")


def test_newer_libstdcxx_is_fine(world, tmp_path, cache):
    prefix, before, after, incoming = transaction(
        world,
        tmp_path,
        ("libstdcxx-12.2.0", "cxxlib-1.0"),
        replace=("libstdcxx-14.1.0",),
    )
    report = check_links(
        before, after, prefix=prefix, incoming=incoming, cache_dir=cache
    )
    assert report.findings == ()
    assert report.notes == ()


def test_incoming_binary_above_the_staying_libstdcxx_is_caught(world, tmp_path, cache):
    # an under-declared incoming package: its binary needs a newer libstdc++
    # than the one the prefix keeps
    prefix, before, after, incoming = transaction(
        world, tmp_path, ("libstdcxx-4.9.2",), add=("cxxlib-1.0",)
    )
    report = check_links(
        before, after, prefix=prefix, incoming=incoming, cache_dir=cache
    )
    assert [(f.rule, f.severity) for f in report.findings] == [
        ("cxx-runtime", Severity.HIGH)
    ]
    finding = report.findings[0]
    assert finding.message == _expected_cxx_message(
        world, "cxxlib 1.0", "libstdcxx 4.9.2"
    )
    assert [
        (p.name, p.before and p.before.version, p.after.version)
        for p in finding.packages
    ] == [("cxxlib", None, "1.0"), ("libstdcxx", "4.9.2", "4.9.2")]
    assert report.stats["incoming_files_scanned"] == 1
    off = check_links(
        before,
        after,
        prefix=prefix,
        incoming=incoming,
        cache_dir=cache,
        check_incoming=False,
    )
    assert off.findings == ()


def test_incoming_binary_with_a_new_enough_runtime_is_fine(world, tmp_path, cache):
    prefix, before, after, incoming = transaction(
        world, tmp_path, ("libstdcxx-14.1.0",), add=("cxxlib-1.0",)
    )
    report = check_links(
        before, after, prefix=prefix, incoming=incoming, cache_dir=cache
    )
    assert report.findings == ()
    assert report.stats["incoming_files_scanned"] == 1


def test_incoming_binaries_are_not_scanned_when_the_runtime_is_upgraded(
    world, tmp_path, cache
):
    prefix, before, after, incoming = transaction(
        world,
        tmp_path,
        ("libstdcxx-4.9.2",),
        replace=("libstdcxx-14.1.0",),
        add=("cxxlib-1.0",),
    )
    report = check_links(
        before, after, prefix=prefix, incoming=incoming, cache_dir=cache
    )
    assert report.findings == ()
    assert "incoming_files_scanned" not in report.stats


# --- cache and scope ----------------------------------------------------------


def test_cache_warm_run_reads_nothing_and_a_changed_file_is_read_again(
    world, tmp_path, cache
):
    prefix, before, after, incoming = transaction(
        world, tmp_path, ("libfoo-1.2", "app-1.0"), replace=("libfoo-2.0",)
    )
    cold = check_links(before, after, prefix=prefix, incoming=incoming, cache_dir=cache)
    warm = check_links(before, after, prefix=prefix, incoming=incoming, cache_dir=cache)
    assert cold.findings == warm.findings
    assert cold.stats["files_read"] >= 2
    assert warm.stats["files_read"] == 0
    assert warm.stats["cache_hits"] == cold.stats["files_read"]
    # a rebuilt library that no longer links libfoo: new size → read again
    shutil.copy2(world.objects["libfoo1"], prefix / "lib" / "libapp.so")
    again = check_links(
        before, after, prefix=prefix, incoming=incoming, cache_dir=cache
    )
    assert again.stats["files_read"] == 1
    assert [e.split(":")[0] for e in again.findings[0].evidence] == ["bin/app"]


def test_cache_dir_from_environment(world, tmp_path, monkeypatch):
    monkeypatch.setenv("CONDA_GUARD_CACHE_DIR", str(tmp_path / "envcache"))
    prefix, before, after, incoming = transaction(
        world, tmp_path, ("libfoo-1.2", "app-1.0"), replace=("libfoo-2.0",)
    )
    check_links(before, after, prefix=prefix, incoming=incoming)
    written = sorted(p.name for p in (tmp_path / "envcache" / "binaries").iterdir())
    assert len(written) == 2  # the prefix and the extracted libfoo 2.0
    assert all(name.endswith(".json") for name in written)


def test_never_writes_into_the_prefix(world, tmp_path):
    prefix, before, after, incoming = transaction(
        world, tmp_path, ("libfoo-1.2", "app-1.0"), replace=("libfoo-2.0",)
    )
    prior = snapshot(prefix)
    # even when told to keep its cache inside the prefix
    report = check_links(
        before, after, prefix=prefix, incoming=incoming, cache_dir=prefix / "cache"
    )
    assert [f.rule for f in report.findings] == ["soname"]
    assert snapshot(prefix) == prior


@pytest.mark.parametrize("corrupt", ["in-headers", "in-dynamic"], ids=str)
def test_unreadable_binary_is_a_note(world, tmp_path, cache, corrupt):
    prefix, before, after, incoming = transaction(
        world, tmp_path, ("libfoo-1.2", "app-1.0"), replace=("libfoo-2.0",)
    )
    lib = prefix / "lib" / "libapp.so"
    data = lib.read_bytes()
    phnum = int.from_bytes(data[56:58], "little")  # e_phnum of ELF64
    lib.write_bytes(data[:100] if corrupt == "in-headers" else data[: 64 + 56 * phnum])
    report = check_links(
        before, after, prefix=prefix, incoming=incoming, cache_dir=cache
    )
    assert [e.split(":")[0] for e in report.findings[0].evidence] == ["bin/app"]
    assert report.notes == (
        (
            f"1 file(s) under {prefix} could not be read as binaries and were not "
            "checked: lib/libapp.so"
        ),
    )


@with_cc
def test_c_only_world_without_cxx(tmp_path_factory, tmp_path):
    # the soname check does not need a C++ compiler
    world = build_world(tmp_path_factory.mktemp("c-only"), cxx=False)
    prefix, records = world.prefix(tmp_path / "env", "libfoo-1.2", "app-1.0")
    record, directory = world.incoming("libfoo-2.0")
    report = check_links(
        make_state(*records.values(), prefix=prefix),
        make_state(records["app"], record),
        prefix=prefix,
        incoming={"libfoo": directory},
        cache_dir=False,
    )
    assert [f.rule for f in report.findings] == ["soname"]
    assert not os.path.exists(tmp_path / "cache")


def test_dry_run_finds_incoming_files_in_the_package_cache(world, tmp_path, cache):
    from conda_guard.binaries import incoming_from_cache

    prefix, before, after, _ = transaction(
        world, tmp_path, ("libfoo-1.2", "app-1.0"), replace=("libfoo-2.0",)
    )
    pkgs = world.root / "pkgs"
    changed = [r for r in after if before.get(r.name) != r]
    incoming = incoming_from_cache(changed, [pkgs])
    assert incoming == {"libfoo": pkgs / "libfoo-2.0-h2_0"}
    report = check_links(
        before, after, prefix=prefix, incoming=incoming, cache_dir=cache
    )
    assert [f.rule for f in report.findings] == ["soname"]


def test_incoming_binary_above_the_system_glibc(world, tmp_path, cache):
    from conda_guard.models import Record

    prefix, before, after, incoming = transaction(
        world, tmp_path, ("libfoo-1.2",), add=("app-1.0",)
    )
    glibc = Record(name="__glibc", version="2.2", build="0")
    after = make_state(*after, glibc)
    report = check_links(
        before, after, prefix=prefix, incoming=incoming, cache_dir=cache
    )
    needs = {
        v
        for key in ("app", "libapp")
        for lib in ("libc.so.6", "libm.so.6")
        for v in readelf_needs(world.objects[key], lib)
        if v.startswith("GLIBC_2.")
    }
    top = max(needs, key=lambda v: tuple(int(p) for p in v[6:].split(".")))
    assert [(f.rule, f.severity, f.message) for f in report.findings] == [
        (
            "cxx-runtime",
            Severity.HIGH,
            f"app 1.0 needs {top}, the system's glibc is 2.2 (__glibc)",
        )
    ]
    assert report.findings[0].evidence[-1] == (
        "__glibc 2.2: the system's C library (virtual)"
    )
    # a new enough glibc: nothing
    fine = make_state(
        *(r for r in after if r.name != "__glibc"),
        dataclasses.replace(glibc, version="99.0"),
    )
    report = check_links(
        before, fine, prefix=prefix, incoming=incoming, cache_dir=cache
    )
    assert report.findings == ()
