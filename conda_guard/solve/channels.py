"""Channels and platforms of a dry-run solve.

Which channels to solve against (given, or those the installed packages came
from), how each backend wants them (URLs for rattler, resolved with the
channel configuration of :mod:`conda_guard.channel_names`; names for conda,
which resolves them itself), the ``--custom-channel`` map, and the subdir to
solve for.
"""

from __future__ import annotations

import platform as _platform
import sys
from collections import Counter
from typing import TYPE_CHECKING

from ..channel_names import SUBDIRS, active, channel_urls, has_scheme, strip_url
from ..exceptions import UsageError
from .plan import conda_records

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from ..models import State


def host_platform() -> str:
    """conda's subdir name for this machine."""
    machine = _platform.machine().lower()
    arch = {
        "x86_64": "64",
        "amd64": "64",
        "aarch64": "aarch64",
        "arm64": "arm64",
        "ppc64le": "ppc64le",
        "s390x": "s390x",
    }.get(machine, "64")
    if sys.platform.startswith("linux"):
        return f"linux-{arch}"
    if sys.platform == "darwin":
        return f"osx-{arch}"
    if sys.platform.startswith("win"):
        return "win-64" if arch == "64" else f"win-{arch}"
    return f"linux-{arch}"


def target_platform(current: State, given: str | None = None) -> str:
    """The subdir to solve for: given, the state's, its records', or this host's."""
    if given:
        return given
    if current.platform:
        return current.platform
    subdirs = Counter(r.subdir for r in conda_records(current))
    subdirs.pop("noarch", None)
    subdirs.pop("", None)
    if subdirs:
        return subdirs.most_common(1)[0][0]
    return host_platform()


def channel_url(channel: str) -> str:
    """A channel as one solver source (the first, for a multichannel).

    Names go under the configured ``channel_alias`` or ``custom_channels``
    location (:func:`conda_guard.channel_names.active`); local paths become
    ``file://`` URLs.
    """
    urls = active().base_urls(channel.strip())
    return urls[0] if urls else channel.strip()


def solver_channels(channels: Sequence[str], solver: str) -> list[str]:
    """Channels as the backend wants them: rattler gets URLs (``defaults`` is
    its members, names go under the alias), conda keeps names (it resolves
    them itself)."""
    if solver == "conda":
        return [c.strip() for c in channels if c.strip()]
    return channel_urls(c.strip() for c in channels if c.strip())


def resolved_note(named: Sequence[str], urls: Sequence[str]) -> str | None:
    """Which URLs the channel names stand for, and after which configuration."""
    names = active()
    parts = []
    for name in dict.fromkeys(named):
        got = [u for u in names.base_urls(name) if u in urls]
        if got and got != [name]:
            parts.append(f"{name} = {', '.join(got)}")
    if not parts:
        return None
    return f"channels read from: {'; '.join(parts)} (after {names.origin})"


def solver_spec(spec: str, sources: Sequence[str] = ()) -> str:
    """``forge::numpy`` → ``<the URL of forge>::numpy`` for rattler.

    rattler resolves a channel name in a spec with its own alias
    (``conda.anaconda.org``), not the user's: a spec naming a channel under a
    mirror alias would match nothing. The URL is the one of ``sources`` (the
    solve's channels) that is that channel (:meth:`ChannelNames.same`: also a
    mirror this configuration does not know), else the configured one. A
    multichannel (``defaults::``) cannot be one URL: its channel is dropped
    (the channels given still hold).
    """
    head, sep, rest = spec.partition("::")
    if not sep or has_scheme(head) or not head.strip():
        return spec
    channel = strip_url(head.strip())
    names = active()
    if channel in names.multichannels():
        return rest
    given = [u for u in sources if names.same(channel, u)]
    urls = given[:1] or list(names.base_urls(channel))
    if len(urls) != 1:
        return rest
    subdir = head.strip().rstrip("/").rsplit("/", 1)[-1]
    suffix = f"/{subdir}" if subdir in SUBDIRS and "/" in head else ""
    return f"{urls[0]}{suffix}::{rest}"


def default_channels(current: State) -> list[str]:
    """The channels the installed packages came from, most used first."""
    counts = Counter(r.channel for r in conda_records(current) if r.channel)
    counts.pop("pypi", None)
    counts.pop("<unknown>", None)
    return [ch for ch, _ in counts.most_common()]


def custom_channels(items: Iterable[str]) -> dict[str, str]:
    """``NAME=LOCATION`` items → {NAME: solver source}."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, location = item.partition("=")
        if not sep or not name.strip() or not location.strip():
            raise UsageError(f"--custom-channel takes NAME=LOCATION, not {item!r}")
        out[name.strip()] = channel_url(location.strip())
    return out
