"""Write a pixi.lock (rattler-lock format version 6) with real hashes.

The layout follows ``conda/rattler`` ``crates/rattler_lock`` (v6 models): one
``default`` environment with its channels and, for the platform, the package
URLs; then one entry per package with its sha256, md5, depends, constrains,
license, size and timestamp. Fields the URL already gives (name, version,
build, subdir) are left out as pixi leaves them out; ``build_number`` and
``noarch`` are written where the file name does not tell them.

A pixi.lock has no whole-environment content hash: pixi decides whether a lock
is current from its satisfiability rules (see :mod:`.drift`). pip-installed
distributions are left out (their wheel URL and hash are unknown).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .export import EnvData

_TRAILING_DIGITS = re.compile(r"(?:^|_)([0-9]+)$")


def _channel_url(url: str) -> str:
    """``https://.../conda-forge/linux-64/x.conda`` -> ``https://.../conda-forge/``."""
    return url.rsplit("/", 2)[0] + "/"


def _derived_build_number(build: str) -> int:
    m = _TRAILING_DIGITS.search(build)
    return int(m.group(1)) if m else 0


def _derived_noarch(subdir: str, build: str) -> str | None:
    if subdir != "noarch":
        return None
    return "python" if "py" in build else "generic"


def _noarch(rec: dict[str, Any]) -> str | None:
    value = rec.get("noarch")
    if isinstance(value, dict):
        value = value.get("type")
    return value if value in ("python", "generic") else None


def package_entry(rec: dict[str, Any]) -> dict[str, Any]:
    """One ``packages:`` entry of a conda package."""
    url = str(rec["url"])
    url_subdir = url.rsplit("/", 2)[-2]
    build = str(rec.get("build", ""))
    entry: dict[str, Any] = {"conda": url}
    if isinstance(rec.get("build_number"), int) and rec[
        "build_number"
    ] != _derived_build_number(build):
        entry["build_number"] = rec["build_number"]
    # rattler derives the subdir from conda.anaconda.org-like URLs only
    entry["subdir"] = rec.get("subdir") or url_subdir
    noarch = _noarch(rec)
    if noarch != _derived_noarch(rec.get("subdir") or url_subdir, build):
        entry["noarch"] = noarch
    for key in ("sha256", "md5"):
        if rec.get(key):
            entry[key] = rec[key]
    for key in ("depends", "constrains", "track_features"):
        if rec.get(key):
            entry[key] = list(rec[key])
    for key in ("license", "license_family", "size", "timestamp"):
        if rec.get(key) not in (None, ""):
            entry[key] = rec[key]
    if rec.get("python_site_packages_path"):
        entry["python_site_packages_path"] = rec["python_site_packages_path"]
    return entry


def pixi_lock_yaml(data: EnvData) -> str:
    """The pixi.lock text for ``data``."""
    import yaml

    recs = [r for r in data.records if r.get("url")]
    channels = list(dict.fromkeys(_channel_url(str(r["url"])) for r in recs))
    doc = {
        "version": 6,
        "environments": {
            "default": {
                "channels": [{"url": c} for c in channels],
                "packages": {data.platform: [{"conda": str(r["url"])} for r in recs]},
            }
        },
        "packages": [
            package_entry(r) for r in sorted(recs, key=lambda r: str(r["url"]))
        ],
    }
    head = f"# pixi.lock (format 6) written by conda-guard from {data.source}\n"
    if data.pip:
        names = ", ".join(n for n, _ in data.pip)
        head += f"# not locked (pip-installed, no wheel URL or hash known): {names}\n"
    return head + yaml.safe_dump(
        doc, sort_keys=False, default_flow_style=False, width=1000
    )
