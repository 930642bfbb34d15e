"""Export an environment in one run: a minimal environment.yml, locks, @EXPLICIT.

:class:`EnvData` is what every writer needs, read from a prefix or a
generation: the package records, the requested specs of the history, the
pip-installed distributions, the platform. :func:`environment_yaml` writes the
requested specs pinned as asked, plus the pip section:

- ``exact``: ``numpy ==1.26.4``
- ``minor``: ``numpy >=1.26.4,<1.27`` (pixi's "minor" pinning strategy)
- ``major``: ``numpy >=1.26.4,<2``

A build constraint of the requested spec is kept (``pytorch ==1.11.0
*cuda*``), so a GPU build stays a GPU build; so is a ``channel::`` prefix.
Without a history the leaves (what no other package depends on) stand for the
requested specs. :func:`conda_guard.recovery.export_all.export_all` writes
every format into one directory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..exceptions import UsageError
from ..graph import dep_name
from ..matchspec import MatchSpec
from ..models import channel_name
from ..readers.pip_dists import normalize_pip_name

if TYPE_CHECKING:
    from .generation import Generation

PIN_LEVELS = ("exact", "minor", "major")
_NUMERIC = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class EnvData:
    """What an export is made from."""

    name: str
    platform: str
    records: tuple[dict[str, Any], ...]
    requested: dict[str, str]  # name -> spec, installed names only
    pip: tuple[tuple[str, str], ...]  # (name, version)
    source: str
    from_history: bool = True

    def record(self, name: str) -> dict[str, Any] | None:
        """The record of package ``name``."""
        return next((r for r in self.records if r["name"] == name), None)

    def channels(self) -> list[str]:
        """Channel names by number of packages (most first), then by name."""
        counts: dict[str, int] = {}
        for rec in self.records:
            ch = record_channel(rec)
            if ch:
                counts[ch] = counts.get(ch, 0) + 1
        return sorted(counts, key=lambda c: (-counts[c], c))


def record_channel(rec: dict[str, Any]) -> str:
    """The short channel name of a record (``conda-forge``, a ``file://`` URL)."""
    text = rec.get("channel") or ""
    if not text and rec.get("url"):
        text = str(rec["url"]).rsplit("/", 2)[0]
    return channel_name(str(text))


def _leaves(records: tuple[dict[str, Any], ...]) -> dict[str, str]:
    needed = {dep_name(d) for r in records for d in r.get("depends") or ()}
    return {r["name"]: r["name"] for r in records if r["name"].lower() not in needed}


def env_data(
    name: str,
    platform: str | None,
    records: tuple[dict[str, Any], ...],
    requested: dict[str, str],
    pip: tuple[tuple[str, str], ...],
    source: str,
) -> EnvData:
    """:class:`EnvData`, the requested specs filtered to installed packages."""
    names = {r["name"] for r in records}
    wanted = {k: v for k, v in requested.items() if k in names}
    return EnvData(
        name=name,
        platform=platform or "unknown",
        records=tuple(sorted(records, key=lambda r: r["name"])),
        requested=wanted or _leaves(records),
        pip=tuple(sorted(pip)),
        source=source,
        from_history=bool(wanted),
    )


def from_generation(gen: Generation, name: str | None = None) -> EnvData:
    """The data of a generation."""
    return env_data(
        name or Path(gen.prefix).name,
        gen.platform,
        gen.records,
        gen.requested,
        tuple((p.name, p.version) for p in gen.pip),
        f"{gen.prefix}@{gen.label}",
    )


def from_prefix(prefix: str | Path, name: str | None = None) -> EnvData:
    """The data of a prefix as it is (nothing is hashed or kept)."""
    from .capture import history_specs, package_fields, platform_of, read_meta_records
    from .pipdists import find_dists

    root = Path(prefix)
    raw = read_meta_records(root)
    requested, _ = history_specs(root)
    fields = tuple(package_fields(r) for r in raw)
    pip = tuple((d.name, d.version) for d in find_dists(root, raw))
    return env_data(
        name or root.name, platform_of(fields), fields, requested, pip, str(prefix)
    )


# -- pins ------------------------------------------------------------------------


def version_range(version: str, level: str) -> str:
    """``==1.26.4`` / ``>=1.26.4,<1.27`` / ``>=1.26.4,<2``, by ``level``.

    A version whose leading parts are not plain numbers is pinned exactly.
    """
    if level not in PIN_LEVELS:
        raise UsageError(f"--pin must be one of {', '.join(PIN_LEVELS)}, not {level!r}")
    parts = version.split(".")
    keep = 1 if level == "major" else 2
    if (
        level == "exact"
        or len(parts) < keep
        or not all(_NUMERIC.fullmatch(p) for p in parts[:keep])
    ):
        return f"=={version}"
    head = [int(p) for p in parts[:keep]]
    head[-1] += 1
    return f">={version},<{'.'.join(map(str, head))}"


@dataclass(frozen=True)
class CondaPin:
    """One dependency of the environment.yml, and what conda-lock reads in it."""

    name: str
    version: str  # as written: "==1.26.4", ">=1.26.4,<1.27"
    build: str | None
    channel: str | None

    def text(self) -> str:
        """The spec string written to the file."""
        head = f"{self.channel}::{self.name}" if self.channel else self.name
        parts = [head, self.version] + ([self.build] if self.build else [])
        return " ".join(parts)


def conda_pins(data: EnvData, level: str) -> list[CondaPin]:
    """The requested specs pinned at ``level`` (build/channel constraints kept)."""
    out = []
    for name, spec_text in sorted(data.requested.items()):
        rec = data.record(name)
        if rec is None:
            continue
        try:
            spec = MatchSpec.parse(spec_text)
        except ValueError:
            spec = None
        build = spec.build if spec is not None and spec.build else None
        channel = spec.channel if spec is not None and spec.channel else None
        out.append(
            CondaPin(name, version_range(str(rec["version"]), level), build, channel)
        )
    return out


def pip_pins(data: EnvData, level: str) -> list[str]:
    """``name==1.0`` (or a range) for each pip-installed distribution."""
    return [f"{normalize_pip_name(n)}{version_range(v, level)}" for n, v in data.pip]


def _yaml(doc: Any) -> str:
    import yaml

    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, width=1000)


def environment_yaml(data: EnvData, level: str = "exact") -> str:
    """The minimal environment.yml (see the module docstring)."""
    deps: list[Any] = [p.text() for p in conda_pins(data, level)]
    pip = pip_pins(data, level)
    if pip:
        if "pip" not in data.requested and data.record("pip") is not None:
            deps.append(
                f"pip {version_range(str(data.record('pip')['version']), level)}"
            )
        deps.append({"pip": pip})
    head = (
        f"# exported by conda-guard from {data.source} ({data.platform}); "
        f"versions pinned: {level}\n"
    )
    if not data.from_history:
        head += (
            "# no requested specs in the history: the leaf packages stand for them\n"
        )
    return head + _yaml(
        {"name": data.name, "channels": data.channels(), "dependencies": deps}
    )
