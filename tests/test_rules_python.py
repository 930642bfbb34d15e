"""``python-minor`` (issue 14, points 4 and 7): a lock file's PyPI entries are
resolved again (nothing stays behind), and the free-threaded ABI is named."""

from __future__ import annotations

from dataclasses import replace

from conda_guard.analysis import analyze
from conda_guard.models import Severity

from .helpers import needs_data, real, state
from .rule_cases import case


def only(a, rule="python-minor"):
    found = [f for f in a.findings if f.rule == rule]
    assert len(found) == 1, [(f.rule, f.message) for f in a.findings]
    return found[0]


def test_lock_to_lock_pypi_entries_do_not_stay_behind():
    # ESMValTool's pixi.lock: python 3.13 -> 3.14, the project itself is a
    # pypi entry of the lock (was "1 pip-installed distribution(s) stay in the
    # old site-packages": high)
    before, after = case("esmvaltool-py314")
    assert [r.name for r in after if r.pip] == ["esmvaltool"]
    f = only(analyze(before, after))
    assert f.severity is Severity.MEDIUM
    assert f.message == (
        "python 3.13.13 h6add32d_100_cp313 -> 3.14.5 habeac84_100_cp314 changes "
        "the Python ABI from cp313 to cp314; every compiled package in the result "
        "is a build for the new one"
    )
    assert not any("stay in the old site-packages" in e for e in f.evidence)
    assert any("(esmvaltool) are resolved for the new Python" in e for e in f.evidence)


def test_pip_dists_of_a_prefix_stay_behind():
    before, after = case("esmvaltool-py314")
    b, a = replace(before, kind="prefix"), replace(after, kind="prefix")
    f = only(analyze(b, a))
    assert f.severity is Severity.HIGH
    assert f.message.endswith("built or installed for the old one: esmvaltool")


def test_free_threaded_to_default_build_names_the_abi():
    # scipy's pixi.lock, env mkl-lp64: python 3.14.3 *_cp314t -> 3.14.5 *_cp314
    f = only(analyze(*case("scipy-freethreading-to-gil")))
    assert f.severity is Severity.MEDIUM
    assert f.message == (
        "python 3.14.3 he1279bd_1_cp314t -> 3.14.5 habeac84_100_cp314 changes the "
        "Python ABI from cp314t (free-threaded) to cp314; every compiled package in "
        "the result is a build for the new one"
    )
    names = [p.name for p in f.packages]
    assert "python" in names and "python_abi" in names


def test_compiled_record_left_on_the_old_abi_is_high():
    # the same transition with numpy kept at its cp314t build
    before, after = case("scipy-freethreading-to-gil")
    old_numpy = before.get("numpy")
    assert any(d.endswith("*_cp314t") for d in old_numpy.depends)
    a = analyze(before, replace(after, records={**after.records, "numpy": old_numpy}))
    f = only(a)
    assert f.severity is Severity.HIGH
    assert "numpy" in f.message
    assert any("cp314t (free-threaded)" in e for e in f.evidence)


@needs_data
def test_explicit_file_build_string_for_the_old_python_is_high():
    # no depends: numpy's py311 build string says which Python it is for
    strip = {"depends": (), "constrains": ()}
    np311 = replace(real("numpy-1.26.4-py311h64a7726_0"), **strip)
    a = analyze(
        state(replace(real("python-3.11.13-h9e4cc4f_0_cpython"), **strip), np311),
        state(replace(real("python-3.12.13-hd63d673_0_cpython"), **strip), np311),
    )
    f = only(a)
    assert f.severity is Severity.HIGH
    assert "numpy" in f.message


def test_explicit_file_without_old_builds_says_what_it_read():
    strip = {"depends": (), "constrains": ()}
    before, after = case("scipy-freethreading-to-gil")
    b = replace(
        before, records={n: replace(r, **strip) for n, r in before.records.items()}
    )
    x = replace(
        after, records={n: replace(r, **strip) for n, r in after.records.items()}
    )
    f = only(analyze(b, x))
    assert f.severity is Severity.MEDIUM
    assert f.message.endswith(
        "no compiled build in the result is marked for the old one (the records "
        "carry no dependencies)"
    )
