"""Inside conda, channels are named by conda itself: its ``Channel`` and context.

:class:`CondaChannelNames` is the core's
:class:`~conda_guard.channel_names.ChannelNames` computed with conda's
``Channel`` model (``canonical_name``, ``base_urls``) and context
(``channel_alias``, ``custom_channels``, ``custom_multichannels``,
``channels``, ``offline``, ``add_pip_as_python_dependency``), so the history
conda wrote and the conda-meta URLs it wrote read as one channel, exactly as
conda sees them. :func:`install` makes it the active configuration; every
hook and ``conda guard`` command calls it when it starts (the context may
have been re-read since). :func:`worker_settings` are the settings a solve
worker running conda's solver needs from this process (command-line flags
its own context cannot see). :func:`pin_channel` is the channel an exact
pin can name for the configured solver.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..channel_names import DEFAULT_CHANNEL_ALIAS, ChannelNames, has_scheme, use

if TYPE_CHECKING:
    from collections.abc import Mapping


class CondaChannelNames(ChannelNames):
    """Channel names, keys and URLs from conda's own ``Channel`` and context."""

    def __init__(self) -> None:
        super().__init__()
        from conda.base.context import context

        self.context = context
        self.channels = tuple(context.channels)
        self.offline = bool(context.offline)
        self.add_pip = bool(context.add_pip_as_python_dependency)
        files = [str(s) for s in context.collect_all() if "/" in str(s)]
        where = f" ({', '.join(files)})" if files else ""
        self.origin = f"conda's configuration{where}"
        self._multi: dict[str, tuple[str, ...]] | None = None

    @staticmethod
    def _channel(text: str) -> Any:
        from conda.models.channel import Channel

        try:
            return Channel(text)
        except Exception:  # conda cannot read it: no name of conda's
            return None

    def canonical(self, channel: str) -> str | None:
        found = self._channel(channel)
        if found is None:
            return None
        name = str(found.canonical_name)
        if name in ("<unknown>", "None") or has_scheme(name):
            return None if has_scheme(channel) else channel
        return name

    def multichannels(self) -> Mapping[str, tuple[str, ...]]:
        if self._multi is None:
            self._multi = {
                name: tuple(str(c.name) for c in members)
                for name, members in self.context.custom_multichannels.items()
            }
        return self._multi

    def base_urls(self, channel: str) -> tuple[str, ...]:
        found = self._channel(channel.strip())
        if found is None:
            return (channel.strip(),)
        return tuple(str(u) for u in found.base_urls if u)


def install() -> CondaChannelNames:
    """Make conda's channel names the active ones (see the module docstring)."""
    names = CondaChannelNames()
    use(names)
    return names


def worker_settings() -> dict[str, str]:
    """conda's variables for a solve worker that runs conda's solver.

    The worker reads ``.condarc`` and the environment itself; these carry
    what this command's flags changed: the solver (``--solver``), the
    repodata file names (``--repodata-fn``), the package caches.
    """
    from conda.base.context import context

    solver = getattr(context.solver, "value", context.solver)
    return {
        "CONDA_SOLVER": str(solver),
        "CONDA_REPODATA_FNS": ",".join(map(str, context.repodata_fns)),
        "CONDA_PKGS_DIRS": ",".join(map(str, context.pkgs_dirs)),
    }


def pin_channel(channel: str) -> str | None:
    """The channel an exact pin (``CHANNEL::name==version=build``) can name.

    conda-rattler-solver hands rattler a spec's channel as conda's canonical
    name, which rattler reads under its own alias (``conda.anaconda.org``),
    and a multichannel (``defaults``) not at all: a pin naming ``forge``
    under a mirror alias, a ``custom_channels`` entry or a ``defaults``
    member matches nothing ("candidate not in requested channel"). For that
    solver such a pin names no channel (name, version and build still pin
    the record); a URL conda keeps as the canonical name, and a name rattler
    reads at the same URL as conda, stay. Other solvers read conda's names.
    """
    from conda.base.context import context

    solver = str(getattr(context.solver, "value", context.solver))
    if solver != "rattler" or not channel:
        return channel
    found = CondaChannelNames._channel(channel)
    if found is None:
        return None
    name = str(found.canonical_name)
    if has_scheme(name):
        return channel
    base = getattr(found, "base_url", None)  # None for a multichannel
    return channel if base == f"{DEFAULT_CHANNEL_ALIAS}/{name}" else None
