"""Write a conda-lock v1 file (CEP 37) with real hashes and conda-lock's content hash.

Every conda package carries its URL, md5 and sha256 from the prefix record.
``metadata.content_hash`` is computed the way conda-lock computes it
(``conda_lock/content_hash.py``) for the environment.yml written next to the
lock: the sha256 of the canonical JSON of the channels, the dependency specs
as conda-lock parses them (sorted by manager and name; ``pip`` added as a
conda dependency when there is a pip section), and conda-lock's default
virtual packages for the platform (``data/conda_lock_virtual_packages.json``,
recorded from conda-lock by ``scripts/make_conda_lock_vpr.py``). So
``conda-lock --check-input-hash`` sees the lock as fresh for that file.

pip-installed distributions are not in the lock: conda-lock needs the URL and
hash of each wheel, which an installed distribution does not record. The
environment.yml keeps them in its pip section.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from ..readers.pip_dists import normalize_pip_name
from .export import conda_pins, pip_pins, version_range

if TYPE_CHECKING:
    from .export import CondaPin, EnvData

HEADER = """\
# conda-lock v1 file written by conda-guard from {source}.
# Install this environment with:
#     conda-lock install -n YOURENV {name}
# or, without conda-lock: conda create -n YOURENV --file explicit.txt
"""


@lru_cache(maxsize=1)
def _virtual_packages() -> dict[str, Any]:
    text = (
        resources.files("conda_guard")
        .joinpath("data/conda_lock_virtual_packages.json")
        .read_text(encoding="utf-8")
    )
    return json.loads(text)["platforms"]


def _conda_spec(pin: CondaPin) -> dict[str, Any]:
    # conda's MatchSpec reads "==1.2" without a build as the version "1.2"
    version = pin.version
    if version.startswith("==") and pin.build is None:
        version = version[2:]
    return {
        "name": pin.name,
        "manager": "conda",
        "category": "main",
        "extras": [],
        "version": version,
        "build": pin.build,
        "conda_channel": pin.channel,
        "hash": None,
    }


def _pip_spec(text: str) -> dict[str, Any]:
    # packaging's SpecifierSet prints its specifiers sorted
    name = text.split("=", 1)[0].split(">", 1)[0].split("<", 1)[0]
    spec = text[len(name) :]
    return {
        "name": normalize_pip_name(name),
        "manager": "pip",
        "category": "main",
        "extras": [],
        "version": ",".join(sorted(spec.split(","))),
        "build": None,
        "conda_channel": None,
        "hash": None,
    }


def lock_spec(data: EnvData, level: str) -> list[dict[str, Any]]:
    """The dependency specs of the environment.yml, as conda-lock reads them."""
    from .export import CondaPin

    specs = [_conda_spec(p) for p in conda_pins(data, level)]
    pip = pip_pins(data, level)
    if pip:
        pip_rec = data.record("pip")
        if "pip" not in data.requested and pip_rec is not None:
            version = version_range(str(pip_rec["version"]), level)
            specs.append(_conda_spec(CondaPin("pip", version, None, None)))
        specs += [_pip_spec(p) for p in pip]
        specs.append(_conda_spec(CondaPin("pip", "*", None, None)))
    return sorted(specs, key=lambda s: (s["manager"], s["name"]))


def content_hash(data: EnvData, level: str) -> str:
    """conda-lock's ``content_hash`` for ``data.platform`` (see the docstring)."""
    content: dict[str, Any] = {
        "channels": [
            json.dumps({"url": c, "used_env_vars": []}, separators=(",", ":"))
            for c in data.channels()
        ],
        "specs": lock_spec(data, level),
    }
    vpr = _virtual_packages().get(data.platform)
    if vpr is not None:
        content["virtual_package_hash"] = vpr
    text = json.dumps(content, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _dependencies(depends: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for dep in depends:
        name, _, rest = dep.strip().partition(" ")
        out[name] = rest.strip()
    return out


def _package(rec: dict[str, Any], platform: str) -> dict[str, Any]:
    hashes = {"md5": rec.get("md5"), "sha256": rec.get("sha256")}
    return {
        "build": rec.get("build", ""),
        "category": "main",
        "dependencies": _dependencies(list(rec.get("depends") or ())),
        "hash": {k: v for k, v in hashes.items() if v},
        "manager": "conda",
        "name": rec["name"],
        "optional": False,
        "platform": platform,
        "url": rec.get("url") or "",
        "version": str(rec["version"]),
    }


def conda_lock_yaml(data: EnvData, level: str = "exact") -> str:
    """The conda-lock.yml text for ``data`` (environment.yml pinned at ``level``)."""
    import yaml

    doc = {
        "version": 1,
        "metadata": {
            "channels": [{"url": c, "used_env_vars": []} for c in data.channels()],
            "content_hash": {data.platform: content_hash(data, level)},
            "platforms": [data.platform],
            "sources": ["environment.yml"],
        },
        "package": [_package(r, data.platform) for r in data.records if r.get("url")],
    }
    head = HEADER.format(source=data.source, name="conda-lock.yml")
    if data.pip:
        names = ", ".join(n for n, _ in data.pip)
        head += f"# not locked (pip-installed, no wheel URL or hash known): {names}\n"
    return head + yaml.safe_dump(
        doc, sort_keys=True, default_flow_style=False, width=1000
    )
