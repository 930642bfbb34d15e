"""Reading real prefixes (conda-meta) and prefixes at a history revision."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conda_guard.exceptions import InputError
from conda_guard.readers import read_state
from conda_guard.readers.pip_dists import normalize_pip_name
from conda_guard.readers.prefix import read_prefix, record_from_prefix_json

from .helpers import needs_data

PREFIXES = Path(__file__).parents[2] / "shared" / "data" / "prefixes"
CHEMTOOLS = PREFIXES / "chemtools-win64-mkl-openssl-downgrade"
PY313T = PREFIXES / "conda-envpy313t-osx-arm64"
PY27 = PREFIXES / "conda-py27-osx-nomkl"
RATTLER = PREFIXES / "rattler-osx-arm64-records"

pytestmark = needs_data


def copy_prefix(src: Path, dst: Path) -> Path:
    shutil.copytree(src / "conda-meta", dst / "conda-meta")
    for path in (dst / "conda-meta").iterdir():
        path.chmod(0o644)
    (dst / "conda-meta").chmod(0o755)
    return dst


def test_chemtools_prefix_records():
    state = read_state(str(CHEMTOOLS))
    assert state.kind == "prefix"
    assert state.prefix == str(CHEMTOOLS)
    assert state.platform == "win-64"
    assert state.revision is None
    assert state.frozen is None
    assert sorted(state.records) == [
        "libblas",
        "libcblas",
        "liblapack",
        "mkl",
        "openssl",
        "python_abi",
    ]
    blas = state.get("libblas")
    assert (blas.version, blas.build, blas.build_number) == (
        "3.9.0",
        "16_win64_mkl",
        16,
    )
    assert (blas.channel, blas.subdir) == ("conda-forge", "win-64")
    assert blas.depends == ("mkl 2022.1.0 h6a75c08_874",)
    assert "blas * mkl" in blas.constrains
    assert blas.track_features == ()
    assert blas.md5 == "d2e6f4e86cee2b4e8c27ff6884ccdc61"
    assert blas.fn == "libblas-3.9.0-16_win64_mkl.tar.bz2"
    assert blas.url.endswith("/win-64/libblas-3.9.0-16_win64_mkl.tar.bz2")
    assert blas.timestamp == 1660095228617
    assert blas.files == ("Library/bin/libblas.dll", ".nonadmin")
    assert blas.requested_spec is None  # the file says "None"
    assert blas.source == str(
        CHEMTOOLS / "conda-meta" / "libblas-3.9.0-16_win64_mkl.json"
    )
    assert state.get("openssl").dist == "openssl-1.1.1q-hcfcfb64_1"
    # the history asks for python, scipy …, none of which has a record here
    assert state.explicit == {}


def test_py313t_prefix_explicit_and_requested_spec():
    state = read_state(str(PY313T))
    assert state.explicit == {"python_abi": "python_abi[build=*_cp313t]"}
    abi = state.get("python_abi")
    assert abi.build == "5_cp313t"
    assert abi.constrains == ("python 3.13.* *_cp313t",)
    assert abi.requested_spec == "python_abi[build=*_cp313t]"
    assert state.get("openssl").version == "3.4.1"
    assert state.platform == "osx-arm64"


def test_py27_defaults_prefix_track_features_string():
    state = read_state(str(PY27))
    blas = state.get("blas")
    assert blas.track_features == ("nomkl",)
    assert (blas.channel, blas.subdir, blas.build) == (
        "pkgs/main",
        "osx-64",
        "openblas",
    )
    assert state.get("nomkl").depends == ("blas * openblas",)
    assert state.explicit == {"nomkl": "nomkl", "numpy": "numpy"}


def test_rattler_prefix_without_history():
    state = read_state(str(RATTLER))
    assert len(state) == 11
    assert state.explicit == {}
    numpy = state.get("numpy")
    assert numpy.dist == "numpy-1.26.4-py311h7125741_0"
    assert "python_abi 3.11.* *_cp311" in numpy.depends
    assert numpy.constrains == ("numpy-base <0a0",)
    assert numpy.channel == "conda-forge"
    assert len(numpy.files) == 1404
    assert state.get("libopenblas").build == "openmp_h6c19121_0"
    assert state.get("llvm-openmp").constrains == ("openmp 18.1.6|18.1.6.*",)


@pytest.mark.parametrize(
    "name",
    ["conda-tests-minonda-2016", "mamba-history-parse", "mamba-history-parse-metadata"],
)
def test_history_only_prefixes_have_no_records(name):
    state = read_state(str(PREFIXES / name))
    assert len(state) == 0
    assert state.explicit == {}  # conda keeps only installed names


@pytest.mark.parametrize(
    ("name", "line", "reason"),
    [
        ("conda-corrupt-json", 2, "invalid JSON"),
        ("conda-corrupt-unicode", 1, "not UTF-8"),
    ],
    ids=["json", "unicode"],
)
def test_corrupt_records_name_the_file(name, line, reason):
    path = PREFIXES / name / "conda-meta" / "corrupt-1.2.3-hashhash.json"
    with pytest.raises(InputError) as err:
        read_state(str(PREFIXES / name))
    assert err.value.path == str(path)
    assert err.value.line == line
    assert reason in err.value.reason
    assert "\n" not in str(err.value)


def test_junk_history_makes_the_prefix_unreadable():
    with pytest.raises(InputError, match=r"history:1: bad revision header date"):
        read_state(str(PREFIXES / "mamba-history-junk-segfault"))


def test_not_a_prefix(tmp_path):
    with pytest.raises(InputError, match="no conda-meta directory"):
        read_prefix(tmp_path)
    with pytest.raises(InputError, match="no such directory"):
        read_prefix(tmp_path / "missing")


def test_truncated_record(tmp_path):
    prefix = copy_prefix(PY27, tmp_path / "env")
    path = prefix / "conda-meta" / "six-1.11.0-py27_1.json"
    path.write_text(path.read_text()[:200])
    with pytest.raises(InputError) as err:
        read_prefix(prefix)
    assert err.value.path == str(path)
    assert err.value.reason.startswith("invalid JSON")


def test_record_without_name(tmp_path):
    with pytest.raises(InputError, match="not a package record"):
        record_from_prefix_json({"version": "1"}, "x.json")
    with pytest.raises(InputError, match="expected a JSON object"):
        record_from_prefix_json([1], "x.json")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("python", "python"),
        ({"type": "python"}, "python"),
        (True, "generic"),
        (None, None),
    ],
    ids=["string", "dict", "bool", "none"],
)
def test_noarch_forms(value, expected):
    data = json.loads((PY27 / "conda-meta" / "six-1.11.0-py27_1.json").read_text())
    data["noarch"] = value
    assert record_from_prefix_json(data, "six.json").noarch == expected


def test_track_features_list_form():
    data = json.loads((PY27 / "conda-meta" / "blas-1.0-openblas.json").read_text())
    data["track_features"] = ["blas_mkl", "blas_mkl_2"]
    assert record_from_prefix_json(data, "b.json").track_features == (
        "blas_mkl",
        "blas_mkl_2",
    )
    data["track_features"] = "blas_mkl blas_mkl_2"
    assert record_from_prefix_json(data, "b.json").track_features == (
        "blas_mkl",
        "blas_mkl_2",
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [("", ""), ('{"message": "pinned by IT"}\n', '{"message": "pinned by IT"}\n')],
    ids=["empty", "message"],
)
def test_frozen(tmp_path, content, expected):
    prefix = copy_prefix(PY27, tmp_path / "env")
    (prefix / "conda-meta" / "frozen").write_text(content)
    assert read_prefix(prefix).frozen == expected


# --- pip-installed distributions -------------------------------------------


def make_dist_info(
    site: Path, dirname: str, name: str, version: str, installer: str | None
):
    info = site / dirname
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nName: not-this\n"
    )
    if installer is not None:
        (info / "INSTALLER").write_text(installer + "\n")
    return info


def test_pip_packages_in_site_packages(tmp_path):
    prefix = copy_prefix(PY313T, tmp_path / "env")
    site = prefix / "lib" / "python3.13t" / "site-packages"
    make_dist_info(site, "Foo_Bar-1.2.dist-info", "Foo_Bar", "1.2.0", "pip")
    make_dist_info(site, "six-1.17.0.dist-info", "six", "1.17.0", "conda")
    make_dist_info(site, "uvpkg-0.1.dist-info", "uvpkg", "0.1", "uv")
    state = read_prefix(prefix)
    foo = state.get("foo-bar")
    assert (foo.version, foo.build, foo.channel, foo.subdir, foo.pip) == (
        "1.2.0",
        "pypi_0",
        "pypi",
        "pypi",
        True,
    )
    assert foo.source == str(site / "Foo_Bar-1.2.dist-info")
    assert state.get("uvpkg").pip
    assert "six" not in state
    assert len(state) == 13


def test_pip_windows_layout_and_conda_owned_files(tmp_path):
    prefix = copy_prefix(CHEMTOOLS, tmp_path / "env")
    site = prefix / "Lib" / "site-packages"
    make_dist_info(site, "requests-2.31.0.dist-info", "requests", "2.31.0", "pip")
    # a dist-info without INSTALLER that a conda record lists is conda's
    make_dist_info(site, "mkl_service-2.4.0.dist-info", "mkl-service", "2.4.0", None)
    meta = prefix / "conda-meta" / "mkl-2022.1.0-h6a75c08_874.json"
    data = json.loads(meta.read_text())
    data["files"].append("Lib/site-packages/mkl_service-2.4.0.dist-info/METADATA")
    meta.write_text(json.dumps(data))
    state = read_prefix(prefix)
    assert state.get("requests").version == "2.31.0"
    assert "mkl-service" not in state


def test_pip_clobbering_a_conda_package_replaces_it(tmp_path):
    prefix = copy_prefix(PY313T, tmp_path / "env")
    site = prefix / "lib" / "python3.13t" / "site-packages"
    make_dist_info(site, "libzlib-9.9.dist-info", "libzlib", "9.9", "pip")
    rec = read_prefix(prefix).get("libzlib")
    assert rec.pip and rec.version == "9.9"


@pytest.mark.parametrize(
    ("name", "normalized"),
    [("Foo_Bar", "foo-bar"), ("ruamel.yaml", "ruamel-yaml"), ("A--B__c", "a-b-c")],
)
def test_normalize_pip_name(name, normalized):
    assert normalize_pip_name(name) == normalized


# --- PREFIX@N ---------------------------------------------------------------


def test_chemtools_revision_before_and_after_matplotlib():
    before = read_state(f"{CHEMTOOLS}@2")
    after = read_state(f"{CHEMTOOLS}@3")
    assert before.revision == 2 and after.revision == 3
    assert before.source == f"{CHEMTOOLS}@2"
    assert before.kind == "prefix"
    ssl_before, ssl_after = before.get("openssl"), after.get("openssl")
    assert ssl_before.dist == "openssl-3.0.5-hcfcfb64_2"
    assert ssl_before.source == f"{CHEMTOOLS / 'conda-meta' / 'history'}:13"
    assert ssl_before.md5 is None  # not installed any more: from the history line
    assert ssl_after.dist == "openssl-1.1.1q-hcfcfb64_1"
    assert ssl_after.md5 == "7cd47fc1e8dee65440b749e5b087d574"  # full record
    assert before.get("python").build == "hcf16a7b_0_cpython"
    assert after.get("python").build == "h9a09f29_0_cpython"
    assert before.get("libblas").depends == ("mkl 2022.1.0 h6a75c08_874",)
    assert len(before) == 65 and len(after) == 113
    assert before.explicit == {
        "python": "python=3.11.0",
        "scipy": "scipy",
        "ipykernel": "ipykernel",
    }
    assert "matplotlib" in after.explicit
    assert before.platform == "win-64"


def test_revision_zero_of_a_2016_history():
    state = read_state(f"{PREFIXES / 'conda-tests-minonda-2016'}@0")
    assert len(state) == 16
    assert state.get("python").dist == "python-2.7.11-0"
    assert state.explicit == {}  # the first section has no specs


def test_revision_out_of_range():
    with pytest.raises(InputError, match=r"no revision 99 \(revisions are 0 to 6\)"):
        read_state(f"{CHEMTOOLS}@99")


def test_revision_without_history():
    with pytest.raises(InputError, match="no history file"):
        read_state(f"{RATTLER}@0")


# --- speed ------------------------------------------------------------------


def test_reading_1000_records(tmp_path):
    """Copies of real records under new names: 1,000 json files (speed: see
    tests/bench/test_bench_parsers.py)."""
    meta = tmp_path / "env" / "conda-meta"
    meta.mkdir(parents=True)
    sources = [
        json.loads(p.read_text())
        for p in sorted((RATTLER / "conda-meta").glob("*.json"))
        if not p.name.startswith("numpy")
    ] + [
        json.loads(p.read_text())
        for p in sorted((CHEMTOOLS / "conda-meta").glob("*.json"))
    ]
    for i in range(1000):
        data = dict(sources[i % len(sources)])
        data["name"] = f"{data['name']}-{i}"
        (meta / f"{data['name']}-{data['version']}-{data['build']}.json").write_text(
            json.dumps(data)
        )
    state = read_prefix(tmp_path / "env")
    assert len(state) == 1000
    assert f"{sources[0]['name']}-0" in state
    assert f"{sources[1]['name']}-1" in state


def test_egg_info_forms(tmp_path):
    prefix = copy_prefix(PY313T, tmp_path / "env")
    site = prefix / "lib" / "python3.13t" / "site-packages"
    site.mkdir(parents=True)
    (site / "oldpkg-0.3-py3.13.egg-info").write_text("Name: OldPkg\nVersion: 0.3\n")
    egg_dir = site / "dirpkg-1.0-py3.13.egg-info"
    egg_dir.mkdir()
    (egg_dir / "PKG-INFO").write_text(
        "Metadata-Version: 1.0\nName: dirpkg\nVersion: 1.0\n"
    )
    # an egg-info a conda record lists is conda's
    owned = site / "certifi-2024.2.2-py3.13.egg-info"
    owned.mkdir()
    (owned / "PKG-INFO").write_text("Name: certifi\nVersion: 2024.2.2\n")
    meta = prefix / "conda-meta" / "bzip2-1.0.8-h99b78c6_7.json"
    data = json.loads(meta.read_text())
    data["files"].append(
        "lib/python3.13t/site-packages/certifi-2024.2.2-py3.13.egg-info/PKG-INFO"
    )
    meta.write_text(json.dumps(data))
    state = read_prefix(prefix)
    assert state.get("oldpkg").version == "0.3"
    assert state.get("dirpkg").pip
    assert "certifi" not in state


@pytest.mark.parametrize(
    "prefix",
    [
        CHEMTOOLS,
        PREFIXES / "mamba-history-parse",
        PREFIXES / "conda-tests-minonda-2016",
    ],
    ids=["chemtools", "mamba", "minonda"],
)
def test_all_revisions_match_one_by_one(prefix):
    from conda_guard.readers.prefix import read_prefix_revisions

    states = read_prefix_revisions(prefix)
    assert [s.revision for s in states] == list(range(len(states)))
    for state in states:
        single = read_state(f"{prefix}@{state.revision}")
        assert dict(state.records) == dict(single.records)
        assert dict(state.explicit) == dict(single.explicit)
        assert state.source == single.source


# --- what the history says against conda-meta -----------------------------------


def test_history_that_does_not_describe_the_prefix_is_a_warning():
    state = read_prefix(CHEMTOOLS)
    (warning,) = state.warnings
    assert "the history does not describe this prefix" in warning
    assert "has 130 packages, conda-meta 6" in warning
    assert "124 not in conda-meta: asttokens, attrs, backcall, …" in warning
    assert "\n" not in warning


def _prefix_with_history(tmp_path, history: str):
    meta = tmp_path / "env" / "conda-meta"
    meta.mkdir(parents=True)
    for src in (CHEMTOOLS / "conda-meta").glob("*.json"):
        (meta / src.name).write_bytes(src.read_bytes())
    (meta / "history").write_text(history)
    return meta.parent


def test_empty_history_is_a_warning(tmp_path):
    state = read_prefix(_prefix_with_history(tmp_path, ""))
    expected = (
        f"{tmp_path}/env/conda-meta/history: the history has no revisions; "
        "requested specs are unknown"
    )
    assert state.warnings == (expected,)
    assert state.explicit == {}


def test_pixi_history_placeholder_is_no_warning(tmp_path):
    text = "// not relevant for pixi but for `conda run -p`"
    state = read_prefix(_prefix_with_history(tmp_path, text))
    assert state.warnings == ()
    assert len(state) == 6


def test_history_matching_conda_meta_is_no_warning(tmp_path):
    lines = [
        f"+conda-forge/win-64::{p.stem}"
        for p in sorted((CHEMTOOLS / "conda-meta").glob("*.json"))
    ]
    text = "==> 2022-11-01 18:19:54 <==\n# cmd: conda create\n" + "\n".join(lines)
    state = read_prefix(_prefix_with_history(tmp_path, text + "\n"))
    assert state.warnings == ()
    moved = text.replace("openssl-1.1.1q-hcfcfb64_1", "openssl-3.0.5-hcfcfb64_2")
    (warning,) = read_prefix(_prefix_with_history(tmp_path / "b", moved)).warnings
    assert "(1 at another version or build: openssl)" in warning


@pytest.mark.parametrize("prefix", [CHEMTOOLS, PY313T, PY27], ids=lambda p: p.name)
def test_streamed_revisions_match_the_parsed_history(prefix):
    import dataclasses

    from conda_guard.channel_names import active as active_channels
    from conda_guard.readers.history import parse_history
    from conda_guard.readers.prefix import (
        iter_prefix_revisions,
        read_prefix_records,
        read_prefix_revision,
    )

    history = parse_history(prefix)
    current = read_prefix_records(prefix)
    streamed = list(iter_prefix_revisions(prefix))
    assert [rev for rev, _ in streamed] == list(history.revisions)
    for n, (_, state) in enumerate(streamed):
        dists = history.dists_at(n)
        expected = {}
        for name, dist in sorted(dists.items()):
            rec = current.get(name)
            same = rec is not None and (rec.version, rec.build) == (
                dist.version,
                dist.build,
            )
            if same:
                expected[name] = rec
                continue
            # the history's channel name, as conda-meta names that channel
            got = state.records[name].channel
            assert active_channels().same(dist.channel, got)
            expected[name] = dataclasses.replace(dist.to_record(), channel=got)
        assert list(state.records) == list(expected)
        assert dict(state.records) == expected
        assert state.explicit == history.requested_specs(upto=n, installed=dists)
        assert state.revision == n
        single = read_prefix_revision(prefix, n)
        assert dict(single.records) == expected
        assert single.explicit == state.explicit
        assert single.platform == state.platform
