"""Build the example environments: ``examples/ml-env`` (README) and the ones
the documentation runs conda-guard on (``docs/examples/``).

Each example is a conda prefix (``conda-meta`` only: one PrefixRecord JSON per
package, without files, and a ``conda-meta/history`` with one section per
command), made by real py-rattler solves over real records in ../shared/data:

- ``ml-env`` (in ``examples/``): ``create python=3.12 numpy=1.26 lightgbm``,
  ``install pandas``, ``install "numpy>=2"`` (lightgbm stays: its numpy
  dependency has no upper bound).

- ``blas-env``: ``create numpy``, then ``install pytorch`` (the conda-forge
  ``cpu_mkl`` build switches BLAS from OpenBLAS to MKL and OpenMP to LLVM).
- ``python-env``: ``create python=3.12 numpy``, then ``install python=3.13``.
- ``drift-env``: ``create python=3.12 numpy``, ``install pandas=2.1``,
  ``install pandas``, ``install scikit-learn``: four incremental solves, each
  keeping what is installed where it can.
- ``drift-env-batch``: one solve of the same four requests (what a fresh
  ``conda create`` — and the guard's ``--batch`` comparison — would pick).
- ``gpu-env``: ``create pytorch=1.11.0 cudatoolkit=11.1``, then
  ``install pytorch=1.12.1``, over real pytorch, nvidia and conda-forge
  records (``tests/conda_channel.py``) in which the CUDA 11.3/11.6 toolkits
  that pytorch 1.12.1's GPU builds need are not available: the solver can only
  meet the request with the CPU build.

Records keep their real channel (``https://conda.anaconda.org/<channel>/``).
Run from the repository root: ``python scripts/make_examples.py
[--out DIR] [NAME ...]`` (default: every example, into examples/ and
docs/examples/; ``--out`` puts them all under DIR).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from rattler import (
    Channel,
    Gateway,
    GenericVirtualPackage,
    PackageName,
    Platform,
    Version,
    solve,
)

try:  # py-rattler >= 0.27 wraps build strings; 0.26 takes a str
    from rattler import BuildString
except ImportError:  # pragma: no cover - depends on the installed py-rattler
    BuildString = str

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "examples"
#: examples that live outside docs/examples
OUT_OF = {"ml-env": ROOT / "examples"}
HARVESTED = ROOT.parent / "shared" / "data" / "channels" / "harvested"
VIRTUAL = [("__glibc", "2.35", "0"), ("__unix", "0", "0"), ("__linux", "5.15", "0")]

#: name -> (channel set, [(date, command, specs, keep installed)])
EXAMPLES = {
    "ml-env": (
        "harvested",
        [
            (
                "2026-03-02 10:15:07",
                "create -n ml python=3.12 numpy=1.26 lightgbm",
                ["python=3.12", "numpy=1.26", "lightgbm"],
                False,
            ),
            ("2026-05-19 16:40:51", "install pandas", ["pandas"], True),
            ("2026-11-20 09:03:12", "install numpy>=2", ["numpy>=2"], True),
        ],
    ),
    "blas-env": (
        "harvested",
        [
            ("2026-06-01 09:00:00", "create -n blas-env numpy", ["numpy"], False),
            ("2026-06-02 14:30:00", "install pytorch", ["pytorch"], True),
        ],
    ),
    "python-env": (
        "harvested",
        [
            (
                "2026-06-01 09:00:00",
                "create -n python-env python=3.12 numpy",
                ["python=3.12", "numpy"],
                False,
            ),
            ("2026-06-03 11:00:00", "install python=3.13", ["python=3.13"], True),
        ],
    ),
    "drift-env": (
        "harvested",
        [
            (
                "2026-06-01 09:00:00",
                "create -n drift-env python=3.12 numpy",
                ["python=3.12", "numpy"],
                False,
            ),
            ("2026-06-02 10:00:00", "install pandas=2.1", ["pandas=2.1"], True),
            ("2026-06-05 10:00:00", "install pandas", ["pandas"], True),
            ("2026-06-09 10:00:00", "install scikit-learn", ["scikit-learn"], True),
        ],
    ),
    "drift-env-batch": (
        "harvested",
        [
            (
                "2026-06-09 10:05:00",
                "create -n drift-env-batch python=3.12 numpy pandas scikit-learn",
                ["python=3.12", "numpy", "pandas", "scikit-learn"],
                False,
            ),
        ],
    ),
    "gpu-env": (
        "pytorch",
        [
            (
                "2026-06-01 09:00:00",
                (
                    "create -n gpu-env -c pytorch -c nvidia -c conda-forge "
                    "pytorch=1.11.0 cudatoolkit=11.1"
                ),
                ["pytorch=1.11.0", "cudatoolkit=11.1"],
                False,
            ),
            (
                "2026-06-04 16:20:00",
                "install -c pytorch -c nvidia -c conda-forge pytorch=1.12.1",
                ["pytorch=1.12.1"],
                True,
            ),
        ],
    ),
}


_SPEC = re.compile(r"([A-Za-z0-9_.\-]+)\s*(.*)")


def spec_name(spec: str) -> str:
    """The package name of a command-line spec (``numpy>=2`` -> ``numpy``)."""
    m = _SPEC.fullmatch(spec.strip())
    return m.group(1) if m else spec


def spec_for_rattler(spec: str) -> str:
    """``name=1.2`` (conda's fuzzy ``=``) -> ``name 1.2.*``; ``a>=2`` -> ``a >=2``."""
    m = _SPEC.fullmatch(spec.strip())
    if not m:
        return spec
    name, rest = m.groups()
    if rest.startswith("=") and not rest.startswith("=="):
        return f"{name} {rest[1:]}.*"
    return f"{name} {rest}".strip()


def pytorch_channels(root: Path) -> dict[str, Path]:
    """The real records of tests/conda_channel.py as repodata-only channels."""
    sys.path.insert(0, str(ROOT))
    from tests.conda_channel import collect_records

    out = {}
    for name, records in collect_records().items():
        for sub in ("linux-64", "noarch"):
            packages = {
                key.split("/", 1)[1]: {
                    k: v for k, v in rec.items() if k != "_synthesized"
                }
                for key, rec in records.items()
                if key.startswith(sub + "/")
            }
            tar = {k: v for k, v in packages.items() if k.endswith(".tar.bz2")}
            conda = {k: v for k, v in packages.items() if k.endswith(".conda")}
            (root / name / sub).mkdir(parents=True, exist_ok=True)
            (root / name / sub / "repodata.json").write_text(
                json.dumps(
                    {
                        "info": {"subdir": sub},
                        "packages": tar,
                        "packages.conda": conda,
                        "repodata_version": 1,
                    }
                )
            )
        out[name] = root / name
    return out


async def build(
    name: str,
    channels: list[tuple[str, Path]],
    steps: list,
    gw: Gateway,
    out_root: Path | None = None,
) -> None:
    """Solve ``steps`` in order and write the prefix ``<out_root>/<name>``."""
    out_root = out_root or OUT_OF.get(name, OUT)
    sources = [Channel(path.resolve().as_uri()) for _, path in channels]
    real_name = {path.resolve().as_uri(): label for label, path in channels}
    vps = [
        GenericVirtualPackage(PackageName(n), Version(v), BuildString(b))
        for n, v, b in VIRTUAL
    ]
    requested: dict[str, str] = {}
    installed: list = []
    history = []
    for date, cmd, specs, keep in steps:
        for s in specs:
            requested[spec_name(s)] = s
        solved = await solve(
            sources=sources,
            specs=[spec_for_rattler(s) for s in requested.values()],
            gateway=gw,
            platforms=[Platform("linux-64"), Platform("noarch")],
            virtual_packages=vps,
            locked_packages=installed if keep else None,
        )
        before = {r.name.normalized: r for r in installed}
        after = {r.name.normalized: r for r in solved}

        def dist(r) -> str:
            return (
                f"{channel_of(r)}/{r.subdir}::{r.name.normalized}-{r.version}-{r.build}"
            )

        def channel_of(r) -> str:
            return real_name[str(r.channel).rstrip("/")]

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
        history.append(
            "\n".join(
                [
                    f"==> {date} <==",
                    f"# cmd: /opt/conda/bin/conda {cmd}",
                    "# conda version: 26.7.0",
                    *(f"-{d}" for d in minus),
                    *(f"+{d}" for d in plus),
                    f"# update specs: {specs!r}",
                ]
            )
        )
        installed = solved
    out = out_root / name
    if out.exists():
        shutil.rmtree(out)
    meta = out / "conda-meta"
    meta.mkdir(parents=True)
    for r in installed:
        rec = json.loads(r.to_json())
        base = f"https://conda.anaconda.org/{channel_of(r)}/{r.subdir}"
        rec["channel"] = base
        rec["url"] = f"{base}/{r.file_name}"
        rec["files"] = []
        rec["paths_data"] = {"paths": [], "paths_version": 1}
        rec["requested_spec"] = requested.get(r.name.normalized, "")
        fn = f"{r.name.normalized}-{r.version}-{r.build}.json"
        (meta / fn).write_text(json.dumps(rec, indent=1, sort_keys=True) + "\n")
    (meta / "history").write_text("\n".join(history) + "\n")
    n = len(installed)
    print(f"wrote {out} ({n} packages, {len(steps)} revisions)")


async def main() -> int:
    gw = Gateway()
    with tempfile.TemporaryDirectory() as tmp:
        torch = pytorch_channels(Path(tmp))
        sets = {
            "harvested": [("conda-forge", HARVESTED)],
            "pytorch": [
                ("pytorch", torch["pytorch"]),
                ("nvidia", torch["nvidia"]),
                ("conda-forge", torch["conda-forge"]),
            ],
        }
        args = sys.argv[1:]
        out_root = None
        if args[:1] == ["--out"]:
            out_root, args = Path(args[1]), args[2:]
        for name in args or list(EXAMPLES):
            channel_set, steps = EXAMPLES[name]
            await build(name, sets[channel_set], steps, gw, out_root)
    return 0


if __name__ == "__main__":
    code = asyncio.run(main())
    sys.stdout.flush()
    os._exit(code)  # py-rattler can crash the interpreter at exit
