"""Git revisions as states (issue 13.1): ``REV:PATH`` read with the ``git``
command, in a real repository holding two commits of real lock files."""

from __future__ import annotations

import json

import pytest

from conda_guard.readers import read_state

from .gitrepo import commit, git, init, needs_git
from .helpers import DATA, ROOT, needs_data, run_cli
from .lockfiles import (
    PANGEO_EXPLICIT_AFTER,
    PANGEO_EXPLICIT_BEFORE,
    PANGEO_LOCK_AFTER,
    PANGEO_LOCK_BEFORE,
    lock_bytes,
    unpack,
)

pytestmark = [needs_git, needs_data]
ENVFILES = DATA / "envfiles"
#: one real file of each format (a prefix is a directory: not a git blob)
FORMATS = {
    "pixi-lock": ROOT / "tests" / "data" / "rattler-v5-flat-index-lock.yml",
    "conda-lock": ENVFILES / "conda-lock" / "conda-lock-blas-mkl.conda-lock.yml",
    "env-yaml": ENVFILES
    / "environment-yml"
    / "rxn-splits-mchn2.export-with-builds.yml",
    "explicit": ENVFILES / "explicit" / "rattler-python-explicit-env-linux-64.txt",
    "conda-list-json": ROOT / "tests" / "data" / "conda26-list-json.ml-env.json",
    "conda-list-export": ROOT / "tests" / "data" / "conda26-list-export.ml-env.txt",
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    """Two commits: the pangeo ml-notebook lock files before and after the
    'Bump CUDA from 11.8 to 12.0' refresh (conda-lock.yml and @EXPLICIT)."""
    root = init(tmp_path_factory.mktemp("git") / "repo")
    commit(
        root,
        {
            "ml/conda-lock.yml": lock_bytes(PANGEO_LOCK_BEFORE),
            "ml/conda-linux-64.lock": lock_bytes(PANGEO_EXPLICIT_BEFORE),
        },
        "before",
    )
    commit(
        root,
        {
            "ml/conda-lock.yml": lock_bytes(PANGEO_LOCK_AFTER),
            "ml/conda-linux-64.lock": lock_bytes(PANGEO_EXPLICIT_AFTER),
        },
        "Bump CUDA from 11.8 to 12.0",
    )
    return root


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The same files, extracted side by side (what one had to do before)."""
    tmp = tmp_path_factory.mktemp("extracted")
    return {
        "ml/conda-lock.yml": (
            unpack(PANGEO_LOCK_BEFORE, tmp / "old"),
            unpack(PANGEO_LOCK_AFTER, tmp / "new"),
        ),
        "ml/conda-linux-64.lock": (
            unpack(PANGEO_EXPLICIT_BEFORE, tmp / "old"),
            unpack(PANGEO_EXPLICIT_AFTER, tmp / "new"),
        ),
    }


def _same_report(a: dict, b: dict) -> None:
    for key in ("changes", "findings", "summary", "notes", "warnings"):
        assert a[key] == b[key], key
    for side in ("before", "after"):
        assert {k: v for k, v in a[side].items() if k != "source"} == {
            k: v for k, v in b[side].items() if k != "source"
        }


@pytest.mark.parametrize("name", ["ml/conda-lock.yml", "ml/conda-linux-64.lock"])
def test_rev_path_gives_the_report_of_the_extracted_files(repo, extracted, name):
    old, new = extracted[name]
    via_git = run_cli("diff", f"HEAD~1:{name}", name, "--json", cwd=repo)
    via_files = run_cli("diff", str(old), str(new), "--json")
    assert via_git.returncode == via_files.returncode == 1, via_git.stderr
    a, b = json.loads(via_git.stdout), json.loads(via_files.stdout)
    _same_report(a, b)
    assert a["before"]["source"] == f"HEAD~1:{name}"
    assert a["after"]["source"] == name
    assert any(f["rule"] == "gpu-to-cpu" for f in a["findings"])
    # and the text report, up to the names of the states
    text_git = run_cli("diff", f"HEAD~1:{name}", name, cwd=repo).stdout
    text_files = run_cli("diff", str(old), str(new)).stdout
    assert (
        text_git.replace(f"HEAD~1:{name}", str(old)).replace(
            f"after:  {name}", f"after:  {new}"
        )
        == text_files
    )


def test_two_revisions_and_a_branch_name(repo):
    sha = git(repo, "rev-parse", "HEAD~1").strip()
    a = run_cli(
        "diff", f"{sha}:ml/conda-lock.yml", "main:ml/conda-lock.yml", "--json", cwd=repo
    )
    b = run_cli(
        "diff", "HEAD~1:ml/conda-lock.yml", "ml/conda-lock.yml", "--json", cwd=repo
    )
    _same_report(json.loads(a.stdout), json.loads(b.stdout))


def test_the_index_is_the_staged_copy(repo):
    proc = run_cli("diff", "HEAD:ml/conda-lock.yml", ":ml/conda-lock.yml", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "conda-guard: no findings in 0 changes\n"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_file_format_reads_from_git(tmp_path, monkeypatch, fmt):
    source = FORMATS[fmt]
    root = init(tmp_path / "r")
    commit(root, {f"sub/{source.name}": source.read_bytes()}, "one")
    monkeypatch.chdir(root)
    from_git = read_state(f"HEAD:sub/{source.name}")
    from_file = read_state(source)
    assert from_git.source == f"HEAD:sub/{source.name}"
    assert from_git.kind == from_file.kind == fmt
    assert dict(from_git.records) == dict(from_file.records)
    assert len(from_git) > 10


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["NOPE:ml/conda-lock.yml", "ml/conda-lock.yml"], "'NOPE' is not a commit"),
        (["HEAD~7:ml/conda-lock.yml", "ml/conda-lock.yml"], "'HEAD~7' is not a commit"),
        (["HEAD:ml/missing.yml", "ml/conda-lock.yml"], "no file 'ml/missing.yml' in"),
        (["HEAD:ml", "ml/conda-lock.yml"], "'ml' is a tree, not a file"),
        (["HEAD~1:ml/conda-lock.yml", "HEAD:nope.lock"], "HEAD:nope.lock: no file"),
    ],
    ids=["unknown-rev", "too-far-back", "missing-path", "directory", "after-side"],
)
def test_bad_revisions_and_paths_are_one_line_exit_2(repo, argv, needle):
    proc = run_cli("diff", *argv, cwd=repo)
    assert proc.returncode == 2, proc.stdout
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and needle in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_outside_a_repository(tmp_path):
    proc = run_cli("diff", "HEAD~1:pixi.lock", "pixi.lock", cwd=tmp_path)
    assert proc.returncode == 2
    (line,) = proc.stderr.splitlines()
    assert "HEAD~1:pixi.lock: no such file, and not a git revision here" in line


def test_an_existing_file_with_a_colon_is_a_file(tmp_path):
    weird = unpack(PANGEO_EXPLICIT_BEFORE, tmp_path, "HEAD:conda.lock")
    state = read_state(weird)
    assert state.source == str(weird) and len(state) > 100
