"""The fast paths of :mod:`conda_guard.version` give what the general paths give.

``VersionOrder`` reads a version of dot-separated numbers (``1.26.4``) without
its regexes, and ``VersionSpec`` reads a spec of ``,``-joined parts
(``>=1.2,<2.0a0``) without the shunting-yard; both must build the very same
values as the general code, which ``tests/test_version.py`` checks against
conda's own answers.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conda_guard import version as v

_NEVER = re.compile(r"(?!)")

numbers = st.lists(
    st.one_of(st.integers(0, 3), st.integers(0, 10**12)), min_size=1, max_size=6
).map(lambda ints: ".".join(map(str, ints)))
zero_padded = st.lists(st.sampled_from(["0", "00", "01", "007", "10"]), min_size=1)


def _general(text: str) -> v.VersionOrder:
    """What the general path (regexes per component) gives for ``text``."""
    with pytest.MonkeyPatch.context() as m:
        m.setattr(v, "_INTS_RE", _NEVER)
        return v.VersionOrder(text)


def _fields(vo: v.VersionOrder) -> tuple:
    return (vo.version, vo.local, vo._key, vo._flat, vo.norm, vo.original)


@given(text=st.one_of(numbers, zero_padded.map(".".join)))
def test_numeric_version_fast_path_is_the_general_path(text):
    assert _fields(v.VersionOrder(text)) == _fields(_general(text))


@pytest.mark.parametrize("text", ["0", "0.0", "1.0.0", "2", "1.26.4", "0.0.1"])
def test_numeric_versions_order_like_the_general_path(text):
    fast = v.VersionOrder(text)
    general = _general(text)
    assert _fields(fast) == _fields(general)
    assert fast == general and hash(fast) == hash(general)


parts = st.sampled_from(
    [">=1.2", "<2.0a0", "!=1.5", "1.2.*", "==3", "~=1.2", ">1", "<=4", "*", "1.2"]
)


@given(pieces=st.lists(parts, min_size=2, max_size=4), version=numbers)
def test_and_only_spec_fast_path_is_the_tree(pieces, version):
    text = ",".join(pieces)
    v._parse_spec.cache_clear()
    node, shown = v._parse_spec(text)
    tree = v._tree(text)
    assert shown == v._fill_text(tree)
    assert type(node) is type(tree)
    vo = v.parse_version(version)
    assert node.match(vo, version) == tree.match(vo, version)
    assert node.upper() == tree.upper()


@pytest.mark.parametrize("text", [">=1,,<2", ",<2", ">=1,", ">=1,<2|3", "(>=1,<2)"])
def test_other_specs_take_the_tree(text):
    v._parse_spec.cache_clear()
    try:
        expected = v._fill_text(v._tree(text))
    except v.InvalidVersion as exc:
        with pytest.raises(v.InvalidVersion, match=re.escape(str(exc))):
            v._parse_spec(text)
    else:
        assert v._parse_spec(text)[1] == expected
