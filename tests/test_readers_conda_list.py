"""`conda list --json`, `--export` and table output.

No licensed real output was found to copy, so the inputs are printed here from
the real PrefixRecords in shared/data, in the shapes conda/conda's
``conda/cli/main_list.py`` prints (``dist_fields_dump`` for ``--json``,
``PackageRecord.spec`` under ``print_export_header`` for ``--export``); pip
packages look like conda's PyPI loader makes them (channel ``pypi``, build
``pypi_0``, platform ``pypi``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conda_guard.exceptions import InputError
from conda_guard.readers import read_state
from conda_guard.readers.conda_list import read_conda_list_export, read_conda_list_json
from conda_guard.readers.prefix import read_prefix_records

from .helpers import needs_data

PREFIXES = Path(__file__).parents[2] / "shared" / "data" / "prefixes"
CHEMTOOLS = PREFIXES / "chemtools-win64-mkl-openssl-downgrade"

pytestmark = needs_data

PIP_JSON = {
    "base_url": "https://conda.anaconda.org/pypi",
    "build_number": 0,
    "build_string": "pypi_0",
    "channel": "pypi",
    "dist_name": "absl-py-0.9.0-pypi_0",
    "name": "absl-py",
    "platform": "pypi",
    "version": "0.9.0",
}


def chemtools_json() -> list[dict]:
    out = []
    for path in sorted((CHEMTOOLS / "conda-meta").glob("*.json")):
        rec = json.loads(path.read_text())
        out.append(
            {
                "base_url": rec["channel"].rsplit("/", 1)[0],
                "build_number": rec["build_number"],
                "build_string": rec["build"],
                "channel": "conda-forge",
                "dist_name": f"{rec['name']}-{rec['version']}-{rec['build']}",
                "name": rec["name"],
                "platform": rec["subdir"],
                "version": rec["version"],
            }
        )
    return out + [PIP_JSON]


def test_conda_list_json(tmp_path):
    path = tmp_path / "list.json"
    path.write_text(json.dumps(chemtools_json(), indent=2))
    state = read_state(str(path))
    assert state.kind == "conda-list-json"
    assert state.platform == "win-64"
    assert len(state) == 7
    blas = state.get("libblas")
    assert (blas.version, blas.build, blas.build_number) == (
        "3.9.0",
        "16_win64_mkl",
        16,
    )
    assert (blas.channel, blas.subdir) == ("conda-forge", "win-64")
    absl = state.get("absl-py")
    assert (absl.pip, absl.channel, absl.build, absl.version) == (
        True,
        "pypi",
        "pypi_0",
        "0.9.0",
    )


def test_conda_list_json_matches_the_prefix(tmp_path):
    """The same packages read from conda-meta and from `conda list --json` agree."""
    path = tmp_path / "list.json"
    path.write_text(json.dumps(chemtools_json()[:-1]))
    listed = read_conda_list_json(path)
    for name, rec in read_prefix_records(CHEMTOOLS).items():
        got = listed.get(name)
        assert (got.version, got.build, got.build_number, got.channel, got.subdir) == (
            rec.version,
            rec.build,
            rec.build_number,
            rec.channel,
            rec.subdir,
        )


def test_mamba_list_json_extra_fields(tmp_path):
    item = {
        "base_url": "https://conda.anaconda.org/bioconda",
        "build_number": 5,
        "build_string": "h077b44d_5",
        "channel": "bioconda",
        "dist_name": "shark-1.2.0-h077b44d_5",
        "md5": "b40d380390c2749c31c552c19b766165",
        "name": "shark",
        "platform": "linux-64",
        "url": "https://conda.anaconda.org/bioconda/linux-64/shark-1.2.0-h077b44d_5.tar.bz2",
        "version": "1.2.0",
    }
    path = tmp_path / "list.json"
    path.write_text(json.dumps([item]))
    rec = read_conda_list_json(path).get("shark")
    assert (rec.channel, rec.md5, rec.url) == ("bioconda", item["md5"], item["url"])


def export_text() -> str:
    lines = [
        "# This file may be used to create an environment using:",
        "# $ conda create --name <env> --file <this file>",
        "# platform: win-64",
        "# created-by: conda 25.1.1",
    ]
    for name, rec in sorted(read_prefix_records(CHEMTOOLS).items()):
        lines.append(f"{name}={rec.version}={rec.build}")
    lines.append("requests=2.31.0=pypi_0")
    return "\n".join(lines) + "\n"


def test_conda_list_export(tmp_path):
    path = tmp_path / "packages.txt"
    path.write_text(export_text())
    state = read_state(str(path))
    assert state.kind == "conda-list-export"
    assert state.platform == "win-64"
    assert len(state) == 7
    ssl = state.get("openssl")
    assert (ssl.version, ssl.build, ssl.build_number, ssl.channel) == (
        "1.1.1q",
        "hcfcfb64_1",
        1,
        "",
    )
    assert ssl.source == f"{path}:9"
    assert state.get("mkl").build_number == 874
    assert state.get("requests").pip


def test_conda_list_table(tmp_path):
    rows = [
        "# packages in environment at /opt/conda/envs/chem:",
        "#",
        "# Name                    Version                   Build  Channel",
    ]
    for name, rec in sorted(read_prefix_records(CHEMTOOLS).items()):
        rows.append(f"{name:<23}  {rec.version:<15}  {rec.build:>15}    conda-forge")
    rows.append(f"{'requests':<23}  {'2.31.0':<15}  {'pypi_0':>15}    pypi")
    rows.append(f"{'six':<23}  {'1.16.0':<15}  {'py_0':>15}")  # defaults: no channel
    path = tmp_path / "list.txt"
    path.write_text("\n".join(rows) + "\n")
    state = read_state(str(path))
    assert state.kind == "conda-list-export"
    assert len(state) == 8
    assert state.get("libblas").channel == "conda-forge"
    assert state.get("libblas").build == "16_win64_mkl"
    assert state.get("requests").pip
    assert state.get("six").channel == ""


@pytest.mark.parametrize(
    ("reader", "text", "line", "reason"),
    [
        (read_conda_list_json, "[", 1, "invalid JSON"),
        (read_conda_list_json, '{"a": 1}', None, "expected a JSON list"),
        (read_conda_list_json, "[1]", None, "entry 0 is not an object"),
        (
            read_conda_list_json,
            '[{"name": "a"}]',
            None,
            "entry 0: not a package record (no 'version')",
        ),
        (
            read_conda_list_export,
            "# platform: linux-64\nnumpy=1.26\n",
            2,
            "name=version=build",
        ),
        (read_conda_list_export, "", None, "no packages"),
        (
            read_conda_list_export,
            "# packages in environment at /x:\nnumpy\n",
            2,
            "name version build",
        ),
    ],
    ids=["trunc", "object", "item", "no-version", "no-build", "empty", "table-row"],
)
def test_bad_conda_list(tmp_path, reader, text, line, reason):
    path = tmp_path / "in.txt"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        reader(path)
    assert err.value.line == line
    assert reason in err.value.reason
