"""``conda guard diff|install|update|history|check`` and ``conda doctor`` (abi-guard).

Real conda with the local channels of tests/conda_channel.py; see
tests/test_conda_plugin.py for the scenario.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

pytest.importorskip(
    "conda", reason="conda is not importable (see docs/dev/conda-from-source.md)"
)

from conda import CondaMultiError
from conda.exceptions import DryRunExit

from .conda_channel import PYTORCH_CPU_BUILD, PYTORCH_CUDA_BUILD
from .conda_fixtures import hash_tree, refusal

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.conda

FLIP = (
    f"[gpu-to-cpu] pytorch 1.11.0 {PYTORCH_CUDA_BUILD} (CUDA) is replaced by "
    f"1.12.1 {PYTORCH_CPU_BUILD} (CPU)"
)


def test_guard_help_lists_the_subcommands(guard_config, conda_cli):
    out, err, exc = conda_cli("guard", "--help", raises=SystemExit)
    assert exc.value.code == 0
    for name in ("diff", "history", "check", "install", "update"):
        assert f"\n    {name} " in out
    assert "conda install with the guard in block mode" in out


def test_guard_install_help_has_conda_and_guard_options(guard_config, conda_cli):
    out, err, exc = conda_cli("guard", "install", "--help", raises=SystemExit)
    for option in (
        "--accept RULE|PKG",
        "--fail-on",
        "--batch",
        "--dry-run",
        "--channel",
    ):
        assert option in out


# -- diff / history / check ----------------------------------------------------


def test_diff_two_revisions(cuda_env: Path, conda_cli):
    conda_cli("install", "-p", cuda_env, "-y", "pytorch=1.12.1")
    out, err, code = conda_cli(
        "guard", "diff", f"{cuda_env}@0", str(cuda_env), "--json"
    )
    assert code == 1  # a high finding, --fail-on high
    report = json.loads(out)
    rules = [f["rule"] for f in report["findings"]]
    assert rules.count("gpu-to-cpu") == 1
    pytorch = next(c for c in report["changes"] if c["name"] == "pytorch")
    assert pytorch["before"]["build"] == PYTORCH_CUDA_BUILD
    assert pytorch["after"]["build"] == PYTORCH_CPU_BUILD


def test_diff_dry_run_install(cuda_env: Path, conda_cli):
    pytest.importorskip("rattler", reason="the dry-run solve uses py-rattler")
    before = hash_tree(cuda_env)
    out, err, code = conda_cli(
        "guard",
        "diff",
        "-p",
        cuda_env,
        "--install",
        "pytorch=1.12.1",
        "--fail-on",
        "high",
    )
    assert code == 1
    assert FLIP in out
    assert hash_tree(cuda_env) == before


def test_diff_by_name(guard_config, conda_cli, tmp_env):
    pytest.importorskip("rattler", reason="the dry-run solve uses py-rattler")
    from conda.base.context import context

    envs_dir = context.envs_dirs[0]
    with tmp_env("python=3.10", "numpy=1.25", prefix=f"{envs_dir}/np125"):
        out, err, code = conda_cli(
            "guard", "diff", "-n", "np125", "--install", "numpy=2", "--json"
        )
    report = json.loads(out)
    numpy = next(c for c in report["changes"] if c["name"] == "numpy")
    assert (numpy["before"]["version"], numpy["after"]["version"]) == (
        "1.25.1",
        "2.2.6",
    )
    assert report["before"]["prefix"] == f"{envs_dir}/np125"


def test_history(cuda_env: Path, conda_cli):
    conda_cli("install", "-p", cuda_env, "-y", "pytorch=1.12.1")
    out, err, code = conda_cli("guard", "history", "-p", cuda_env)
    assert out.startswith("rev 0  ")
    assert "\nrev 1  " in out
    assert FLIP in out


def test_check(cuda_env: Path, conda_cli):
    out, err, code = conda_cli("guard", "check", "-p", cuda_env, "--json")
    report = json.loads(out)
    assert report["before"]["prefix"] == str(cuda_env)
    assert report["before"]["packages"] == 51
    assert [f["rule"] for f in report["findings"]] == ["channel-mix"]
    assert code == 0  # medium < high


# -- strict install / update --------------------------------------------------------


def test_guard_install_blocks_by_default(cuda_env: Path, conda_cli):
    before = hash_tree(cuda_env)
    out, err, exc = conda_cli(
        "guard",
        "install",
        "-p",
        cuda_env,
        "-y",
        "pytorch=1.12.1",
        raises=CondaMultiError,
    )
    exc = refusal(exc)
    message = str(exc.value)
    assert FLIP in message
    assert "--accept gpu-to-cpu" in message
    assert "run the plain conda command, which only warns by default" in message
    assert hash_tree(cuda_env) == before


def test_guard_install_accept_rule(cuda_env: Path, conda_cli):
    out, err, code = conda_cli(
        "guard",
        "install",
        "-p",
        cuda_env,
        "-y",
        "pytorch=1.12.1",
        "--accept",
        "gpu-to-cpu",
    )
    assert code == 0
    assert (
        cuda_env / "conda-meta" / f"pytorch-1.12.1-{PYTORCH_CPU_BUILD}.json"
    ).is_file()
    assert "gpu-to-cpu" not in err


def test_guard_install_accept_one_package_is_not_enough(cuda_env: Path, conda_cli):
    out, err, exc = conda_cli(
        "guard",
        "install",
        "-p",
        cuda_env,
        "--dry-run",
        "pytorch=1.12.1",
        "--accept",
        "pytorch",
        raises=CondaMultiError,
    )
    exc = refusal(exc)
    (finding,) = exc.value.findings  # pytorch and its mutex, in one finding
    assert [p["name"] for p in finding["packages"]] == ["pytorch", "pytorch-mutex"]
    conda_cli(
        "guard",
        "install",
        "-p",
        cuda_env,
        "--dry-run",
        "pytorch=1.12.1",
        "--accept",
        "pytorch",
        "--accept",
        "pytorch-mutex",
        raises=DryRunExit,
    )


def test_guard_install_options_reach_the_guard(cuda_env: Path, conda_cli, monkeypatch):
    from conda_guard.adapters import conda_report, conda_run

    seen = []
    monkeypatch.setattr(
        conda_report, "act", lambda outcome, settings: seen.append(settings)
    )
    conda_cli(
        "guard",
        "install",
        "-p",
        cuda_env,
        "--dry-run",
        "filelock",
        "--fail-on",
        "low",
        "--accept",
        "channel-mix",
        "--accept",
        "openssl >=3",
        raises=DryRunExit,
    )
    (settings,) = seen
    assert (str(settings.mode), str(settings.fail_on)) == ("block", "low")
    assert settings.ignore == ("channel-mix",)
    assert settings.allow == ("openssl >=3",)
    assert conda_run.current().overrides == {}  # the strict run ended with it


def test_guard_update_all_blocks(cuda_env: Path, conda_cli, guard_config):
    guard_config(guard_batch="never")
    out, err, exc = conda_cli(
        "guard",
        "update",
        "-p",
        cuda_env,
        "--all",
        "--dry-run",
        raises=CondaMultiError,
    )
    exc = refusal(exc)
    assert FLIP in str(exc.value)
    assert (
        "[explicit-spec] pytorch 1.12.1 py3.10_cpu_0 no longer matches your request"
        in str(exc.value)
    )


def test_guard_update_accept(cuda_env: Path, conda_cli, guard_config, guard_outcomes):
    guard_config(guard_batch="never")
    conda_cli(
        "guard",
        "update",
        "-p",
        cuda_env,
        "--all",
        "--dry-run",
        "--accept",
        "gpu-to-cpu",
        "--accept",
        "explicit-spec",
        raises=DryRunExit,
    )
    (outcome,) = guard_outcomes
    assert "gpu-to-cpu" in outcome.analysis.notes[-1]  # accepted, not absent


def test_guard_update_batch_applies_the_one_shot_solution(cuda_env: Path, conda_cli):
    """update --all flips to CPU; --batch takes the one-shot answer: CUDA stays."""
    pytest.importorskip("rattler", reason="the batch solve uses py-rattler")
    before = hash_tree(cuda_env)
    out, err, code = conda_cli(
        "guard", "update", "-p", cuda_env, "--all", "--batch", "-y"
    )
    assert code == 0
    assert "conda-guard: a one-shot solve gives the environment as it is" in out
    assert "gpu-to-cpu" not in err
    assert hash_tree(cuda_env) == before


def test_guard_install_batch_pins_the_one_shot_records(cuda_env: Path, conda_cli):
    pytest.importorskip("rattler", reason="the batch solve uses py-rattler")
    out, err, exc = conda_cli(
        "guard",
        "install",
        "-p",
        cuda_env,
        "--batch",
        "--dry-run",
        "pytorch=1.12.1",
        raises=CondaMultiError,
    )
    exc = refusal(exc)
    assert FLIP in str(exc.value)  # the one-shot answer is the CPU build as well
    out, err, exc = conda_cli(
        "guard",
        "install",
        "-p",
        cuda_env,
        "--batch",
        "--dry-run",
        "pytorch=1.12.1",
        "--accept",
        "gpu-to-cpu",
        raises=DryRunExit,
    )
    assert "--> 1.12.1-py3.10_cpu_0" in out and "1.0-cuda --> 1.0-cpu" in out


# -- conda doctor ---------------------------------------------------------------------


def test_doctor_lists_the_check(guard_config, conda_cli):
    out, err, code = conda_cli("doctor", "--list")
    assert "abi-guard" in out


def test_doctor_reports_the_environment(cuda_env: Path, conda_cli):
    out, err, code = conda_cli("doctor", "-p", cuda_env)
    assert "\N{BALLOT X} conda-guard found 1 ABI risk(s) in the environment:" in out
    assert "  MEDIUM [channel-mix] compiled packages from different channels" in out
    assert f"  Details: conda guard check -p {cuda_env}" in out


def test_doctor_clean_environment(guard_config, conda_cli, tmp_env):
    with tmp_env("python=3.10") as prefix:
        out, err, code = conda_cli("doctor", "-p", prefix)
    assert "\N{CHECK MARK} No ABI risks found in the environment (conda-guard)." in out


def test_check_defaults_to_the_active_environment(
    cuda_env: Path, conda_cli, monkeypatch
):
    from conda.base.context import reset_context

    monkeypatch.setenv("CONDA_PREFIX", str(cuda_env))
    reset_context()
    out, err, code = conda_cli("guard", "check", "--json")
    assert json.loads(out)["before"]["prefix"] == str(cuda_env)


def test_guard_errors_are_one_line_exit_2(guard_config, conda_cli, tmp_path: Path):
    out, err, code = conda_cli("guard", "check", "-p", tmp_path)
    assert code == 2
    reason = "not a conda prefix (no conda-meta directory)"
    assert err == f"conda-guard: error: {tmp_path}: {reason}\n"


def test_diff_solves_against_condas_channels(cuda_env: Path, conda_cli, monkeypatch):
    import conda_guard.solve
    from conda_guard.exceptions import UsageError

    seen = []

    def fake_propose(options, current, *, policy=None):
        seen.append((list(options.channels), options.channel_priority))
        raise UsageError("stop here")

    monkeypatch.setattr(conda_guard.solve, "propose", fake_propose)
    out, err, code = conda_cli("guard", "diff", "-p", cuda_env, "--install", "filelock")
    assert code == 2 and err == "conda-guard: error: stop here\n"
    ((channels, priority),) = seen
    assert [c.rsplit("/", 1)[-1] for c in channels] == [
        "conda-forge",
        "pytorch",
        "nvidia",
    ]
    assert priority == "flexible"


# -- plugins.guard_* apply to every command (issue 15.8) ---------------------------


def test_guard_check_honours_the_guard_settings(
    cuda_env: Path, conda_cli, guard_config
):
    out, err, code = conda_cli("guard", "check", "-p", cuda_env, "--json")
    assert [f["rule"] for f in json.loads(out)["findings"]] == ["channel-mix"]
    guard_config(guard_ignore=["channel-mix"])
    out, err, code = conda_cli("guard", "check", "-p", cuda_env, "--json")
    assert json.loads(out)["findings"] == []
    guard_config(guard_fail_on="medium")
    out, err, code = conda_cli("guard", "check", "-p", cuda_env, "--json")
    assert code == 1  # channel-mix is medium
    out, err, code = conda_cli(
        "guard", "check", "-p", cuda_env, "--json", "--fail-on", "high"
    )
    assert code == 0  # the option wins over the setting


def test_conda_doctor_honours_the_guard_settings(cuda_env: Path, guard_config, capsys):
    from conda_guard.adapters.conda_doctor import check

    check(str(cuda_env), True)
    assert "[channel-mix]" in capsys.readouterr().out
    guard_config(guard_ignore=["channel-mix"])
    check(str(cuda_env), True)
    shown = capsys.readouterr().out
    assert "[channel-mix]" not in shown
    assert "No ABI risks found in the environment (conda-guard)." in shown
    assert "not shown, ignored or allowed by your settings: channel-mix" in shown


def test_pip_extension_is_a_rule_id(guard_config):
    from conda_guard.adapters.conda_settings import read_settings

    guard_config(guard_ignore=["pip-extension"])
    assert read_settings().ignore == ("pip-extension",)
