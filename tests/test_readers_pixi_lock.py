"""pixi.lock v4-v7: real pixi locks in shared/data and rattler's format samples."""

from __future__ import annotations

from pathlib import Path

import pytest

from conda_guard.exceptions import InputError, UsageError
from conda_guard.readers import read_state
from conda_guard.readers.pixi_lock import read_pixi_lock

from .helpers import needs_data

PIXI = Path(__file__).parents[2] / "shared" / "data" / "envfiles" / "pixi-lock"
LOCAL = Path(__file__).parent / "data"
LIGHTGBM_V5 = PIXI / "pixi-example-lightgbm.v5.pixi.lock"
MULTI_V6 = PIXI / "pixi-docs-multi_env.v6.pixi.lock"
BUILD_V6 = PIXI / "pixi-docs-pixi_build-python.v6.pixi.lock"

needs_shared = needs_data


@needs_shared
def test_lightgbm_v5_linux_64():
    state = read_state(str(LIGHTGBM_V5))
    assert state.kind == "pixi-lock"
    assert state.platform == "linux-64"
    assert len(state) == 41
    blas = state.get("libblas")
    assert (blas.version, blas.build, blas.build_number) == (
        "3.9.0",
        "22_linux64_openblas",
        22,
    )
    assert (blas.channel, blas.subdir) == ("conda-forge", "linux-64")
    assert "blas * openblas" in blas.constrains
    assert blas.md5.startswith("1a2a0cd3")
    assert state.get("numpy").dist == "numpy-1.26.4-py312heda63a1_0"
    assert state.get("numpy").constrains == ("numpy-base <0a0",)
    assert state.get("python").dist == "python-3.12.3-hab00c5b_0_cpython"
    # build_number comes from the entry, not the build string
    assert state.get("_openmp_mutex").build_number == 16
    assert state.get("joblib").noarch == "python"
    assert state.get("joblib").subdir == "noarch"


@needs_shared
@pytest.mark.parametrize(
    ("platform", "python_build"),
    [("osx-64", "h1411813_0_cpython"), ("win-64", "h2628c8c_0_cpython")],
)
def test_lightgbm_v5_other_platforms(platform, python_build):
    state = read_pixi_lock(LIGHTGBM_V5, platform=platform)
    assert state.platform == platform
    assert state.get("python").build == python_build
    assert {r.subdir for r in state} <= {platform, "noarch"}


@needs_shared
@pytest.mark.parametrize(
    ("environment", "python"),
    [
        (None, "python-3.13.1-ha99a958_105_cp313"),
        ("py312", "python-3.12.8-h9e4cc4f_1_cpython"),
    ],
    ids=["default", "py312"],
)
def test_multi_env_v6(environment, python):
    state = read_pixi_lock(MULTI_V6, environment=environment)
    assert state.get("python").dist == python
    assert state.get("cowpy").dist == "cowpy-1.1.5-pyhd8ed1ab_2"
    assert state.get("_openmp_mutex").build_number == 16


@needs_shared
def test_unknown_environment_lists_the_choices():
    with pytest.raises(
        UsageError, match=r"no environment 'gpu' \(it has default, py312, py313\)"
    ):
        read_pixi_lock(MULTI_V6, environment="gpu")


@needs_shared
def test_unknown_platform():
    with pytest.raises(UsageError, match=r"no platform 'osx-64'"):
        read_pixi_lock(MULTI_V6, platform="osx-64")


@needs_shared
def test_v6_source_package_is_matched_by_selector_fields():
    state = read_pixi_lock(BUILD_V6)
    assert len(state) == 28
    rich = state.get("python_rich")
    assert (rich.version, rich.build, rich.subdir, rich.noarch) == (
        "0.1.0",
        "pyh4616a5c_0",
        "noarch",
        "python",
    )
    assert rich.channel == ""
    assert rich.url is None
    assert rich.depends == ("rich 13.9.*", "python >=3.11", "python *")
    assert state.get("openssl").dist == "openssl-3.5.1-h7b32b05_0"
    assert state.get("openssl").url.startswith("https://prefix.dev/conda-forge/")


# --- rattler's format samples copied into tests/data ------------------------


def test_v4_conda_and_pypi():
    state = read_state(str(LOCAL / "rattler-v4-path-based-lock.yml"))
    assert state.platform == "win-64"
    assert len(state) == 33
    assert state.get("openssl").dist == "openssl-3.2.1-hcfcfb64_1"
    assert state.get("python").subdir == "win-64"
    jinja = state.get("jinja2")
    assert (jinja.version, jinja.build, jinja.channel, jinja.pip) == (
        "3.1.3",
        "pypi_0",
        "pypi",
        True,
    )
    assert state.get("flask").version == "3.0.2"  # a git URL
    assert state.get("minimal-project").version == "0.1"  # a local path
    assert state.get("minimal-project").url is None


def test_v5_find_links():
    state = read_state(str(LOCAL / "rattler-v5-flat-index-lock.yml"))
    assert state.platform == "osx-arm64"
    assert len(state) == 18
    assert state.get("requests").pip
    assert state.get("requests").version == "2.31.0"
    assert state.get("python").dist == "python-3.12.0-h47c9636_0_cpython"


def test_v7_pypi_numpy():
    state = read_state(str(LOCAL / "rattler-v7-numpy-as-pypi-lock.yml"))
    assert state.platform == "osx-arm64"
    assert len(state) == 20
    numpy = state.get("numpy")
    assert (numpy.version, numpy.pip, numpy.build) == ("2.2.1", True, "pypi_0")
    assert numpy.url.endswith("numpy-2.2.1-cp313-cp313-macosx_11_0_arm64.whl")
    assert state.get("python").dist == "python-3.13.0-hbbac1ca_101_cp313"
    assert state.get("tzdata").noarch == "generic"


@pytest.mark.parametrize(
    ("platform", "expected"),
    [
        ("linux-64", {"minimal-project": "first"}),
        ("linux-64-foobar", {"minimal-project": "first"}),
        (
            "win-64",
            {
                "a-python-project": "py38",
                "b-python-project": "h398123",
                "minimal-project": "first",
            },
        ),
    ],
    ids=["subdir", "v7-name", "win"],
)
def test_v7_conda_source_and_platform_names(platform, expected):
    state = read_pixi_lock(LOCAL / "rattler-v7-conda-path-lock.yml", platform=platform)
    assert {r.name: r.build for r in state} == expected
    assert state.platform == ("win-64" if platform == "win-64" else "linux-64")


def test_v7_second_environment():
    state = read_pixi_lock(
        LOCAL / "rattler-v7-conda-path-lock.yml",
        platform="win-64",
        environment="second",
    )
    assert [(r.name, r.build, r.subdir) for r in state] == [
        ("minimal-project", "second", "win-64")
    ]


def test_v7_several_platforms_need_a_choice():
    with pytest.raises(
        UsageError, match=r"several platforms \(linux-64-foobar, win-64\)"
    ):
        read_state(str(LOCAL / "rattler-v7-conda-path-lock.yml"))


ENV_HEAD = "version: 6\nenvironments:\n  default:\n    packages:\n      linux-64:\n"
BAD_LOCKS = {
    "version": (
        "version: 3\nenvironments: {}\n",
        "pixi.lock version 3 is not supported (4–7 are)",
    ),
    "no-envs": ("version: 6\n", "no 'environments'"),
    "empty-envs": ("version: 6\nenvironments: {}\n", "'environments' is empty"),
    "missing-entry": (
        ENV_HEAD + "      - conda: https://x/linux-64/a-1-0.conda\npackages: []\n",
        "no package entry for 'https://x/linux-64/a-1-0.conda'",
    ),
    "bad-entry": (ENV_HEAD + "packages:\n- {foo: 1}\n", "has no conda/pypi location"),
    "bad-selector": (ENV_HEAD + "      - {wat: 1}\npackages: []\n", "bad selector"),
}


@pytest.mark.parametrize("case", list(BAD_LOCKS))
def test_bad_pixi_lock(tmp_path, case):
    text, reason = BAD_LOCKS[case]
    path = tmp_path / "pixi.lock"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        read_pixi_lock(path)
    assert reason in err.value.reason
