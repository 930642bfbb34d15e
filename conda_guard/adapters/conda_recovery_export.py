"""conda's environment exporters for the recovery formats (``conda export --format``).

``guard-explicit`` (@EXPLICIT with ``#sha256`` anchors), ``guard-conda-lock``
(conda-lock v1 with hashes and conda-lock's content hash), ``guard-pixi-lock``
(pixi.lock v6) and ``guard-environment`` (environment.yml of the requested
specs, pinned exactly, with the pip section). conda builds an ``Environment``
from the prefix; the requested specs come from the prefix's history (conda's
own list there is every installed package), pip distributions from conda's
``external_packages``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from conda.models.environment import Environment
    from conda.plugins.types import CondaEnvironmentExporter

    from ..recovery.export import EnvData


def env_data(env: Environment) -> EnvData:
    """The export data of conda's ``Environment``."""
    from ..recovery.capture import history_specs, package_fields
    from ..recovery.export import env_data as make

    records = tuple(package_fields(dict(rec.dump())) for rec in env.explicit_packages)
    requested: dict[str, str] = {}
    if env.prefix and (Path(env.prefix) / "conda-meta").is_dir():
        requested, _ = history_specs(Path(env.prefix))
    if not requested:
        requested = {s.name: str(s) for s in env.requested_packages}
    pip = []
    for text in (env.external_packages or {}).get("pip", ()):
        name, sep, version = str(text).partition("==")
        if sep:
            pip.append((name.strip(), version.strip()))
    name = env.name or (Path(env.prefix).name if env.prefix else "environment")
    return make(name, env.platform, records, requested, tuple(pip), env.prefix or name)


def _explicit(env: Environment) -> str:
    from ..recovery.explicit import explicit_text

    data = env_data(env)
    return explicit_text(data.records, data.platform, f"exported from {data.source}")


def _conda_lock(env: Environment) -> str:
    from ..recovery.lock_conda import conda_lock_yaml

    return conda_lock_yaml(env_data(env))


def _pixi_lock(env: Environment) -> str:
    from ..recovery.lock_pixi import pixi_lock_yaml

    return pixi_lock_yaml(env_data(env))


def _environment(env: Environment) -> str:
    from ..recovery.export import environment_yaml

    return environment_yaml(env_data(env))


FORMATS: dict[str, tuple[Callable[[Any], str], str, bool]] = {
    "guard-explicit": (_explicit, "@EXPLICIT URLs with #sha256 (conda-guard)", True),
    "guard-conda-lock": (_conda_lock, "conda-lock v1 with hashes (conda-guard)", True),
    "guard-pixi-lock": (_pixi_lock, "pixi.lock v6 with hashes (conda-guard)", True),
    "guard-environment": (
        _environment,
        "requested specs pinned exactly, with pip (conda-guard)",
        False,
    ),
}


def exporters() -> Iterator[CondaEnvironmentExporter]:
    """The ``CondaEnvironmentExporter`` objects.

    The hook exists since conda 25.7; ``description`` and
    ``environment_format`` (lock file or environment) since 26.3, and are
    passed only where conda has them.
    """
    from conda.plugins import types

    fields = getattr(types.CondaEnvironmentExporter, "__dataclass_fields__", {})
    for name, (export, description, lock) in FORMATS.items():
        extra: dict[str, Any] = {}
        if "description" in fields:
            extra["description"] = description
        if "environment_format" in fields:
            kind = types.EnvironmentFormat
            extra["environment_format"] = kind.lockfile if lock else kind.environment
        yield types.CondaEnvironmentExporter(
            name=name, aliases=(), default_filenames=(), export=export, **extra
        )
