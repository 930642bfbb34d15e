"""conda's version ordering and version-spec language, in one place.

:class:`VersionOrder` orders version strings the way conda does
(``1.0dev1 < 1.0_ < 1.0a1 < 1.0rc1 < 1.0+local < 1.0 < 1.0.post1 < 1.0.1``);
:class:`VersionSpec` matches versions against conda's spec language
(``>=1.2,<2.0a0``, ``1.2.*``, ``=1.2``, ``1.2``, ``~=1.2.3``, ``|``, ``,``,
parentheses, ``*``). The rules follow conda's ``conda/models/version.py``; the
code is our own. Standard library only.

Why our own and not conda's file, vendored: the core never imports conda
(the standalone CLI runs where conda is not installed), and conda's module
imports ``conda.exceptions`` and carries conda's caching and logging; a
vendored copy would be a second, patched conda to keep in step by hand. What
keeps this one honest is conda itself: tests/test_version.py checks it
against answers of conda's own code stored in
``tests/data/conda_version_vectors.json`` (made by
``tests/data/make_conda_version_vectors.py``; 0 mismatches, also in 100,000
fuzzed pairs), and :mod:`conda_guard.matchspec` is checked the same way
against conda's ``MatchSpec`` (``conda_matchspec_vectors.json``).

Over 500 lines on purpose: the ordering, the spec grammar and the matchers
are one language and share its tokenizer; split, each part would import the
others' internals.
"""

from __future__ import annotations

import functools
import re
from itertools import zip_longest

__all__ = [
    "InvalidVersion",
    "InvalidVersionSpec",
    "VersionOrder",
    "VersionSpec",
    "parse_version",
    "parse_version_spec",
]


class InvalidVersion(ValueError):
    """A version string (or a version spec) conda would reject."""


class InvalidVersionSpec(InvalidVersion):
    """A version spec conda would reject (a subclass of :class:`InvalidVersion`)."""


# One element of a version component: an int, a lower-case string, the
# upper-case marker "DEV" (sorts below every other string) or +inf ("post").
_Element = int | float | str
_Component = tuple  # tuple[_Element, ...]

_VALID_RE = re.compile(r"^[*.+!_0-9a-z]+$")
_RUNS_RE = re.compile(r"[0-9]+|[*]+|[^0-9*]+")
_INTS_RE = re.compile(r"[0-9]+(?:\.[0-9]+)*")  # "1.26.4": the common case
_POST = float("inf")
_FILL = 0


def _split_component(text: str, whole: str) -> _Component:
    runs = _RUNS_RE.findall(text)
    if not runs:
        raise InvalidVersion(f"invalid version {whole!r}: empty version component")
    out: list[_Element] = []
    if not text[0].isdigit():
        # keep numbers and strings in phase: 1.1.a1 == 1.1.0a1
        out.append(_FILL)
    for run in runs:
        if run.isdigit():
            out.append(int(run))
        elif run == "post":
            out.append(_POST)
        elif run == "dev":
            out.append("DEV")  # upper case sorts below '_' and all letters
        else:
            out.append(run)
    return tuple(out)


def _strip(components: tuple[_Component, ...]) -> tuple[_Component, ...]:
    """Drop trailing fill values so that equal versions get equal keys."""
    out = []
    for comp in components:
        end = len(comp)
        while end and comp[end - 1] == _FILL:
            end -= 1
        out.append(comp[:end])
    while out and not out[-1]:
        out.pop()
    return tuple(out)


def _cmp_elements(a: _Element, b: _Element) -> int:
    if a == b:
        return 0
    a_str = isinstance(a, str)
    b_str = isinstance(b, str)
    if a_str and not b_str:
        return -1  # strings sort below numbers
    if b_str and not a_str:
        return 1
    return -1 if a < b else 1  # type: ignore[operator]


def _cmp_parts(left: tuple[_Component, ...], right: tuple[_Component, ...]) -> int:
    for c1, c2 in zip_longest(left, right, fillvalue=()):
        for e1, e2 in zip_longest(c1, c2, fillvalue=_FILL):
            result = _cmp_elements(e1, e2)
            if result:
                return result
    return 0


def _parts_equal(left: tuple[_Component, ...], right: tuple[_Component, ...]) -> bool:
    return _cmp_parts(left, right) == 0


def _flat(key: tuple[_Component, ...]) -> tuple[int, ...] | None:
    """The plain ints of a key whose every component is one non-negative int
    (components stripped to () are 0), for a fast comparison; else None."""
    if all(not c or (len(c) == 1 and type(c[0]) is int) for c in key):
        return tuple(c[0] if c else 0 for c in key)
    return None


class VersionOrder:
    """A parsed conda version: a total order, hashable, case-insensitive.

    ``str()`` gives the normalized text (lower case, ``-`` turned into ``_``
    when the text has no ``_``). Raises :class:`InvalidVersion` on bad input.
    """

    __slots__ = ("_flat", "_key", "local", "norm", "original", "version")

    def __init__(self, text: str) -> None:
        if isinstance(text, VersionOrder):
            text = text.original
        if not isinstance(text, str):
            raise InvalidVersion(f"invalid version {text!r}: not a string")
        self.original = text
        version = text.strip().lower()
        if not version:
            raise InvalidVersion(f"invalid version {text!r}: empty version string")
        if not _VALID_RE.match(version):
            if "-" in version and "_" not in version:
                version = version.replace("-", "_")
            if not _VALID_RE.match(version):
                raise InvalidVersion(f"invalid version {text!r}: invalid character(s)")
        self.norm = version
        if _INTS_RE.fullmatch(version):
            self._init_ints(version)
            return

        epoch_text, bang, rest = version.rpartition("!")
        if bang:
            if "!" in epoch_text:
                raise InvalidVersion(
                    f"invalid version {text!r}: duplicated epoch separator '!'"
                )
            if not epoch_text.isdigit():
                raise InvalidVersion(f"invalid version {text!r}: epoch must be an int")
            epoch = int(epoch_text)
        else:
            epoch = 0

        main, plus, local = rest.partition("+")
        if plus and "+" in local:
            raise InvalidVersion(
                f"invalid version {text!r}: duplicated local version separator '+'"
            )
        if not main:
            raise InvalidVersion(f"invalid version {text!r}: missing main version")
        if main.endswith("_"):
            # openssl trick: a trailing '_' stays on the last component
            pieces = main[:-1].replace("_", ".").split(".")
            pieces[-1] += "_"
        else:
            pieces = main.replace("_", ".").split(".")
        self.version: tuple[_Component, ...] = ((epoch,),) + tuple(
            _split_component(p, text) for p in pieces
        )
        self.local: tuple[_Component, ...] = (
            tuple(_split_component(p, text) for p in local.replace("_", ".").split("."))
            if plus
            else ()
        )
        self._key = (_strip(self.version), _strip(self.local))
        self._flat = None if self.local else _flat(self._key[0])

    def _init_ints(self, version: str) -> None:
        """Fields of a version of dot-separated numbers only: what the general
        path gives for it, without its regexes (no epoch, no local part)."""
        ints = [int(p) for p in version.split(".")]
        self.version = ((0,), *((i,) for i in ints))
        self.local = ()
        while ints and not ints[-1]:
            ints.pop()  # trailing zero components are stripped from the key
        if ints:  # the epoch (0) is stripped to () too
            self._key = ((), *((i,) if i else () for i in ints)), ()
            self._flat = (0, *ints)
        else:  # all zeros: "0", "0.0"
            self._key, self._flat = ((), ()), ()

    # -- order -------------------------------------------------------------
    def _cmp(self, other: VersionOrder) -> int:
        if self._flat is not None and other._flat is not None:
            a, b = self._flat, other._flat
            return 0 if a == b else (-1 if a < b else 1)
        if self._key == other._key:
            return 0
        return _cmp_parts(self.version, other.version) or _cmp_parts(
            self.local, other.local
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VersionOrder):
            return NotImplemented
        return self._key == other._key

    def __ne__(self, other: object) -> bool:
        if not isinstance(other, VersionOrder):
            return NotImplemented
        return self._key != other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __lt__(self, other: VersionOrder) -> bool:
        if not isinstance(other, VersionOrder):
            return NotImplemented
        return self._cmp(other) < 0

    def __le__(self, other: VersionOrder) -> bool:
        if not isinstance(other, VersionOrder):
            return NotImplemented
        return self._cmp(other) <= 0

    def __gt__(self, other: VersionOrder) -> bool:
        if not isinstance(other, VersionOrder):
            return NotImplemented
        return self._cmp(other) > 0

    def __ge__(self, other: VersionOrder) -> bool:
        if not isinstance(other, VersionOrder):
            return NotImplemented
        return self._cmp(other) >= 0

    def startswith(self, prefix: VersionOrder) -> bool:
        """conda's prefix test (``1.2.*``, ``=1.2``): ``1.2.5`` yes, ``1.20`` no.

        Components must match up to the prefix's last one; in that last one
        the numbers must be equal and a trailing string may be a text prefix
        (``=1.0a`` matches ``1.0alpha``).
        """
        if prefix.local:
            if not _parts_equal(self.version, prefix.version):
                return False
            mine, theirs = self.local, prefix.local
        else:
            mine, theirs = self.version, prefix.version
        last = len(theirs) - 1
        if not _parts_equal(mine[:last], theirs[:last]):
            return False
        head: _Component = mine[last] if len(mine) > last else ()
        tail = theirs[last]
        n = len(tail) - 1
        if not _parts_equal((head[:n],), (tail[:n],)):
            return False
        e1 = head[n] if len(head) > n else _FILL
        e2 = tail[n]
        if isinstance(e2, str):
            return isinstance(e1, str) and e1.startswith(e2)
        return e1 == e2 and not isinstance(e1, str)

    # -- text --------------------------------------------------------------
    def __str__(self) -> str:
        return self.norm

    def __repr__(self) -> str:
        return f"VersionOrder({self.norm!r})"

    @property
    def epoch(self) -> int:
        """The ``N!`` epoch (0 when absent)."""
        return int(self.version[0][0])

    @property
    def release(self) -> tuple[_Component, ...]:
        """The parsed components after the epoch (without the local part)."""
        return self.version[1:]


@functools.lru_cache(maxsize=1 << 16)
def parse_version(text: str) -> VersionOrder:
    """Cached :class:`VersionOrder` constructor (raises :class:`InvalidVersion`)."""
    return VersionOrder(text)


# ---------------------------------------------------------------------------
# Version specs
# ---------------------------------------------------------------------------

_RELATION_RE = re.compile(r"^(==|!=|<=|>=|~=|<|>|=)(?![=<>!~])(\S+)$")
_TOKEN_RE = re.compile(r"\^[^$]*\$|[()|,]|[^()|,]+")
_GROUPING_RE = re.compile(r"[()|,]")
_OR_PAREN_REGEX_RE = re.compile(r"[()|^$]")


class _Node:
    __slots__ = ()
    text: str

    def match(self, version: VersionOrder, raw: str) -> bool:
        raise NotImplementedError

    def upper(self) -> bool:
        raise NotImplementedError


class _Any(_Node):
    __slots__ = ("text",)

    def __init__(self) -> None:
        self.text = "*"

    def match(self, version: VersionOrder, raw: str) -> bool:
        return True

    def upper(self) -> bool:
        return False


class _Relation(_Node):
    __slots__ = ("op", "target", "text")

    def __init__(self, op: str, target: VersionOrder, text: str) -> None:
        self.op = op
        self.target = target
        self.text = text

    def match(self, version: VersionOrder, raw: str) -> bool:
        op, target = self.op, self.target
        if op == "==":
            return version == target
        if op == ">=":
            return version >= target
        if op == "<":
            return version < target
        if op == "<=":
            return version <= target
        if op == ">":
            return version > target
        if op == "!=":
            return version != target
        if op == "=":
            return version.startswith(target)
        if op == "!=startswith":
            return not version.startswith(target)
        # "~=": at least the target, within its release prefix
        return version >= target and version.startswith(_compatible_prefix(target))

    def upper(self) -> bool:
        return self.op in ("==", "<", "<=", "=", "~=")


def _compatible_prefix(target: VersionOrder) -> VersionOrder:
    return parse_version(".".join(str(target).split(".")[:-1]))


class _Regex(_Node):
    __slots__ = ("bounded", "regex", "text")

    def __init__(self, pattern: str, text: str, bounded: bool) -> None:
        self.regex = re.compile(pattern)
        self.text = text
        self.bounded = bounded

    def match(self, version: VersionOrder, raw: str) -> bool:
        return self.regex.match(raw) is not None

    def upper(self) -> bool:
        return self.bounded


class _Exact(_Node):
    """A spec conda compares as plain text (it contains ``@``)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def match(self, version: VersionOrder, raw: str) -> bool:
        return raw == self.text

    def upper(self) -> bool:
        return True


class _Group(_Node):
    __slots__ = ("children", "op", "text")

    def __init__(self, op: str, children: tuple[_Node, ...], text: str) -> None:
        self.op = op
        self.children = children
        self.text = text

    def match(self, version: VersionOrder, raw: str) -> bool:
        if self.op == "|":
            return any(c.match(version, raw) for c in self.children)
        return all(c.match(version, raw) for c in self.children)

    def upper(self) -> bool:
        if self.op == "|":
            return all(c.upper() for c in self.children)
        return any(c.upper() for c in self.children)


def _leaf(text: str, whole: str) -> _Node:
    if text.startswith("^") or text.endswith("$"):
        if not (text.startswith("^") and text.endswith("$")):
            raise InvalidVersionSpec(
                f"invalid version spec {whole!r}: "
                "regex specs must start with '^' and end with '$'"
            )
        try:
            return _Regex(text, text, bounded=False)
        except re.error as exc:
            raise InvalidVersionSpec(
                f"invalid version spec {whole!r}: bad regex ({exc})"
            ) from None
    if text[0] in "=<>!~":
        m = _RELATION_RE.match(text)
        if m is None:
            raise InvalidVersionSpec(f"invalid version spec {whole!r}: bad operator")
        op, target = m.groups()
        if target.endswith(".*"):
            if op == "~=":
                raise InvalidVersionSpec(
                    f"invalid version spec {whole!r}: '~=' cannot end in '.*'"
                )
            if op == "!=":
                op = "!=startswith"
            # conda ignores '.*' after the other operators ('>=1.2.*' is '>=1.2')
            target = target[:-2]
        # like conda, '=1.2*' keeps its '*' as a literal string element (it
        # matches almost nothing); MatchSpec turns 'name=1.2*' into '1.2.*' first
        vo = _version_in_spec(target, whole)
        if op == "~=" and "." not in str(vo).split("!")[-1]:
            raise InvalidVersionSpec(
                f"invalid version spec {whole!r}: '~=' needs at least two components"
            )
        return _Relation(op, vo, text)
    if text == "*" or set(text) == {"*"}:
        return _Any()
    if "*" in text.rstrip("*"):
        rx = text.replace(".", r"\.").replace("+", r"\+").replace("*", ".*")
        bounded = not text.startswith("*")
        try:
            return _Regex(rf"^(?:{rx})$", text, bounded=bounded)
        except re.error as exc:
            raise InvalidVersionSpec(
                f"invalid version spec {whole!r}: bad pattern ({exc})"
            ) from None
    if text.endswith("*"):
        stem = text.rstrip("*").rstrip(".")
        normalized = stem + ".*"
        return _Relation("=", _version_in_spec(stem, whole), normalized)
    if "@" in text:
        return _Exact(text)
    return _Relation("==", _version_in_spec(text, whole), text)


def _version_in_spec(text: str, whole: str) -> VersionOrder:
    try:
        return parse_version(text)
    except InvalidVersion as exc:
        raise InvalidVersionSpec(f"invalid version spec {whole!r}: {exc}") from None


def _tree(text: str) -> _Node:
    """Shunting-yard over ``,`` (and) and ``|`` (or); ``,`` binds tighter."""
    tokens = [t.strip() for t in _TOKEN_RE.findall(f"({text})")]
    output: list[_Node] = []
    stack: list[str] = []

    def reduce(stop: str) -> None:
        while stack and stack[-1] not in stop:
            op = stack.pop()
            if len(output) < 2:
                raise InvalidVersionSpec(
                    f"invalid version spec {text!r}: '{op}' needs two operands"
                )
            right = output.pop()
            left = output.pop()
            children: list[_Node] = []
            for node in (left, right):
                if isinstance(node, _Group) and node.op == op:
                    children.extend(node.children)
                else:
                    children.append(node)
            output.append(_Group(op, tuple(children), ""))

    for tok in tokens:
        if not tok:
            continue
        if tok == "|":
            reduce("(")
            stack.append("|")
        elif tok == ",":
            reduce("|(")
            stack.append(",")
        elif tok == "(":
            stack.append("(")
        elif tok == ")":
            reduce("(")
            if not stack:
                raise InvalidVersionSpec(
                    f"invalid version spec {text!r}: unbalanced parentheses"
                )
            stack.pop()
        else:
            output.append(_leaf(tok, text))
    if stack or len(output) != 1:
        raise InvalidVersionSpec(f"invalid version spec {text!r}: cannot parse")
    root = output[0]
    _fill_text(root)
    return root


def _fill_text(node: _Node, depth: int = 0, in_and: bool = False) -> str:
    """Set each group's normalized text (conda's ``untreeify``) and return it."""
    if not isinstance(node, _Group):
        return node.text
    if node.op == "|":
        inner = "|".join(_fill_text(c, depth + 1) for c in node.children)
        node.text = inner
        return f"({inner})" if (in_and or depth > 0) else inner
    inner = ",".join(_fill_text(c, depth + 1, in_and=True) for c in node.children)
    node.text = inner
    return f"({inner})" if depth > 0 else inner


@functools.lru_cache(maxsize=1 << 14)
def _parse_spec(text: str) -> tuple[_Node, str]:
    compact = "".join(text.split())
    if not compact:
        raise InvalidVersionSpec("invalid version spec '': empty")
    if not _GROUPING_RE.search(compact):
        node = _leaf(compact, text)
        return node, node.text
    if not _OR_PAREN_REGEX_RE.search(compact):
        # only ',' (">=1.2,<2.0a0"): one AND group of leaves, what _tree gives
        pieces = compact.split(",")
        if all(pieces):
            leaves = tuple(_leaf(p, compact) for p in pieces)
            joined = ",".join(leaf.text for leaf in leaves)
            return _Group(",", leaves, joined), joined
    node = _tree(compact)
    return node, _fill_text(node)


class VersionSpec:
    """conda's version spec: ``.match(version)``, ``.has_upper_bound()``.

    Whitespace is ignored (``>= 1.2, <2`` is ``>=1.2,<2``); ``str()`` gives
    the normalized spec. Raises :class:`InvalidVersionSpec` (an
    :class:`InvalidVersion`, a ``ValueError``) on bad input.
    """

    __slots__ = ("_node", "_text")

    def __init__(self, text: str | VersionSpec) -> None:
        if isinstance(text, VersionSpec):
            self._node, self._text = text._node, text._text
            return
        if not isinstance(text, str):
            raise InvalidVersionSpec(f"invalid version spec {text!r}: not a string")
        self._node, self._text = _parse_spec(text)

    def match(self, version: str | VersionOrder) -> bool:
        """True when ``version`` satisfies the spec (InvalidVersion if unparsable)."""
        if isinstance(version, VersionOrder):
            vo, raw = version, version.original
        else:
            if isinstance(self._node, _Any):
                return True
            vo, raw = parse_version(version), version
        return self._node.match(vo, raw)

    __contains__ = match

    def has_upper_bound(self) -> bool:
        """True when the spec caps the version from above.

        ``*``, ``>=1.2``, ``>1``, ``!=1.2`` and regexes: False; ``<2``,
        ``<=2``, ``1.2.*``, ``=1.2``, ``==1.2``, ``1.2``, ``~=1.2``: True. An
        ``,`` group is bounded when any part is, an ``|`` group when all are.
        """
        return self._node.upper()

    @property
    def is_exact(self) -> bool:
        """True for a single exact version (``1.2``, ``==1.2``)."""
        node = self._node
        return (
            isinstance(node, _Relation) and node.op == "==" or isinstance(node, _Exact)
        )

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"VersionSpec({self._text!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, VersionSpec):
            return self._text == other._text
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._text)


def parse_version_spec(text: str) -> VersionSpec:
    """Build a :class:`VersionSpec` (parsing is cached)."""
    return VersionSpec(text)
