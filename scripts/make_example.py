"""Build examples/ml-env: a conda prefix (conda-meta only) made by real solves.

Each revision is a real py-rattler solve over the harvested conda-forge channel
in ../shared/data (records are real conda-forge records, nothing is invented);
the result is written as conda would write it: one PrefixRecord JSON per package
(without files) and a conda-meta/history with one section per command.

    rev 0  conda create -n ml python=3.12 numpy=1.26 lightgbm
    rev 1  conda install pandas
    rev 2  conda install "numpy>=2"        (lightgbm stays: its numpy dep is unbounded)

Run from the repository root: ``python scripts/make_example.py``.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from pathlib import Path

from rattler import (
    BuildString,
    Channel,
    Gateway,
    GenericVirtualPackage,
    PackageName,
    Platform,
    Version,
    solve,
)

ROOT = Path(__file__).resolve().parents[1]
CHANNEL = ROOT.parent / "shared" / "data" / "channels" / "harvested"
OUT = ROOT / "examples" / "ml-env"
VIRTUAL = [("__glibc", "2.35", "0"), ("__unix", "0", "0"), ("__linux", "5.15", "0")]

STEPS = [
    (
        "2026-03-02 10:15:07",
        "create -n ml python=3.12 numpy=1.26 lightgbm",
        ["python=3.12", "numpy=1.26", "lightgbm"],
        False,
    ),
    ("2026-05-19 16:40:51", "install pandas", ["pandas"], True),
    ("2026-11-20 09:03:12", "install numpy>=2", ["numpy>=2"], True),
]


def spec_for_rattler(spec: str) -> str:
    name, _, version = spec.partition("=")
    if spec.startswith("numpy>="):
        return "numpy >=2"
    return f"{name} {version}.*" if version else name


async def main() -> int:
    chan = Channel(CHANNEL.resolve().as_uri())
    vps = [
        GenericVirtualPackage(PackageName(n), Version(v), BuildString(b))
        for n, v, b in VIRTUAL
    ]
    gw = Gateway()
    requested: dict[str, str] = {}
    installed: list = []
    if OUT.exists():
        shutil.rmtree(OUT)
    meta = OUT / "conda-meta"
    meta.mkdir(parents=True)
    history = []
    for date, cmd, specs, keep in STEPS:
        for s in specs:
            requested[s.split("=")[0].split(">")[0]] = s
        solved = await solve(
            sources=[chan],
            specs=[spec_for_rattler(s) for s in requested.values()],
            gateway=gw,
            platforms=[Platform("linux-64"), Platform("noarch")],
            virtual_packages=vps,
            locked_packages=installed if keep else None,
        )
        before = {r.name.normalized: r for r in installed}
        after = {r.name.normalized: r for r in solved}
        lines = [
            f"==> {date} <==",
            f"# cmd: /opt/conda/bin/conda {cmd}",
            "# conda version: 26.7.0",
        ]

        def dist(r) -> str:
            return f"conda-forge/{r.subdir}::{r.name.normalized}-{r.version}-{r.build}"

        minus = sorted(
            dist(r)
            for n, r in before.items()
            if n not in after or after[n].file_name != r.file_name
        )
        plus = sorted(
            dist(r)
            for n, r in after.items()
            if n not in before or before[n].file_name != r.file_name
        )
        lines += [f"-{d}" for d in minus] + [f"+{d}" for d in plus]
        lines.append(f"# update specs: {specs!r}")
        history.append("\n".join(lines))
        installed = solved
    for r in installed:
        rec = json.loads(r.to_json())
        rec["channel"] = "https://conda.anaconda.org/conda-forge/" + r.subdir
        rec["url"] = f"https://conda.anaconda.org/conda-forge/{r.subdir}/{r.file_name}"
        rec["files"] = []
        rec["paths_data"] = {"paths": [], "paths_version": 1}
        rec["requested_spec"] = requested.get(r.name.normalized, "")
        name = f"{r.name.normalized}-{r.version}-{r.build}.json"
        (meta / name).write_text(json.dumps(rec, indent=1, sort_keys=True) + "\n")
    (meta / "history").write_text("\n".join(history) + "\n")
    print(f"wrote {OUT} ({len(installed)} packages, {len(STEPS)} revisions)")
    return 0


if __name__ == "__main__":
    code = asyncio.run(main())
    sys.stdout.flush()
    os._exit(code)  # py-rattler can crash the interpreter at exit
