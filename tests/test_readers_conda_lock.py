"""conda-lock v1 files: the real blas-mkl and pangeo locks from conda/conda-lock."""

from __future__ import annotations

from pathlib import Path

import pytest

from conda_guard.exceptions import InputError, UsageError
from conda_guard.readers import read_state
from conda_guard.readers.conda_lock import choose_platform, read_conda_lock

from .helpers import needs_data

ENVFILES = Path(__file__).parents[2] / "shared" / "data" / "envfiles"
BLAS_MKL = ENVFILES / "conda-lock" / "conda-lock-blas-mkl.conda-lock.yml"
PANGEO = ENVFILES / "conda-lock" / "conda-lock-pangeo.conda-lock.yml"

pytestmark = needs_data


def test_blas_mkl_default_platform_is_linux_64():
    state = read_state(str(BLAS_MKL))
    assert state.kind == "conda-lock"
    assert state.platform == "linux-64"
    assert len(state) == 40
    blas = state.get("libblas")
    assert (blas.version, blas.build, blas.build_number) == (
        "3.9.0",
        "13_linux64_mkl",
        13,
    )
    assert (blas.channel, blas.subdir) == ("conda-forge", "linux-64")
    assert blas.md5 == "587c272e4d76d981a0ecfacd949eebf5"
    assert blas.sha256.startswith("b00addd5f898")
    assert blas.depends == ("mkl >=2022.0.1,<2023.0a0",)
    assert blas.fn == "libblas-3.9.0-13_linux64_mkl.tar.bz2"
    mkl = state.get("mkl")
    assert (mkl.version, mkl.build) == ("2022.0.1", "h8d4b97c_803")
    assert mkl.depends == (
        "_openmp_mutex * *_llvm",
        "llvm-openmp >=12.0.1",
        "tbb 2021.*",
    )
    assert state.get("numpy").dist == "numpy-1.22.2-py310h454958d_0"
    assert state.get("python").dist == "python-3.10.2-hc74c709_3_cpython"
    assert state.get("python").build_number == 3
    assert state.explicit == {}


@pytest.mark.parametrize(
    ("platform", "count", "blas_build", "numpy_build"),
    [
        ("osx-64", 34, "13_osx64_mkl", "py310hfbbbacf_0"),
        ("win-64", 35, "13_win64_mkl", "py310hcae7c84_0"),
    ],
)
def test_blas_mkl_other_platforms(platform, count, blas_build, numpy_build):
    state = read_conda_lock(BLAS_MKL, platform=platform)
    assert state.platform == platform
    assert len(state) == count
    assert state.get("libblas").build == blas_build
    assert state.get("numpy").build == numpy_build
    assert {r.subdir for r in state} <= {platform, "noarch"}


def test_win_64_depends_keep_exact_builds():
    state = read_conda_lock(BLAS_MKL, platform="win-64")
    assert state.get("libblas").depends == ("mkl 2022.0.0 h0e2418a_796",)


def test_pangeo():
    state = read_conda_lock(PANGEO)
    assert len(state) == 255
    numpy = state.get("numpy")
    assert numpy.dist == "numpy-1.21.5-py310h647a097_0"
    assert "libblas >=3.8.0,<4.0a0" in numpy.depends
    assert state.get("libblas").build == "13_linux64_openblas"
    assert state.get("python").version == "3.10.2"


def test_unknown_platform_lists_the_choices():
    with pytest.raises(
        UsageError, match=r"no platform 'osx-arm64' \(it has linux-64, osx-64, win-64\)"
    ):
        read_conda_lock(BLAS_MKL, platform="osx-arm64")


def test_choose_platform_rules():
    assert choose_platform("f", ["win-64"], None) == "win-64"
    assert choose_platform("f", ["osx-64", "linux-64"], None) == "linux-64"
    with pytest.raises(
        UsageError,
        match=r"several platforms \(osx-64, win-64\); choose one with --platform",
    ):
        choose_platform("f", ["win-64", "osx-64"], None)
    with pytest.raises(InputError, match="no platforms"):
        choose_platform("f", [], None)


PIP_LOCK = """\
version: 1
metadata:
  platforms: [linux-64]
package:
- name: requests
  version: 2.31.0
  manager: pip
  platform: linux-64
  dependencies: {}
  url: https://files.pythonhosted.org/packages/requests-2.31.0-py3-none-any.whl
  hash:
    sha256: 58cd2187c01e70e6e26505bca751777aa9f2ee0b7f4300988b709f44e013003f
  category: main
  optional: false
- name: python
  version: 3.11.0
  manager: conda
  platform: linux-64
  dependencies: {bzip2: '>=1.0.8,<2.0a0', pip: null}
  url: https://conda.anaconda.org/conda-forge/linux-64/python-3.11.0-he550d4f_1_cpython.conda
  hash: {md5: 8d14fc2aa12db370a443753c8230be1e}
  category: main
  optional: false
"""


def test_pip_entries_become_pip_records(tmp_path):
    path = tmp_path / "conda-lock.yml"
    path.write_text(PIP_LOCK)
    state = read_state(str(path))
    req = state.get("requests")
    assert (req.pip, req.channel, req.build, req.version) == (
        True,
        "pypi",
        "pypi_0",
        "2.31.0",
    )
    assert req.sha256.startswith("58cd2187")
    assert state.get("python").depends == ("bzip2 >=1.0.8,<2.0a0", "pip")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("version: 1\nmetadata: {}\n", "no 'package' list"),
        (
            "version: 2\npackage: []\nmetadata: {}\n",
            "pixi.lock version 2 is not supported (4–7 are",
        ),
        ("package: [1]\nmetadata: {}\n", "not a mapping"),
        (
            "package:\n- {platform: linux-64, manager: conda, name: a, version: '1'}\n",
            "has no url",
        ),
        (
            "package:\n- {platform: linux-64, manager: npm, name: a, version: '1'}\n",
            "unknown manager",
        ),
        (
            (
                "package:\n- {platform: linux-64, manager: conda, name: a,"
                " version: '1', url: 'https://x/y.zip'}\n"
            ),
            "not a .conda",
        ),
        ("package: [\n", "invalid YAML"),
    ],
    ids=[
        "no-package",
        "version",
        "entry-type",
        "no-url",
        "manager",
        "bad-url",
        "bad-yaml",
    ],
)
def test_bad_conda_lock(tmp_path, text, reason):
    path = tmp_path / "conda-lock.yml"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        read_conda_lock(path)
    assert reason in err.value.reason
    assert err.value.path == str(path)


def test_bad_yaml_names_the_line(tmp_path):
    path = tmp_path / "conda-lock.yml"
    path.write_text("version: 1\npackage:\n- name: a\n  version: [\n")
    with pytest.raises(InputError) as err:
        read_conda_lock(path)
    assert err.value.line == 5
