"""``abi-pin`` (issue 14, point 8) and ``broken-dependency`` on real records:
a pinned library crossing its pin is news only with a package built for the
old version; a dependency that no longer holds is reported once."""

from __future__ import annotations

from conda_guard.analysis import analyze
from conda_guard.models import Severity

from .helpers import needs_data, real, state
from .rule_cases import case

pytestmark = needs_data


def findings(a, rule):
    return [f for f in a.findings if f.rule == rule]


def test_pin_crossed_with_every_dependent_rebuilt_is_info():
    # icu 73.2 -> 75.1 with cairo rebuilt for 75 ('icu >=75.1,<76.0a0')
    before = state(real("icu-73.2-h59595ed_0"), real("cairo-1.18.0-hbb29018_2"))
    after = state(real("icu-75.1-he02047a_0"), real("cairo-1.18.0-hebfffa5_3"))
    a = analyze(before, after)
    (f,) = findings(a, "abi-pin")
    assert f.severity is Severity.INFO
    assert f.message == (
        "icu 73.2 -> 75.1 crosses its ABI pin (x); nothing in the result depends "
        "on the old version"
    )
    assert not findings(a, "broken-dependency")


def test_pin_crossed_under_a_staying_build_for_the_old_version_is_high():
    # cairo stays on its build for icu 73 ('icu >=73.2,<74.0a0')
    cairo = real("cairo-1.18.0-hbb29018_2")
    a = analyze(
        state(real("icu-73.2-h59595ed_0"), cairo),
        state(real("icu-75.1-he02047a_0"), cairo),
    )
    (f,) = findings(a, "abi-pin")
    assert f.severity is Severity.HIGH
    assert f.message == (
        "icu 73.2 -> 75.1 crosses its ABI pin (x) under cairo, built for the old "
        "version"
    )
    assert any("requires 'icu >=73.2,<74.0a0'" in e for e in f.evidence)
    assert not findings(a, "broken-dependency")  # one finding, not two


def test_lock_transition_abi_pins_are_info():
    # a re-solved lock: every pinned library crossing its pin comes with
    # rebuilt dependents (was one low finding per library)
    a = analyze(*case("pangeo-ml-cuda12-split"))
    assert all(f.severity is Severity.INFO for f in findings(a, "abi-pin"))


def test_removed_numpy_under_a_dependent_is_broken_dependency():
    # numpy's family rule judges version moves; a removal is proof for anyone
    py = real("python-3.12.13-hd63d673_0_cpython")
    pandas = real("pandas-2.2.2-py312h1d6d2e6_1")
    a = analyze(
        state(py, pandas, real("numpy-2.3.0-py312h6cf2f7f_0")), state(py, pandas)
    )
    (f,) = findings(a, "broken-dependency")
    assert f.severity is Severity.HIGH
    assert f.message == "numpy is removed but pandas still depends on it"


def test_new_record_excluding_an_unchanged_package_is_broken_dependency():
    # libxml2 2.10.3 (built for icu 70) joins an environment that has icu 73.2
    icu = real("icu-73.2-h59595ed_0")
    new = real("libxml2-2.10.3-h7463322_0")
    a = analyze(state(icu), state(icu, new))
    (f,) = findings(a, "broken-dependency")
    assert f.severity is Severity.HIGH
    assert f.message == (
        "libxml2 2.10.3 h7463322_0 needs what the result does not provide: "
        "'icu >=70.1,<71.0a0' (icu 73.2)"
    )


def test_new_record_whose_dependencies_hold_is_quiet():
    icu = real("icu-73.2-h59595ed_0")
    new = real("cairo-1.18.0-hbb29018_2")  # icu >=73.2,<74.0a0
    a = analyze(state(icu), state(icu, new))
    assert not findings(a, "broken-dependency")


def test_each_spec_is_parsed_once_per_analysis(monkeypatch):
    # issue 12.11: broken-dependency (and every rule) parses a spec text once
    from collections import Counter

    from conda_guard.rules import base

    calls = Counter()
    parse = base.parse_spec

    def counting(text):
        calls[text] += 1
        return parse.__wrapped__(text)

    monkeypatch.setattr(base, "parse_spec", counting)
    a = analyze(*case("pangeo-ml-toolchain-numpy2"))
    assert a.findings and len(calls) > 100
    assert max(calls.values()) == 1, calls.most_common(3)
