"""Record the "Recovering an environment" walk-through (docs/recorded/recovery/).

Run with a Python that has conda, conda-index and conda-guard (see
docs/dev/conda-from-source.md), from the repository root:

    python docs/examples/record_recovery.py [OUT_DIR]

It builds the local channels of ``tests/conda_channel.py`` (real conda-forge
records) under ``/tmp/cgr``, creates ``/tmp/cgr/envs/demo`` with
``python=3.10 numpy=1.25.1``, updates numpy (a generation is taken), deletes
the channel, runs ``conda clean --all -y``, and then records what conda's
``install --revision`` and the guard's ``snapshots``, ``rollback`` and
``export``/``drift`` print. Each file starts with the command and ends with
its exit status; standard error is shown where a terminal shows it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASE = Path("/tmp/cgr")
ENV = BASE / "envs" / "demo"
OUT = BASE / "export"

#: a second environment with its own package cache and a store on another file
#: system (no hard links there): what ``conda clean`` warns about
FAR = {
    "CONDA_PKGS_DIRS": str(BASE / "pkgs-far"),
    "CONDA_PLUGINS_GUARD_SNAPSHOT_DIR": "/dev/shm/cgr-generations",
}
FAR_ENV = BASE / "envs" / "far"

#: (file name or None to run unrecorded, extra environment, conda arguments)
STEPS: list[tuple[str | None, dict[str, str], list[str]]] = [
    (None, {}, ["create", "-y", "-p", str(ENV), "python=3.10", "numpy=1.25.1"]),
    ("install.txt", {}, ["install", "-y", "-p", str(ENV), "numpy=2.2.6"]),
    (None, FAR, ["create", "-y", "-p", str(FAR_ENV), "python=3.10", "numpy=1.25.1"]),
    (None, FAR, ["install", "-y", "-p", str(FAR_ENV), "numpy=2.2.6"]),
    ("clean-check.txt", FAR, ["clean", "--all", "--dry-run"]),
    ("clean.txt", {}, ["clean", "--all", "-y"]),
    (
        "revision.txt",
        {},
        ["install", "--revision", "0", "--offline", "-y", "-p", str(ENV)],
    ),
    ("snapshots.txt", {}, ["guard", "snapshots", "-p", str(ENV)]),
    ("rollback-dry-run.txt", {}, ["guard", "rollback", "-p", str(ENV), "--dry-run"]),
    ("rollback.txt", {}, ["guard", "rollback", "-y", "-p", str(ENV)]),
    ("snapshots-after.txt", {}, ["guard", "snapshots", "-p", str(ENV)]),
    ("export.txt", {}, ["guard", "export", "-p", str(ENV), "-o", str(OUT)]),
    (
        "drift.txt",
        {},
        [
            "guard",
            "drift",
            str(OUT / "environment.yml"),
            str(OUT / "conda-lock.yml"),
            str(OUT / "pixi.lock"),
            "-p",
            str(ENV),
        ],
    ),
]


def second_file_system() -> bool:
    """True when /dev/shm is another file system than /tmp (no hard links)."""
    shm = Path("/dev/shm")
    return shm.is_dir() and shm.stat().st_dev != Path("/tmp").stat().st_dev


def conda_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONDA_")}
    env.update(
        {
            "CONDA_CHANNELS": (BASE / "ch" / "conda-forge").as_uri(),
            "CONDA_PKGS_DIRS": str(BASE / "pkgs"),
            "CONDA_ENVS_DIRS": str(BASE / "envs"),
            "CONDA_SOLVER": "classic",
            "CONDA_OFFLINE": "true",
            "CONDA_PLUGINS_GUARD_SNAPSHOT_DIR": str(BASE / "generations"),
            "CONDA_NUMBER_CHANNEL_NOTICES": "0",
            "CONDA_REPORT_ERRORS": "false",
            "NO_COLOR": "1",
            "COLUMNS": "120",
        }
    )
    return env


def record(out_dir: Path) -> list[Path]:
    sys.path.insert(0, str(ROOT))
    from tests.conda_channel import build_channels

    if BASE.exists():
        shutil.rmtree(BASE)
    build_channels(BASE / "ch")
    env = conda_env()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    far = Path(FAR["CONDA_PLUGINS_GUARD_SNAPSHOT_DIR"])
    shutil.rmtree(far, ignore_errors=True)
    for name, extra, args in STEPS:
        if extra and not second_file_system():
            continue
        if name == "clean.txt":  # the channel is gone before conda clean
            shutil.rmtree(BASE / "ch")
        proc = subprocess.run(
            [sys.executable, "-m", "conda", *args],
            env={**env, **extra},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        if name is None:
            if proc.returncode:
                raise RuntimeError(proc.stdout)
            continue
        shown = "".join(f"{k}={v} " for k, v in extra.items())
        body = f"$ {shown}conda {' '.join(args)}\n{proc.stdout.rstrip()}\n"
        body += f"--- exit status {proc.returncode} ---\n"
        path = out_dir / name
        path.write_text(body, encoding="utf-8")
        written.append(path)
    shutil.rmtree(far, ignore_errors=True)
    return written


if __name__ == "__main__":
    target = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else ROOT / "docs" / "recorded" / "recovery"
    )
    for path in record(target):
        print(f"wrote {path}")
