"""Environment YAML: a real `conda env export` state and hand-written spec files."""

from __future__ import annotations

from pathlib import Path

import pytest

from conda_guard.exceptions import InputError
from conda_guard.readers import read_env_specs, read_state
from conda_guard.readers.env_yaml import read_env_yaml

from .helpers import needs_data

ENVS = Path(__file__).parents[2] / "shared" / "data" / "envfiles" / "environment-yml"
EXPORT = ENVS / "rxn-splits-mchn2.export-with-builds.yml"

needs_shared = needs_data


@needs_shared
def test_export_with_builds_is_a_state():
    state = read_state(str(EXPORT))
    assert state.kind == "env-yaml"
    assert len(state) == 284
    py = state.get("python")
    assert (py.version, py.build, py.build_number) == ("3.9.7", "hf930737_3_cpython", 3)
    assert py.channel == ""  # the channels list does not say which one
    assert state.get("numpy").dist == "numpy-1.20.3-py39hd249d9e_2"
    assert state.get("libblas").build == "19_linux64_openblas"
    assert state.get("openssl").version == "3.1.4"
    assert state.get("plotly").dist == "plotly-5.20.0-py_0"
    assert state.explicit == {}
    assert not any(r.pip for r in state)


@needs_shared
@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("rxn-splits-env.versions-no-builds.yml", "'jsonschema=3.2'"),
        ("conda-lock-pangeo.names-only.yml", "'python'"),
        ("conda-lock-blas-mkl.bracket-build.yml", "'blas[build=mkl]'"),
        ("conda-environment_pinned.variables.yml", "'flask==2.0.2'"),
    ],
)
def test_spec_files_are_not_states(name, shown):
    with pytest.raises(InputError) as err:
        read_state(str(ENVS / name))
    assert "has no exact builds" in err.value.reason
    assert shown in err.value.reason
    assert err.value.path == str(ENVS / name)


@needs_shared
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "conda-lock-channel-inversion.yaml",
            {"zlib": "zlib", "libgomp": "defaults::libgomp"},
        ),
        (
            "conda-lock-blas-mkl.bracket-build.yml",
            {"numpy": "numpy", "blas": "blas[build=mkl]"},
        ),
        (
            "conda-lock-cuda.yaml",
            {"cudatoolkit": "cudatoolkit >=11,<12", "cudnn": "cudnn >=8,<9"},
        ),
        ("conda-environment_pinned.variables.yml", {"flask": "flask==2.0.2"}),
    ],
    ids=["channel", "bracket", "cuda", "pinned"],
)
def test_read_env_specs(name, expected):
    assert read_env_specs(ENVS / name) == expected


@needs_shared
def test_env_specs_skip_the_pip_section():
    specs = read_env_specs(ENVS / "rxn-splits-env.versions-no-builds.yml")
    assert specs["python"] == "python=3.9.7"
    assert specs["rdkit"] == "rdkit=2021.03.5"
    assert "tqdm" not in specs
    assert len(specs) == 15
    cockpit = read_env_specs(ENVS / "pixi-cockpit.channel-qualified.yml")
    assert cockpit["pytorch"] == "pytorch::pytorch"
    assert cockpit["matplotlib"] == "conda-forge::matplotlib=3.4.3"


def test_export_with_pip_section_and_channel_prefix(tmp_path):
    path = tmp_path / "env.yml"
    path.write_text(
        "name: x\nchannels:\n  - conda-forge\ndependencies:\n"
        "  - conda-forge::numpy=1.26.4=py312heda63a1_0\n"
        "  - pytorch/linux-64::pytorch=2.1.0=py3.11_cuda12.1_cudnn8.9.2_0\n"
        "  - pip=24.0=pyhd8ed1ab_0\n"
        "  - pip:\n      - Foo_Bar==1.2.0\n      - tqdm==4.66.1\n"
        "prefix: /opt/envs/x\n"
    )
    state = read_env_yaml(path)
    assert state.prefix == "/opt/envs/x"
    assert state.get("numpy").channel == "conda-forge"
    torch = state.get("pytorch")
    assert (torch.channel, torch.subdir, torch.build) == (
        "pytorch",
        "linux-64",
        "py3.11_cuda12.1_cudnn8.9.2_0",
    )
    foo = state.get("foo-bar")
    assert (foo.version, foo.pip, foo.channel, foo.build) == (
        "1.2.0",
        True,
        "pypi",
        "pypi_0",
    )
    assert state.get("tqdm").version == "4.66.1"
    assert state.platform == "linux-64"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("name: x\n", "no 'dependencies' list"),
        ("dependencies: numpy\n", "'dependencies' is not a list"),
        ("dependencies:\n  - [1, 2]\n", "bad dependency entry"),
        ("dependencies:\n  - pip:\n      x: 1\n", "the 'pip' entry is not a list"),
        ("dependencies: [\n", "invalid YAML"),
        ("- a\n- b\n", "no 'dependencies' list"),
    ],
    ids=["no-deps", "deps-str", "entry-list", "pip-map", "bad-yaml", "top-list"],
)
def test_bad_env_yaml(tmp_path, text, reason):
    path = tmp_path / "env.yml"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        read_env_yaml(path)
    assert reason in err.value.reason


def test_versions_stay_strings(tmp_path):
    path = tmp_path / "env.yml"
    path.write_text("dependencies:\n  - 1.10\n")
    with pytest.raises(InputError, match="no package name|has no exact builds"):
        read_env_yaml(path)
    path.write_text("dependencies:\n  - pkg=1.10=0\n")
    assert read_env_yaml(path).get("pkg").version == "1.10"


@needs_shared
def test_pure_python_loader_reads_the_same(monkeypatch):
    """Without libyaml, PyYAML's pure-Python BaseLoader gives the same states."""
    import yaml

    from conda_guard.readers import yaml_loader

    lock = ENVS.parent / "pixi-lock" / "pixi-example-lightgbm.v5.pixi.lock"
    conda_lock = ENVS.parent / "conda-lock" / "conda-lock-blas-mkl.conda-lock.yml"
    fast = [read_state(str(p)) for p in (EXPORT, lock, conda_lock)]
    assert yaml_loader._PARSER[0] is yaml.CBaseLoader
    monkeypatch.delattr(yaml, "CBaseLoader")
    monkeypatch.setattr(yaml_loader, "_PARSER", None)
    slow = [read_state(str(p)) for p in (EXPORT, lock, conda_lock)]
    assert yaml_loader._PARSER[0] is yaml.BaseLoader
    for a, b in zip(fast, slow):
        assert dict(a.records) == dict(b.records)
        assert a.platform == b.platform
    assert slow[1].get("_openmp_mutex").build_number == 16
    monkeypatch.setattr(yaml_loader, "_PARSER", None)
