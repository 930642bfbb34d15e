"""Extract the real before/after states the rule tests use (``rule_cases.json.xz``).

Each case is two versions of one public lock file (a commit pair of its git
history), read with conda-guard's own readers, cut down to the packages the
case is about: the focus names, every package they depend on, and every
package that depends on them, in either state. The records are kept field by
field (nothing is invented); the cut is what makes the file small.

Usage: ``python tests/data/make_rule_cases.py --mirrors DIR`` where DIR holds
bare git mirrors named ``owner+name`` (``DIR/owner+name/repo`` or
``DIR/owner+name``), as the ``fetch`` tool lays them out. Writes
``tests/data/rule_cases.json.xz`` next to this script.
"""

from __future__ import annotations

import argparse
import json
import lzma
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from conda_guard.abi import load_table  # noqa: E402
from conda_guard.graph import dep_name  # noqa: E402
from conda_guard.readers import read_state  # noqa: E402

SOURCES = {
    "pangeo-ml": {
        "repo": "pangeo-data/pangeo-docker-images",
        "license": "MIT",
        "path": "ml-notebook/conda-lock.yml",
    },
    "pangeo-pytorch": {
        "repo": "pangeo-data/pangeo-docker-images",
        "license": "MIT",
        "path": "pytorch-notebook/conda-lock.yml",
    },
    "pangeo-ml-explicit": {
        "repo": "pangeo-data/pangeo-docker-images",
        "license": "MIT",
        "path": "ml-notebook/conda-linux-64.lock",
    },
    "cryo": {
        "repo": "CryoInTheCloud/hub-image",
        "license": "BSD-3-Clause",
        "path": "conda-lock.yml",
    },
    "scipy": {"repo": "scipy/scipy", "license": "BSD-3-Clause", "path": "pixi.lock"},
    "esmvaltool": {
        "repo": "ESMValGroup/ESMValTool",
        "license": "Apache-2.0",
        "path": "pixi.lock",
    },
}

GPU_NAMES = [
    "jaxlib",
    "tensorflow",
    "tensorflow-base",
    "tensorflow-estimator",
    "tensorflow-gpu",
    "_tflow_select",
    "libxgboost",
    "py-xgboost",
    "xgboost",
    "_py-xgboost-mutex",
]
MPI_NAMES = [
    "hdf5",
    "libnetcdf",
    "netcdf-fortran",
    "esmf",
    "esmpy",
    "h5py",
    "netcdf4",
    "parallelio",
    "libpnetcdf",
]

#: case id -> (source, before commit, after commit, platform, environment, focus)
#: focus: package names, or "family:NAME", "glibc>BASE", "pip"
CASES = {
    # CUDA 11 -> 12: cudatoolkit leaves, split CUDA packages arrive (2024-05)
    "pangeo-ml-cuda12-split": (
        "pangeo-ml",
        "f0957bf",
        "6d4c2ab",
        "linux-64",
        None,
        ["family:cuda", *GPU_NAMES],
    ),
    # the CUDA compiler and headers leave; numpy 1.26 -> 2.3 (2025-11)
    "pangeo-ml-toolchain-numpy2": (
        "pangeo-ml",
        "fa97710",
        "75eec89",
        "linux-64",
        None,
        ["family:cuda", *GPU_NAMES, "numpy"],
    ),
    # libmagma 2.7.2 rebuilt: 'cudatoolkit >=11.8,<12' -> '>=11.2,<12' (2023)
    "pangeo-pytorch-magma-relax": (
        "pangeo-pytorch",
        "5ec9f9f",
        "722f613",
        "linux-64",
        None,
        ["libmagma", "libmagma_sparse", "magma"],
    ),
    # hdf5/libnetcdf/netcdf-fortran/esmf mpich -> nompi, mpich removed
    "pangeo-ml-mpi-to-nompi": (
        "pangeo-ml",
        "9301d5f",
        "302f739",
        "linux-64",
        None,
        ["family:mpi", *MPI_NAMES],
    ),
    # py-xgboost/libxgboost/xgboost cuda129 -> cpu
    "pangeo-ml-xgboost-cpu": (
        "pangeo-ml",
        "98325c5",
        "58b64cc",
        "linux-64",
        None,
        GPU_NAMES,
    ),
    # c-ares 1.33.0 raises the glibc floor from 2.17 to 2.28
    "pangeo-ml-glibc-228": (
        "pangeo-ml",
        "0c081b8",
        "4552cca",
        "linux-64",
        None,
        ["glibc>2.17"],
    ),
    # tensorflow 2.4.1 gpu_py38h8a7d6ce_0 (pkgs/main) -> py38h578d9bd_0 (conda-forge)
    "pangeo-ml-tf-explicit": (
        "pangeo-ml-explicit",
        "4b4ac3e",
        "dab7d97",
        "linux-64",
        None,
        ["family:cuda", *GPU_NAMES],
    ),
    # cupy and cutensor leave, tensorflow becomes a CUDA 11.1 build (explicit)
    "pangeo-ml-cutensor-explicit": (
        "pangeo-ml-explicit",
        "9bbcf230a3~1",
        "9bbcf230a3",
        "linux-64",
        None,
        ["family:cuda", *GPU_NAMES, "cupy"],
    ),
    # numpy 1.26.4 -> 2.4.3 (contourpy stays), openmpi removed
    "cryo-numpy2": (
        "cryo",
        "2afa205",
        "3ea6e3a",
        "linux-64",
        None,
        ["numpy", "openmpi", "family:mpi"],
    ),
    # cudnn + libcudnn-dev leave, libcudnn stays (pytorch depends on it)
    "scipy-torch-cudnn-split": (
        "scipy",
        "19a1d82764",
        "525f5328f6",
        "linux-64",
        "torch-cuda",
        ["family:cuda", "pytorch", "libtorch", "torchvision", "triton"],
    ),
    # python 3.14.3 cp314t (free-threaded) -> 3.14.5 cp314
    "scipy-freethreading-to-gil": (
        "scipy",
        "cac5c9cbdd~1",
        "cac5c9cbdd",
        "linux-64",
        "mkl-lp64",
        ["family:python", "numpy"],
    ),
    # python 3.13 -> 3.14 in a pixi.lock whose pypi entry is re-resolved
    "esmvaltool-py314": (
        "esmvaltool",
        "30a547805",
        "e2232470a",
        "linux-64",
        None,
        ["family:python", "pip"],
    ),
}

FIELDS = (
    "name",
    "version",
    "build",
    "build_number",
    "channel",
    "subdir",
    "depends",
    "constrains",
    "track_features",
    "noarch",
    "url",
    "sha256",
    "md5",
    "timestamp",
    "pip",
)


def git_dir(mirrors: Path, repo: str) -> Path:
    base = mirrors / repo.replace("/", "+")
    return base / "repo" if (base / "repo").is_dir() else base


def full_commit(gd: Path, rev: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(gd), "rev-parse", rev],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def read_at(gd: Path, commit: str, path: str, platform, environment):
    data = subprocess.run(
        ["git", "--git-dir", str(gd), "show", f"{commit}:{path}"],
        capture_output=True,
        check=True,
    ).stdout
    with tempfile.TemporaryDirectory() as tmp:
        name = Path(path).name
        if name.endswith(".lock") and not name.startswith("pixi"):
            name = "explicit.txt"
        p = Path(tmp) / name
        p.write_bytes(data)
        return read_state(p, platform=platform, environment=environment)


def focus_names(spec: list[str], states, table) -> set[str]:
    names: set[str] = set()
    for item in spec:
        for s in states:
            for rec in s:
                if item.startswith("family:"):
                    if table.family_of(rec.name) == item.split(":", 1)[1]:
                        names.add(rec.name)
                elif item.startswith("glibc>"):
                    base = tuple(int(x) for x in item[6:].split("."))
                    for d in rec.depends:
                        m = re.match(r"__glibc\s*>=\s*([0-9.]+)", d)
                        if m and tuple(int(x) for x in m.group(1).split(".")) > base:
                            names.add(rec.name)
                elif item == "pip":
                    if rec.pip:
                        names.add(rec.name)
                elif rec.name == item:
                    names.add(rec.name)
    return names


def closure(focus: set[str], states) -> set[str]:
    keep = set(focus)
    for s in states:
        for rec in s:
            deps = {dep_name(d) for d in rec.depends}
            if rec.name in focus:
                keep |= deps
            elif deps & focus:
                keep.add(rec.name)
    return keep


def record_json(rec) -> dict:
    out = {}
    for key in FIELDS:
        value = getattr(rec, key)
        if isinstance(value, tuple):
            value = list(value)
        if value not in (None, "", [], False) or key in ("name", "version", "depends"):
            out[key] = value
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, required=True)
    args = parser.parse_args(argv)
    table = load_table()
    out = {
        "_about": (
            "Real before/after states for the rule tests, cut from public lock "
            "files by tests/data/make_rule_cases.py (see tests/data/README.md)."
        ),
        "sources": SOURCES,
        "cases": {},
    }
    for case, (src, b, a, platform, env, spec) in CASES.items():
        source = SOURCES[src]
        gd = git_dir(args.mirrors, source["repo"])
        bc, ac = full_commit(gd, b), full_commit(gd, a)
        states = [read_at(gd, c, source["path"], platform, env) for c in (bc, ac)]
        keep = closure(focus_names(spec, states, table), states)
        out["cases"][case] = {
            "source": src,
            "platform": platform,
            "environment": env,
            "commits": [bc, ac],
            "focus": spec,
            "states": [
                [
                    record_json(r)
                    for r in sorted(s, key=lambda r: r.name)
                    if r.name in keep
                ]
                for s in states
            ],
        }
        print(case, [len(x) for x in out["cases"][case]["states"]], file=sys.stderr)
    text = json.dumps(out, indent=0, sort_keys=True, ensure_ascii=False)
    (HERE / "rule_cases.json.xz").write_bytes(lzma.compress(text.encode("utf-8")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
