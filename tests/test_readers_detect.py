"""Format detection and read_state dispatch, on every real file in shared/data."""

from __future__ import annotations

from pathlib import Path

import pytest

from conda_guard.exceptions import InputError, UsageError
from conda_guard.readers import FORMATS, detect, read_state

from .helpers import needs_data

DATA = Path(__file__).parents[2] / "shared" / "data"
LOCAL = Path(__file__).parent / "data"

needs_shared = needs_data

EXPECTED = {
    "prefixes/chemtools-win64-mkl-openssl-downgrade": "prefix",
    "prefixes/conda-tests-minonda-2016": "prefix",
    "envfiles/conda-lock/conda-lock-blas-mkl.conda-lock.yml": "conda-lock",
    "envfiles/conda-lock/conda-lock-pangeo.conda-lock.yml": "conda-lock",
    "envfiles/pixi-lock/pixi-example-lightgbm.v5.pixi.lock": "pixi-lock",
    "envfiles/pixi-lock/pixi-docs-multi_env.v6.pixi.lock": "pixi-lock",
    "envfiles/pixi-lock/pixi-docs-pixi_build-python.v6.pixi.lock": "pixi-lock",
    "envfiles/explicit/pangeo_ml_notebook.linux-64.tf26-cuda102.txt": "explicit",
    "envfiles/explicit/scipipe.linux-64.conda-forge+defaults.txt": "explicit",
    "envfiles/explicit/mamba-explicit_env_linux.txt": "explicit",
    "envfiles/explicit/rattler-python-explicit-env-linux-64.txt": "explicit",
    "envfiles/environment-yml/rxn-splits-mchn2.export-with-builds.yml": "env-yaml",
    "envfiles/environment-yml/rxn-splits-env.versions-no-builds.yml": "env-yaml",
    "envfiles/environment-yml/conda-environment_pinned.variables.yml": "env-yaml",
}


def test_formats_registry():
    assert list(FORMATS) == [
        "prefix",
        "explicit",
        "conda-lock",
        "pixi-lock",
        "env-yaml",
        "conda-list-json",
        "conda-list-export",
    ]


@needs_shared
@pytest.mark.parametrize("rel", list(EXPECTED))
def test_detect_real_files(rel):
    assert detect(DATA / rel) == EXPECTED[rel]


@pytest.mark.parametrize(
    "name",
    [
        "rattler-v4-path-based-lock.yml",
        "rattler-v5-flat-index-lock.yml",
        "rattler-v7-numpy-as-pypi-lock.yml",
        "rattler-v7-conda-path-lock.yml",
    ],
)
def test_detect_local_pixi_samples(name):
    assert detect(LOCAL / name) == "pixi-lock"


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ('[{"name": "a"}]', "conda-list-json"),
        ("# platform: linux-64\na=1=0\n", "conda-list-export"),
        ("a=1=0\nb=2=py_0\n", "conda-list-export"),
        ("# packages in environment at /x:\n#\n", "conda-list-export"),
        ("# c\n@EXPLICIT\n", "explicit"),
    ],
    ids=["json", "export", "export-no-header", "table", "explicit"],
)
def test_detect_text_forms(tmp_path, text, fmt):
    path = tmp_path / "f"
    path.write_text(text)
    assert detect(path) == fmt


@pytest.mark.parametrize(
    "text", ["hello world\n", '{"name": "a"}', "", "key: value\n"], ids=str
)
def test_unknown_format(tmp_path, text):
    path = tmp_path / "f"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        detect(path)
    assert err.value.reason == (
        "unknown format (expected one of prefix, explicit, conda-lock, pixi-lock, "
        "env-yaml, conda-list-json, conda-list-export); use --format"
    )


def test_missing_path(tmp_path):
    with pytest.raises(InputError, match="no such file or directory"):
        read_state(str(tmp_path / "nope.yml"))


def test_directory_without_conda_meta(tmp_path):
    with pytest.raises(InputError, match="no conda-meta directory"):
        read_state(str(tmp_path))


def test_unknown_fmt_name():
    with pytest.raises(UsageError, match="unknown format 'npm'"):
        read_state("x", "npm")


@needs_shared
def test_forced_format_overrides_detection():
    path = DATA / "envfiles/explicit/mamba-explicit_env_linux.txt"
    with pytest.raises(InputError, match="no 'dependencies' list|invalid YAML"):
        read_state(str(path), "env-yaml")
    assert len(read_state(str(path), "explicit")) == 15


@needs_shared
def test_revision_syntax_only_for_prefixes():
    prefix = DATA / "prefixes/chemtools-win64-mkl-openssl-downgrade"
    assert read_state(f"{prefix}@0", "prefix").revision == 0
    with pytest.raises(UsageError, match="revisions exist only for prefixes"):
        read_state(f"{prefix}@0", "explicit")


def test_at_in_a_real_file_name_is_not_a_revision(tmp_path):
    path = tmp_path / "env@2"
    path.write_text("@EXPLICIT\nhttps://x/linux-64/a-1-0.conda\n")
    assert read_state(str(path)).get("a").version == "1"


@needs_shared
@pytest.mark.parametrize("rel", list(EXPECTED))
def test_every_real_file_reads_or_says_why(rel):
    """Real inputs give a state, or (spec files) a one-line InputError."""
    try:
        state = read_state(str(DATA / rel))
    except InputError as exc:
        assert "\n" not in str(exc)
        assert "has no exact builds" in exc.reason
    else:
        assert state.kind == EXPECTED[rel]


def test_importing_readers_loads_no_yaml_and_no_conda():
    import subprocess
    import sys

    code = (
        "import sys, conda_guard.readers; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] "
        "in ('yaml', 'ruamel', 'conda', 'rattler')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[1],
    )
    assert out.stdout.strip() == "[]"
