"""@EXPLICIT files from conda-libmamba-solver, rattler and mamba (shared/data)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conda_guard.exceptions import InputError
from conda_guard.readers import read_state
from conda_guard.readers.explicit import parse_hash, read_explicit, split_package_url

from .helpers import needs_data

EXPLICIT = Path(__file__).parents[2] / "shared" / "data" / "envfiles" / "explicit"
PANGEO = EXPLICIT / "pangeo_ml_notebook.linux-64.tf26-cuda102.txt"
SCIPIPE = EXPLICIT / "scipipe.linux-64.conda-forge+defaults.txt"
MAMBA = EXPLICIT / "mamba-explicit_env_linux.txt"
RATTLER = EXPLICIT / "rattler-python-explicit-env-linux-64.txt"

needs_shared = needs_data


@needs_shared
def test_pangeo_cuda_explicit():
    state = read_state(str(PANGEO))
    assert state.kind == "explicit"
    assert state.platform == "linux-64"
    assert len(state) == 629
    cuda = state.get("cudatoolkit")
    assert (cuda.version, cuda.build, cuda.build_number) == (
        "10.2.89",
        "h8f6ccaa_10",
        10,
    )
    assert (cuda.channel, cuda.subdir) == ("conda-forge", "linux-64")
    assert cuda.md5 == "49bb1effc91045e2ebf24a8492c2ea13"
    assert cuda.sha256 is None
    assert cuda.fn == "cudatoolkit-10.2.89-h8f6ccaa_10.tar.bz2"
    assert state.get("cudnn").version == "7.6.5.32"
    assert state.get("tensorflow-base").build == "cuda102py39h747ea68_2"
    assert state.get("nomkl").subdir == "noarch"
    assert state.get("gh").source == f"{PANGEO}:7"


@needs_shared
def test_scipipe_channel_mixing_without_hashes():
    state = read_explicit(SCIPIPE)
    assert len(state) == 284
    ca = state.get("ca-certificates")
    assert (ca.version, ca.build, ca.channel) == ("2020.6.24", "0", "pkgs/main")
    assert ca.md5 is None
    assert [r.name for r in state if r.channel != "conda-forge"] == ["ca-certificates"]
    assert state.get("git-lfs").dist == "git-lfs-2.11.0-0"


@needs_shared
def test_mamba_explicit_with_comment_lines():
    state = read_explicit(MAMBA)
    assert len(state) == 15
    gcc = state.get("libgcc-ng")
    assert (gcc.version, gcc.build, gcc.channel) == ("9.1.0", "hdf63c60_0", "pkgs/main")
    assert gcc.fn.endswith(".conda")
    assert state.get("tzdata").subdir == "noarch"


@needs_shared
def test_rattler_explicit():
    state = read_explicit(RATTLER)
    assert len(state) == 22
    assert state.get("python").dist == "python-3.11.0-he550d4f_1_cpython"
    assert state.get("_openmp_mutex").build_number == 2


def test_sha256_fragment_and_file_url(tmp_path):
    sha = "a" * 64
    path = tmp_path / "env.txt"
    path.write_text(
        "# platform: osx-arm64\n@EXPLICIT\n"
        f"https://conda.anaconda.org/conda-forge/osx-arm64/zlib-1.3.1-h8359307_2.conda#sha256:{sha}\n"
        "file:///opt/channel/noarch/tzdata-2025a-h78e105d_0.conda\n"
    )
    state = read_explicit(path)
    assert state.platform == "osx-arm64"
    zlib = state.get("zlib")
    assert (zlib.sha256, zlib.md5, zlib.build_number) == (sha, None, 2)
    tz = state.get("tzdata")
    assert (tz.channel, tz.subdir) == ("file:///opt/channel", "noarch")


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("# platform: linux-64\n", None, "no @EXPLICIT line"),
        ("numpy=1.26\n@EXPLICIT\n", 1, "line before @EXPLICIT"),
        (
            "@EXPLICIT\nhttps://x/linux-64/a-1-0.zip\n",
            2,
            "not a .conda or .tar.bz2 URL",
        ),
        ("@EXPLICIT\nhttps://x/linux-64/numpy.conda\n", 2, "not a name-version-build"),
        ("@EXPLICIT\nhttps://x/linux-64/a-1-0.conda#nothex\n", 2, "bad hash"),
    ],
    ids=["no-marker", "before-marker", "not-archive", "short-name", "bad-hash"],
)
def test_bad_explicit(tmp_path, text, line, reason):
    path = tmp_path / "env.txt"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        read_explicit(path)
    assert err.value.line == line
    assert reason in err.value.reason


def test_split_package_url():
    assert split_package_url(
        "https://repo.anaconda.com/pkgs/main/linux-64/zlib-1.2.11-h7b6447c_3.conda"
    ) == (
        "https://repo.anaconda.com/pkgs/main",
        "linux-64",
        "zlib-1.2.11-h7b6447c_3.conda",
    )
    assert split_package_url("https://x.org/pkgs/zlib-1-0.tar.bz2") == (
        "https://x.org/pkgs",
        "",
        "zlib-1-0.tar.bz2",
    )


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        (
            "d7c89558ba9fa0495403155b64376d81",
            ("d7c89558ba9fa0495403155b64376d81", None),
        ),
        ("sha256:" + "B" * 64, (None, "b" * 64)),
        ("c" * 64, (None, "c" * 64)),
    ],
    ids=["md5", "sha256-prefixed", "sha256-bare"],
)
def test_parse_hash(fragment, expected):
    assert parse_hash(fragment) == expected
