"""Proof from files inside conda: the NumPy C-API at the link check, the
dry-run note, and ``conda doctor`` on an environment already broken.

A local channel of real packages (tests/binaries_helpers.py,
tests/numpy_capi_helpers.py): ``numpy`` 1.26.4 and 2.2.6 (stand-ins: the
C-API question is about the dependent's files), ``oldext`` with an extension
module compiled against the numpy 1.26 headers and depending on ``numpy``
without an upper bound, built in 2023 (before numpy 2.0), and ``libfoo`` /
``app`` as in tests/test_conda_links.py. conda solves, downloads, extracts
and links them; the guard reads what conda extracted.
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
    make_package,
    with_cc,
)
from .conda_fixtures import TEST_SOLVER
from .numpy_capi_helpers import EXT_SUFFIX, build_all, shared_dir

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.conda

SITE = "lib/python3.11/site-packages"
EXT = f"{SITE}/oldext/_core{EXT_SUFFIX}"
#: 2023-06-01, before numpy 2.0's first pre-release
OLD = 1685577600000
DRY_NOTE = "conda-guard: note: this is a dry run; the link-level check"


@pytest.fixture(scope="module")
def proof_channel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    modules = build_all(shared_dir(tmp_path_factory))
    root = tmp_path_factory.mktemp("file-proof")
    channel = root / "channel"
    sub = channel / "linux-64"
    sub.mkdir(parents=True)
    (channel / "noarch").mkdir()
    for version in ("1.26.4", "2.2.6"):
        make_package(
            sub, "numpy", version, "py311h0_0", {f"{SITE}/numpy/__init__.py": b""}
        )
    make_package(
        sub,
        "oldext",
        "1.0",
        "py311h0_0",
        {EXT: modules["capi1"]},
        depends=("numpy",),
        timestamp=OLD,
    )
    make_libfoo_channel(sub, root / "objects")
    return index_channel(channel)


@pytest.fixture
def proof_config(proof_channel: Path, tmp_path: Path, monkeypatch):
    from conda.base.context import reset_context

    condarc = tmp_path / "condarc"
    condarc.write_text(
        f"offline: true\nsolver: {TEST_SOLVER}\n"
        f"channels: [{proof_channel.as_uri()}]\n"
        f"pkgs_dirs: [{tmp_path / 'pkgs'}]\n"
    )
    for name in ("CONDA_PLUGINS_GUARD_MODE", "CONDA_PLUGINS_GUARD_IGNORE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CONDARC", str(condarc))
    monkeypatch.setenv("CONDA_PKGS_DIRS", str(tmp_path / "pkgs"))
    monkeypatch.setenv("CONDA_GUARD_CACHE_DIR", str(tmp_path / "guard-cache"))
    reset_context()
    yield condarc
    monkeypatch.delenv("CONDARC")
    reset_context()


@with_cc
def test_a_solve_time_medium_becomes_a_link_time_high(proof_config, conda_cli, tmp_env):
    with tmp_env("numpy=2.2.6") as prefix:
        out, err, code = conda_cli("install", "-p", prefix, "-y", "oldext")
    # the solve: the records cannot prove it (built before numpy 2.0 existed)
    assert (
        "MEDIUM [numpy-abi] oldext is installed next to numpy 2.2.6 py311h0_0 but "
        "built before numpy 2.0 existed; whether it uses the NumPy C-API cannot be "
        "proven from metadata"
    ) in err
    # after extraction, before linking: the file proves it, naming the file
    assert "conda-guard (link check): 1 finding (1 high)" in err
    assert (
        "HIGH [numpy-abi] oldext is installed next to numpy 2.2.6 py311h0_0 but "
        "built against numpy 1.x"
    ) in err
    assert f"): {EXT} was compiled against the NumPy 1.x C-API" in err
    assert (prefix / EXT).exists()  # warn mode: linked


@with_cc
def test_the_link_time_proof_refuses_in_block_mode(
    proof_config, conda_cli, tmp_env, monkeypatch
):
    from conda.base.context import reset_context

    with tmp_env("numpy=2.2.6") as prefix:
        monkeypatch.setenv("CONDA_PLUGINS_GUARD_MODE", "block")
        reset_context()
        out, err, exc = conda_cli(
            "install", "-p", prefix, "-y", "oldext", raises=CondaMultiError
        )
        assert [type(e).__name__ for e in exc.value.errors] == ["GuardBlockedError"]
        assert "HIGH [numpy-abi] oldext is installed next to numpy" in str(exc.value)
        assert not (prefix / EXT).exists()


@with_cc
def test_staying_files_prove_it_at_solve_time(proof_config, conda_cli, tmp_env):
    with tmp_env("numpy=1.26.4", "oldext") as prefix:
        out, err, exc = conda_cli(
            "install", "-p", prefix, "--dry-run", "numpy=2.2.6", raises=DryRunExit
        )
    assert (
        "HIGH [numpy-abi] numpy 1.26.4 -> 2.2.6 crosses the NumPy C-API major "
        "version under packages built against the old one: oldext"
    ) in err
    assert err.count(DRY_NOTE) == 1


@with_cc
def test_a_dry_run_says_once_that_the_link_check_comes_later(
    proof_config, conda_cli, tmp_env
):
    with tmp_env("app", "libfoo=1.2") as prefix:
        out, err, exc = conda_cli(
            "install", "-p", prefix, "--dry-run", "libfoo=2", raises=DryRunExit
        )
        assert err.count(DRY_NOTE) == 1
        assert "(link check)" not in err
        out, err, exc = conda_cli(
            "guard", "install", "-p", prefix, "--dry-run", "libfoo=2", raises=DryRunExit
        )
        assert err.count(DRY_NOTE) == 1


@with_cc
def test_doctor_finds_a_library_removed_in_warn_mode(proof_config, conda_cli, tmp_env):
    with tmp_env("app", "libfoo=1.2") as prefix:
        conda_cli("install", "-p", prefix, "-y", "libfoo=2")  # warn mode: done
        out, err, code = conda_cli("doctor", "-p", prefix)
        assert "\N{BALLOT X} conda-guard found 1 ABI risk(s) in the environment:" in out
        assert (
            "  HIGH [soname] app 1.0 links libfoo.so.1, which nothing in the prefix "
            "or on this system provides"
        ) in out
        out, err, code = conda_cli("guard", "check", "-p", prefix)
        assert "  [soname] app 1.0 links libfoo.so.1, which nothing" in out
        assert code == 1


@with_cc
def test_doctor_finds_numpy2_next_to_a_numpy1_extension(
    proof_config, conda_cli, tmp_env
):
    with tmp_env("numpy=1.26.4", "oldext") as prefix:
        out, err, code = conda_cli("doctor", "-p", prefix)
        assert "\N{CHECK MARK} No ABI risks found" in out
        conda_cli("install", "-p", prefix, "-y", "numpy=2.2.6")  # warn mode
        out, err, code = conda_cli("doctor", "-p", prefix, "--verbose")
        assert (
            "  HIGH [numpy-abi] oldext is installed next to numpy 2.2.6 py311h0_0 but "
            "built against numpy 1.x"
        ) in out
        assert EXT in out
