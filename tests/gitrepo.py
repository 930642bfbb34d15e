"""A real git repository for the tests: commits made with the ``git`` command."""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

needs_git = pytest.mark.skipif(
    shutil.which("git") is None, reason="the 'git' command is not installed"
)

#: no user or system configuration, fixed identity and dates
GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "conda-guard tests",
    "GIT_AUTHOR_EMAIL": "tests@conda-guard.invalid",
    "GIT_COMMITTER_NAME": "conda-guard tests",
    "GIT_COMMITTER_EMAIL": "tests@conda-guard.invalid",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
}


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo``; its stdout."""
    proc = subprocess.run(
        ["git", *args],
        cwd=repo,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return proc.stdout


def init(repo: Path) -> Path:
    """An empty repository on branch ``main``."""
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q")
    git(repo, "symbolic-ref", "HEAD", "refs/heads/main")
    return repo


def commit(repo: Path, files: dict[str, bytes], message: str) -> str:
    """Write ``files`` (path -> content), commit them all; the new commit's sha."""
    for name, data in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()
