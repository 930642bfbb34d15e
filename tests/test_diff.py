"""The diff's change kinds, on real records."""

from __future__ import annotations

from dataclasses import replace

from conda_guard.abi import load_table
from conda_guard.diff import compare_versions, diff_states
from conda_guard.models import ChangeKind

from .helpers import needs_data, real, state

pytestmark = needs_data


def kinds(before, after):
    return {c.name: (c.kind, c.tags) for c in diff_states(before, after, load_table())}


def test_installed_removed_upgraded_downgraded():
    py = real("python-3.12.13-hd63d673_0_cpython")
    got = kinds(
        state(py, real("six-1.16.0-pyh6c4a22f_0"), real("openssl-3.0.0-h7f98852_2")),
        state(
            py,
            real("six-1.17.0-pyhe01879c_1"),
            real("openssl-1.1.1q-h166bdaf_0"),
            real("tzdata-2026c-h151e31d_0"),
        ),
    )
    assert got == {
        "six": (ChangeKind.UPGRADED, (ChangeKind.UPGRADED,)),
        "openssl": (ChangeKind.DOWNGRADED, (ChangeKind.DOWNGRADED,)),
        "tzdata": (ChangeKind.INSTALLED, (ChangeKind.INSTALLED,)),
    }
    assert "python" not in got  # the same record on both sides


def test_same_version_new_build_is_rebuilt():
    # python 3.10.2 build 3 exists twice: against openssl 1.1 and against openssl 3
    got = kinds(
        state(real("python-3.10.2-h85951f9_3_cpython")),
        state(real("python-3.10.2-hc74c709_3_cpython")),
    )
    assert got == {"python": (ChangeKind.REBUILT, (ChangeKind.REBUILT,))}


def test_channel_switch_is_a_tag_of_an_upgrade():
    old = real("numpy-1.26.4-py312heda63a1_0")
    new = replace(real("numpy-2.3.0-py312h6cf2f7f_0"), channel="pkgs/main")
    (change,) = diff_states(state(old), state(new), load_table())
    assert change.kind is ChangeKind.UPGRADED
    assert change.tags == (ChangeKind.UPGRADED, ChangeKind.CHANNEL_SWITCH)


def test_unknown_channel_is_no_switch():
    rec = real("numpy-2.3.0-py312h6cf2f7f_0")
    assert diff_states(state(rec), state(replace(rec, channel="")), load_table()) == ()


def test_blas_variant_switch_carries_the_axis():
    (change,) = diff_states(
        state(real("libblas-3.9.0-13_linux64_openblas")),
        state(real("libblas-3.9.0-13_linux64_mkl")),
        load_table(),
    )
    assert change.kind is ChangeKind.VARIANT_SWITCH
    assert change.variants == {"blas": ("openblas", "mkl")}


def test_conda_version_order_not_text_order():
    assert compare_versions("1.10", "1.9") == 1
    assert compare_versions("1.0rc1", "1.0") == -1
    assert compare_versions("1!0.1", "2.0") == 1
    assert compare_versions("1.1.1w", "1.1.2a") == -1


@needs_data
def test_no_change_no_rule_has_anything_to_say():
    # analyze() runs no rule when nothing changed (a history revision that
    # changed nothing); on every real prefix and each of its history revisions,
    # the rules run on the state against itself indeed find nothing
    from conda_guard.exceptions import InputError
    from conda_guard.readers.prefix import iter_prefix_revisions, read_prefix
    from conda_guard.rules import run_rules
    from conda_guard.rules.base import RuleContext

    from .helpers import DATA

    table = load_table()
    checked = 0
    for prefix in sorted((DATA / "prefixes").iterdir()):
        try:
            states = [read_prefix(prefix)]
            states += [s for _, s in iter_prefix_revisions(prefix)]
        except InputError:  # the corrupt ones
            continue
        for s in states:
            twin = replace(s, records=dict(s.records))
            assert diff_states(s, twin, table) == ()
            assert run_rules(RuleContext(s, twin, (), table)) == (), s.source
            checked += 1
    assert checked >= 30
