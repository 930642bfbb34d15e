"""The GitHub Action (action.yml): valid action metadata (the action schema of
check-jsonschema, from PyPI), and its report step run as GitHub runs it, with
the environment of a pull-request run, in a fixture repository holding real lock
files. The step that posts the comment (marocchino/sticky-pull-request-comment)
is the only one not run here: it needs GitHub's API."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

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

ACTION = ROOT / "action.yml"
EXPR_RE = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


def action() -> dict:
    return yaml.safe_load(ACTION.read_text(encoding="utf-8"))


def step(step_id: str | None = None, name: str | None = None) -> dict:
    for s in action()["runs"]["steps"]:
        if (step_id and s.get("id") == step_id) or (name and s.get("name") == name):
            return s
    raise KeyError(step_id or name)


def test_action_metadata_is_valid():
    pytest.importorskip("check_jsonschema", reason="the test extra installs it")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-actions",
            str(ACTION),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_inputs_outputs_and_the_comment_action():
    meta = action()
    assert meta["runs"]["using"] == "composite"
    assert set(meta["inputs"]) >= {
        "paths",
        "fail-on",
        "environments",
        "platforms",
        "ignore",
    }
    assert set(meta["outputs"]) >= {"severity", "findings"}
    comment = step(name="Comment on the pull request")
    assert comment["uses"] == "marocchino/sticky-pull-request-comment@v2"
    assert set(comment["with"]) == {"header", "path", "GITHUB_TOKEN"}
    # inputs reach the scripts only through env: (no ${{ }} inside run:)
    for s in meta["runs"]["steps"]:
        assert "${{" not in s.get("run", ""), s["name"]


def evaluate(value: str, context: dict[str, str]) -> str:
    """The ``${{ … }}`` expressions of the action, as GitHub fills them in."""

    def one(m: re.Match[str]) -> str:
        assert m[1] in context, f"the test does not know {m[1]!r}"
        return context[m[1]]

    return EXPR_RE.sub(one, value)


def run_step(s: dict, context: dict[str, str], env: dict[str, str], cwd):
    script = s["run"]
    step_env = {k: evaluate(str(v), context) for k, v in s.get("env", {}).items()}
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env={**env, **step_env},
        capture_output=True,
        text=True,
        timeout=600,
    )


def outputs(path) -> dict[str, str]:
    return dict(
        line.split("=", 1) for line in path.read_text().splitlines() if "=" in line
    )


@pytest.fixture
def pr(tmp_path):
    """main: real lock files; a pull request branch changes two of them (a
    routine change and the pangeo 'Bump CUDA' refresh) and a README; main then
    moves on. origin/main is the remote-tracking branch a checkout has."""
    root = init(tmp_path / "repo")
    commit(
        root,
        {
            "ml/conda-linux-64.lock": lock_bytes(ROUTINE_BEFORE),
            "gpu/conda-lock.yml": lock_bytes(PANGEO_LOCK_BEFORE),
            "README.md": b"images\n",
        },
        "base",
    )
    git(root, "checkout", "-q", "-b", "pr")
    commit(
        root,
        {
            "ml/conda-linux-64.lock": lock_bytes(ROUTINE_AFTER),
            "gpu/conda-lock.yml": lock_bytes(PANGEO_LOCK_AFTER),
            "README.md": b"images, CUDA 12\n",
        },
        "Bump CUDA from 11.8 to 12.0",
    )
    git(root, "checkout", "-q", "main")
    commit(root, {"NEWS.md": b"later on main\n"}, "main moves on")
    base_sha = git(root, "rev-parse", "main").strip()
    git(root, "update-ref", "refs/remotes/origin/main", "main")
    git(root, "checkout", "-q", "pr")
    return root, base_sha


def runner_env(tmp_path, repo) -> dict[str, str]:
    """What a pull_request run has; conda-guard runs from this checkout."""
    temp = tmp_path / "runner-temp"
    venv_bin = temp / "conda-guard-venv" / "bin"
    venv_bin.mkdir(parents=True)
    # the install step made this venv; here it is the test's interpreter
    (venv_bin / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (venv_bin / "python").chmod(0o755)
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    summary.touch()
    output.touch()
    return {
        **os.environ,
        **GIT_ENV,
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_BASE_REF": "main",
        "GITHUB_HEAD_REF": "pr",
        "GITHUB_REF": "refs/pull/7/merge",
        "GITHUB_WORKSPACE": str(repo),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
        "RUNNER_TEMP": str(temp),
        "PYTHONPATH": str(ROOT),
    }


def context(base_sha: str, **inputs: str) -> dict[str, str]:
    meta = action()
    ctx = {f"inputs.{k}": str(v.get("default", "")) for k, v in meta["inputs"].items()}
    ctx.update({f"inputs.{k}": v for k, v in inputs.items()})
    ctx["github.event.pull_request.base.sha"] = base_sha
    ctx["github.action_path"] = str(ROOT)
    return ctx


@needs_git
def test_report_step_on_a_pull_request(pr, tmp_path):
    repo, base_sha = pr
    env = runner_env(tmp_path, repo)
    proc = run_step(step("report"), context(base_sha), env, repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = outputs(tmp_path / "output.txt")
    assert out["files"] == "2"
    assert out["severity"] == "high"
    assert int(out["findings"]) > 0
    assert out["failed"] == "true"
    body = Path(out["comment-file"]).read_text(encoding="utf-8")
    assert len(body) < 65_536
    assert body.startswith("## conda-guard: 2 lock files changed, ")
    assert "### `gpu/conda-lock.yml`" in body and "### `ml/conda-linux-64.lock`" in body
    assert "| **high** | `gpu-to-cpu` |" in body
    assert "README" not in body
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith("## conda-guard: 2 lock files changed")
    assert "[gpu-to-cpu]" in proc.stdout  # the text report, for the log
    # the last step fails the job, after the comment
    fail = run_step(
        step(name="Fail on findings at or above fail-on"),
        {
            **context(base_sha),
            **{f"steps.report.outputs.{k}": v for k, v in out.items()},
        },
        env,
        repo,
    )
    assert fail.returncode == 1
    assert fail.stdout.startswith("::error title=conda-guard::")


@needs_git
def test_report_step_ignore_and_paths(pr, tmp_path):
    repo, base_sha = pr
    env = runner_env(tmp_path, repo)
    inputs = {"paths": "ml/*.lock", "ignore": "gpu-to-cpu, cuda-change"}
    proc = run_step(step("report"), context(base_sha, **inputs), env, repo)
    assert proc.returncode == 0, proc.stderr
    out = outputs(tmp_path / "output.txt")
    assert (out["files"], out["severity"], out["failed"]) == ("1", "none", "false")
    assert "no findings" in Path(out["comment-file"]).read_text(encoding="utf-8")


@needs_git
def test_report_step_without_history_says_what_to_do(pr, tmp_path):
    repo, _ = pr
    env = runner_env(tmp_path, repo)
    proc = run_step(step("report"), context("0" * 40), env, repo)
    assert proc.returncode == 2
    (line,) = proc.stderr.splitlines()
    assert "fetch-depth: 0" in line
