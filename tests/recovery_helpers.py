"""A real prefix layout with real package archives, for the recovery tests.

The records are the real ``conda-meta`` records of ``docs/examples/<name>``
(conda-forge packages). Each gets a real ``.conda`` archive written with
conda-package-handling (its ``info/index.json`` is the record; the payload is
empty), in a package-cache directory; the prefix records then carry that
archive's md5, sha256 and size, as conda writes them after a download. A
prefix built this way is what a capture reads in the field: records, history,
a package cache with the archives.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "docs" / "examples"

_INDEX_KEYS = (
    "name",
    "version",
    "build",
    "build_number",
    "depends",
    "constrains",
    "license",
    "subdir",
    "timestamp",
    "noarch",
)


def _archive(rec: dict, pkgs: Path) -> Path:
    cph = pytest.importorskip(
        "conda_package_handling.api", reason="conda-package-handling writes archives"
    )
    index = {k: rec[k] for k in _INDEX_KEYS if k in rec}
    with tempfile.TemporaryDirectory() as tmp:
        info = Path(tmp) / "info"
        info.mkdir()
        (info / "index.json").write_text(json.dumps(index, sort_keys=True))
        (info / "paths.json").write_text('{"paths": [], "paths_version": 1}')
        (info / "files").write_text("")
        cph.create(
            tmp,
            ["info/index.json", "info/paths.json", "info/files"],
            rec["fn"],
            str(pkgs),
        )
    return pkgs / rec["fn"]


def build_prefix(root: Path, example: str = "python-env") -> tuple[Path, Path]:
    """``(prefix, pkgs_dir)`` under ``root`` from ``docs/examples/<example>``."""
    source = EXAMPLES / example / "conda-meta"
    prefix, pkgs = root / "env", root / "pkgs"
    (prefix / "conda-meta").mkdir(parents=True)
    pkgs.mkdir()
    shutil.copy(source / "history", prefix / "conda-meta" / "history")
    for path in sorted(source.glob("*.json")):
        rec = json.loads(path.read_text())
        data = _archive(rec, pkgs).read_bytes()
        rec["md5"] = hashlib.md5(data).hexdigest()
        rec["sha256"] = hashlib.sha256(data).hexdigest()
        rec["size"] = len(data)
        rec["package_tarball_full_path"] = str(pkgs / rec["fn"])
        (prefix / "conda-meta" / path.name).write_text(json.dumps(rec, indent=1))
    return prefix, pkgs


def add_pip_dist(prefix: Path, name: str, version: str, body: str) -> Path:
    """A pip-installed distribution as pip writes it (dist-info with RECORD)."""
    site = prefix / "lib" / "python3.13" / "site-packages"
    pkg = site / name
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text(body)
    info = site / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    )
    (info / "INSTALLER").write_text("pip\n")
    rows = [f"{name}/__init__.py,sha256=x,{len(body)}"]
    rows += [f"{info.name}/{f},," for f in ("METADATA", "INSTALLER", "RECORD")]
    (info / "RECORD").write_text("\n".join(rows) + "\n")
    return info


def remove_pip_dist(prefix: Path, name: str) -> None:
    """Delete a distribution written by :func:`add_pip_dist`."""
    site = prefix / "lib" / "python3.13" / "site-packages"
    shutil.rmtree(site / name)
    for info in site.glob(f"{name}-*.dist-info"):
        shutil.rmtree(info)


def tree(root: Path) -> dict[str, bytes]:
    """Relative path -> content of every file under ``root``."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
