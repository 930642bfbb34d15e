"""Tests for conda_guard.abi and scripts/make_abi_table.py (ABI knowledge as data)."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conda_guard.abi import AXES, FAMILIES, AbiTable, Pin, load_table
from conda_guard.abi_markers import VariantReader
from conda_guard.models import Record
from tests.helpers import (
    DATA,
    HARVESTED,
    ROOT,
    all_records,
    needs_data,
    real,
)

PINNING = DATA / "pinning" / "conda_build_config.yaml"
PINS_JSON = ROOT / "conda_guard" / "data" / "abi_pins.json"
FAMILIES_JSON = ROOT / "conda_guard" / "data" / "abi_families.json"
SCRIPT = ROOT / "scripts" / "make_abi_table.py"

needs_pinning = pytest.mark.skipif(
    not PINNING.is_file(), reason=f"conda-forge pinning file not found at {PINNING}"
)


def _load_script():
    spec = importlib.util.spec_from_file_location("make_abi_table", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gen():
    return _load_script()


@pytest.fixture(scope="module")
def table() -> AbiTable:
    return load_table()


@pytest.fixture(scope="module")
def pins() -> dict:
    return json.loads(PINS_JSON.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------
# the generated table
# ---------------------------------------------------------------------------


@needs_pinning
def test_regenerated_table_is_the_committed_one(gen):
    fresh = gen.render(gen.build_table(PINNING, HARVESTED))
    assert fresh == PINS_JSON.read_text(encoding="utf-8"), (
        "conda_guard/data/abi_pins.json is stale: run python scripts/make_abi_table.py"
    )


@needs_pinning
def test_script_check_mode_passes_on_committed_table():
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""


@needs_pinning
def test_script_writes_same_bytes(tmp_path):
    out = tmp_path / "abi_pins.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--pinning", str(PINNING), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes() == PINS_JSON.read_bytes()


def test_script_missing_input_is_one_line_error(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--pinning", str(tmp_path / "nope.yaml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("make_abi_table: error: no such file:")
    assert proc.stderr.count("\n") == 1


def test_generated_header(pins):
    assert pins["_generated_by"] == "scripts/make_abi_table.py"
    assert pins["_generator_version"] == 1
    src = pins["_source"]
    assert src["path"] == "../shared/data/pinning/conda_build_config.yaml"
    assert src["upstream"] == (
        "conda-forge/conda-forge-pinning-feedstock:recipe/conda_build_config.yaml"
    )
    assert re.fullmatch(r"[0-9a-f]{64}", src["sha256"])


@needs_pinning
def test_source_hash_is_the_pinning_file(pins):
    import hashlib

    assert pins["_source"]["sha256"] == hashlib.sha256(PINNING.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("name", "key", "values", "granularity", "known"),
    [
        ("openssl", "openssl", ["3.5"], "x.x", True),
        ("libprotobuf", "libprotobuf", ["7.35.1"], "x.x.x", True),
        ("icu", "icu", ["78"], "x", True),
        ("hdf5", "hdf5", ["1.14.6"], "x.x.x", True),
        ("numpy", "numpy", ["2"], "x", True),
        ("libjpeg-turbo", "libjpeg_turbo", ["3"], "x", True),
        ("libblas", "libblas", ["3.9.* *netlib"], "x.x", True),
        ("openblas", "openblas", ["0.3.*"], "x.x", True),
        # YAML 0.60 would be the float 0.6: the generator keeps the text
        ("coin-or-cgl", "coin_or_cgl", ["0.60"], "x.x", False),
        ("x264", "x264", ["1!164.*"], "x", True),
        ("root_base", "root_base", ["6.36.10", "6.38.4", "6.40.2"], "x.x.x", False),
        ("console_bridge", "console_bridge", ["1.0"], "x.x", True),
        ("_libgcc_mutex", "_libgcc_mutex", ["0.1 conda_forge"], "x.x", True),
        ("pari", "pari", ["2.17.* *_pthread"], "x.x", False),
        ("libarrow", "libarrow", ["25.0", "24.0", "23.0", "22.0"], "x.x", True),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_pin_entries(pins, name, key, values, granularity, known):
    entry = pins["pins"][name]
    assert entry["key"] == key
    assert entry["values"] == values
    assert entry["granularity"] == granularity
    assert entry["known_in_data"] is known


def test_pin_run_as_build_gives_granularity(pins):
    assert pins["pins"]["netcdf-cxx4"]["granularity"] == "x.x"
    assert pins["pins"]["netcdf-cxx4"]["granularity_from"] == "pin_run_as_build"
    assert pins["pins"]["vlfeat"]["granularity"] == "x.x.x"
    assert pins["pins"]["libblst"]["granularity_from"] == "pin_run_as_build"
    assert pins["pins"]["icu"]["granularity_from"] == "value depth"


def test_deep_pin_is_capped(pins):
    assert pins["pins"]["clhep"]["values"] == ["2.4.7.2"]
    assert pins["pins"]["clhep"]["granularity"] == "x.x.x"
    assert pins["pins"]["clhep"]["granularity_capped"] is True
    assert "granularity_capped" not in pins["pins"]["hdf5"]


def test_selectors_kept(pins):
    assert pins["pins"]["mkl"]["values"] == ["2026", "2023"]
    assert pins["pins"]["mkl"]["selectors"] == {"2023": ["osx"], "2026": ["not osx"]}
    assert pins["pins"]["python"]["selectors"]["3.14.* *_cp314"] == ["win and arm64"]
    # the key line's selector applies to its items
    assert pins["pins"]["vc"]["selectors"] == {"14": ["win"]}
    assert pins["pins"]["llvm-openmp"]["selectors"] == {"21": ["osx"]}
    assert "selectors" not in pins["pins"]["openssl"]


def test_skipped_keys_have_reasons(pins):
    skipped = pins["skipped"]
    for key in (
        "c_compiler",
        "cxx_compiler_version",
        "cdt_name",
        "zip_keys",
        "pin_run_as_build",
        "channel_sources",
        "docker_image",
        "python_min",
        "blas_impl",
        "cuda_compiler_version",
    ):
        assert skipped[key], key
    assert skipped["python_min"].startswith("lowest python for noarch recipes")
    for name, entry in pins["pins"].items():
        assert not entry["key"].endswith(("_compiler", "_compiler_version")), name
        assert entry["key"] not in skipped


@pytest.mark.parametrize(
    ("value", "granularity"),
    [
        ("3.5", "x.x"),
        ("78", "x"),
        ("1.14.6", "x.x.x"),
        ("0.3.*", "x.x"),
        ("3.9.* *netlib", "x.x"),
        ("3.13.* *_cp313", "x.x"),
        ("1!164.*", "x"),
        ("2025.11.05", "x.x.x"),
        ("2.4.7.2", "x.x.x"),
    ],
)
def test_granularity_of(gen, value, granularity):
    assert gen.granularity_of(value) == granularity


def test_package_name_rules(gen):
    known = frozenset({"libjpeg-turbo", "console_bridge"})
    assert gen.package_name("libjpeg_turbo", known) == ("libjpeg-turbo", True)
    assert gen.package_name("console_bridge", known) == ("console_bridge", True)
    assert gen.package_name("lz4_c", known) == ("lz4-c", False)
    assert gen.package_name("python_abi", known) == ("python_abi", False)
    assert gen.package_name("root_base", known) == ("root_base", False)
    assert gen.package_name("_libgcc_mutex", known) == ("_libgcc_mutex", False)


def test_unknown_config_key_fails_loudly(gen, tmp_path):
    bad = tmp_path / "conda_build_config.yaml"
    bad.write_text("openssl:\n  - '3.5'\nsome_setting:\n  - hello world\n")
    with pytest.raises(gen.PinningError, match="'some_setting' has non-version"):
        gen.build_table(bad, None)


def test_small_file_end_to_end(gen, tmp_path):
    cfg = tmp_path / "conda_build_config.yaml"
    cfg.write_text(
        "c_compiler:\n  - gcc  # [linux]\n"
        "pin_run_as_build:\n  foo-bar:\n    max_pin: x.x.x\n"
        "foo_bar:\n  - 1.2\n"
        "zlib_ng:\n  - '2.3'   # [linux]\n  - '2.2'   # [win]\n"
    )
    table = gen.build_table(cfg, None)
    assert table["skipped"] == {
        "c_compiler": "compiler package selector, not a runtime pin",
        "pin_run_as_build": "per-package max_pin overrides; read for granularity",
    }
    assert table["pins"] == {
        "foo-bar": {
            "key": "foo_bar",
            "values": ["1.2"],
            "granularity": "x.x.x",
            "granularity_from": "pin_run_as_build",
            "known_in_data": False,
        },
        "zlib-ng": {
            "key": "zlib_ng",
            "values": ["2.3", "2.2"],
            "granularity": "x.x",
            "granularity_from": "value depth",
            "known_in_data": False,
            "selectors": {"2.2": ["win"], "2.3": ["linux"]},
        },
    }


# ---------------------------------------------------------------------------
# families and pins through the API
# ---------------------------------------------------------------------------


def test_load_table_is_cached(table):
    assert load_table() is table


def test_every_family_is_there(table):
    assert table.families == FAMILIES
    data = json.loads(FAMILIES_JSON.read_text(encoding="utf-8"))
    for fam, spec in data["families"].items():
        assert spec["_source"], fam
        assert spec["members"], fam
    for axis in data["variant_markers"]:
        assert axis.startswith("_") or axis in AXES


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("numpy", "numpy"),
        ("numpy-base", "numpy"),
        ("libblas", "blas"),
        ("blas", "blas"),
        ("mkl", "blas"),
        ("nomkl", "blas"),
        ("_openmp_mutex", "openmp"),
        ("llvm-openmp", "openmp"),
        ("cuda-version", "cuda"),
        ("cudnn", "cuda"),
        ("libcublas", "cuda"),
        ("cuda-cudart-dev_linux-64", "cuda"),
        ("libnvptxcompiler-dev_linux-64", "cuda"),
        ("magma-cuda121", "cuda"),
        ("cuda92", "cuda"),
        ("pytorch", "gpu"),
        ("pytorch-mutex", "gpu"),
        ("faiss-cpu", "gpu"),
        ("python", "python"),
        ("python_abi", "python"),
        ("libstdcxx-ng", "cxx-runtime"),
        ("libgfortran5", "cxx-runtime"),
        ("_libgcc_mutex", "cxx-runtime"),
        ("openssl", "openssl"),
        ("mpich", "mpi"),
        ("mpi", "mpi"),
        # the CUDA globs must not catch these
        ("libcurl", None),
        ("libcups", None),
        ("scipy", None),
    ],
)
def test_family_of(table, name, family):
    assert table.family_of(name) == family


@needs_data
def test_family_patterns_in_file_order(table):
    # one regex for all patterns gives, for every real package name, the
    # family of the first pattern (in file order) that matches it
    import fnmatch

    families = json.loads(FAMILIES_JSON.read_text(encoding="utf-8"))["families"]
    globs = [
        (g, fam) for fam, spec in families.items() for g in spec.get("patterns", ())
    ]
    assert len(globs) >= 5
    names = {r.name for r in all_records("conda-forge") + all_records("pytorch")}
    matched = 0
    for name in names:
        if any(name in spec.get("members", ()) for spec in families.values()):
            continue
        first = next((fam for g, fam in globs if fnmatch.fnmatchcase(name, g)), None)
        assert table.family_of(name) == first, name
        matched += first is not None
    assert matched >= 20


def test_members(table):
    assert {"numpy", "numpy-base"} == table.members("numpy")
    assert {"libblas", "libcblas", "liblapack", "liblapacke", "blas"} <= (
        table.members("blas")
    )
    assert "python_abi" in table.members("python")
    with pytest.raises(KeyError, match="unknown ABI family 'nope'"):
        table.members("nope")


def test_member_in_two_families_is_rejected():
    families = json.loads(FAMILIES_JSON.read_text(encoding="utf-8"))
    families["families"]["mpi"]["members"].append("openssl")
    with pytest.raises(ValueError, match="'openssl' is in both 'openssl' and 'mpi'"):
        AbiTable({"pins": {}}, families)


def test_pins(table):
    assert table.pin("openssl") == Pin(
        "openssl",
        "x",
        "abi_families.json: openssl",
        (("0", "x.x.x"), ("1", "x.x.x")),
    )
    assert table.pin("libprotobuf") == Pin(
        "libprotobuf", "x.x.x", "conda-forge pinning: libprotobuf"
    )
    assert table.pin("numpy").granularity == "x"
    assert table.pin("numpy").source == "abi_families.json: numpy"
    assert table.pin("python").granularity == "x.x"
    assert table.pin("libopenblas").granularity == "x.x.x"
    assert table.pin("libjpeg-turbo").source == "conda-forge pinning: libjpeg_turbo"
    assert table.pin("requests") is None
    assert table.pin("openssl").granularity_for("1.1.1q") == "x.x.x"
    assert table.pin("openssl").granularity_for("3.0.5") == "x"


@pytest.mark.parametrize(
    ("name", "before", "after", "crosses"),
    [
        # openssl: 1.1.1 -> 3.0 breaks, 3.0 -> 3.5 does not (ABI-FACTS §6)
        ("openssl", "1.1.1q", "3.0.5", True),
        ("openssl", "3.0.5", "1.1.1q", True),  # chemtools downgrade
        ("openssl", "3.0.5", "3.5.4", False),
        ("openssl", "1.1.1l", "1.1.1w", False),
        ("openssl", "1.1.0l", "1.1.1q", True),
        ("libprotobuf", "4.25.2", "4.25.3", True),
        ("libprotobuf", "3.19.4", "3.20.0", True),
        ("libprotobuf", "4.25.2", "4.25.2", False),
        ("numpy", "1.26.4", "2.0.0rc1", True),
        ("numpy", "1.26.4", "2.1.0", True),
        ("numpy", "2.0.2", "2.3.5", False),
        ("python", "3.11.9", "3.12.0rc3", True),
        ("python", "3.11.0", "3.11.9", False),
        ("python", "3.9", "3.9.19", False),
        ("icu", "78.1", "78.3", False),
        ("icu", "73.2", "78.1", True),
        ("hdf5", "1.12.2", "1.14.3", True),
        ("hdf5", "1.14.2", "1.14.3", True),
        ("x264", "1!164.3095", "1!164.3100", False),
        ("x264", "1!164.3095", "164.3095", True),  # the epoch counts
        ("requests", "2.0", "3.0", False),  # not pinned
    ],
)
def test_crosses_pin(table, name, before, after, crosses):
    assert table.crosses_pin(name, before, after) is crosses


# ---------------------------------------------------------------------------
# variants, on real records
# ---------------------------------------------------------------------------


@needs_data
@pytest.mark.parametrize(
    ("dist", "channel", "expected"),
    [
        ("libblas-3.9.0-13_linux64_mkl", "conda-forge", {"blas": "mkl"}),
        ("libblas-3.9.0-20_linux64_openblas", "conda-forge", {"blas": "openblas"}),
        ("libblas-3.11.0-5_h4a7cf45_openblas", "conda-forge", {"blas": "openblas"}),
        ("libblas-3.11.0-8_h5875eb1_mkl", "conda-forge", {"blas": "mkl"}),
        ("liblapack-3.9.0-31_h7ac8fdf_openblas", "conda-forge", {"blas": "openblas"}),
        ("blas-2.113-mkl", "conda-forge", {"blas": "mkl"}),
        (
            "pytorch-2.1.0-py3.11_cuda11.8_cudnn8.7.0_0",
            "pytorch",
            {"gpu": "cuda", "cuda": "11", "python": "cp311"},
        ),
        ("pytorch-2.1.0-py3.11_cpu_0", "pytorch", {"gpu": "cpu", "python": "cp311"}),
        # blas axis only for blas-family members: cpu_mkl says how pytorch was built
        (
            "pytorch-2.10.0-cpu_mkl_py314_hf472749_104",
            "conda-forge",
            {"gpu": "cpu", "python": "cp314"},
        ),
        ("libtorch-2.10.0-cpu_mkl_h7c10738_104", "conda-forge", {"gpu": "cpu"}),
        (
            "torchvision-0.15.2-py310_cu118",
            "pytorch",
            {"gpu": "cuda", "cuda": "11", "python": "cp310"},
        ),
        ("_openmp_mutex-4.5-2_gnu", "conda-forge", {"openmp": "gnu"}),
        ("_openmp_mutex-4.5-7_kmp_llvm", "conda-forge", {"openmp": "llvm"}),
        ("_openmp_mutex-4.5-1_llvm", "conda-forge", {"openmp": "llvm"}),
        ("hdf5-1.14.3-nompi_h2d575fe_109", "conda-forge", {"mpi": "nompi"}),
        # CUDA >= 11: minors of a major are compatible, the axis is the major
        ("cuda-version-12.9-h4f385c5_3", "conda-forge", {"cuda": "12"}),
        ("cuda-cudart-12.9.79-h5888daf_0", "conda-forge", {"cuda": "12"}),
        # before 11 the minor counts (pytorch 1.5.1 for CUDA 9.2 / 10.2)
        (
            "pytorch-1.5.1-py3.8_cuda9.2.148_cudnn7.6.3_0",
            "pytorch",
            {"gpu": "cuda", "cuda": "9.2", "python": "cp38"},
        ),
        ("libarrow-14.0.2-h67bfddd_1_cpu", "conda-forge", {"gpu": "cpu"}),
        ("numpy-1.26.4-py311h64a7726_0", "conda-forge", {"python": "cp311"}),
        # RC build, python_abi without its build part (a conda-lock quirk)
        ("numpy-1.26.0-py312heda63a1_0", "conda-forge", {"python": "cp312"}),
        ("numpy-2.3.5-py313hf6604e3_0", "conda-forge", {"python": "cp313"}),
        ("python-3.13.2-hf636f53_101_cp313", "conda-forge", {"python": "cp313"}),
        ("python_abi-3.9-2_cp39", "conda-forge", {"python": "cp39"}),
        ("libstdcxx-15.2.0-h8f9b012_7", "conda-forge", {}),
    ],
    ids=lambda v: v if isinstance(v, str) and "-" in v else None,
)
def test_variants_real(table, dist, channel, expected):
    assert table.variants(real(dist, channel)) == expected


@needs_data
def test_variants_faiss_cpu_names_beat_build(table):
    # faiss-cpu builds of 2018 say cuda0.0: the name wins, and 0.0 is no CUDA
    rec = real("faiss-cpu-1.2.1-py27_cuda0.0_1", "pytorch")
    assert table.variants(rec) == {"gpu": "cpu", "python": "cp27"}


@needs_data
def test_variants_python_from_cpython_build(table):
    rec = real("python-3.10.2-h85951f9_3_cpython")
    assert table.variants(rec) == {"python": "cp310"}


@needs_data
def test_variants_free_threaded_prefix_record(table):
    path = (
        DATA
        / "prefixes"
        / "conda-envpy313t-osx-arm64"
        / "conda-meta"
        / "python_abi-3.13-5_cp313t.json"
    )
    raw = json.loads(path.read_text(encoding="utf-8"))
    rec = Record(
        name=raw["name"],
        version=raw["version"],
        build=raw["build"],
        depends=tuple(raw.get("depends", ())),
    )
    assert table.variants(rec) == {"python": "cp313t"}


@needs_data
def test_variants_from_explicit_file_urls(table):
    # @EXPLICIT lines give name-version-build only (no depends)
    text = (
        DATA / "envfiles" / "explicit" / "pangeo_ml_notebook.linux-64.tf26-cuda102.txt"
    ).read_text(encoding="utf-8")
    got = {}
    for url in re.findall(r"^https://\S+", text, flags=re.M):
        fn = url.split("#")[0].rsplit("/", 1)[1]
        stem = fn.removesuffix(".tar.bz2").removesuffix(".conda")
        name, version, build = stem.rsplit("-", 2)
        got[name] = table.variants(Record(name=name, version=version, build=build))
    assert got["tensorflow-base"] == {"gpu": "cuda", "cuda": "10.2", "python": "cp39"}
    assert got["cudatoolkit"] == {"cuda": "10.2"}
    assert got["_openmp_mutex"] == {"openmp": "gnu"}
    # old jaxlib builds carry no GPU marker at all (ABI-FACTS §3)
    assert got["jaxlib"] == {"python": "cp39"}


@needs_data
def test_pytorch_mutex_depends_marker(table):
    rec = real("pytorch-2.1.0-py3.11_cuda11.8_cudnn8.7.0_0", "pytorch")
    assert "pytorch-mutex 1.0 cuda" in rec.depends
    # without the build marker, the mutex in depends still says cuda;
    # pytorch-cuda in depends still gives the version
    bare = dataclasses.replace(rec, build="py3.11_0")
    assert table.variants(bare) == {"gpu": "cuda", "cuda": "11", "python": "cp311"}


def _variants_one_by_one(table, rec):
    """The markers read one after another (no screen, no memo): what
    :class:`VariantReader` must give."""
    from conda_guard.abi_markers import _field_values, _read_text

    fam = table.family_of(rec.name)
    out = {}
    for marker in table._markers:
        if marker.axis in out:
            continue
        if marker.families is not None and fam not in marker.families:
            continue
        if marker.names is not None and rec.name not in marker.names:
            continue
        for text in _field_values(rec, marker.field):
            value = _read_text(marker, text)
            if value is not None:
                out[marker.axis] = value
                break
    return out


@needs_data
def test_variant_reader_is_the_markers_one_by_one(table):
    # the screens skip a text only where no marker reads anything, the memo
    # gives what the marker read there before: on every real record, the
    # variants are what each marker read one by one gives
    reader = VariantReader(table._markers)
    records = all_records("conda-forge") + all_records("pytorch")
    with_values = 0
    for rec in records + records:  # the second pass reads the memo
        expected = _variants_one_by_one(table, rec)
        assert reader.read(rec, table.family_of(rec.name)) == expected, rec.dist
        with_values += bool(expected)
    assert with_values >= 1000


def test_variant_screens_find_what_any_marker_reads(table):
    reader = VariantReader(table._markers)
    assert all(reader.screens[f] is not None for f in ("build", "depends"))
    texts = {
        "build": ["py311h64a7726_0", "cuda120_py311", "mpi_openmpi_h1", "openblas"],
        "depends": ["python >=3.11,<3.12.0a0", "python_abi 3.12.* *_cp312"],
    }
    for field, samples in texts.items():
        for text in samples:
            read = [
                m for m in table._markers if m.field == field and m.regex.search(text)
            ]
            assert read, text
            assert reader.screens[field].search(text), text
    # a backreference is widened, not dropped: the screen still finds the text
    assert reader.screens["depends"].search("python >=3.11,<3.12.0a0")
    assert not reader.screens["depends"].search("libzlib >=1.3.1,<2.0a0")


@needs_data
def test_every_blas_record_has_a_blas_value(table):
    names = {"libblas", "libcblas", "liblapack", "liblapacke", "blas", "blas-devel"}
    seen = 0
    for rec in all_records("conda-forge"):
        if rec.name in names:
            seen += 1
            assert table.variants(rec).get("blas") in (
                "mkl",
                "openblas",
            ), rec.dist
    assert seen >= 50


@needs_data
@pytest.mark.parametrize("channel", ["conda-forge", "pytorch"])
def test_every_pytorch_record_has_gpu_and_python(table, channel):
    seen = 0
    for rec in all_records(channel):
        if rec.name != "pytorch":
            continue
        seen += 1
        v = table.variants(rec)
        assert v.get("gpu") in ("cuda", "cpu"), rec.dist
        assert re.fullmatch(r"cp3\d+", v.get("python", "")), rec.dist
        if v["gpu"] == "cuda":
            # 9.2, 10.2 before CUDA 11; the major from 11 on
            assert re.fullmatch(r"(?:\d+\.\d|1[1-9])", v.get("cuda", "")), rec.dist
        else:
            assert "cuda" not in v, rec.dist
    assert seen >= (200 if channel == "pytorch" else 2)


@needs_data
def test_python_from_depends_agrees_with_build_marker(table):
    marker = re.compile(r"(?<![a-z])py(\d)\.?(\d+)")
    checked = 0
    for rec in all_records("conda-forge") + all_records("pytorch"):
        if not any(re.search(r"\*_cp\d+$", d) for d in rec.depends):
            continue
        m = marker.search(rec.build)
        if not m:
            continue
        checked += 1
        assert table.variants(rec)["python"].startswith("cp" + "".join(m.groups()))
    assert checked > 100


@needs_data
def test_no_cuda_value_below_cuda_8(table):
    values = {
        table.variants(rec).get("cuda")
        for rec in all_records("conda-forge") + all_records("pytorch")
    }
    values.discard(None)
    assert values
    assert all(int(v.split(".")[0]) >= 8 for v in values), sorted(values)


# ---------------------------------------------------------------------------
# C++ runtime symbol table
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gcc", "glibcxx", "cxxabi"),
    [
        ("7.5.0", "3.4.24", "1.3.11"),
        ("9.3.0", "3.4.28", "1.3.12"),
        ("11.4.0", "3.4.29", "1.3.13"),
        ("12.3.0", "3.4.30", "1.3.13"),
        ("13.1.0", "3.4.31", "1.3.14"),
        ("13.2.0", "3.4.32", "1.3.14"),
        ("14.2.0", "3.4.33", "1.3.15"),
        ("15.2.0", "3.4.34", "1.3.16"),
        # below the table, and GCC 16 (unverified, left out)
        ("4.8.5", None, None),
        ("16.1.0", None, None),
    ],
)
def test_symbol_versions_for_gcc(table, gcc, glibcxx, cxxabi):
    assert table.glibcxx_for_gcc(gcc) == glibcxx
    assert table.cxxabi_for_gcc(gcc) == cxxabi


def test_gcc_for_symbol_versions(table):
    assert table.gcc_for_glibcxx("GLIBCXX_3.4.32") == "13.2"
    assert table.gcc_for_glibcxx("3.4.28") == "9.3"
    assert table.gcc_for_glibcxx("3.4.35") is None
    assert table.gcc_for_cxxabi("CXXABI_1.3.13") == "11.1"
    assert table.symbol_rows[0].gcc == "7.1"
    assert table.symbol_rows[-1].libstdcxx_so == "6.0.34"


# ---------------------------------------------------------------------------
# packaging and import cost
# ---------------------------------------------------------------------------


def test_import_reads_nothing():
    code = (
        "import sys, conda_guard.abi as a;"
        "print(a.load_table.cache_info().currsize,"
        " 'yaml' in sys.modules, 'conda' in sys.modules)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["0", "False", "False"]


def test_data_files_are_package_resources():
    from importlib.resources import files

    data = files("conda_guard").joinpath("data")
    assert data.joinpath("abi_pins.json").is_file()
    assert data.joinpath("abi_families.json").is_file()
    assert Path(str(data.joinpath("abi_pins.json"))) == PINS_JSON
