"""Channel names as conda gives them: URLs and names, multichannels, aliases.

conda names a channel by its *canonical name* (``conda/models/channel.py``):
a URL under ``channel_alias`` (or a ``migrated_channel_aliases`` entry) or
under a ``custom_channels`` location is its name (``file:///mirror/forge``
with ``channel_alias: file:///mirror`` is ``forge``), and a member of a
multichannel (``defaults`` = ``default_channels``, ``custom_multichannels``)
is the multichannel's name. The history writes these names
(``forge/linux-64::numpy-…``, ``defaults::zlib-…``) while ``conda-meta``
holds URLs, so both sides must be read with the same configuration.

:class:`ChannelNames` is that configuration's view:

- :meth:`~ChannelNames.name_of` — the short name a report shows (the
  canonical name, except that a multichannel member keeps its own name,
  ``pkgs/main``, and a URL under no alias keeps its host path);
- :meth:`~ChannelNames.key_of` — conda's canonical name, to compare;
- :meth:`~ChannelNames.same` — one channel, also when one side is a bare name
  and the other a URL ending in that name (an alias this configuration does
  not know: a prefix read on another machine);
- :meth:`~ChannelNames.base_urls` — where a solver reads a channel.

:class:`ChannelConfig` computes them from ``.condarc`` values (read by
:mod:`conda_guard.readers.condarc`); inside conda the adapter
(``adapters/conda_channels.py``) uses conda's own ``Channel`` instead.
:func:`active` is the configuration every reader uses (conda's defaults until
:func:`use` installs another). Standard library only.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

DEFAULT_CHANNEL_ALIAS = "https://conda.anaconda.org"
#: conda's ``default_channels`` (``defaults``) on Linux and macOS
DEFAULT_CHANNELS = (
    "https://repo.anaconda.com/pkgs/main",
    "https://repo.anaconda.com/pkgs/r",
)
#: and on Windows
DEFAULT_CHANNELS_WIN = (*DEFAULT_CHANNELS, "https://repo.anaconda.com/pkgs/msys2")

SUBDIRS = (
    "noarch",
    "linux-64",
    "linux-aarch64",
    "linux-ppc64le",
    "linux-s390x",
    "linux-32",
    "linux-armv7l",
    "linux-armv6l",
    "linux-riscv64",
    "osx-64",
    "osx-arm64",
    "win-64",
    "win-32",
    "win-arm64",
    "emscripten-wasm32",
    "wasi-wasm32",
    "zos-z",
)
_PACKAGE_SUFFIXES = (".conda", ".tar.bz2")


def has_scheme(text: str) -> bool:
    """True for ``https://…``, ``file://…`` and other URLs."""
    head, sep, _ = text.partition("://")
    return bool(sep) and head.isalpha()


def is_path(text: str) -> bool:
    """True for a local channel directory (``/x``, ``./x``, ``~/x``, ``C:\\x``)."""
    return text.startswith(("/", "./", "../", "~")) or (
        len(text) > 2 and text[1:3] in (":\\", ":/")
    )


def strip_url(text: str) -> str:
    """A channel URL or name without package file, subdir, token, credentials."""
    ch = text.strip().rstrip("/")
    if ch.endswith(_PACKAGE_SUFFIXES) and "/" in ch:
        ch = ch.rsplit("/", 1)[0]
    last = ch.rsplit("/", 1)[-1]
    if last in SUBDIRS and "/" in ch:
        ch = ch[: -len(last) - 1]
    if has_scheme(ch):
        scheme, rest = ch.split("://", 1)
        host, slash, path = rest.partition("/")
        host = host.rsplit("@", 1)[-1]  # user:password@host
        parts = path.split("/")
        if len(parts) > 2 and parts[0] == "t":  # /t/<token>/channel
            parts = parts[2:]
        ch = f"{scheme.lower()}://{host}{slash}{'/'.join(parts)}".rstrip("/")
    return ch


def host_path_name(url: str) -> str:
    """The short name of a URL no alias covers: its path (``pkgs/main`` …).

    ``https://conda.anaconda.org/conda-forge`` → ``conda-forge``,
    ``https://prefix.dev/conda-forge`` → ``conda-forge``; a ``file://`` URL
    stays whole (a local path is no channel name).
    """
    if url.startswith("file:"):
        return url
    rest = url.split("://", 1)[1]
    host, _, path = rest.partition("/")
    return path or host


def path_url(text: str) -> str:
    """A local channel directory as a ``file://`` URL."""
    return Path(text).expanduser().resolve().as_uri()


def _under(url: str, base: str) -> str | None:
    """The rest of ``url`` below ``base`` (token-wise), or None."""
    base = base.rstrip("/")
    if url == base:
        return ""
    if url.startswith(base + "/"):
        return url[len(base) + 1 :]
    return None


class ChannelNames:
    """Names, keys and URLs of channels under one configuration (see the module).

    Subclasses give :meth:`canonical` (conda's canonical name, or None when it
    is a URL) and :meth:`base_urls`; the rest is shared. ``channels`` are the
    configured channels, ``offline`` and ``add_pip`` conda's settings of those
    names, ``origin`` says where they came from (for a report's notes).
    """

    channels: tuple[str, ...] = ("defaults",)
    offline: bool = False
    add_pip: bool = True
    origin: str = "conda's defaults"

    def __init__(self) -> None:
        self._names: dict[str, str] = {}

    # -- to implement --------------------------------------------------------

    def canonical(self, channel: str) -> str | None:
        """conda's canonical name of ``channel``; None for a URL no alias covers."""
        raise NotImplementedError

    def multichannels(self) -> Mapping[str, tuple[str, ...]]:
        """Multichannel name → the names of its members (``defaults`` …)."""
        raise NotImplementedError

    def base_urls(self, channel: str) -> tuple[str, ...]:
        """Where a solver reads ``channel`` (several for a multichannel)."""
        raise NotImplementedError

    # -- shared ---------------------------------------------------------------

    def name_of(self, channel: str | None) -> str:
        """The short name a report shows for a channel URL or name."""
        if not channel:
            return ""
        known = self._names.get(channel)
        if known is not None:
            return known
        text = strip_url(channel)
        name = self.canonical(text) if text else ""
        if name is None or name in self.multichannels():
            name = host_path_name(text) if has_scheme(text) else text
        if len(self._names) < 8192:
            self._names[channel] = name
        return name

    def key_of(self, channel: str | None) -> str:
        """conda's canonical name: equal for the URL and the name of a channel."""
        name = self.name_of(channel)
        if name in self.multichannels():
            return name
        for multi, members in self.multichannels().items():
            if name in members:
                return multi
        return name

    def same(self, a: str | None, b: str | None) -> bool:
        """True when ``a`` and ``b`` name one channel (see the module docstring).

        A multichannel's name is the same as each of its members (the
        history's ``defaults`` and conda-meta's ``pkgs/main``); two members
        (``pkgs/main``, ``pkgs/r``) are two channels.
        """
        if not a or not b:
            return a == b
        x, y = self.name_of(a), self.name_of(b)
        if x == y:
            return True
        multi = self.multichannels()
        if x in multi or y in multi:
            return self.key_of(x) == self.key_of(y)
        if has_scheme(x) == has_scheme(y):
            return False
        url, name = (x, y) if has_scheme(x) else (y, x)
        return url.endswith("/" + name)


@dataclass(frozen=True)
class Condarc:
    """The channel settings of ``.condarc`` files (conda's defaults when absent).

    ``custom_channels``: name → location (the URL the name goes under);
    ``custom_multichannels``: name → channels (names or URLs);
    ``sources``: the files (and variables) they were read from.
    """

    channel_alias: str = DEFAULT_CHANNEL_ALIAS
    migrated_channel_aliases: tuple[str, ...] = ()
    custom_channels: Mapping[str, str] = field(default_factory=dict)
    custom_multichannels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    default_channels: tuple[str, ...] = ()
    channels: tuple[str, ...] = ("defaults",)
    offline: bool = False
    add_pip_as_python_dependency: bool = True
    sources: tuple[str, ...] = ()


class ChannelConfig(ChannelNames):
    """:class:`ChannelNames` from ``.condarc`` values, by conda's rules."""

    def __init__(self, condarc: Condarc | None = None) -> None:
        super().__init__()
        rc = condarc or Condarc()
        self.condarc = rc
        self.alias = strip_url(rc.channel_alias) or DEFAULT_CHANNEL_ALIAS
        self.migrated = tuple(strip_url(a) for a in rc.migrated_channel_aliases)
        self.custom = {
            name.strip("/"): strip_url(location)
            for name, location in rc.custom_channels.items()
        }
        defaults = rc.default_channels or (
            DEFAULT_CHANNELS_WIN if sys.platform.startswith("win") else DEFAULT_CHANNELS
        )
        self.multi_urls = {"defaults": tuple(defaults), **rc.custom_multichannels}
        self._multi: dict[str, tuple[str, ...]] | None = None
        self.channels = tuple(rc.channels) or ("defaults",)
        self.offline = rc.offline
        self.add_pip = rc.add_pip_as_python_dependency
        self.origin = ", ".join(rc.sources) or "conda's defaults (no .condarc)"

    def multichannels(self) -> Mapping[str, tuple[str, ...]]:
        if self._multi is None:
            self._multi = {}  # members are named without multichannels
            self._multi = {
                name: tuple(self.name_of(m) for m in members)
                for name, members in self.multi_urls.items()
            }
        return self._multi

    def canonical(self, channel: str) -> str | None:
        if not has_scheme(channel):
            if is_path(channel):
                return path_url(channel)
            return channel
        for name, location in sorted(
            self.custom.items(), key=lambda kv: len(kv[0]), reverse=True
        ):
            rest = _under(channel, f"{location}/{name}")
            if rest is not None:
                return f"{name}/{rest}".rstrip("/")
        for alias in (*self.migrated, self.alias):
            rest = _under(channel, alias)
            if rest:
                return rest
        return None

    def base_urls(self, channel: str) -> tuple[str, ...]:
        text = channel.strip()
        if has_scheme(text):
            return (strip_url(text),)
        if is_path(text):
            return (path_url(text),)
        name = strip_url(text).strip("/")
        members = self.multi_urls.get(name)
        if members is not None:
            out: list[str] = []
            for member in members:
                out += [u for u in self.base_urls(member) if u not in out]
            return tuple(out)
        for custom, location in sorted(
            self.custom.items(), key=lambda kv: len(kv[0]), reverse=True
        ):
            if name == custom or name.startswith(custom + "/"):
                return (f"{location}/{name}",)
        # a multichannel member by its name (conda counts them as custom
        # channels: ``pkgs/main`` is ``https://repo.anaconda.com/pkgs/main``)
        for members in self.multi_urls.values():
            for member in members:
                if has_scheme(member) and self.name_of(member) == name:
                    return (strip_url(member),)
        return (f"{self.alias}/{name}",)


class _Active:
    names: ChannelNames = ChannelConfig()
    listeners: list[Callable[[], None]] = []


def active() -> ChannelNames:
    """The configuration the readers and the solve layer use now."""
    return _Active.names


def use(names: ChannelNames) -> ChannelNames:
    """Make ``names`` the active configuration; returns the one it replaces."""
    previous, _Active.names = _Active.names, names
    for clear in _Active.listeners:
        clear()
    return previous


def on_change(clear: Callable[[], None]) -> None:
    """Call ``clear`` whenever the active configuration changes (caches)."""
    _Active.listeners.append(clear)


def channel_urls(channels: Iterable[str]) -> list[str]:
    """Solver sources of ``channels`` under the active configuration, in order."""
    out: list[str] = []
    for channel in channels:
        out += [u for u in active().base_urls(channel) if u not in out]
    return out
