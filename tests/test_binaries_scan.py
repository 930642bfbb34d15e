"""Where the cache lives, finding extracted packages, and the per-file cache."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest

from conda_guard.binaries import check_links, default_cache_dir, incoming_from_cache
from conda_guard.binaries.scan import CACHE_SCHEMA, Scanner
from conda_guard.models import Record

from .binaries_helpers import build_world, make_state, with_cc


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="XDG layout")
def test_default_cache_dir_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("CONDA_GUARD_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "conda-guard"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "conda-guard"


def test_environment_variable_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("CONDA_GUARD_CACHE_DIR", str(tmp_path / "mine"))
    assert default_cache_dir() == tmp_path / "mine"


def _index(directory, name, version, build):
    (directory / "info").mkdir(parents=True)
    (directory / "info" / "index.json").write_text(
        json.dumps({"name": name, "version": version, "build": build})
    )


def test_incoming_from_cache(tmp_path):
    first, second = tmp_path / "pkgs1", tmp_path / "pkgs2"
    _index(second / "libfoo-2.0-h2_0", "libfoo", "2.0", "h2_0")
    _index(first / "libbar-1.0-h0_0", "libbar", "1.0", "h9_9")  # other build
    _index(second / "libbaz-3-hx_1", "libbaz", "3", "hx_1")
    records = [
        Record(name="libfoo", version="2.0", build="h2_0", fn="libfoo-2.0-h2_0.conda"),
        Record(name="libbar", version="1.0", build="h0_0"),
        Record(name="libbaz", version="3", build="hx_1", fn="libbaz-3-hx_1.tar.bz2"),
        Record(name="absent", version="1", build="0"),
    ]
    assert incoming_from_cache(records, [first, second]) == {
        "libfoo": second / "libfoo-2.0-h2_0",
        "libbaz": second / "libbaz-3-hx_1",
    }


def test_scanner_cache_file_shape(tmp_path):
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "script").write_text("#!/bin/sh\n")
    scanner = Scanner(root, tmp_path / "cache")
    assert scanner.info("bin/script") is None
    assert scanner.info("bin/missing") is None
    scanner.save()
    data = json.loads(scanner.cache_file.read_text())
    assert data["schema"] == CACHE_SCHEMA
    assert data["root"] == str(root)
    assert data["files"]["bin/script"]["kind"] == "none"
    assert set(data["files"]) == {"bin/script"}
    again = Scanner(root, tmp_path / "cache")
    assert again.info("bin/script") is None
    assert (again.reads, again.hits) == (0, 1)


def test_corrupt_cache_is_ignored(tmp_path):
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "script").write_text("#!/bin/sh\n")
    first = Scanner(root, tmp_path / "cache")
    first.cache_file.parent.mkdir(parents=True)
    first.cache_file.write_text("{not json")
    scanner = Scanner(root, tmp_path / "cache")
    assert scanner.info("bin/script") is None
    assert scanner.reads == 1
    scanner.save()
    assert json.loads(scanner.cache_file.read_text())["schema"] == CACHE_SCHEMA


def test_disabled_cache(tmp_path):
    scanner = Scanner(tmp_path, False)
    assert scanner.cache_file is None
    scanner.save()
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory.mktemp("scan-world"), cxx=False)


@with_cc
def test_staying_package_with_fewer_fields_after_is_still_staying(world, tmp_path):
    # a lock file or solver gives the same package without md5/url/timestamp
    prefix, records = world.prefix(tmp_path / "env", "libfoo-1.2", "app-1.0")
    record, directory = world.incoming("libfoo-2.0")
    app_after = dataclasses.replace(
        records["app"], md5=None, url=None, timestamp=None, files=()
    )
    report = check_links(
        make_state(*records.values(), prefix=prefix),
        make_state(app_after, record),
        prefix=prefix,
        incoming={"libfoo": directory},
        cache_dir=False,
    )
    assert [f.message.split(",")[0] for f in report.findings] == [
        "app 1.0 links libfoo.so.1"
    ]


def test_no_known_files_says_so(tmp_path):
    before = make_state(Record(name="libfoo", version="1.2", build="h1_0"))
    after = make_state(Record(name="libfoo", version="2.0", build="h2_0"))
    report = check_links(before, after, prefix=tmp_path, cache_dir=False)
    assert report.notes == (
        (
            f"link-level checks skipped: no installed files are known for {tmp_path} "
            "(conda-meta records without 'files')"
        ),
    )


def test_importing_the_package_does_not_import_pyelftools():
    code = (
        "import sys, conda_guard.binaries; "
        "assert 'elftools' not in sys.modules, 'elftools imported'; "
        "assert 'conda' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_guess_pkgs_dirs(tmp_path, monkeypatch):
    from conda_guard.binaries import guess_pkgs_dirs

    monkeypatch.delenv("CONDA_PKGS_DIRS", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    root = tmp_path / "miniforge"
    (root / "pkgs").mkdir(parents=True)
    (root / "envs" / "work").mkdir(parents=True)
    (tmp_path / "home" / ".conda" / "pkgs").mkdir(parents=True)
    assert guess_pkgs_dirs(root / "envs" / "work") == (
        root / "pkgs",
        tmp_path / "home" / ".conda" / "pkgs",
    )
    assert guess_pkgs_dirs(root)[0] == root / "pkgs"
    monkeypatch.setenv("CONDA_PKGS_DIRS", f"{tmp_path / 'nope'},{root / 'pkgs'}")
    assert guess_pkgs_dirs(root / "envs" / "work") == (root / "pkgs",)
