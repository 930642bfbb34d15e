"""pytest fixtures for the conda integration tests (``-p tests.conda_fixtures``).

They need conda's own fixtures (``conda.testing.fixtures``: ``conda_cli``,
``tmp_env``, its context-aware ``monkeypatch``), registered by
``tests/conftest.py`` where conda is importable. conda is imported inside the
fixtures only, so this module loads anywhere.

- ``guard_channels`` (session): the local channels of ``tests/conda_channel.py``,
  built once from real records and indexed with conda-index.
- ``guard_config`` (function): a private ``.condarc`` (offline, the solver of
  ``$CONDA_GUARD_TEST_SOLVER`` (default ``classic``),
  the local channels, package cache in a session tmp dir) plus ``plugins:``
  settings given per test; returns a writer to change the settings.
- ``cuda_env`` (function): a fresh prefix with pytorch 1.11.0's CUDA 11.1 build.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

CUDA_ENV_SPECS = ("python=3.10", "pytorch=1.11.0", "cudatoolkit=11.1")

#: conda's solver in these tests (``classic``; ``rattler`` with conda-rattler-solver)
TEST_SOLVER = os.environ.get("CONDA_GUARD_TEST_SOLVER", "classic")


@pytest.fixture(scope="session")
def guard_channels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """name → directory of the local channels (conda-forge, pytorch, nvidia)."""
    pytest.importorskip("conda_index", reason="conda-index builds the test channels")
    pytest.importorskip("conda_package_handling", reason="needed to write packages")
    from .conda_channel import HARVESTED, PYTORCH_SLICE, build_channels

    if not (HARVESTED.is_dir() and PYTORCH_SLICE.is_dir()):
        pytest.skip(
            f"the real records are not here: {HARVESTED.parent} (../shared/data)"
        )
    return build_channels(tmp_path_factory.mktemp("channels"))


@pytest.fixture(scope="session")
def guard_pkgs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One package cache for the session (packages are extracted once)."""
    return tmp_path_factory.mktemp("pkgs")


def _yaml_value(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


@pytest.fixture
def guard_config(
    guard_channels: dict[str, Path],
    guard_pkgs_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[..., Path]]:
    """Point conda at a private ``.condarc``; call it with ``plugins:`` settings."""
    from conda.base.context import reset_context

    condarc = tmp_path / "condarc"
    for name in list(os.environ):
        if name.startswith("CONDA_PLUGINS_GUARD_"):
            monkeypatch.delenv(name)

    def write(**plugins: Any) -> Path:
        lines = [
            "offline: true",
            f"solver: {TEST_SOLVER}",
            "channel_priority: flexible",
            "auto_update_conda: false",
            "notify_outdated_conda: false",
            "channels:",
            *(
                f"  - {guard_channels[n].as_uri()}"
                for n in ("conda-forge", "pytorch", "nvidia")
            ),
            "pkgs_dirs:",
            f"  - {guard_pkgs_dir}",
            f"envs_dirs: [{tmp_path / 'envs'}]",
        ]
        if plugins:
            lines.append("plugins:")
            lines += [f"  {k}: {_yaml_value(v)}" for k, v in plugins.items()]
        condarc.write_text("\n".join(lines) + "\n")
        reset_context()
        return condarc

    monkeypatch.setenv("CONDARC", str(condarc))
    monkeypatch.setenv("CONDA_PKGS_DIRS", str(guard_pkgs_dir))
    write()
    yield write
    monkeypatch.delenv("CONDARC")
    reset_context()


@pytest.fixture
def cuda_env(guard_config: Callable[..., Path], tmp_env: Any) -> Iterator[Path]:
    """A prefix with pytorch 1.11.0 py3.10_cuda11.1_cudnn8.0.5_0 + cudatoolkit 11.1."""
    with tmp_env(*CUDA_ENV_SPECS) as prefix:
        yield prefix


def hash_tree(root: Path) -> dict[str, str]:
    """Relative path → sha256 of every file (and ``<dir>`` for directories)."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        for d in dirnames:
            out[str((base / d).relative_to(root)) + "/"] = "<dir>"
        for f in filenames:
            path = base / f
            rel = str(path.relative_to(root))
            if path.is_symlink():
                out[rel] = "link:" + os.readlink(path)
            else:
                out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@pytest.fixture
def guard_outcomes(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every outcome the guard acts on during the test (it still acts on them).

    A test that expects no output asserts here that the guard ran all the same.
    """
    from conda_guard.adapters import conda_report

    seen: list[Any] = []
    act = conda_report.act

    def spy(outcome: Any, settings: Any) -> None:
        seen.append(outcome)
        act(outcome, settings)

    monkeypatch.setattr(conda_report, "act", spy)
    return seen


def guard_hooks_registered() -> bool:
    """True when conda has the guard's post-solve hook (the plugin loaded)."""
    from conda.base.context import context

    names = {h.name for h in context.plugin_manager.get_hook_results("post_solves")}
    return "conda-guard" in names


class Refusal:
    """The guard's refusal inside conda's ``CondaMultiError`` (``.value``)."""

    def __init__(self, info: Any) -> None:
        errors = list(info.value.errors)
        assert [type(e).__name__ for e in errors] == ["GuardBlockedError"], errors
        self.value = errors[0]


def refusal(info: Any) -> Refusal:
    """``exc = refusal(exc)``: the ``GuardBlockedError`` a refusal wraps.

    conda wraps what a pre-transaction action refuses in a
    ``CondaMultiError``; the guard's other refusals are wrapped the same way
    (one ``--json`` shape).
    """
    return Refusal(info)
