"""The short path of :class:`~conda_guard.matchspec.MatchSpec` (``numpy``,
``numpy >=1.21,<2.0a0``) parses what the general path parses; the general
path is checked against conda's own answers in tests/test_matchspec.py."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conda_guard import matchspec
from conda_guard.matchspec import MatchSpec

from .helpers import all_records, needs_data

_NEVER = re.compile(r"(?!)")
FIELDS = (*MatchSpec.__slots__,)


def _fields(spec: MatchSpec) -> tuple:
    return tuple(str(getattr(spec, f)) for f in FIELDS)


def _both(text: str) -> tuple[object, object]:
    """(short path, general path): the fields, or the error message."""
    out = []
    for regex in (matchspec._SIMPLE_RE, _NEVER):
        with pytest.MonkeyPatch.context() as m:
            m.setattr(matchspec, "_SIMPLE_RE", regex)
            try:
                out.append(_fields(MatchSpec(text)))
            except ValueError as exc:
                out.append(str(exc))
    return out[0], out[1]


names = st.from_regex(r"[a-z0-9_][a-z0-9_.+-]{0,12}", fullmatch=True)
parts = st.from_regex(r"(>=|<=|<|>|!=)?[0-9][0-9a-z._+!*]{0,8}", fullmatch=True)


@given(name=names, versions=st.lists(parts, max_size=3))
def test_short_path_is_the_general_path(name, versions):
    text = f"{name} {','.join(versions)}" if versions else name
    short, general = _both(text)
    assert short == general


@pytest.mark.parametrize(
    "text",
    [
        "numpy",
        "numpy >=1.21,<2.0a0",
        "python 3.11.*",
        "libzlib >=1.2.13,<2.0.0a0",
        "openssl !=3.0.0",
        "x 1.0.conda",
        "a 1!2.0",
        "bad_ 1..2",
        "numpy 1.2,",
    ],
)
def test_examples(text):
    short, general = _both(text)
    assert short == general


@needs_data
def test_every_real_dependency():
    specs = {d for r in all_records("conda-forge") for d in (*r.depends, *r.constrains)}
    short_path = 0
    for text in sorted(specs):
        short, general = _both(text)
        assert short == general, text
        short_path += bool(matchspec._SIMPLE_RE.fullmatch(text.strip()))
    assert short_path >= 1000
