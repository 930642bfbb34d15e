"""Channels and platforms of a dry-run solve.

Which channels to solve against (given, or those the installed packages came
from), how each backend wants them (URLs for rattler, names for conda), the
``--custom-channel`` map, and the subdir to solve for.
"""

from __future__ import annotations

import platform as _platform
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

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
    """A channel as a solver source: names stay, local paths become file URLs."""
    ch = channel.strip()
    if ch.startswith("pkgs/"):
        return f"https://repo.anaconda.com/{ch}"
    if ch.startswith(("/", "./", "../", "~")) or (len(ch) > 2 and ch[1:3] == ":\\"):
        return Path(ch).expanduser().resolve().as_uri()
    return ch


#: what conda's ``defaults`` stands for on the platforms conda-guard targets
DEFAULTS = ("https://repo.anaconda.com/pkgs/main", "https://repo.anaconda.com/pkgs/r")


def solver_channels(channels: Sequence[str], solver: str) -> list[str]:
    """Channels as the backend wants them: rattler gets URLs, conda keeps names."""
    if solver == "conda":
        return [c.strip() for c in channels if c.strip()]
    out: list[str] = []
    for ch in channels:
        expanded = DEFAULTS if ch.strip() == "defaults" else (channel_url(ch),)
        out.extend(c for c in expanded if c not in out)
    return out


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
