"""The pre-commit hook (.pre-commit-hooks.yaml), run by the real pre-commit
(`pre-commit try-repo` against this repository) in a fixture repository holding
real lock files: a routine change passes, a GPU -> CPU change fails and prints
the finding."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from .gitrepo import GIT_ENV, commit, git, init, needs_git
from .helpers import ROOT
from .lockfiles import (
    PANGEO_LOCK_AFTER,
    PANGEO_LOCK_BEFORE,
    ROUTINE_AFTER,
    ROUTINE_BEFORE,
    lock_bytes,
)

pytest.importorskip("pre_commit", reason="the test extra installs pre-commit")
pytestmark = [needs_git, pytest.mark.slow]
HOOKS = ROOT / ".pre-commit-hooks.yaml"


def test_hook_definition():
    (hook,) = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert hook["id"] == "conda-guard"
    assert hook["entry"] == "python -m conda_guard.ci pre-commit"
    import re

    files = re.compile(hook["files"])
    for name in (
        "pixi.lock",
        "a/conda-lock.yml",
        "ml/conda-linux-64.lock",
        "env.conda-lock.yml",
        "x/conda-osx-arm64.lock",
    ):
        assert files.search(name), name
    for name in ("pixi.toml", "environment.yml", "uv.lock", "poetry.lock"):
        assert not files.search(name), name


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """One pre-commit cache for the module: the hook is installed once."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def repo(tmp_path):
    root = init(tmp_path / "repo")
    commit(
        root,
        {
            "ml/conda-linux-64.lock": lock_bytes(ROUTINE_BEFORE),
            "gpu/conda-lock.yml": lock_bytes(PANGEO_LOCK_BEFORE),
        },
        "before",
    )
    return root


def try_repo(repo, home) -> subprocess.CompletedProcess[str]:
    """`pre-commit try-repo <this repository> conda-guard` on the staged files."""
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    env.pop("PRE_COMMIT", None)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "try-repo",
            str(ROOT),
            "conda-guard",
            "--color",
            "never",
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_a_routine_change_passes(repo, home):
    (repo / "ml" / "conda-linux-64.lock").write_bytes(lock_bytes(ROUTINE_AFTER))
    git(repo, "add", "-A")
    proc = try_repo(repo, home)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "conda-guard (lock-file ABI changes)" in proc.stdout
    assert "Passed" in proc.stdout


def test_a_gpu_to_cpu_change_fails_with_the_finding(repo, home):
    (repo / "gpu" / "conda-lock.yml").write_bytes(lock_bytes(PANGEO_LOCK_AFTER))
    git(repo, "add", "-A")
    proc = try_repo(repo, home)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Failed" in proc.stdout
    assert "[gpu-to-cpu]" in proc.stdout
    assert "jaxlib 0.4.12 cuda112py311hf2474b9_201" in proc.stdout
    assert "cpu_py311hc0fb0b9_0" in proc.stdout


def test_unchanged_files_and_first_commits_pass(tmp_path):
    """The hook's command itself: nothing to compare is not a failure."""
    from conda_guard.ci import pre_commit

    root = init(tmp_path / "new")
    (root / "pixi.lock").write_bytes(b"version: 6\n")
    cwd = os.getcwd()
    os.chdir(root)
    try:
        assert pre_commit(["pixi.lock"]) == 0  # no HEAD yet
    finally:
        os.chdir(cwd)
