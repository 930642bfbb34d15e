"""``conda_guard.plugin`` stays cheap: conda imports it on every command.

The first tests run anywhere (CI has no conda): a stub ``conda`` package on
``sys.path`` stands in for conda's plugin types, and a subprocess records what
importing the plugin and calling its hooks loads. The last ones use the real
conda where it is importable.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

STUB_TYPES = """
from dataclasses import dataclass, field
from typing import Any

@dataclass
class CondaPostSolve:
    name: str
    action: Any

@dataclass
class CondaPreCommand:
    name: str
    action: Any
    run_for: set

@dataclass
class CondaPostCommand:
    name: str
    action: Any
    run_for: set

@dataclass
class CondaPreSolve:
    name: str
    action: Any

@dataclass
class CondaSubcommand:
    name: str
    summary: str
    action: Any
    configure_parser: Any = None

@dataclass
class CondaPreTransactionAction:
    name: str
    action: Any

@dataclass
class CondaHealthCheck:
    name: str
    action: Any
    fixer: Any = None
    summary: Any = None
    fix: Any = None
"""

PROBE = """
import json, sys
before = set(sys.modules)
import conda_guard.plugin as plugin
loaded = sorted(m for m in set(sys.modules) - before)
hooks = {
    "post_solves": [h.name for h in plugin.conda_post_solves()],
    "pre_commands": [(h.name, sorted(h.run_for)) for h in plugin.conda_pre_commands()],
    "pre_solves": [h.name for h in plugin.conda_pre_solves()],
    "post_commands": [
        (h.name, sorted(h.run_for)) for h in plugin.conda_post_commands()
    ],
    "subcommands": [h.name for h in plugin.conda_subcommands()],
    "health_checks": [h.name for h in plugin.conda_health_checks()],
}
after_hooks = sorted(m for m in set(sys.modules) - before)
print(json.dumps({"loaded": loaded, "hooks": hooks, "after_hooks": after_hooks}))
"""

COMMANDS = ["create", "env_update", "install", "remove", "update"]
READING = ["doctor", "env_export", "export", "info", "list"]

HEAVY = (
    "conda_guard.rules",
    "conda_guard.analysis",
    "conda_guard.abi",
    "rattler",
    "ruamel",
)


def _run(code: str, *, path: list[Path]) -> subprocess.CompletedProcess:
    env_path = ":".join(str(p) for p in [*path, ROOT])
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"},
        timeout=120,
        check=False,
    )


@pytest.fixture
def stub_conda(tmp_path: Path) -> Path:
    pkg = tmp_path / "conda"
    (pkg / "plugins").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "plugins" / "__init__.py").write_text("def hookimpl(f):\n    return f\n")
    (pkg / "plugins" / "types.py").write_text(textwrap.dedent(STUB_TYPES))
    return tmp_path


def test_plugin_import_loads_nothing_of_the_core(stub_conda: Path):
    proc = _run(PROBE, path=[stub_conda])
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    ours = [m for m in data["loaded"] if m.startswith("conda_guard")]
    assert ours == ["conda_guard", "conda_guard.plugin"]
    assert not [m for m in data["loaded"] if m.startswith(HEAVY)]


def test_hooks_register_without_loading_the_core(stub_conda: Path):
    proc = _run(PROBE, path=[stub_conda])
    data = json.loads(proc.stdout)
    assert data["hooks"] == {
        "post_solves": ["conda-guard"],
        "pre_commands": [
            ["conda-guard", COMMANDS],
            ["conda-guard-clean", ["clean"]],
            ["conda-guard-settings", READING],
        ],
        "pre_solves": ["conda-guard"],
        "post_commands": [["conda-guard", COMMANDS]],
        "subcommands": ["guard"],
        "health_checks": ["abi-guard"],
    }
    ours = [m for m in data["after_hooks"] if m.startswith("conda_guard")]
    assert ours == ["conda_guard", "conda_guard.plugin"]


def test_without_conda_the_plugin_says_so(tmp_path: Path):
    poisoned = tmp_path / "conda"
    poisoned.mkdir()
    (poisoned / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'conda'\", name='conda')\n"
    )
    code = (
        "import conda_guard, conda_guard.models\n"
        "try:\n"
        "    import conda_guard.plugin\n"
        "except ModuleNotFoundError as exc:\n"
        "    print('missing', exc.name)\n"
    )
    proc = _run(code, path=[tmp_path])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "missing conda"


# -- with the real conda ---------------------------------------------------------


@pytest.mark.conda
def test_real_conda_plugin_import_is_light():
    pytest.importorskip("conda", reason="conda is not importable")
    code = (
        "import sys, json\n"
        "import conda.plugins, conda.plugins.types, conda.common.configuration\n"
        "before = set(sys.modules)\n"
        "import conda_guard.plugin as p\n"
        "settings = list(p.conda_settings())\n"
        "pre = list(p.conda_pre_transaction_actions())\n"
        "new = sorted(set(sys.modules) - before)\n"
        "print(json.dumps({'new': new, 'settings': [s.name for s in settings],\n"
        "                  'pre': [[x.name, x.action.__name__] for x in pre]}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["settings"] == [
        "guard_mode",
        "guard_fail_on",
        "guard_ignore",
        "guard_allow",
        "guard_batch",
        "guard_batch_timeout",
        "guard_on_error",
        "guard_report",
        "guard_snapshot",
        "guard_snapshot_dir",
        "guard_snapshot_copy",
    ]
    assert data["pre"] == [
        ["conda-guard-links", "GuardLinkCheck"],
        ["conda-guard-snapshot", "GuardSnapshot"],
    ]
    ours = sorted(m for m in data["new"] if m.startswith("conda_guard"))
    assert ours == [
        "conda_guard",
        "conda_guard.adapters",
        "conda_guard.adapters.conda_links",
        "conda_guard.adapters.conda_recovery_hooks",
        "conda_guard.adapters.conda_recovery_settings",
        "conda_guard.adapters.conda_settings",
        "conda_guard.constants",
        "conda_guard.plugin",
        "conda_guard.settings",
    ]
    assert not [m for m in data["new"] if m.startswith(HEAVY)]
