"""The one YAML loader of the readers: every scalar a string, then a small coercion.

PyYAML's base loader (``yaml.CBaseLoader``, libyaml's C parser; the pure
Python ``yaml.BaseLoader`` where libyaml is missing) resolves no implicit
type, so ``1.10``, ``2024.1``, ``yes``, ``on``, ``010``, ``0x1f`` and ``1:30``
are all strings. :func:`coerce` then applies the YAML 1.2 core schema without
floats and dates to plain (unquoted, untagged) scalars only:
``null``/``~``/empty → ``None``, ``true``/``false`` → bool, decimal integers
→ int. Quoted scalars stay strings.

Values are built straight from the parser's events (no node graph, which
costs ~350 bytes a node), with bounds checked as the events arrive: at most
:data:`MAX_NODES` nodes, nested at most :data:`MAX_DEPTH` deep, and aliases
adding at most :data:`MAX_ALIAS_EXPANSION` nodes to the document.
Environment and lock files never need more; a 400-byte "alias bomb" (nine
levels of nine) would expand to 387 million nodes. An alias reuses the value
its anchor built. Duplicate mapping keys, non-scalar keys, recursive aliases
and several documents in one file are refused (PyYAML keeps the last key
silently).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conda_guard.exceptions import InputError

if TYPE_CHECKING:
    from collections.abc import Callable

#: the most nodes (scalars, sequences, mappings) one document may hold
MAX_NODES = 2_000_000
#: the most nodes aliases may add to a document (see the module docstring)
MAX_ALIAS_EXPANSION = 100_000
#: the deepest nesting of sequences and mappings (lock files need about 6)
MAX_DEPTH = 100

_CONSTANTS: dict[str, Any] = {
    "": None,
    "~": None,
    "null": None,
    "Null": None,
    "NULL": None,
    "true": True,
    "True": True,
    "TRUE": True,
    "false": False,
    "False": False,
    "FALSE": False,
}


def coerce(value: str) -> Any:
    """A plain scalar → None/bool/int where YAML 1.2's core schema says so."""
    if value in _CONSTANTS:
        return _CONSTANTS[value]
    digits = value[1:] if value[:1] in "+-" else value
    if digits.isdigit() and digits.isascii() and len(digits) <= 30:
        return int(value)
    return value


class _Frame:
    """An open sequence or mapping."""

    __slots__ = ("anchor", "key", "keyed", "start", "value")

    def __init__(self, value: Any, anchor: str | None, start: int) -> None:
        self.value = value
        self.anchor = anchor
        self.start = start  # the expanded node count when it opened
        self.key: Any = None
        self.keyed = False  # a mapping key is waiting for its value


class _Builder:
    """Python values from parser events, counting nodes as they come."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.nodes = 0  # distinct nodes
        self.expanded = 0  # nodes with every alias expanded
        self.root: Any = None
        self.documents = 0

    def fail(self, reason: str, event: Any) -> InputError:
        mark = getattr(event, "start_mark", None)
        return InputError(self.path, reason, mark.line + 1 if mark else None)

    def count(self, event: Any, size: int = 1, alias: bool = False) -> None:
        if not alias:
            self.nodes += 1
            if self.nodes > MAX_NODES:
                raise self.fail(
                    f"more than {MAX_NODES:,} YAML nodes; documents are limited "
                    f"to {MAX_NODES:,}",
                    event,
                )
        self.expanded += size
        if self.expanded - self.nodes > MAX_ALIAS_EXPANSION:
            raise self.fail(
                f"YAML aliases expand the document by more than "
                f"{MAX_ALIAS_EXPANSION:,} nodes (an alias bomb?)",
                event,
            )

    def add(self, value: Any, event: Any) -> None:
        if not self.stack:
            self.root = value
            return
        frame = self.stack[-1]
        if isinstance(frame.value, list):
            frame.value.append(value)
        elif not frame.keyed:
            if isinstance(value, (list, dict)):
                raise self.fail("a mapping key is not a scalar", event)
            if value in frame.value:
                raise self.fail(f"duplicate key {str(value)[:60]!r}", event)
            frame.key, frame.keyed = value, True
        else:
            frame.value[frame.key] = value
            frame.keyed = False

    def scalar(self, event: Any) -> None:
        self.count(event)
        plain = not event.style and event.implicit[0]
        value = coerce(event.value) if plain else event.value
        if event.anchor:
            self.anchors[event.anchor] = (value, 1)
        self.add(value, event)

    def alias(self, event: Any) -> None:
        found = self.anchors.get(event.anchor)
        if found is None:
            raise self.fail(
                f"alias *{str(event.anchor)[:40]} has no anchor before it "
                "(or refers to itself)",
                event,
            )
        self.count(event, found[1], alias=True)
        self.add(found[0], event)

    def start(self, event: Any, value: Any) -> None:
        self.count(event)
        if len(self.stack) >= MAX_DEPTH:
            raise self.fail(f"YAML nested more than {MAX_DEPTH} levels deep", event)
        self.stack.append(_Frame(value, event.anchor, self.expanded))

    def end(self, event: Any) -> None:
        frame = self.stack.pop()
        if frame.anchor:
            size = self.expanded - frame.start + 1
            self.anchors[frame.anchor] = (frame.value, size)
        self.add(frame.value, event)


def _parser() -> tuple[type, dict[type, str], type[BaseException]]:
    import yaml
    from yaml import events

    base = getattr(yaml, "CBaseLoader", None) or yaml.BaseLoader
    kinds = {
        events.ScalarEvent: "scalar",
        events.AliasEvent: "alias",
        events.SequenceStartEvent: "seq",
        events.MappingStartEvent: "map",
        events.SequenceEndEvent: "end",
        events.MappingEndEvent: "end",
        events.DocumentStartEvent: "doc",
        events.StreamEndEvent: "stop",
    }
    return base, kinds, yaml.YAMLError


_PARSER: tuple[type, dict[type, str], type[BaseException]] | None = None


def _build(path: str, text: str) -> Any:
    global _PARSER
    if _PARSER is None:
        _PARSER = _parser()
    base, kinds, _ = _PARSER
    builder = _Builder(path)
    loader = base(text)
    try:
        get_event: Callable[[], Any] = loader.get_event
        while True:
            event = get_event()
            kind = kinds.get(type(event))
            if kind == "scalar":
                builder.scalar(event)
            elif kind == "end":
                builder.end(event)
            elif kind == "seq":
                builder.start(event, [])
            elif kind == "map":
                builder.start(event, {})
            elif kind == "alias":
                builder.alias(event)
            elif kind == "doc":
                builder.documents += 1
                if builder.documents > 1:
                    raise builder.fail("more than one YAML document", event)
            elif kind == "stop":
                return builder.root
    finally:
        loader.dispose()


def load_yaml_text(text: str, path: str = "<yaml>") -> Any:
    """Parse YAML text (``path`` names it in errors); None for an empty document."""
    try:
        return _build(path, text)
    except RecursionError:
        raise InputError(path, "invalid YAML: nested too deeply") from None
    except InputError:
        raise
    except Exception as exc:
        assert _PARSER is not None
        if not isinstance(exc, _PARSER[2]):
            raise
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = " ".join(str(getattr(exc, "problem", None) or "").split())
        raise InputError(
            path, f"invalid YAML: {problem or 'cannot parse'}", line
        ) from None
