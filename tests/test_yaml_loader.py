"""The readers' one YAML loader: strings stay strings, and documents are bounded."""

from __future__ import annotations

import time

import pytest

from conda_guard.exceptions import InputError
from conda_guard.readers import yaml_loader
from conda_guard.readers.yaml_loader import (
    MAX_ALIAS_EXPANSION,
    MAX_NODES,
    coerce,
    load_yaml_text,
)


@pytest.fixture(autouse=True, params=["libyaml", "pure-python"])
def parser(request, monkeypatch):
    """Every test runs with libyaml's CBaseLoader and PyYAML's BaseLoader."""
    import yaml

    monkeypatch.setattr(yaml_loader, "_PARSER", None)
    if request.param == "pure-python":
        monkeypatch.delattr(yaml, "CBaseLoader", raising=False)
    yield request.param
    monkeypatch.setattr(yaml_loader, "_PARSER", None)


def test_yaml_1_1_forms_stay_strings():
    # issue 15.6: PyYAML's safe loader gives [True, True, 8, 31, 90]
    assert load_yaml_text("[yes, on, 010, 0x1f, 1:30]") == [
        "yes",
        "on",
        10,
        "0x1f",
        "1:30",
    ]


def test_versions_and_dates_stay_strings():
    doc = load_yaml_text("a: 1.10\nb: 2024.1\nc: 2024-01-02\nd: 1e3\ne: .inf\n")
    assert doc == {
        "a": "1.10",
        "b": "2024.1",
        "c": "2024-01-02",
        "d": "1e3",
        "e": ".inf",
    }


def test_core_schema_for_plain_scalars_only():
    doc = load_yaml_text(
        "a: ~\nb: null\nc:\nd: true\ne: FALSE\nf: -3\ng: +4\n"
        "h: 'true'\ni: \"12\"\nj: 'null'\nk: !!str 7\n"
    )
    assert doc == {
        "a": None,
        "b": None,
        "c": None,
        "d": True,
        "e": False,
        "f": -3,
        "g": 4,
        "h": "true",
        "i": "12",
        "j": "null",
        "k": "7",
    }


@pytest.mark.parametrize(
    ("text", "value"),
    [("0", 0), ("007", 7), ("1" * 30, int("1" * 30)), ("1" * 31, "1" * 31), ("٣", "٣")],
)
def test_coerce_integers(text, value):
    assert coerce(text) == value


def test_aliases_reuse_the_anchored_value():
    doc = load_yaml_text("a: &x [1, {b: c}]\nd: *x\n")
    assert doc == {"a": [1, {"b": "c"}], "d": [1, {"b": "c"}]}


def _bomb(levels: int, width: int = 9) -> str:
    lines = ["l0: &l0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels):
        refs = ", ".join([f"*l{i - 1}"] * width)
        lines.append(f"l{i}: &l{i} [{refs}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_at_once():
    text = _bomb(9)
    assert len(text) < 600
    start = time.perf_counter()
    with pytest.raises(InputError, match="alias bomb") as err:
        load_yaml_text(text, "env.yml")
    assert time.perf_counter() - start < 1
    assert err.value.path == "env.yml"
    assert f"{MAX_ALIAS_EXPANSION:,}" in err.value.reason


def test_small_alias_use_is_fine():
    doc = load_yaml_text(_bomb(3, 5))
    assert len(doc["l2"]) == 5 and doc["l2"][0][0] == ["lol"] * 5


def test_node_limit(monkeypatch):
    monkeypatch.setattr(yaml_loader, "MAX_NODES", 100)
    assert len(load_yaml_text("[" + "1," * 98 + "]")) == 98
    with pytest.raises(InputError, match="more than 100 YAML nodes"):
        load_yaml_text("[" + "1," * 100 + "]")
    assert MAX_NODES >= 300_000


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("a: 1\na: 2\n", 2, "duplicate key 'a'"),
        ("? [1]\n: 2\n", 1, "a mapping key is not a scalar"),
        ("a: &a [*a]\n", 1, "has no anchor before it"),
        ("- *nope\n", 1, "has no anchor before it"),
        ("a: 1\n---\nb: 2\n", 2, "more than one YAML document"),
        ("[" * 2000, 1, "nest"),  # libyaml stops at 1,000 levels, we at 100
        ("a: b: c\n", 1, "mapping values are not allowed"),
        ("'open\n", 2, "invalid YAML"),
    ],
    ids=[
        "dup-key",
        "seq-key",
        "recursive",
        "undefined",
        "two-docs",
        "deep",
        "bad",
        "eof",
    ],
)
def test_bad_yaml_names_the_line(text, line, reason):
    with pytest.raises(InputError) as err:
        load_yaml_text(text, "f.yml")
    assert err.value.line == line
    assert reason in err.value.reason
    assert "\n" not in str(err.value)


def test_depth_limit():
    assert load_yaml_text("[" * 100 + "]" * 100) is not None
    with pytest.raises(InputError, match="nested more than 100 levels deep"):
        load_yaml_text("a:\n" + "".join(" " * i + "- " for i in range(120)) + "x\n")


def test_empty_document_is_none():
    assert load_yaml_text("") is None
    assert load_yaml_text("# only a comment\n") is None
