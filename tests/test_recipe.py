"""recipe/meta.yaml is checked against the package it builds.

The recipe's few jinja bits (``{% set %}``, ``load_file_regex`` and
``{{ var }}``) are rendered here, without conda-build, and the result is
compared with pyproject.toml, conda_guard/__init__.py and conda_guard/plugin.py.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from functools import cache
from pathlib import Path

import pytest

import conda_guard
from conda_guard import constants

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "recipe" / "meta.yaml"

# the conda recipe's own test runs on a copy of tests/ without recipe/
pytestmark = pytest.mark.skipif(
    not RECIPE.is_file(), reason="recipe/ is not in this copy"
)

SET_RE = re.compile(r"{%-?\s*set\s+(\w+)\s*=\s*(.+?)\s*-?%}")
COMMENT_RE = re.compile(r"{#.*?#}", re.S)
LOAD_RE = re.compile(
    r"""^load_file_regex\(\s*load_file=(["'])(?P<file>.+?)\1\s*,\s*"""
    r"""regex_pattern=(["'])(?P<regex>.+?)\3\s*\)\[(?P<group>\d+)\]$"""
)
VAR_RE = re.compile(r"{{\s*(\w+)\s*}}")


def render(text: str, root: Path = ROOT) -> tuple[str, dict[str, str]]:
    """Render the jinja subset the recipe uses; unknown names are an error."""
    env: dict[str, str] = {"PYTHON": "python"}
    text = COMMENT_RE.sub("", text)
    for match in SET_RE.finditer(text):
        name, expr = match.groups()
        load = LOAD_RE.match(expr)
        if load:
            source = (root / load["file"]).read_text(encoding="utf-8")
            found = re.findall(load["regex"], source)
            assert len(found) == 1, f"{load['regex']!r} matches {found!r}"
            env[name] = re.search(load["regex"], source).group(int(load["group"]))
        elif expr[0] in "\"'" and expr[-1] == expr[0]:
            env[name] = expr[1:-1]
        else:
            raise AssertionError(f"unsupported jinja expression: {expr}")
    body = SET_RE.sub("", text)

    def var(m: re.Match[str]) -> str:
        assert m[1] in env, f"undefined jinja variable {m[1]}"
        return env[m[1]]

    return VAR_RE.sub(var, body), env


@cache
def recipe() -> dict:
    import yaml

    text, _ = render(RECIPE.read_text(encoding="utf-8"))
    return yaml.safe_load(text)


@cache
def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def dep_name(spec: str) -> str:
    """``pyyaml >=6`` / ``pyyaml>=6`` -> ``pyyaml``."""
    return re.split(r"[\s<>=!~\[;]", spec.strip(), maxsplit=1)[0].lower()


def bound(spec: str) -> str:
    return spec.strip()[len(dep_name(spec)) :].replace(" ", "")


def plugin_calls(type_name: str) -> list[dict[str, ast.expr]]:
    """Keyword arguments of each ``type_name(...)`` call in conda_guard/plugin.py."""
    tree = ast.parse((ROOT / "conda_guard" / "plugin.py").read_text(encoding="utf-8"))
    return [
        {kw.arg: kw.value for kw in node.keywords}
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == type_name
    ]


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


# -- rendering -------------------------------------------------------------------


def test_render_reads_the_version_from_one_place(tmp_path):
    (tmp_path / "conda_guard").mkdir()
    (tmp_path / "conda_guard" / "__init__.py").write_text('__version__ = "9.8.7"\n')
    text, env = render(RECIPE.read_text(encoding="utf-8"), root=tmp_path)
    assert env["version"] == "9.8.7"
    assert "version: 9.8.7" in text


def test_render_rejects_unknown_variables():
    with pytest.raises(AssertionError, match="undefined jinja variable nope"):
        render("a: {{ nope }}\n")


# -- the recipe against the package ------------------------------------------------


def test_version_is_the_package_version():
    assert recipe()["package"] == {
        "name": "conda-guard",
        "version": conda_guard.__version__,
    }
    # one source: hatch reads the same file the recipe reads
    assert pyproject()["tool"]["hatch"]["version"]["path"] == "conda_guard/__init__.py"
    assert "conda_guard/__init__.py" in RECIPE.read_text(encoding="utf-8")


def test_build_is_noarch_pip_install():
    build = recipe()["build"]
    assert build["noarch"] == "python"
    assert build["script"].split() == [
        "python",
        "-m",
        "pip",
        "install",
        ".",
        "--no-deps",
        "--no-build-isolation",
        "-vv",
    ]
    assert recipe()["source"] == {"path": "../"}


def test_host_has_the_build_backend():
    host = {dep_name(s): bound(s) for s in recipe()["requirements"]["host"]}
    backends = {dep_name(s): bound(s) for s in pyproject()["build-system"]["requires"]}
    assert pyproject()["build-system"]["build-backend"] == "hatchling.build"
    assert host["hatchling"] == backends["hatchling"]
    assert {"python", "pip"} <= set(host)
    # CFEP-25: build and test with the oldest Python the package supports
    assert host["python"] == "3.10"
    requires = [s.replace(" ", "") for s in recipe()["test"]["requires"]]
    assert "python3.10" in requires


def test_run_requirements_match_pyproject():
    run = {dep_name(s): bound(s) for s in recipe()["requirements"]["run"]}
    deps = {dep_name(s): bound(s) for s in pyproject()["project"]["dependencies"]}
    assert set(run) == {"python", "conda"} | set(deps)
    for name, spec in deps.items():
        assert run[name] == spec, name
    assert run["python"] == pyproject()["project"]["requires-python"] == ">=3.10"


def test_run_constrained_are_the_optional_extras():
    constrained = {
        dep_name(s): bound(s) for s in recipe()["requirements"]["run_constrained"]
    }
    extras = pyproject()["project"]["optional-dependencies"]
    features = set(extras) - {"test", "lint", "docs"}  # extras users install
    assert features == {"rattler"}
    optional = {dep_name(s): bound(s) for k in features for s in extras[k]}
    assert constrained == optional


def test_conda_minimum_covers_the_hooks_the_plugin_uses():
    """Minimum conda per hook, read from conda's CHANGELOG and git tags.

    conda_pre_commands and conda_post_commands 23.7.0 (#12712),
    conda_health_checks 23.11.0 (#13186), conda_pre_solves and
    conda_post_solves 24.1.0 (#13053), conda_settings 24.3.0 (#13554),
    conda_pre_transaction_actions 25.5.0 (#14754),
    conda_environment_exporters 25.7.0 (#14886; its ``description`` and
    ``environment_format`` fields, 26.3.0, are passed only where they exist);
    CondaHealthCheck's ``summary``/``fixer``/``fix`` fields 26.1.0 (#15530);
    ``conda config --show plugins.<name>`` 25.5.0 (#14510).
    """
    minimum = {
        "conda_pre_commands": "23.7.0",
        "conda_post_commands": "23.7.0",
        "conda_pre_solves": "24.1.0",
        "conda_health_checks": "23.11.0",
        "conda_post_solves": "24.1.0",
        "conda_settings": "24.3.0",
        "conda_subcommands": "22.11.0",
        "conda_pre_transaction_actions": "25.5.0",
        "conda_environment_exporters": "25.7.0",
    }
    source = (ROOT / "conda_guard" / "plugin.py").read_text(encoding="utf-8")
    hooks = set(re.findall(r"^def (conda_\w+)\(", source, re.M))
    assert hooks == set(minimum), f"new hook: update the table above: {hooks}"
    needed = max(version_tuple(minimum[h]) for h in hooks)
    if any(
        {"summary", "fixer", "fix"} & set(c) for c in plugin_calls("CondaHealthCheck")
    ):
        needed = max(needed, (26, 1, 0))
    if any("conda config --show plugins." in c for c in recipe()["test"]["commands"]):
        needed = max(needed, (25, 5, 0))
    run = {dep_name(s): bound(s) for s in recipe()["requirements"]["run"]}
    assert run["conda"].startswith(">=")
    assert version_tuple(run["conda"][2:]) == needed


def test_entry_points_match_pyproject():
    scripts = pyproject()["project"]["scripts"]
    assert scripts == {"conda-guard": "conda_guard.cli:main"}
    assert recipe()["build"]["entry_points"] == [
        f"{name} = {target}" for name, target in scripts.items()
    ]
    plugins = pyproject()["project"]["entry-points"]["conda"]
    assert plugins == {"conda-guard": "conda_guard.plugin"}
    assert set(plugins.values()) <= set(recipe()["test"]["imports"])


def test_imports_exist():
    imports = recipe()["test"]["imports"]
    assert imports == ["conda_guard", "conda_guard.plugin"]
    for module in imports:
        assert importlib.util.find_spec(module) is not None, module


def test_commands_match_what_the_package_provides():
    commands = recipe()["test"]["commands"]
    scripts = pyproject()["project"]["scripts"]
    for command in commands:
        words = command.split()
        if words[0] in scripts:
            assert words[1:] in (["--help"], ["--version"]), command
        elif words[:2] == ["conda", "guard"]:
            # plugin.py registers the `guard` subcommand
            (sub,) = plugin_calls("CondaSubcommand")
            assert ast.literal_eval(sub["name"]) == "guard"
        elif words[:3] == ["conda", "config", "--show"]:
            key = words[3]
            assert key == f"plugins.{constants.SETTING_MODE}" == "plugins.guard_mode"
        elif words[:3] == ["python", "-m", "pytest"]:
            assert words[3:] == ["-m", "conda", "tests"]
            # conftest.py registers conda's fixtures and ours where conda imports
            conftest = (ROOT / "tests" / "conftest.py").read_text(encoding="utf-8")
            assert '"conda.testing.fixtures", "tests.conda_fixtures"' in conftest
        else:
            assert words == ["pip", "check"], command
    assert "conda guard --help" in commands
    assert "conda-guard --help" in commands


def test_settings_shown_by_the_recipe_are_declared():
    from conda_guard.settings import SETTINGS

    assert constants.SETTING_MODE in {s.name for s in SETTINGS}
    source = (ROOT / "conda_guard" / "adapters" / "conda_settings.py").read_text(
        encoding="utf-8"
    )
    assert "for spec in SETTINGS" in source
    assert "def conda_settings" in (ROOT / "conda_guard" / "plugin.py").read_text(
        encoding="utf-8"
    )


def test_conda_marked_tests_exist_and_ship():
    test = recipe()["test"]
    assert test["source_files"] == ["pyproject.toml", "tests", "examples"]
    for path in test["source_files"]:
        assert (ROOT / path).exists(), path
    markers = [
        m.split(":")[0] for m in pyproject()["tool"]["pytest"]["ini_options"]["markers"]
    ]
    assert "conda" in markers
    marked = [
        p.name
        for p in (ROOT / "tests").glob("test_*.py")
        if "pytest.mark.conda" in p.read_text(encoding="utf-8")
    ]
    assert marked, "no conda-marked tests for the recipe to run"
    requires = {dep_name(s) for s in test["requires"]}
    conftest = (ROOT / "tests" / "conftest.py").read_text(encoding="utf-8")
    assert "hypothesis" in requires and "from hypothesis" in conftest
    assert "pytest" in requires
    extras = {
        dep_name(s) for s in pyproject()["project"]["optional-dependencies"]["test"]
    }
    # the recipe's test env has what the test extra has, minus the parallel and
    # benchmark plugins, plus what conda's own fixtures need
    assert requires - extras == {"python", "pip", "pytest-mock"}
    assert extras - requires == {"pytest-xdist", "pytest-benchmark"}


@pytest.mark.conda
def test_plugin_registers_what_the_recipe_runs():
    from conda_guard import plugin

    (sub,) = list(plugin.conda_subcommands())
    assert sub.name == "guard"
    names = {s.name for s in plugin.conda_settings()}
    assert constants.SETTING_MODE in names
