"""The link check inside a real ``conda install``, after extraction, before linking.

A channel of tiny real packages (compiled with ``cc``, packaged with
conda-package-handling, indexed with conda-index): ``app`` links
``libfoo.so.1`` and depends on ``libfoo`` without an upper bound, so
``conda install libfoo=2`` replaces the library by one that ships only
``libfoo.so.2``. Only the binaries show it; conda's metadata does not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

pytest.importorskip(
    "conda", reason="conda is not importable (see docs/dev/conda-from-source.md)"
)
pytest.importorskip("conda_index", reason="conda-index indexes the test channel")

from conda.exceptions import CondaMultiError, DryRunExit

from .binaries_helpers import (
    index_channel,
    make_libfoo_channel,
    with_cc,
)
from .conda_fixtures import TEST_SOLVER, hash_tree

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.conda

SONAME = (
    "[soname] app 1.0 links libfoo.so.1, provided today by libfoo 1.2 h1_0, which is "
    "being replaced by libfoo 2.0 h2_0 shipping only libfoo.so.2"
)


@pytest.fixture(scope="module")
def link_channel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("links")
    channel = root / "channel"
    sub = channel / "linux-64"
    sub.mkdir(parents=True)
    (channel / "noarch").mkdir()
    make_libfoo_channel(sub, root / "objects")
    return index_channel(channel)


@pytest.fixture
def app_env(link_channel: Path, tmp_path: Path, monkeypatch, conda_cli, tmp_env):
    from conda.base.context import reset_context

    condarc = tmp_path / "condarc"
    condarc.write_text(
        f"offline: true\nsolver: {TEST_SOLVER}\n"
        f"channels: [{link_channel.as_uri()}]\n"
        f"pkgs_dirs: [{tmp_path / 'pkgs'}]\n"
    )
    monkeypatch.setenv("CONDARC", str(condarc))
    monkeypatch.setenv("CONDA_PKGS_DIRS", str(tmp_path / "pkgs"))
    monkeypatch.setenv("CONDA_GUARD_CACHE_DIR", str(tmp_path / "guard-cache"))
    reset_context()
    with tmp_env("app", "libfoo=1.2") as prefix:
        yield prefix
    monkeypatch.delenv("CONDARC")
    reset_context()


@with_cc
def test_missing_soname_warns_before_linking(app_env: Path, conda_cli):
    out, err, code = conda_cli("install", "-p", app_env, "-y", "libfoo=2")
    assert code is None or code == 0
    assert "conda-guard (link check): 1 finding (1 high)" in err
    assert "HIGH " + SONAME in err
    assert (app_env / "lib" / "libfoo.so.2").exists()  # warn mode: installed


@with_cc
def test_missing_soname_blocks_and_leaves_the_prefix(
    app_env: Path, conda_cli, monkeypatch
):
    from conda.base.context import reset_context

    monkeypatch.setenv("CONDA_PLUGINS_GUARD_MODE", "block")
    reset_context()
    before = hash_tree(app_env)
    out, err, exc = conda_cli(
        "install", "-p", app_env, "-y", "libfoo=2", raises=CondaMultiError
    )
    # verify() returns the refusal; conda cleans up and raises all such errors
    assert [type(e).__name__ for e in exc.value.errors] == ["GuardBlockedError"]
    text = str(exc.value)
    assert "conda-guard stopped this transaction" in text
    assert "HIGH " + SONAME in text
    assert "conda guard install -p" in text and "--accept soname" in text
    assert hash_tree(app_env) == before


@with_cc
def test_dry_run_has_no_link_check_and_says_so_once(app_env: Path, conda_cli):
    out, err, exc = conda_cli(
        "install", "-p", app_env, "--dry-run", "libfoo=2", raises=DryRunExit
    )
    assert "(link check)" not in err
    assert err.count("conda-guard: note: this is a dry run; the link-level") == 1


@with_cc
def test_ignored_rule_is_not_reported(app_env: Path, conda_cli, monkeypatch):
    from conda.base.context import reset_context

    monkeypatch.setenv("CONDA_PLUGINS_GUARD_MODE", "block")
    monkeypatch.setenv("CONDA_PLUGINS_GUARD_IGNORE", "soname")
    reset_context()
    out, err, code = conda_cli("install", "-p", app_env, "-y", "libfoo=2")
    assert "link check" not in err
    assert (app_env / "lib" / "libfoo.so.2").exists()


def _broken_check_links(*args, **kwargs):
    raise RuntimeError("elf boom")


@with_cc
def test_link_check_failure_open_warns(app_env: Path, conda_cli, monkeypatch):
    import conda_guard.binaries

    monkeypatch.setattr(conda_guard.binaries, "check_links", _broken_check_links)
    out, err, code = conda_cli("install", "-p", app_env, "-y", "libfoo=2")
    assert "the ABI check was skipped (RuntimeError: elf boom)" in err
    assert (app_env / "lib" / "libfoo.so.2").exists()


@with_cc
def test_link_check_failure_closed_stops(app_env: Path, conda_cli, monkeypatch):
    from conda.base.context import reset_context

    import conda_guard.binaries

    monkeypatch.setenv("CONDA_PLUGINS_GUARD_ON_ERROR", "closed")
    reset_context()
    monkeypatch.setattr(conda_guard.binaries, "check_links", _broken_check_links)
    before = hash_tree(app_env)
    out, err, exc = conda_cli(
        "install", "-p", app_env, "-y", "libfoo=2", raises=CondaMultiError
    )
    assert [type(e).__name__ for e in exc.value.errors] == ["GuardInternalError"]
    assert "(RuntimeError: elf boom)" in str(exc.value)
    assert hash_tree(app_env) == before


def _broken_decide(*args, **kwargs):
    raise RuntimeError("decide boom")


@with_cc
def test_a_failure_acting_on_the_check_is_a_warning_in_open_mode(
    app_env: Path, conda_cli, monkeypatch
):
    """guard_on_error: open holds at link time too: conda goes on (issue 15.7)."""
    import conda_guard.policy

    monkeypatch.setattr(conda_guard.policy, "decide", _broken_decide)
    out, err, code = conda_cli("install", "-p", app_env, "-y", "libfoo=2")
    assert "the ABI check was skipped (RuntimeError: decide boom)" in err
    assert (app_env / "lib" / "libfoo.so.2").exists()
