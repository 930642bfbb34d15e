"""Real `conda list` output (printed by conda 26.7.1, see tests/data/README.md)
reads into the same packages as the prefix it was printed for."""

from __future__ import annotations

from pathlib import Path

import pytest

from conda_guard.readers import detect, read_state

from .helpers import EXAMPLES

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("conda26-list-json.ml-env.json", "conda-list-json"),
        ("conda26-list-export.ml-env.txt", "conda-list-export"),
        ("conda26-list.ml-env.txt", "conda-list-export"),
    ],
    ids=["json", "export", "plain"],
)
def test_real_conda_list_output_matches_the_prefix(name, fmt):
    path = DATA / name
    assert detect(path) == fmt
    listed = read_state(path)
    prefix = read_state(EXAMPLES / "ml-env", "prefix")
    assert sorted(listed.records) == sorted(prefix.records)
    for rec in prefix:
        got = listed.get(rec.name)
        assert (got.version, got.build) == (rec.version, rec.build), rec.name
        if fmt == "conda-list-json" or name.endswith("list.ml-env.txt"):
            assert got.channel == "conda-forge", rec.name
    numpy = listed.get("numpy")
    assert (numpy.version, numpy.build) == ("2.3.0", "py312h6cf2f7f_0")
