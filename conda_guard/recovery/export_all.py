"""``conda-guard export``: every format of one environment in one directory.

environment.yml (:func:`~.export.environment_yaml`), conda-lock.yml
(:mod:`.lock_conda`), pixi.lock (:mod:`.lock_pixi`) and explicit.txt
(:mod:`.explicit`), each written atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..exceptions import UsageError
from . import fsutil
from .explicit import explicit_text
from .export import environment_yaml
from .lock_conda import conda_lock_yaml
from .lock_pixi import pixi_lock_yaml

if TYPE_CHECKING:
    from .export import EnvData

#: format -> file name in the output directory
FILES = {
    "environment": "environment.yml",
    "conda-lock": "conda-lock.yml",
    "pixi-lock": "pixi.lock",
    "explicit": "explicit.txt",
}


def export_all(
    data: EnvData, out_dir: str | Path, level: str = "exact"
) -> dict[str, Path]:
    """Write the four files into ``out_dir``; format -> path."""
    target = Path(out_dir)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create {target}: {exc.strerror or exc}") from None
    yml = environment_yaml(data, level)
    texts = {
        "environment": yml,
        "conda-lock": conda_lock_yaml(data, level),
        "pixi-lock": pixi_lock_yaml(data),
        "explicit": explicit_text(
            data.records, data.platform, f"exported by conda-guard from {data.source}"
        ),
    }
    written = {}
    for fmt, text in texts.items():
        path = target / FILES[fmt]
        try:
            fsutil.atomic_write(path, text.encode())
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
        written[fmt] = path
    return written
