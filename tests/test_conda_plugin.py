"""The guard inside conda: warn, block, --json, settings, frozen, on_error, revision.

Real conda (``-p conda.testing.fixtures -p tests.conda_fixtures``) against local
channels built from real records (tests/conda_channel.py): an environment with
pytorch 1.11.0's CUDA 11.1 build, where ``conda install pytorch=1.12.1`` can only
be met by the CPU build (its CUDA builds need cudatoolkit 11.3/11.6, absent).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

pytest.importorskip(
    "conda", reason="conda is not importable (see docs/dev/conda-from-source.md)"
)

from conda import CondaMultiError
from conda.exceptions import DryRunExit

from conda_guard.adapters.conda_errors import (
    GuardInputError,
    GuardInternalError,
    GuardSettingError,
)

from .conda_channel import PYTORCH_CPU_BUILD, PYTORCH_CUDA_BUILD
from .conda_fixtures import TEST_SOLVER, guard_hooks_registered, hash_tree, refusal

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.conda

FLIP = (
    f"[gpu-to-cpu] pytorch 1.11.0 {PYTORCH_CUDA_BUILD} (CUDA) is replaced by "
    f"1.12.1 {PYTORCH_CPU_BUILD} (CPU): GPU support is lost"
)
# the mutex switches with pytorch: one finding names both
MUTEX_FLIP = "GPU support is lost; pytorch-mutex switches to CPU with it"


def _conda(*argv: str, env: dict[str, str] | None = None, stdin: str | None = None):
    """Run conda in a subprocess, as a user does (real exit codes, real stderr)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "conda", *argv],
        capture_output=True,
        text=True,
        env=full_env,
        input=stdin,
        timeout=300,
        check=False,
    )


# -- warn ----------------------------------------------------------------------


def test_cuda_to_cpu_warning_names_both_builds_and_why(cuda_env: Path, conda_cli):
    out, err, exc = conda_cli(
        "install", "-p", cuda_env, "--dry-run", "pytorch=1.12.1", raises=DryRunExit
    )
    assert "conda-guard: 1 finding (1 high) in 2 changes to " + str(cuda_env) in err
    assert "HIGH " + FLIP in err
    assert MUTEX_FLIP in err
    # full builds and channels of both sides
    assert (
        f"pytorch: 1.11.0 {PYTORCH_CUDA_BUILD} (file://" in err
        and f"-> 1.12.1 {PYTORCH_CPU_BUILD} (file://" in err
    )
    # why it happens
    assert "depends 'cudatoolkit >=11.1,<11.2'; the new build does not" in err
    assert "CPU builds win when the solver sees no '__cuda' virtual package" in err
    assert f"Details: conda guard diff -p {cuda_env} --install pytorch=1.12.1" in err
    # the plan is conda's, on stdout, untouched
    assert "conda-guard" not in out
    assert "1.12.1-py3.10_cpu_0" in out


def test_warning_comes_before_the_prompt(cuda_env: Path, guard_config):
    """A person sees the warning before answering conda's 'Proceed ([y]/n)?'."""
    before = hash_tree(cuda_env)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "conda",
            "install",
            "-p",
            str(cuda_env),
            "pytorch=1.12.1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        input="n\n",
        timeout=300,
        check=False,
        env={**os.environ, "CONDA_ALWAYS_YES": "false"},
    )
    text = proc.stdout
    assert FLIP in text
    assert "Proceed ([y]/n)?" in text
    assert text.index(FLIP) < text.index("## Package Plan ##") < text.index("Proceed")
    assert hash_tree(cuda_env) == before  # answered 'n'


def test_warn_mode_installs_after_warning(cuda_env: Path, conda_cli):
    out, err, code = conda_cli("install", "-p", cuda_env, "-y", "pytorch=1.12.1")
    assert code == 0
    assert FLIP in err
    meta = sorted(p.name for p in (cuda_env / "conda-meta").glob("pytorch-1*.json"))
    assert meta == [f"pytorch-1.12.1-{PYTORCH_CPU_BUILD}.json"]


def test_no_findings_no_output(cuda_env: Path, conda_cli, guard_outcomes):
    out, err, exc = conda_cli(
        "install", "-p", cuda_env, "--dry-run", "filelock", raises=DryRunExit
    )
    assert "conda-guard" not in err
    assert "filelock" in out
    (outcome,) = guard_outcomes  # the guard ran and found nothing
    assert outcome.analysis.findings == ()
    assert [c.name for c in outcome.analysis.changes] == ["filelock"]


def test_summary_report_lists_drift_for_update_all(cuda_env: Path, conda_cli):
    """update --all flips pytorch to the CPU build; the one-shot solve keeps CUDA."""
    pytest.importorskip("rattler", reason="the batch solve uses py-rattler")
    out, err, exc = conda_cli(
        "update", "-p", cuda_env, "--all", "--dry-run", raises=DryRunExit
    )
    assert FLIP in err
    assert (
        "[drift] pytorch: the incremental result has pytorch "
        f"1.12.1 {PYTORCH_CPU_BUILD}" in err
    )
    assert f"a one-shot solve picks pytorch 1.11.0 {PYTORCH_CUDA_BUILD}" in err
    assert "conda's plan vs a one-shot solve:" in err


def test_full_report_setting(cuda_env: Path, conda_cli, guard_config):
    guard_config(guard_report="full")
    out, err, exc = conda_cli(
        "install", "-p", cuda_env, "--dry-run", "pytorch=1.12.1", raises=DryRunExit
    )
    assert "Changes (2):" in err
    assert FLIP in err


# -- block ---------------------------------------------------------------------


def test_block_refuses_and_names_the_way_forward(
    cuda_env: Path, conda_cli, guard_config
):
    guard_config(guard_mode="block")
    before = hash_tree(cuda_env)
    out, err, exc = conda_cli(
        "install", "-p", cuda_env, "-y", "pytorch=1.12.1", raises=CondaMultiError
    )
    exc = refusal(exc)
    message = str(exc.value)
    assert message.startswith(
        f"conda-guard stopped this transaction on {cuda_env}: 1 finding at or above "
        "'high' (plugins.guard_fail_on)."
    )
    assert "HIGH " + FLIP in message
    assert f"pytorch: 1.11.0 {PYTORCH_CUDA_BUILD} (file://" in message
    assert f"-> 1.12.1 {PYTORCH_CPU_BUILD} (file://" in message
    assert "--accept gpu-to-cpu" in message
    assert "conda config --append plugins.guard_ignore gpu-to-cpu" in message
    assert "conda config --append plugins.guard_allow pytorch" in message
    assert (
        f"See the whole diff: conda guard diff -p {cuda_env} --install pytorch=1.12.1"
        in message
    )
    assert exc.value.rules == ["gpu-to-cpu"]
    assert exc.value.return_code == 1
    assert hash_tree(cuda_env) == before


def test_block_exit_1_and_prefix_byte_identical(cuda_env: Path, guard_config):
    before = hash_tree(cuda_env)
    history = (cuda_env / "conda-meta" / "history").read_bytes()
    proc = _conda(
        "install",
        "-p",
        str(cuda_env),
        "-y",
        "pytorch=1.12.1",
        env={"CONDA_PLUGINS_GUARD_MODE": "block"},
    )
    assert proc.returncode == 1, proc.stderr
    assert "GuardBlockedError: conda-guard stopped this transaction" in proc.stderr
    assert FLIP in proc.stderr
    assert hash_tree(cuda_env) == before
    assert (cuda_env / "conda-meta" / "history").read_bytes() == history


def test_block_json_error_keeps_stdout_json(cuda_env: Path, guard_config):
    proc = _conda(
        "install",
        "-p",
        str(cuda_env),
        "-y",
        "--json",
        "pytorch=1.12.1",
        env={"CONDA_PLUGINS_GUARD_MODE": "block"},
    )
    assert proc.returncode == 1
    # the shape of a link-time refusal (conda wraps what an action refuses)
    wrapper = json.loads(proc.stdout)
    assert wrapper["exception_name"] == "CondaMultiError"
    (data,) = wrapper["errors"]
    assert data["exception_name"] == "GuardBlockedError"
    assert data["rules"] == ["gpu-to-cpu"]
    assert data["prefix"] == str(cuda_env)
    first = data["findings"][0]
    assert first["rule"] == "gpu-to-cpu" and first["severity"] == "high"
    assert first["packages"][0]["before"]["build"] == PYTORCH_CUDA_BUILD
    assert first["packages"][0]["after"]["build"] == PYTORCH_CPU_BUILD
    assert "conda-guard stopped this transaction" in data["message"]


def test_warn_json_stdout_stays_conda_json(cuda_env: Path, guard_config):
    proc = _conda(
        "install", "-p", str(cuda_env), "--dry-run", "--json", "pytorch=1.12.1"
    )
    data = json.loads(proc.stdout)  # conda's own dry-run JSON
    assert data["dry_run"] is True
    linked = {d["name"]: d["build_string"] for d in data["actions"]["LINK"]}
    assert linked["pytorch"] == PYTORCH_CPU_BUILD
    assert FLIP in proc.stderr


def test_fail_on_medium_blocks_medium_findings(cuda_env: Path, conda_cli, guard_config):
    guard_config(guard_mode="block", guard_fail_on="medium")
    out, err, exc = conda_cli(
        "remove", "-p", cuda_env, "cudatoolkit", "--dry-run", raises=CondaMultiError
    )
    exc = refusal(exc)
    assert "at or above 'medium'" in str(exc.value)
    assert (
        "[explicit-spec] cudatoolkit, which you asked for ('cudatoolkit=11.1'), "
        "is removed" in str(exc.value)
    )


def test_remove_warns_in_warn_mode(cuda_env: Path, conda_cli):
    out, err, exc = conda_cli(
        "remove", "-p", cuda_env, "cudatoolkit", "--dry-run", raises=DryRunExit
    )
    assert (
        "MEDIUM [explicit-spec] cudatoolkit, which you asked for ('cudatoolkit=11.1'), "
        "is removed" in err
    )
    # classic removes pytorch with it; rattler keeps pytorch as its CPU build
    assert (
        "MEDIUM [explicit-spec] pytorch, which you asked for ('pytorch=1.11.0'), "
        "is removed" in err
    ) != (
        f"[gpu-to-cpu] pytorch 1.11.0 {PYTORCH_CUDA_BUILD} (CUDA) is replaced by" in err
    )


def test_create_dry_run_is_checked(
    guard_config, conda_cli, tmp_path: Path, guard_outcomes
):
    out, err, exc = conda_cli(
        "create",
        "-p",
        tmp_path / "new",
        "--dry-run",
        "python=3.10",
        "numpy=1.25",
        raises=DryRunExit,
    )
    assert not (tmp_path / "new").exists()
    assert "numpy-1.25.1" in out
    (outcome,) = guard_outcomes
    assert outcome.prefix == str(tmp_path / "new")
    assert len(outcome.analysis.before) == 0
    assert outcome.analysis.after.get("numpy").version == "1.25.1"


# -- settings --------------------------------------------------------------------


def test_settings_from_condarc(guard_config):
    from conda_guard.adapters.conda_settings import read_settings

    guard_config(
        guard_mode="block",
        guard_fail_on="medium",
        guard_ignore=["downgrade", "channel-mix"],
        guard_allow=["openssl"],
        guard_batch="never",
        guard_batch_timeout=5,
        guard_on_error="closed",
        guard_report="full",
    )
    s = read_settings()
    assert tuple(map(str, (s.mode, s.fail_on, s.batch, s.on_error, s.report))) == (
        "block",
        "medium",
        "never",
        "closed",
        "full",
    )
    assert s.ignore == ("downgrade", "channel-mix")
    assert s.allow == ("openssl",)
    assert s.batch_timeout == 5.0
    assert s.policy().fail_on.name == "MEDIUM"


def test_settings_defaults(guard_config):
    from conda_guard.adapters.conda_settings import GuardSettings, read_settings

    assert read_settings() == GuardSettings()


def test_env_vars_override_condarc(guard_config, monkeypatch):
    from conda.base.context import reset_context

    from conda_guard.adapters.conda_settings import read_settings

    guard_config(guard_mode="block", guard_ignore=["downgrade"])
    monkeypatch.setenv("CONDA_PLUGINS_GUARD_MODE", "off")
    monkeypatch.setenv("CONDA_PLUGINS_GUARD_FAIL_ON", "low")
    monkeypatch.setenv("CONDA_PLUGINS_GUARD_IGNORE", "channel-mix")
    reset_context()
    s = read_settings()
    assert str(s.mode) == "off"
    assert str(s.fail_on) == "low"
    assert set(s.ignore) == {"downgrade", "channel-mix"}  # lists merge


def test_env_var_blocks(cuda_env: Path, conda_cli, monkeypatch):
    from conda.base.context import reset_context

    monkeypatch.setenv("CONDA_PLUGINS_GUARD_MODE", "block")
    reset_context()
    conda_cli(
        "install",
        "-p",
        cuda_env,
        "--dry-run",
        "pytorch=1.12.1",
        raises=CondaMultiError,
    )


def test_mode_off_is_silent(cuda_env: Path, conda_cli, guard_config, guard_outcomes):
    guard_config(guard_mode="off")
    out, err, exc = conda_cli(
        "install", "-p", cuda_env, "--dry-run", "pytorch=1.12.1", raises=DryRunExit
    )
    assert "conda-guard" not in err
    assert guard_hooks_registered() and guard_outcomes == []  # loaded, and off


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("guard_mode", "blok", "Valid choices for guard_mode: 'warn', 'block', 'off'"),
        (
            "guard_fail_on",
            "severe",
            "Valid choices for guard_fail_on: 'info', 'low', 'medium', 'high'",
        ),
        (
            "guard_batch",
            "sometimes",
            "Valid choices for guard_batch: 'auto', 'update-all', 'always', 'never'",
        ),
        (
            "guard_batch_timeout",
            -1,
            "'plugins.guard_batch_timeout' must be a number of seconds > 0",
        ),
        (
            "guard_batch_timeout",
            float("inf"),
            "'plugins.guard_batch_timeout' must be a number of seconds > 0",
        ),
        (
            "guard_on_error",
            "ajar",
            "Valid choices for guard_on_error: 'open', 'closed'",
        ),
        ("guard_report", "long", "Valid choices for guard_report: 'full', 'summary'"),
    ],
    ids=["mode", "fail_on", "batch", "batch_timeout", "inf", "on_error", "report"],
)
def test_invalid_setting_is_a_configuration_error(
    cuda_env: Path, conda_cli, guard_config, key, value, words
):
    from conda.common.configuration import ValidationError

    guard_config(**{key: value})
    out, err, exc = conda_cli(
        "install", "-p", cuda_env, "--dry-run", "pytorch=1.12.1", raises=ValidationError
    )
    assert f"Parameter {key} = {value!r}" in str(exc.value)
    assert words in str(exc.value)


def test_setting_values_are_case_blind(guard_config):
    from conda_guard.adapters.conda_settings import read_settings
    from conda_guard.constants import GuardMode, SeverityName

    guard_config(guard_mode="Block", guard_fail_on="MEDIUM")
    settings = read_settings()
    assert (settings.mode, settings.fail_on) == (GuardMode.BLOCK, SeverityName.MEDIUM)


def test_unknown_rule_in_guard_ignore(cuda_env: Path, conda_cli, guard_config):
    guard_config(guard_ignore=["gpu2cpu"])
    out, err, exc = conda_cli(
        "install",
        "-p",
        cuda_env,
        "--dry-run",
        "pytorch=1.12.1",
        raises=GuardSettingError,
    )
    assert str(exc.value).startswith(
        "invalid value 'gpu2cpu' for 'plugins.guard_ignore' "
        "(CONDA_PLUGINS_GUARD_IGNORE): no such rule"
    )
    assert "gpu-to-cpu" in str(exc.value)


def test_guard_ignore_lets_it_through(
    cuda_env: Path, conda_cli, guard_config, guard_outcomes
):
    guard_config(guard_mode="block", guard_ignore=["gpu-to-cpu"])
    out, err, exc = conda_cli(
        "install", "-p", cuda_env, "--dry-run", "pytorch=1.12.1", raises=DryRunExit
    )
    assert "gpu-to-cpu" not in err
    (outcome,) = guard_outcomes
    assert (
        "1 finding(s) not shown, ignored or allowed by your settings: gpu-to-cpu"
        in outcome.analysis.notes
    )


def test_guard_allow_one_package_still_blocks_the_other(
    cuda_env: Path, conda_cli, guard_config
):
    guard_config(guard_mode="block", guard_allow=["pytorch"])
    out, err, exc = conda_cli(
        "install",
        "-p",
        cuda_env,
        "--dry-run",
        "pytorch=1.12.1",
        raises=CondaMultiError,
    )
    exc = refusal(exc)
    # one finding covers pytorch and pytorch-mutex: allowing pytorch is not enough
    assert FLIP in str(exc.value) and MUTEX_FLIP in str(exc.value)
    names = [p["name"] for p in exc.value.findings[0]["packages"]]
    assert names == ["pytorch", "pytorch-mutex"]


def test_guard_allow_match_specs_let_it_through(
    cuda_env: Path, conda_cli, guard_config, guard_outcomes
):
    guard_config(
        guard_mode="block", guard_allow=["pytorch >=1.12", "'pytorch-mutex 1.0'"]
    )
    conda_cli(
        "install", "-p", cuda_env, "--dry-run", "pytorch=1.12.1", raises=DryRunExit
    )
    (outcome,) = guard_outcomes
    assert outcome.analysis.findings == ()
    assert (
        "1 finding(s) not shown, ignored or allowed by your settings: gpu-to-cpu"
        in outcome.analysis.notes
    )


# -- frozen ----------------------------------------------------------------------


def test_conda_itself_refuses_a_frozen_env(cuda_env: Path, conda_cli):
    from conda.exceptions import EnvironmentIsFrozenError

    (cuda_env / "conda-meta" / "frozen").write_text('{"message": "team GPU env"}')
    conda_cli(
        "install",
        "-p",
        cuda_env,
        "--dry-run",
        "filelock",
        raises=EnvironmentIsFrozenError,
    )


def test_frozen_env_blocked_even_in_warn_mode(cuda_env: Path, conda_cli, monkeypatch):
    """With conda's own protection off, the guard still refuses to change it."""
    from conda.base.context import reset_context

    (cuda_env / "conda-meta" / "frozen").write_text('{"message": "team GPU env"}')
    monkeypatch.setenv("CONDA_PROTECT_FROZEN_ENVS", "false")
    reset_context()
    before = hash_tree(cuda_env)
    out, err, exc = conda_cli(
        "install", "-p", cuda_env, "-y", "filelock", raises=CondaMultiError
    )
    exc = refusal(exc)
    message = str(exc.value)
    assert message.startswith(
        f"conda-guard stopped this transaction: {cuda_env} is marked frozen "
        "(conda-meta/frozen) and 1 package would change."
    )
    assert ": team GPU env" in message
    assert "pass --override-frozen" in message
    assert hash_tree(cuda_env) == before


def test_frozen_env_with_override_only_warns(cuda_env: Path, conda_cli):
    (cuda_env / "conda-meta" / "frozen").write_text("")
    out, err, exc = conda_cli(
        "install",
        "-p",
        cuda_env,
        "--override-frozen",
        "--dry-run",
        "filelock",
        raises=DryRunExit,
    )
    assert "HIGH [frozen] the environment is marked frozen" in err


# -- guard_on_error ----------------------------------------------------------------


def _broken_analyze(*args, **kwargs):
    raise RuntimeError("boom")


def test_on_error_open_warns_and_goes_on(cuda_env: Path, conda_cli, monkeypatch):
    import conda_guard.analysis

    monkeypatch.setattr(conda_guard.analysis, "analyze", _broken_analyze)
    out, err, exc = conda_cli(
        "install", "-p", cuda_env, "--dry-run", "pytorch=1.12.1", raises=DryRunExit
    )
    assert (
        "conda-guard: warning: the ABI check was skipped (RuntimeError: boom). conda "
        "goes on because plugins.guard_on_error is 'open'." in err
    )
    assert "1.12.1-py3.10_cpu_0" in out


def test_on_error_closed_stops(cuda_env: Path, conda_cli, monkeypatch, guard_config):
    import conda_guard.analysis

    guard_config(guard_on_error="closed")
    monkeypatch.setattr(conda_guard.analysis, "analyze", _broken_analyze)
    before = hash_tree(cuda_env)
    out, err, exc = conda_cli(
        "install", "-p", cuda_env, "-y", "pytorch=1.12.1", raises=GuardInternalError
    )
    assert (
        "conda-guard failed while checking this transaction (RuntimeError: boom)"
        in str(exc.value)
    )
    assert hash_tree(cuda_env) == before


def test_on_error_closed_unreadable_prefix(
    cuda_env: Path, conda_cli, monkeypatch, guard_config
):
    import conda_guard.readers.prefix
    from conda_guard.exceptions import InputError

    def unreadable(path, **kwargs):
        raise InputError(f"{path}/conda-meta/history", "not UTF-8 text", 3)

    guard_config(guard_on_error="closed")
    monkeypatch.setattr(conda_guard.readers.prefix, "read_prefix", unreadable)
    out, err, exc = conda_cli(
        "install", "-p", cuda_env, "--dry-run", "pytorch=1.12.1", raises=GuardInputError
    )
    assert f"{cuda_env}/conda-meta/history:3: not UTF-8 text" in str(exc.value)
    assert exc.value.return_code == 2


# -- install --revision (no solve: the pre-command hook) -------------------------


def test_revision_rollback_to_cpu_is_checked(guard_config, conda_cli, tmp_env):
    with tmp_env("python=3.10", "pytorch=1.12.1") as prefix:  # rev 0: the CPU build
        conda_cli(
            "install", "-p", prefix, "-y", "pytorch=1.11.0=*cuda*", "cudatoolkit=11.1"
        )
        rec = sorted(p.name for p in (prefix / "conda-meta").glob("pytorch-1*.json"))
        assert rec == [f"pytorch-1.11.0-{PYTORCH_CUDA_BUILD}.json"]  # rev 1: CUDA
        guard_config(guard_mode="block")
        before = hash_tree(prefix)
        out, err, exc = conda_cli(
            "install", "-p", prefix, "--revision", "0", "-y", raises=CondaMultiError
        )
        exc = refusal(exc)
        message = str(exc.value)
        assert FLIP in message
        assert f"See the whole diff: conda guard diff {prefix} {prefix}@0" in message
        assert hash_tree(prefix) == before


# -- conda env create / update ---------------------------------------------------


def test_env_update_is_checked(cuda_env: Path, conda_cli, guard_config, tmp_path: Path):
    guard_config(guard_mode="block")
    spec = tmp_path / "environment.yml"
    spec.write_text("name: gpu\ndependencies:\n  - pytorch=1.12.1\n")
    before = hash_tree(cuda_env)
    out, err, exc = conda_cli(
        "env", "update", "-p", cuda_env, "-f", spec, raises=CondaMultiError
    )
    exc = refusal(exc)
    assert FLIP in str(exc.value)
    assert hash_tree(cuda_env) == before


def test_env_create_is_checked(guard_config, conda_cli, tmp_path: Path, monkeypatch):
    from conda_guard.adapters import conda_report

    seen = []
    monkeypatch.setattr(
        conda_report, "act", lambda outcome, settings: seen.append(outcome)
    )
    spec = tmp_path / "environment.yml"
    spec.write_text("name: np\ndependencies:\n  - python=3.10\n  - numpy=1.25\n")
    conda_cli(
        "env",
        "create",
        "-p",
        tmp_path / "np",
        "-f",
        spec,
        "--dry-run",
        raises=DryRunExit,
    )
    (outcome,) = seen
    assert len(outcome.analysis.before) == 0
    assert outcome.analysis.after.get("numpy").version == "1.25.1"


def test_batch_solve_runs_offline_with_a_remote_channel(
    cuda_env: Path, guard_config, monkeypatch
):
    """Offline, the batch solve is conda's solver offline (issue 10.1), not a
    skip: a remote channel offers what the package cache holds (filled here
    by ``cuda_env``), as ``conda install --offline`` does; nothing is read
    from the network."""
    from conda.base.context import reset_context

    from conda_guard.adapters.conda_hooks import batch_state
    from conda_guard.adapters.conda_run import CondaRequest
    from conda_guard.adapters.conda_settings import read_settings
    from conda_guard.models import State

    monkeypatch.setenv("CONDA_CHANNELS", "conda-forge")
    reset_context()
    request = CondaRequest(command="install", typed=("python=3.10",))
    empty = State(records={}, kind="prefix")
    batch, notes = batch_state(empty, read_settings(), request)
    if TEST_SOLVER == "rattler":
        # conda-rattler-solver 0.2 itself fails offline on a remote channel
        # it has no cached repodata for (`conda create --offline -c URL x`
        # does too): the guard says so instead of skipping
        assert batch is None
        assert "conda is offline" not in " ".join(notes)
        assert (
            "a one-shot solve of the history specs plus the request failed"
            in (notes[0])
        )
        return
    assert notes == []
    assert batch is not None
    assert batch.get("python").version.startswith("3.10.")
    assert {r.url.split("://")[0] for r in batch} == {"file"}  # the cache's


def test_the_suggested_config_commands_work(cuda_env: Path, conda_cli, guard_config):
    """The commands the block message suggests do what it says."""
    condarc = guard_config()
    conda_cli("config", "--file", condarc, "--set", "plugins.guard_mode", "block")
    conda_cli(
        "install",
        "-p",
        cuda_env,
        "--dry-run",
        "pytorch=1.12.1",
        raises=CondaMultiError,
    )
    conda_cli(
        "config", "--file", condarc, "--append", "plugins.guard_ignore", "gpu-to-cpu"
    )
    conda_cli(
        "install", "-p", cuda_env, "--dry-run", "pytorch=1.12.1", raises=DryRunExit
    )
    out, err, code = conda_cli("config", "--describe", "plugins.guard_mode")
    assert "plugins.guard_mode (GuardMode)" in out  # conda checks the choices


# -- explicit files: no solve, checked before linking ------------------------------


def _explicit_cpu_file(channels: dict[str, Path], tmp_path: Path) -> Path:
    torch = channels["pytorch"]
    path = tmp_path / "cpu.explicit.txt"
    path.write_text(
        "@EXPLICIT\n"
        f"{(torch / 'linux-64' / 'pytorch-1.12.1-py3.10_cpu_0.tar.bz2').as_uri()}\n"
        f"{(torch / 'noarch' / 'pytorch-mutex-1.0-cpu.tar.bz2').as_uri()}\n"
    )
    return path


def test_explicit_file_install_is_checked_before_linking(
    cuda_env: Path, conda_cli, guard_channels, tmp_path: Path
):
    explicit = _explicit_cpu_file(guard_channels, tmp_path)
    out, err, code = conda_cli("install", "-p", cuda_env, "-y", "--file", explicit)
    assert "conda-guard (before linking): 2 findings (2 high)" in err
    assert FLIP in err and MUTEX_FLIP in err
    assert (
        f"[explicit-spec] pytorch 1.12.1 {PYTORCH_CPU_BUILD} no longer matches your "
        "request 'pytorch=1.11.0'" in err
    )
    assert (
        cuda_env / "conda-meta" / f"pytorch-1.12.1-{PYTORCH_CPU_BUILD}.json"
    ).is_file()


def test_explicit_file_install_blocked(
    cuda_env: Path, conda_cli, guard_config, guard_channels, tmp_path: Path
):
    from conda.exceptions import CondaMultiError

    guard_config(guard_mode="block")
    explicit = _explicit_cpu_file(guard_channels, tmp_path)
    before = hash_tree(cuda_env)
    out, err, exc = conda_cli(
        "install", "-p", cuda_env, "-y", "--file", explicit, raises=CondaMultiError
    )
    assert [type(e).__name__ for e in exc.value.errors] == ["GuardBlockedError"]
    assert FLIP in str(exc.value)
    assert hash_tree(cuda_env) == before


def test_solved_install_is_not_reported_twice(cuda_env: Path, conda_cli):
    out, err, code = conda_cli("install", "-p", cuda_env, "-y", "pytorch=1.12.1")
    assert err.count(FLIP) == 1
    assert "before linking" not in err


# -- the new request is not a finding against the old one (issue 14.11) ------------


def test_a_downgrade_the_request_asks_for_is_not_an_explicit_spec_finding(
    guard_config, conda_cli, tmp_env, monkeypatch
):
    from conda_guard.adapters import conda_report

    seen = []
    monkeypatch.setattr(
        conda_report, "act", lambda outcome, settings: seen.append(outcome)
    )
    with tmp_env("python=3.10", "numpy") as prefix:  # history: plain `numpy`
        assert (prefix / "conda-meta" / "numpy-2.2.6-py310hefbff90_0.json").is_file()
        seen.clear()  # the create
        conda_cli("install", "-p", prefix, "--dry-run", "numpy<2", raises=DryRunExit)
    (outcome,) = seen
    analysis = outcome.analysis
    assert analysis.before.explicit["numpy"] == "numpy"
    # the after-state's requested specs hold the new request, as conda's history will
    assert analysis.after.explicit["numpy"] == "numpy[version='<2']"
    assert analysis.after.get("numpy").version == "1.25.1"
    assert not [f for f in analysis.findings if f.rule == "explicit-spec"]


def test_drift_findings_honour_guard_allow(
    cuda_env: Path, conda_cli, guard_config, monkeypatch
):
    """update --all: the one-shot solve keeps CUDA; allowing its packages drops
    the drift finding, as guard_allow drops any other."""
    pytest.importorskip("rattler", reason="the batch solve uses py-rattler")
    from conda_guard.adapters import conda_report

    seen = []
    monkeypatch.setattr(
        conda_report, "act", lambda outcome, settings: seen.append(outcome)
    )
    conda_cli("update", "-p", cuda_env, "--all", "--dry-run", raises=DryRunExit)
    drift = [f for f in seen[-1].analysis.findings if f.rule == "drift"]
    assert drift
    seen.clear()
    guard_config(guard_allow=sorted({n for f in drift for n in f.names}))
    conda_cli("update", "-p", cuda_env, "--all", "--dry-run", raises=DryRunExit)
    outcome = seen[-1]
    labels = [c.label for c in outcome.analysis.comparisons]
    assert labels == ["conda's plan vs a one-shot solve"]  # the batch solve ran
    assert [f.names for f in outcome.analysis.findings if f.rule == "drift"] == []


def _broken_batch(*args, **kwargs):
    raise RuntimeError("batch boom")


def test_a_failed_batch_solve_is_a_note_in_open_mode(
    cuda_env: Path, conda_cli, guard_config, monkeypatch
):
    from conda_guard.adapters import conda_hooks

    guard_config(guard_batch="always", guard_report="full")
    monkeypatch.setattr(conda_hooks, "batch_state", _broken_batch)
    out, err, exc = conda_cli(
        "install", "-p", cuda_env, "--dry-run", "pytorch=1.12.1", raises=DryRunExit
    )
    assert "batch solve skipped: batch boom" in err
    assert FLIP in err


def test_a_failed_batch_solve_stops_in_closed_mode(
    cuda_env: Path, conda_cli, guard_config, monkeypatch
):
    """guard_on_error: closed holds for the batch solve too (issue 15.7)."""
    from conda_guard.adapters import conda_hooks

    guard_config(guard_batch="always", guard_on_error="closed")
    monkeypatch.setattr(conda_hooks, "batch_state", _broken_batch)
    before = hash_tree(cuda_env)
    out, err, exc = conda_cli(
        "install", "-p", cuda_env, "-y", "filelock", raises=GuardInternalError
    )
    assert "(RuntimeError: batch boom)" in str(exc.value)
    assert hash_tree(cuda_env) == before


def test_a_dry_run_leaves_nothing_behind(cuda_env: Path, conda_cli, guard_outcomes):
    """The run of a command records a transaction only when conda will link it."""
    from conda_guard.adapters import conda_run

    conda_cli(
        "install", "-p", cuda_env, "--dry-run", "pytorch=1.12.1", raises=DryRunExit
    )
    assert len(guard_outcomes) == 1  # the check ran
    run = conda_run.current()
    assert (run.command, run.checked) == ("install", None)
    conda_cli("install", "-p", cuda_env, "-y", "filelock")
    assert conda_run.current().command == ""  # the post-command hook ended it
