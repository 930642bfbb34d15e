"""Real lock files of tests/data/lockfiles (xz-compressed, see tests/data/README.md),
unpacked on demand."""

from __future__ import annotations

import lzma
from pathlib import Path

LOCKFILES = Path(__file__).resolve().parent / "data" / "lockfiles"

SCIPY_BEFORE = "scipy-2d50534746.pixi.lock"
SCIPY_AFTER = "scipy-066bc635ef.pixi.lock"
PANGEO_LOCK_BEFORE = "pangeo-ml-f0957bf.conda-lock.yml"
PANGEO_LOCK_AFTER = "pangeo-ml-6d4c2ab.conda-lock.yml"
PANGEO_EXPLICIT_BEFORE = "pangeo-ml-f0957bf.conda-linux-64.lock"
PANGEO_EXPLICIT_AFTER = "pangeo-ml-6d4c2ab.conda-linux-64.lock"
PANGEO_EXPLICIT_600 = "pangeo-ml-4074d6b.conda-linux-64.lock"
#: "Add lonboard package": a routine change, no finding
ROUTINE_BEFORE = "pangeo-ml-4932e89.conda-linux-64.lock"
ROUTINE_AFTER = "pangeo-ml-65f7193.conda-linux-64.lock"


def lock_bytes(name: str) -> bytes:
    """The content of ``name`` (a file of tests/data/lockfiles without ``.xz``)."""
    return lzma.decompress((LOCKFILES / f"{name}.xz").read_bytes())


def unpack(name: str, directory: Path, as_name: str | None = None) -> Path:
    """Write ``name`` into ``directory`` (as ``as_name``) and return its path."""
    path = directory / (as_name or name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(lock_bytes(name))
    return path
