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

#: the most nodes (scalars, sequences, mappings) one document may hold: about
#: 4.5 MB of lock file, ten times pixi's own multi-environment pixi.lock (the
#: pangeo conda-lock.yml has 22,554 in 325 kB), and under a second of parsing
MAX_NODES = 300_000
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


def _fail(path: str, reason: str, event: Any) -> InputError:
    mark = getattr(event, "start_mark", None)
    return InputError(path, reason, mark.line + 1 if mark else None)


def _too_many(path: str, event: Any) -> InputError:
    return _fail(
        path,
        f"more than {MAX_NODES:,} YAML nodes; documents are limited to {MAX_NODES:,}",
        event,
    )


def _bomb(path: str, event: Any) -> InputError:
    return _fail(
        path,
        f"YAML aliases expand the document by more than {MAX_ALIAS_EXPANSION:,} "
        "nodes (an alias bomb?)",
        event,
    )


def _parser() -> tuple[type, tuple[type, ...], type[BaseException]]:
    import yaml
    from yaml import events

    base = getattr(yaml, "CBaseLoader", None) or yaml.BaseLoader
    kinds = (
        events.ScalarEvent,
        events.SequenceStartEvent,
        events.MappingStartEvent,
        events.SequenceEndEvent,
        events.MappingEndEvent,
        events.AliasEvent,
        events.DocumentStartEvent,
        events.StreamEndEvent,
    )
    return base, kinds, yaml.YAMLError


_PARSER: tuple[type, tuple[type, ...], type[BaseException]] | None = None


def _build(path: str, text: str) -> Any:
    """The value of the one document in ``text`` (see :func:`_walk`)."""
    global _PARSER
    if _PARSER is None:
        _PARSER = _parser()
    base, kinds, _ = _PARSER
    loader = base(text)
    try:
        return _walk(path, loader.get_event, kinds)
    finally:
        loader.dispose()


def _walk(path: str, get_event: Callable[[], Any], kinds: tuple[type, ...]) -> Any:
    """Values from the parser's events; the hot path (a scalar) stays inline.

    Each call saved per scalar is measurable on a large lock file, so only
    the rarer events (a collection opens, an alias) call a helper. ``stack``
    holds ``[container, anchor, size at start, key, key waiting]`` per open
    collection; ``anchors`` maps an anchor to ``(value, expanded size)``;
    ``aliased`` counts the nodes aliases added.
    """
    scalar_event, seq_start, map_start, seq_end, map_end, alias_event, doc, stop = kinds
    stack: list[list[Any]] = []
    anchors: dict[str, tuple[Any, int]] = {}
    nodes = aliased = documents = 0
    root: Any = None
    while True:
        event = get_event()
        kind = type(event)
        if kind is scalar_event:
            value = event.value
            if not event.style and event.implicit[0]:
                value = coerce(value)
            if event.anchor:
                anchors[event.anchor] = (value, 1)
            nodes += 1
            if nodes > MAX_NODES:
                raise _too_many(path, event)
        elif kind is seq_start or kind is map_start:
            nodes += 1
            _open(path, stack, event, [] if kind is seq_start else {}, nodes, aliased)
            continue
        elif kind is seq_end or kind is map_end:
            value, anchor, start, _, _ = stack.pop()
            if anchor:
                anchors[anchor] = (value, nodes + aliased - start + 1)
        elif kind is alias_event:
            value, size = _alias(path, anchors, event)
            aliased += size
            if aliased > MAX_ALIAS_EXPANSION:
                raise _bomb(path, event)
        elif kind is doc:
            documents += 1
            if documents > 1:
                raise _fail(path, "more than one YAML document", event)
            continue
        elif kind is stop:
            return root
        else:
            continue
        if not stack:
            root = value
            continue
        frame = stack[-1]
        container = frame[0]
        if container.__class__ is list:
            container.append(value)
        elif frame[4]:
            container[frame[3]] = value
            frame[4] = False
        else:
            _key(path, frame, value, event)


def _open(
    path: str,
    stack: list[list[Any]],
    event: Any,
    container: list[Any] | dict[Any, Any],
    nodes: int,
    aliased: int,
) -> None:
    """A sequence or mapping opens (it is node number ``nodes``)."""
    if len(stack) >= MAX_DEPTH:
        raise _fail(path, f"YAML nested more than {MAX_DEPTH} levels deep", event)
    if nodes > MAX_NODES:
        raise _too_many(path, event)
    stack.append([container, event.anchor, nodes + aliased, None, False])


def _alias(
    path: str, anchors: dict[str, tuple[Any, int]], event: Any
) -> tuple[Any, int]:
    """``(value, expanded size)`` an alias refers to."""
    found = anchors.get(event.anchor)
    if found is None:
        raise _fail(
            path,
            f"alias *{str(event.anchor)[:40]} has no anchor before it "
            "(or refers to itself)",
            event,
        )
    return found


def _key(path: str, frame: list[Any], value: Any, event: Any) -> None:
    """``value`` is the next key of the mapping ``frame`` builds."""
    if isinstance(value, (list, dict)):
        raise _fail(path, "a mapping key is not a scalar", event)
    if value in frame[0]:
        raise _fail(path, f"duplicate key {str(value)[:60]!r}", event)
    frame[3] = value
    frame[4] = True


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
