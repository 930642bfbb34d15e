"""Sphinx directives that generate reference material from conda_guard's source.

- ``guard-rule-table``: every rule id with its default severity and summary.
- ``guard-rule ID``: one rule's facts (severity, summary, module) and its
  module docstring. The build warns (so ``-W`` fails) when a rule id in
  ``conda_guard.rules.RULE_IDS`` has no ``guard-rule`` section, or when a
  section names an id that is not a rule.
- ``guard-settings``: the ``plugins.guard_*`` settings of
  ``conda_guard.settings.SETTINGS`` (conda-free; the conda adapter declares
  the same objects to conda): name, default, allowed values,
  ``CONDA_PLUGINS_*`` variable and description.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

LOG = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]

#: rule ids whose findings come from outside conda_guard.rules.RULES
EXTRA_MODULES = {
    "drift": "conda_guard.rules.drift",
    "soname": "conda_guard.binaries.links",
    "pip-extension": "conda_guard.binaries.pip",
}

ROLE_RE = re.compile(r":[\w:]+:`~?(?:[\w.]+\.)?([^`<]+?)(?:\s*<[^>]*>)?`")


def plain_rst(text: str) -> str:
    """Sphinx roles (``:func:`~a.b``) as literals, so MyST and rST both read them."""
    return ROLE_RE.sub(lambda m: f"``{m[1]}``", text)


def rule_modules() -> dict[str, Any]:
    """Rule id -> the module that defines it, in report order."""
    from conda_guard import rules

    out = {m.RULE.id: m for m in rules.RULES}
    for rule_id in rules.RULE_IDS:
        if rule_id not in out:
            out[rule_id] = importlib.import_module(EXTRA_MODULES[rule_id])
    return out


def rule_facts(rule_id: str) -> tuple[str, str, str, str]:
    """(severity, summary, module name, docstring) of a rule id."""
    module = rule_modules()[rule_id]
    rule = getattr(module, "RULE", None)
    if rule is not None and rule.id == rule_id:
        severity, summary = str(rule.severity), rule.summary
    else:  # no RULE object: the module docstring's first line
        doc_first = (module.__doc__ or "").strip().splitlines()[0].rstrip(".")
        severity, summary = "", plain_rst(doc_first)
    return severity, summary, module.__name__, plain_rst(module.__doc__ or "")


def parse_into(directive: SphinxDirective, text: str, node: nodes.Element) -> None:
    directive.state.nested_parse(
        StringList(text.splitlines(), source=directive.get_source_info()[0]),
        directive.content_offset,
        node,
    )


def table(header: list[str], rows: list[list[nodes.Node | str]], widths: list[int]):
    tbl = nodes.table(classes=["guard-table"])
    group = nodes.tgroup(cols=len(header))
    tbl += group
    for w in widths:
        group += nodes.colspec(colwidth=w)

    def row(cells: list[nodes.Node | str]) -> nodes.row:
        r = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            if isinstance(cell, str):
                entry += nodes.paragraph(text=cell)
            else:
                entry += nodes.paragraph("", "", cell)
            r += entry
        return r

    thead = nodes.thead()
    thead += row(header)
    tbody = nodes.tbody()
    for cells in rows:
        tbody += row(cells)
    group += thead
    group += tbody
    return tbl


class RuleTable(SphinxDirective):
    """``guard-rule-table``: id, default severity, summary of every rule."""

    def run(self) -> list[nodes.Node]:
        rows = []
        for rule_id in rule_modules():
            severity, summary, module, _ = rule_facts(rule_id)
            ref = nodes.reference("", "", internal=True, refid=f"rule-{rule_id}")
            ref += nodes.literal(text=rule_id)
            rows.append([ref, severity or "per finding", summary])
        return [
            table(
                ["rule id", "default severity", "what it looks for"], rows, [18, 14, 68]
            )
        ]


class RuleSection(SphinxDirective):
    """``guard-rule ID``: the generated facts of one rule."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        rule_id = self.arguments[0]
        documented = self.env.temp_data.setdefault("guard_rules", [])
        if not hasattr(self.env, "guard_rules_documented"):
            self.env.guard_rules_documented = {}
        self.env.guard_rules_documented[rule_id] = self.env.docname
        documented.append(rule_id)
        if rule_id not in rule_modules():
            LOG.warning(
                "guard-rule %r is not a rule id (conda_guard.rules.RULE_IDS)",
                rule_id,
                location=self.get_location(),
            )
            return []
        severity, summary, module, doc = rule_facts(rule_id)
        target = nodes.target("", "", ids=[f"rule-{rule_id}"])
        facts = [
            f"- **Rule id:** `{rule_id}` (for `--ignore`, `guard_ignore`, `--accept`)",
        ]
        facts.append(f"- **Default severity:** {severity or 'set per finding'}")
        facts.append(f"- **Looks for:** {summary}")
        facts.append(f"- **Source:** `{module}`")
        container = nodes.container(classes=["guard-rule"])
        parse_into(self, "\n".join(facts), container)
        quote = nodes.block_quote()
        parse_into(self, doc.strip(), quote)
        container += quote
        return [target, container]


def settings_from_source() -> list[dict[str, str]]:
    """Each ``plugins.guard_*`` setting of ``conda_guard.settings.SETTINGS``."""
    from conda_guard.settings import SETTINGS

    return [
        {
            "name": spec.name,
            "kind": spec.kind,
            "default": _default_text(spec),
            "choices": " | ".join(spec.choices),
            "env": spec.env,
            "description": spec.description.removeprefix("conda-guard: "),
        }
        for spec in SETTINGS
    ]


def _default_text(spec) -> str:
    if spec.is_list:
        return "[]"
    if spec.kind == "flag":
        return str(spec.default).lower()
    return str(spec.default) if spec.default != "" else "(unset)"


class SettingsTable(SphinxDirective):
    """``guard-settings``: one row per ``plugins.guard_*`` setting."""

    def run(self) -> list[nodes.Node]:
        rows = []
        for s in settings_from_source():
            name = nodes.literal(text=s["name"])
            values = s["choices"] or {
                "list": "list of strings",
                "flag": "true | false",
                "text": "a path",
            }.get(s["kind"], "number")
            rows.append(
                [
                    name,
                    s["default"],
                    values,
                    nodes.literal(text=s["env"]),
                    s["description"],
                ]
            )
        return [
            table(
                ["setting", "default", "values", "environment variable", "meaning"],
                rows,
                [16, 10, 18, 26, 40],
            )
        ]


def check_rules(app: Sphinx, env: BuildEnvironment) -> None:
    documented = getattr(env, "guard_rules_documented", {})
    if "rules" not in env.found_docs:
        return
    for rule_id in rule_modules():
        if rule_id not in documented:
            LOG.warning(
                "rule %r has no `guard-rule` section in rules.md",
                rule_id,
                location="rules",
            )


def purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    documented = getattr(env, "guard_rules_documented", {})
    for rule_id in [r for r, d in documented.items() if d == docname]:
        del documented[rule_id]


def merge(
    app: Sphinx, env: BuildEnvironment, docnames: Any, other: BuildEnvironment
) -> None:
    if not hasattr(env, "guard_rules_documented"):
        env.guard_rules_documented = {}
    env.guard_rules_documented.update(getattr(other, "guard_rules_documented", {}))


#: pages whose content is generated from the source: re-read on every build, so
#: an incremental build (nox -s docs reuses docs/_build) never shows stale text
GENERATED_PAGES = ("rules", "configuration", "cli", "index", "json-schema")


def always_reread(
    app: Sphinx, env: BuildEnvironment, added: Any, changed: Any, removed: Any
) -> list[str]:
    return [d for d in GENERATED_PAGES if d in env.found_docs]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("guard-rule-table", RuleTable)
    app.add_directive("guard-rule", RuleSection)
    app.add_directive("guard-settings", SettingsTable)
    app.connect("env-check-consistency", check_rules)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    app.connect("env-get-outdated", always_reread)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}


def strict_parser():
    """The options ``conda guard install|update`` add to conda's own (conda-free)."""
    import argparse

    from conda_guard.adapters.conda_subcommands import STRICT_HELP, _add_strict_options

    parser = argparse.ArgumentParser(
        prog="conda guard install|update",
        description=STRICT_HELP["install"].replace(
            "conda install", "conda install/update"
        ),
        add_help=False,
    )
    _add_strict_options(parser)
    return parser


def cli_parser():
    """``conda_guard.cli.build_parser()``, its preformatted epilogs as literal blocks.

    The subcommands use ``RawDescriptionHelpFormatter``: their epilogs are laid
    out by hand, and sphinx-argparse would read them as reST (``*`` starts
    emphasis, ``--`` becomes a dash). Everything else is the real parser.
    """
    import argparse
    import textwrap

    from conda_guard.cli import build_parser

    parser = build_parser()
    todo = [parser]
    while todo:
        p = todo.pop()
        if p.epilog:
            p.epilog = "::\n\n" + textwrap.indent(p.epilog.rstrip(), "   ")
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                todo.extend(action.choices.values())
    return parser


def rollback_parser():
    """``conda guard rollback`` (conda-only; its parser is conda-free)."""
    import argparse

    from conda_guard.recovery.commands import ROLLBACK_HELP, rollback_arguments

    parser = argparse.ArgumentParser(
        prog="conda guard rollback", description=ROLLBACK_HELP
    )
    rollback_arguments(parser)
    return parser
