"""conda's MatchSpec: parse a package spec string and test records against it.

Accepts the shapes found in repodata ``depends``/``constrains``, history files,
environment files and lock files: ``numpy``, ``numpy >=1.19,<3``,
``blas 2.301   mkl``, ``liblapacke =3.9.0=31*_openblas``, ``python=3.11``,
``libblas ==3.9.0 17_linux64_openblas``, ``pytorch=*=*cuda*``,
``conda-forge::numpy``, ``conda-forge/linux-64::numpy=1.26``,
``pandas[version='>=0.25.2,<3']``, ``python_abi[build=*_cp313t]`` and package
URLs / file names (``.../linux-64/numpy-1.26.4-py311h64a7726_0.conda``). The
parsing rules follow conda's ``conda/models/match_spec.py``; the code is our
own. Imports only the standard library and ``conda_guard.models``/``version``.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from .channel_names import active as active_channels
from .models import channel_name
from .version import InvalidVersion, VersionSpec

if TYPE_CHECKING:
    from .models import Record

__all__ = ["MatchSpec", "parse_match_spec"]

_SUBDIR_RE = re.compile(r"^(noarch|(?:linux|osx|win|emscripten|wasi|zos)-[a-z0-9_]+)$")
_NAME_RE = re.compile(r"^[a-z0-9_.*+-]+$")
_OPERATOR_CHARS = "=!|,<>~"
_BUILD_FORBIDDEN = frozenset("-=,|<>~")
_PACKAGE_EXTENSIONS = (".conda", ".tar.bz2")
_SIMPLE_PART = r"(?:>=|<=|<|>|!=)?[0-9][0-9a-z._+!*]*"
#: the usual dependency: a lower-case name, one space, ","-joined version parts
_SIMPLE_RE = re.compile(rf"([a-z0-9_.+-]+)(?: ({_SIMPLE_PART}(?:,{_SIMPLE_PART})*))?")
_set = object.__setattr__
#: each field's value before parsing sets it
_DEFAULTS = (
    ("_frozen", False),
    ("version", None),
    ("build", None),
    ("build_number", None),
    ("channel", None),
    ("subdir", None),
    ("fn", None),
    ("md5", None),
    ("sha256", None),
    ("url", None),
    ("extra", ()),
)
_KNOWN_KEYS = frozenset(
    {"version", "build", "build_number", "channel", "subdir", "fn", "md5", "sha256"}
)


def _bad(text: str, reason: str) -> ValueError:
    return ValueError(f"invalid match spec {text!r}: {reason}")


def _split_channel(value: str | None) -> tuple[str | None, str | None]:
    """``conda-forge/linux-64`` → (``conda-forge``, ``linux-64``)."""
    if not value:
        return None, None
    value = value.strip().rstrip("/")
    head, _, last = value.rpartition("/")
    subdir = last if head and _SUBDIR_RE.match(last) else None
    return channel_name(value) or None, subdir


def _parse_brackets(body: str, text: str) -> dict[str, str]:
    """``version='>=1,<2', build=py*`` → dict; quotes may hold ``,`` and spaces."""
    out: dict[str, str] = {}
    i, n = 0, len(body)
    while i < n:
        while i < n and body[i] in " ,":
            i += 1
        if i >= n:
            break
        m = re.compile(r"([A-Za-z0-9_-]+)\s*=\s*").match(body, i)
        if m is None:
            raise _bad(text, f"cannot read brackets [{body}]")
        key = m.group(1)
        i = m.end()
        if i < n and body[i] in "\"'":
            quote = body[i]
            end = body.find(quote, i + 1)
            if end < 0:
                raise _bad(text, f"unclosed quote in brackets [{body}]")
            value = body[i + 1 : end]
            i = end + 1
        else:
            end = i
            while end < n and body[end] not in " ,":
                end += 1
            value = body[i:end]
            i = end
            if "[" in value or "]" in value:
                raise _bad(text, "more than one bracket section")
        if not value:
            raise _bad(text, f"empty value for {key!r} in brackets")
        out[key] = value
    return out


def _take_brackets(text: str, original: str) -> tuple[str, dict[str, str]]:
    """Remove the ``[key=value, ...]`` section (and a legacy ``(optional)``)."""
    brackets: dict[str, str] = {}
    open_at = text.find("[")
    if open_at >= 0:
        close_at = text.rfind("]")
        if close_at < open_at:
            raise _bad(original, "unbalanced '['")
        brackets = _parse_brackets(text[open_at + 1 : close_at], original)
        text = (text[:open_at] + text[close_at + 1 :]).strip()
    # legacy "(optional)" / "(target=...)" sections are read and dropped
    m = (
        re.search(r"\(\s*(?:optional|[A-Za-z_][\w-]*\s*=)[^()]*\)\s*$", text)
        if "(" in text
        else None
    )
    if m:
        text = text[: m.start()].strip()
    return text, brackets


def _split_version_build(rest: str) -> tuple[str, str | None]:
    """conda's ``_parse_version_plus_build``: split ``>=1.0 , <2 py34_0``.

    The build is the text after the first space or ``=`` that does not follow
    an operator character and whose remainder holds no ``-=,|<>~``.
    """
    for i in range(1, len(rest)):
        if rest[i] in " =" and rest[i - 1] not in _OPERATOR_CHARS:
            tail = rest[i + 1 :]
            if tail.strip() and not (_BUILD_FORBIDDEN & set(tail)):
                return rest[:i].replace(" ", ""), tail.strip()
    return rest.replace(" ", ""), None


def _sanitize_version(version: str, build: str | None) -> str:
    """conda's rule: ``==1.2`` → ``1.2``; ``=1.2`` → ``1.2*`` unless a build follows."""
    if version in ("=", "==") or not version.startswith("="):
        return version
    bare = version.lstrip("=")
    if version.startswith("==") and build is None:
        return bare
    if not any(c in bare for c in "=,|"):
        if build is None and not bare.endswith("*"):
            return bare + "*"
        return bare
    return version


def _glob(pattern: str) -> re.Pattern[str] | None:
    """conda's GlobStrMatch: ``^...$`` is a regex, ``*`` a wildcard, else exact."""
    if pattern.startswith("^") and pattern.endswith("$"):
        return re.compile(pattern)
    if "*" in pattern:
        return re.compile("^(?:" + re.escape(pattern).replace(r"\*", ".*") + ")$")
    return None


def _build_number_ok(spec: str, value: int) -> bool:
    spec = spec.strip()
    if spec == "*":
        return True
    if spec.isdigit():
        return value == int(spec)
    m = re.match(r"^(==|!=|<=|>=|<|>|=)\s*(\d+)$", spec)
    if m is None:
        raise ValueError(f"invalid build_number spec {spec!r}")
    op, num = m.group(1), int(m.group(2))
    return {
        "==": value == num,
        "=": value == num,
        "!=": value != num,
        "<=": value <= num,
        ">=": value >= num,
        "<": value < num,
        ">": value > num,
    }[op]


class MatchSpec:
    """A parsed conda package spec; ``MatchSpec(text)`` or ``MatchSpec.parse(text)``.

    Fields: ``name`` (lower case, may be a ``*`` glob), ``version``
    (:class:`VersionSpec` or None), ``build`` (glob or None), ``build_number``
    (``"3"``, ``">=2"`` or None), ``channel`` (short name, see
    :func:`conda_guard.models.channel_name`), ``subdir``, ``fn``, ``md5``,
    ``sha256``, ``extra`` (other bracket keys, kept but not matched) and
    ``original``. Invalid text raises ``ValueError``.
    """

    __slots__ = (
        "_build_re",
        "_frozen",
        "_name_re",
        "build",
        "build_number",
        "channel",
        "extra",
        "fn",
        "md5",
        "name",
        "original",
        "sha256",
        "subdir",
        "url",
        "version",
    )

    def __init__(self, text: str) -> None:
        if isinstance(text, MatchSpec):
            for slot in MatchSpec.__slots__:
                object.__setattr__(self, slot, getattr(text, slot))
            return
        if not isinstance(text, str):
            raise ValueError(f"invalid match spec {text!r}: not a string")
        # while parsing, fields are set with _set (object.__setattr__): our
        # __setattr__, which refuses changes later, is a Python call per field
        for slot, default in _DEFAULTS:
            _set(self, slot, default)
        _set(self, "original", text)
        self._parse(text)
        _set(self, "_name_re", _glob(self.name) if "*" in self.name else None)
        _set(self, "_build_re", _glob(self.build) if self.build else None)
        _set(self, "_frozen", True)

    def __setattr__(self, key: str, value: object) -> None:
        if getattr(self, "_frozen", False):
            raise AttributeError(f"MatchSpec is immutable (cannot set {key!r})")
        object.__setattr__(self, key, value)

    @classmethod
    def parse(cls, text: str) -> MatchSpec:
        """Parse ``text`` (cached); raises ``ValueError`` on invalid text."""
        return _parse_cached(text)

    # -- parsing -----------------------------------------------------------
    def _parse(self, original: str) -> None:
        text = original.strip()
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
            text = text[1:-1].strip()
        text = text.split("#", 1)[0].split(" if ", 1)[0].strip()
        if not text:
            raise _bad(original, "empty")
        if text.endswith(_PACKAGE_EXTENSIONS):
            self._parse_package_path(text, original)
            return
        simple = _SIMPLE_RE.fullmatch(text)
        if simple is not None:
            # "numpy", "numpy >=1.21,<2.0a0": no channel, brackets or build, a
            # version not starting with "=" (nothing to sanitize)
            _set(self, "name", simple[1])
            self._set_version(simple[2], original)
            return
        text, brackets = _take_brackets(text, original)
        parts = text.rsplit(":", 2)
        channel, subdir = _split_channel(parts[0] if len(parts) == 3 else None)
        _set(self, "channel", channel)
        _set(self, "subdir", subdir)
        version_text = self._parse_name_version_build(parts[-1].strip(), original)
        version_text = self._apply_brackets(brackets, version_text)
        self._set_version(version_text, original)

    def _parse_name_version_build(self, text: str, original: str) -> str | None:
        """``numpy >=1.2 py*``: sets the name and build; returns the version text."""
        m = re.match(r"([^ =<>!~]+)?(.*)$", text)
        name = m.group(1) if m else None
        rest = (m.group(2) if m else "").strip()
        if not name:
            raise _bad(original, "no package name")
        name = name.lower()
        if not _NAME_RE.match(name):
            raise _bad(original, f"invalid package name {name!r}")
        _set(self, "name", name)
        if not rest:
            return None
        if "[" in rest or "]" in rest:
            raise _bad(original, "more than one bracket section")
        version_text, build = _split_version_build(rest)
        _set(self, "build", build)
        return _sanitize_version(version_text, self.build)

    def _apply_brackets(
        self, brackets: dict[str, str], version_text: str | None
    ) -> str | None:
        """Fields given in brackets win; returns the version text."""
        extra: list[tuple[str, str]] = []
        for key, value in brackets.items():
            if key == "version":
                version_text = _sanitize_version(
                    value.replace(" ", ""), brackets.get("build")
                )
            elif key == "build":
                _set(self, "build", value)
            elif key == "build_number":
                _set(self, "build_number", value.strip())
            elif key == "channel":
                chan, sub = _split_channel(value)
                _set(self, "channel", chan or self.channel)
                _set(self, "subdir", sub or self.subdir)
            elif key == "subdir":
                _set(self, "subdir", value)
            elif key in ("fn", "md5", "sha256", "url"):
                _set(self, key, value)
            elif key != "name":  # conda keeps the name outside the brackets
                extra.append((key, value))
        _set(self, "extra", tuple(extra))
        return version_text

    def _set_version(self, version_text: str | None, original: str) -> None:
        """Parse the version part; a ``*`` version or build means no constraint."""
        if version_text == "=":  # "numpy=": no constraint
            version_text = None
        if version_text is not None:
            try:
                spec = VersionSpec(version_text)
            except InvalidVersion as exc:
                raise _bad(original, str(exc)) from None
            _set(self, "version", None if str(spec) == "*" else spec)
        if self.build == "*":
            _set(self, "build", None)
        if self.build_number is not None:
            try:
                _build_number_ok(self.build_number, 0)
            except ValueError as exc:
                raise _bad(original, str(exc)) from None

    def _parse_package_path(self, text: str, original: str) -> None:
        """A package URL or file name, ``<channel>/<subdir>/<n>-<v>-<b>.conda``."""
        _set(self, "url", text if "://" in text else None)
        directory, _, fn = text.rpartition("/")
        stem = fn[: -len(".conda")] if fn.endswith(".conda") else fn[: -len(".tar.bz2")]
        pieces = stem.rsplit("-", 2)
        if len(pieces) != 3 or not all(pieces):
            raise _bad(original, "package file name is not name-version-build")
        name, version, build = pieces
        _set(self, "name", name.lower())
        _set(self, "fn", fn)
        _set(self, "build", build)
        try:
            _set(self, "version", VersionSpec(version))
        except InvalidVersion as exc:
            raise _bad(original, str(exc)) from None
        if directory:
            channel, subdir = _split_channel(directory)
            _set(self, "channel", channel)
            _set(self, "subdir", subdir)

    # -- matching ----------------------------------------------------------
    def match_version(self, version: str) -> bool:
        """True when ``version`` satisfies the version part (no part: True)."""
        if self.version is None:
            return True
        try:
            return self.version.match(version)
        except InvalidVersion:
            return False

    def match(self, record: Record) -> bool:
        """True when ``record`` satisfies every part of the spec.

        Name (glob), version, build (glob or ``^regex$``), build_number,
        channel (compared as :func:`~conda_guard.models.channel_name`), subdir,
        fn, md5 and sha256. A record whose channel or subdir is unknown (empty)
        is not rejected for it; a missing hash is a mismatch.
        """
        if self._name_re is not None:
            if not self._name_re.match(record.name.lower()):
                return False
        elif record.name.lower() != self.name:
            return False
        if not self.match_version(record.version):
            return False
        if self.build is not None:
            if self._build_re is not None:
                if not self._build_re.match(record.build):
                    return False
            elif record.build != self.build:
                return False
        if self.build_number is not None and not _build_number_ok(
            self.build_number, record.build_number
        ):
            return False
        # a record read from a format that lacks the channel or subdir (an
        # env export, a bare explicit file name) is not rejected for it
        if self.channel is not None and record.channel:
            if not active_channels().same(record.channel, self.channel):
                return False
        if self.subdir is not None and record.subdir and record.subdir != self.subdir:
            return False
        for key in ("fn", "md5", "sha256"):
            want = getattr(self, key)
            if want is not None and getattr(record, key) != want:
                return False
        return True

    __contains__ = match

    # -- text --------------------------------------------------------------
    def __str__(self) -> str:
        """Normalized positional form: ``conda-forge/linux-64::numpy >=1.2 py*``."""
        out = self.name
        prefix = self.channel or ""
        if prefix and self.subdir:
            prefix = f"{prefix}/{self.subdir}"
        if prefix:
            out = f"{prefix}::{out}"
        version = str(self.version) if self.version is not None else None
        if self.build is not None:
            out += f" {version or '*'} {self.build}"
        elif version is not None:
            out += f" {version}"
        keys = []
        if self.subdir and not self.channel:
            keys.append(("subdir", self.subdir))
        for key in ("build_number", "fn", "md5", "sha256"):
            value = getattr(self, key)
            if value is not None:
                keys.append((key, value))
        keys.extend(self.extra)
        if keys:
            out += "[" + ", ".join(f"{k}='{v}'" for k, v in keys) + "]"
        return out

    def __repr__(self) -> str:
        return f"MatchSpec({str(self)!r})"

    def _identity(self) -> tuple[object, ...]:
        return (
            self.name,
            str(self.version) if self.version is not None else None,
            self.build,
            self.build_number,
            self.channel,
            self.subdir,
            self.fn,
            self.md5,
            self.sha256,
            self.extra,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MatchSpec):
            return NotImplemented
        return self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    @property
    def is_name_only(self) -> bool:
        """True for a bare name (``numpy``), no other constraint."""
        return self._identity()[1:] == (None,) * 8 + ((),)


@functools.lru_cache(maxsize=1 << 15)
def _parse_cached(text: str) -> MatchSpec:
    return MatchSpec(text)


def parse_match_spec(text: str) -> MatchSpec:
    """Cached :meth:`MatchSpec.parse`."""
    return _parse_cached(text)
