"""Every environment and platform of two lock files in one run (issue 14.10):
each file parsed once, pairs matched by (environment, platform), equal results
merged, one grouped report in text, Markdown and JSON, the worst exit code."""

from __future__ import annotations

import json

import pytest

from conda_guard.analysis import analyze
from conda_guard.cli import main
from conda_guard.grouped import analyze_all, keys_label, selection
from conda_guard.models import Severity
from conda_guard.policy import Policy
from conda_guard.readers import read_state
from conda_guard.readers.all_environments import LockStates, read_all
from conda_guard.readers.env_yaml import load_yaml as real_load_yaml
from conda_guard.report.grouped import (
    render_grouped_json,
    render_grouped_markdown,
    render_grouped_text,
)

from .gitrepo import commit, init, needs_git
from .helpers import ROOT, needs_data, run_cli
from .lockfiles import (
    PANGEO_LOCK_AFTER,
    PANGEO_LOCK_BEFORE,
    SCIPY_AFTER,
    SCIPY_BEFORE,
    lock_bytes,
    unpack,
)

pytestmark = needs_data


@pytest.fixture(scope="module")
def scipy(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scipy")
    return unpack(SCIPY_BEFORE, tmp / "a", "pixi.lock"), unpack(
        SCIPY_AFTER, tmp / "b", "pixi.lock"
    )


@pytest.fixture(scope="module")
def scipy_all(scipy):
    before, after = (read_all(p) for p in scipy)
    return analyze_all(before, after, policy=Policy())


@pytest.fixture(scope="module")
def pangeo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pangeo")
    return unpack(PANGEO_LOCK_BEFORE, tmp / "a", "conda-lock.yml"), unpack(
        PANGEO_LOCK_AFTER, tmp / "b", "conda-lock.yml"
    )


def test_each_file_is_parsed_once(scipy, monkeypatch):
    import conda_guard.readers.env_yaml as env_yaml

    calls = []
    real = env_yaml.load_yaml
    monkeypatch.setattr(env_yaml, "load_yaml", lambda p: calls.append(p) or real(p))
    states = read_all(scipy[1])
    assert calls == [str(scipy[1])]
    assert len(states.states) == states.pairs == 182
    assert states.environments == 41


def test_states_equal_the_one_environment_reader(scipy, parsed_once):
    states = read_all(scipy[1])
    for env, plat in [
        ("default", "linux-64"),
        ("docs", "osx-arm64"),
        ("jax-cuda", "p1"),
    ]:
        one = read_state(scipy[1], environment=env, platform=plat)
        assert dict(states.states[(env, plat)].records) == dict(one.records)
        assert states.states[(env, plat)].platform == one.platform


def test_scipy_pairs_groups_and_the_rest(scipy_all):
    g = scipy_all
    assert g.pairs == 134  # in both files
    assert len(g.only_after) == 48 and not g.only_before  # new p1/p2 platforms
    changed = [k for grp in g.groups for k in grp.keys]
    assert len(changed) + len(g.unchanged) == 134
    assert changed and all(grp.analysis.changes for grp in g.groups)
    assert not set(changed) & set(g.unchanged)


def test_scipy_text_is_quiet_and_json_is_complete(scipy_all):
    text = render_grouped_text(scipy_all)
    assert text.count("\n") == 1 and "134 environment/platform pairs" in text
    doc = render_grouped_json(scipy_all)
    assert doc["summary"]["pairs"] == 134
    assert doc["summary"]["changed"] == sum(len(x["pairs"]) for x in doc["groups"])
    assert len(doc["unchanged"]) + doc["summary"]["changed"] == 134
    assert len(doc["only_after"]) == 48
    assert doc["before"]["environments"] == doc["after"]["environments"] == 41


def test_equal_results_are_merged_and_the_worst_comes_first(pangeo):
    """Two environments of real states: one moves jaxlib CUDA -> CPU (and more),
    two others do not change; a third changes like the first."""
    old = read_state(pangeo[0])
    new = read_state(pangeo[1])
    before = LockStates(
        "old",
        "pixi-lock",
        {
            ("gpu", "linux-64"): old,
            ("gpu2", "linux-64"): old,
            ("cpu", "linux-64"): new,
            ("gone", "linux-64"): old,
        },
        4,
        4,
    )
    after = LockStates(
        "new",
        "pixi-lock",
        {
            ("gpu", "linux-64"): new,
            ("gpu2", "linux-64"): new,
            ("cpu", "linux-64"): new,
            ("new", "linux-64"): new,
        },
        4,
        4,
    )
    g = analyze_all(before, after, policy=Policy())
    (group,) = g.groups
    assert group.keys == (("gpu", "linux-64"), ("gpu2", "linux-64"))
    assert group.label == "gpu, gpu2 (linux-64)"
    assert g.unchanged == (("cpu", "linux-64"),)
    assert g.only_before == (("gone", "linux-64"),)
    assert g.only_after == (("new", "linux-64"),)
    assert max(f.severity for f in g.findings()) == Severity.HIGH
    single = analyze(old, new)
    assert group.analysis.findings == single.findings
    text = render_grouped_text(g)
    assert text.startswith(f"conda-guard: {len(single.findings)} findings")
    assert "== gpu, gpu2 (linux-64): 132 changes" in text
    assert (
        "Only in old: gone (linux-64)" in text and "Unchanged: cpu (linux-64)" in text
    )
    md = render_grouped_markdown(g)
    assert "#### gpu, gpu2 (linux-64): 132 changes" in md
    assert "| **high** | `gpu-to-cpu` |" in md


def test_cli_worst_exit_code_and_formats(pangeo, capsys):
    argv = ["diff", str(pangeo[0]), str(pangeo[1]), "--platform", "all"]
    assert main(argv) == 1
    text = capsys.readouterr().out
    assert "== linux-64: 132 changes" in text and "[gpu-to-cpu]" in text
    assert (
        main(
            [
                *argv,
                "--fail-on",
                "high",
                "--ignore",
                "gpu-to-cpu",
                "--ignore",
                "cuda-change",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main([*argv, "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["before"]["kind"] == "conda-lock" and doc["summary"]["pairs"] == 1
    assert doc["groups"][0]["pairs"] == [{"environment": "", "platform": "linux-64"}]
    assert main([*argv, "--markdown", "--markdown-limit", "8000"]) == 1
    md = capsys.readouterr().out
    assert len(md) <= 8000 and "| **high** | `gpu-to-cpu` |" in md


def test_grouped_json_is_valid_against_the_schema(pangeo, scipy_all, capsys):
    jsonschema = pytest.importorskip("jsonschema", reason="validates the report")
    schema = json.loads((ROOT / "docs" / "report.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    assert (
        main(["diff", str(pangeo[0]), str(pangeo[1]), "--platform", "all", "--json"])
        == 1
    )
    for doc in (json.loads(capsys.readouterr().out), render_grouped_json(scipy_all)):
        assert [e.message for e in validator.iter_errors(doc)] == []
    broken = render_grouped_json(scipy_all)
    broken["groups"][0]["pairs"] = []
    assert list(validator.iter_errors(broken))


@pytest.fixture
def parsed_once(monkeypatch):
    """Parse each scipy file once for all the selection tests (they test the
    selection, not the parser)."""
    import conda_guard.readers.env_yaml as env_yaml

    monkeypatch.setattr(env_yaml, "load_yaml", _cached_load)


_PARSED: dict[str, object] = {}


def _cached_load(path):
    key = str(path)
    if key not in _PARSED:
        _PARSED[key] = real_load_yaml(path)
    return _PARSED[key]


@pytest.mark.parametrize(
    ("options", "pairs"),
    [
        (["-e", "docs,test"], 12),  # all platforms of two environments
        (["-e", "all", "--platform", "osx-arm64"], 33),
        (["--platform", "all"], 6),  # the default environment
        (["-e", "docs", "--platform", "linux-64,win-64"], 2),
    ],
    ids=["two-envs", "one-platform", "default-env", "env-and-platforms"],
)
def test_selections(scipy, parsed_once, capsys, options, pairs):
    assert main(["diff", str(scipy[0]), str(scipy[1]), *options, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"]["pairs"] == pairs


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        (["--platform", "all,linux-64"], "give names separated by commas, or 'all'"),
        (["-e", "all", "--install", "numpy"], "give BEFORE and AFTER lock files"),
    ],
    ids=["all-and-names", "with-solve"],
)
def test_bad_selections_are_one_line_exit_2(pangeo, options, needle):
    proc = run_cli("diff", str(pangeo[0]), str(pangeo[1]), *options)
    assert proc.returncode == 2, proc.stdout
    (line,) = proc.stderr.splitlines()
    assert needle in line


def test_an_unknown_environment_is_one_line_exit_2(scipy, parsed_once, capsys):
    assert main(["diff", str(scipy[0]), str(scipy[1]), "-e", "nope,test"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no environment 'nope' in" in err


def test_selection_and_labels():
    assert selection(None) is None and selection("all") is None
    assert selection("a, b,a") == ("a", "b")
    assert keys_label([("a", "p1"), ("b", "p1"), ("a", "p2")]) == "a, b (p1); a (p2)"
    assert keys_label([("", "linux-64"), ("", "osx-64")]) == "linux-64; osx-64"


@needs_git
def test_all_environments_of_git_revisions(tmp_path, scipy_all):
    root = init(tmp_path / "repo")
    commit(root, {"pixi.lock": lock_bytes(SCIPY_BEFORE)}, "before")
    commit(root, {"pixi.lock": lock_bytes(SCIPY_AFTER)}, "DEV: update Pixi lock file")
    proc = run_cli(
        "diff",
        "HEAD~1:pixi.lock",
        "pixi.lock",
        "--all-environments",
        "--json",
        cwd=root,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    expected = render_grouped_json(scipy_all)
    assert doc["before"]["source"] == "HEAD~1:pixi.lock"
    for key in ("unchanged", "only_before", "only_after", "summary"):
        assert doc[key] == expected[key], key
    assert len(doc["groups"]) == len(expected["groups"])
    for got, want in zip(doc["groups"], expected["groups"]):
        assert got["before"]["source"] == "HEAD~1:pixi.lock"
        for side in ("before", "after"):
            got[side].pop("source"), want[side].pop("source")
        assert got == want
