"""The comment lines of ``conda-meta/history``: ``# cmd:``, ``# conda version:``
and ``# <action> specs: [...]`` (conda's ``update``/``install``/``create``,
``remove``/``uninstall`` and ``neutered`` specs), read into a revision's
section by :func:`parse_comment`. Split from :mod:`conda_guard.readers.history`,
which reads the rest of the file. Standard library only.
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

from conda_guard.exceptions import InputError
from conda_guard.graph import dep_name

if TYPE_CHECKING:
    from conda_guard.readers.history import _Section

__all__ = ["parse_comment", "spec_name"]

_CMD_RE = re.compile(r"#\s*cmd:\s*(.+)")
_CONDA_VERSION_RE = re.compile(r"#\s*conda version:\s*(.+)")
_SPECS_RE = re.compile(r"#\s*(\w+)\s*specs:\s*(.+)?")
# conda/conda:conda/models/version.py version_relation_re
_VERSION_RELATION_RE = re.compile(r"^(=|==|!=|<=|>=|<|>|~=)(?![=<>!~])(\S+)$")
# ['a', "b"]: quoted strings without backslashes or newlines, comma-separated
_QUOTED = r"""(?:'[^'\\\n]*'|"[^"\\\n]*")"""
_SIMPLE_LIST_RE = re.compile(rf"\[\s*(?:{_QUOTED}\s*,\s*)*(?:{_QUOTED}\s*)?\]")
_QUOTED_RE = re.compile(r"'([^']*)'|\"([^\"]*)\"")

_UPDATE_ACTIONS = ("update", "install", "create")
_REMOVE_ACTIONS = ("remove", "uninstall")


def spec_name(spec: str) -> str:
    """The package name of a match spec string (``conda-forge::numpy>=1`` → ``numpy``).

    :func:`conda_guard.graph.dep_name`, which raises ``ValueError`` when no name
    can be read.
    """
    name = dep_name(spec)
    if not name:
        raise ValueError(f"no package name in spec {spec!r}")
    return name


def _parse_old_specs(text: str) -> list[str]:
    """conda < 4.5 ``# install specs: a,b >=1,<2`` (version fragments rejoined)."""
    specs: list[str] = []
    for part in text.split(","):
        if _VERSION_RELATION_RE.match(part) and specs:
            specs[-1] = f"{specs[-1]},{part}"
        else:
            specs.append(part)
    return specs


def _parse_specs(text: str, path: str, line: int) -> list[str]:
    text = text.strip()
    if _SIMPLE_LIST_RE.fullmatch(text):
        # what ast.literal_eval gives for a list of plain quoted strings, faster
        specs = [a or b for a, b in _QUOTED_RE.findall(text)]
    elif text.startswith("["):
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            raise InputError(path, "cannot parse the spec list", line) from None
        if not isinstance(value, (list, tuple)) or not all(
            isinstance(s, str) for s in value
        ):
            raise InputError(path, "the spec list is not a list of strings", line)
        specs = list(value)
    elif "[" not in text:
        specs = _parse_old_specs(text)
    else:
        # conda's parser leaves ``specs`` unbound here; we refuse the line
        raise InputError(path, "cannot parse the spec list", line)
    return [s.strip() for s in specs if s and s.strip() and not s.endswith("@")]


def parse_comment(cur: _Section, line: str, path: str, number: int) -> None:
    for head, slot in _COMMENT_HEADS:  # what conda writes, without a regex
        if line.startswith(head):
            value = line[len(head) :].strip()
            if value:
                setattr(cur, slot, value)
                return
    m = _CMD_RE.match(line)
    if m:
        cur.cmd = m.group(1).strip()
        return
    m = _CONDA_VERSION_RE.match(line)
    if m:
        cur.conda_version = m.group(1).strip()
        return
    m = _SPECS_RE.match(line)
    if m:
        action, specs_text = m.group(1), m.group(2) or ""
        specs = _SPEC_LISTS.get(specs_text)
        if specs is None:
            specs = _checked_specs(specs_text, path, number)
        if action in _UPDATE_ACTIONS:
            cur.update.extend(specs)
        elif action in _REMOVE_ACTIONS:
            cur.remove.extend(specs)
        elif action == "neutered":
            cur.neutered.extend(specs)


#: "# cmd: ..." and "# conda version: ..." as conda writes them → _Section slot
_COMMENT_HEADS = (("# cmd:", "cmd"), ("# conda version:", "conda_version"))
#: the text of a spec list read before → its specs (a history repeats its lists)
_SPEC_LISTS: dict[str, list[str]] = {}


def _checked_specs(text: str, path: str, number: int) -> list[str]:
    """The specs of a ``# ... specs:`` list, each with a package name."""
    specs = _parse_specs(text, path, number)
    for spec in specs:
        try:
            spec_name(spec)
        except ValueError as exc:
            raise InputError(path, str(exc), number) from None
    if len(_SPEC_LISTS) >= 4096:
        _SPEC_LISTS.clear()
    _SPEC_LISTS[text] = specs
    return specs
