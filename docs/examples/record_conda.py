"""Record what ``conda install`` prints with conda-guard installed (docs/recorded/).

Run with a Python that has conda, conda-index and conda-guard (see
docs/dev/conda-from-source.md), from the repository root:

    python docs/examples/record_conda.py [OUT_DIR]

It builds the local channels of ``tests/conda_channel.py`` (real pytorch,
nvidia and conda-forge records; pytorch 1.12.1's CUDA toolkits left out) under
``/tmp/cg``, creates ``/tmp/cg/envs/gpu`` with ``pytorch=1.11.0
cudatoolkit=11.1`` (the CUDA build), then records ``conda install
pytorch=1.12.1`` in warn mode (``--dry-run``), in block mode, and in block
mode with ``--json``, and the guard's ``conda doctor`` check. Each file
starts with the command and ends with its exit status.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASE = Path("/tmp/cg")
ENV = BASE / "envs" / "gpu"

#: file name -> (extra environment, conda arguments)
RECORDINGS = {
    "conda-install-warn.txt": (
        {},
        ["install", "-p", str(ENV), "pytorch=1.12.1", "--dry-run"],
    ),
    "conda-install-block.txt": (
        {"CONDA_PLUGINS_GUARD_MODE": "block"},
        ["install", "-y", "-p", str(ENV), "pytorch=1.12.1"],
    ),
    "conda-doctor.txt": ({}, ["doctor", "-p", str(ENV), "abi-guard"]),
    "conda-install-block-json.txt": (
        {"CONDA_PLUGINS_GUARD_MODE": "block"},
        ["install", "-y", "-p", str(ENV), "pytorch=1.12.1", "--json"],
    ),
}


def conda_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONDA_")}
    channels = ",".join(
        (BASE / "ch" / name).as_uri() for name in ("pytorch", "nvidia", "conda-forge")
    )
    env.update(
        {
            "CONDA_CHANNELS": channels,
            "CONDA_PKGS_DIRS": str(BASE / "pkgs"),
            "CONDA_ENVS_DIRS": str(BASE / "envs"),
            "CONDA_SOLVER": "classic",
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
    conda = [sys.executable, "-m", "conda"]
    subprocess.run(
        [*conda, "create", "-y", "-p", str(ENV), "pytorch=1.11.0", "cudatoolkit=11.1"],
        env=env,
        check=True,
        capture_output=True,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (extra, args) in RECORDINGS.items():
        as_json = "--json" in args
        proc = subprocess.run(
            [*conda, *args],
            env={**env, **extra},
            stdout=subprocess.PIPE,
            # as a terminal shows it; --json: standard output alone, then stderr
            stderr=subprocess.PIPE if as_json else subprocess.STDOUT,
            text=True,
        )
        shown = " ".join(f"{k}={v}" for k, v in extra.items())
        header = f"$ {shown + ' ' if shown else ''}conda {' '.join(args)}"
        body = f"{header}\n{proc.stdout.rstrip()}\n"
        if as_json:
            body += f"--- standard error ---\n{proc.stderr.rstrip()}\n"
        body += f"--- exit status {proc.returncode} ---\n"
        path = out_dir / name
        path.write_text(body, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "recorded"
    for path in record(target):
        print(f"wrote {path}")
