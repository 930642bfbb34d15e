"""Tag a corpus pair with the kinds of change it holds, from package URLs alone.

An independent, rough scan (no conda-guard code): every ``linux-64`` and
``noarch`` conda package URL in each file gives ``name → {(version, build)}``
(for a multi-environment ``pixi.lock``, the union over its environments), and
the tags say what differs between the two files: a value set that changes
with no value in common (so that an environment added or dropped does not
count). They tell people judging the rules
where to look for a missed switch; they are hints, not findings.

- ``gpu-to-cpu`` / ``cpu-to-gpu``: a package whose builds were all CUDA/GPU
  builds (``cuda``/``gpu`` in the build string) has only non-CUDA builds after,
  or the other way round (a gain: no rule is expected to report it).
- ``cuda-major``: the major version of ``cuda-version`` or ``cudatoolkit``
  changes, or ``cudatoolkit`` is replaced by ``cuda-cudart`` (CUDA 11 → 12).
- ``cudnn-nccl``: ``cudnn``, ``libcudnn`` or ``nccl`` leaves or changes its
  major version (appearing is no risk; ``cudnn`` becoming ``libcudnn`` is a
  split, not a leave).
- ``blas-switch``: the ``libblas`` build's implementation suffix changes.
- ``mpi-loss`` / ``mpi-gain``: an ``mpi_*`` build of hdf5/libnetcdf/
  netcdf-fortran/esmf/esmpy/h5py/netcdf4 becomes ``nompi_*``, or the other way
  round (a gain: no rule is expected to report it).
- ``numpy-major``, ``python-minor``: the version of numpy (major) or python
  (major.minor) changes.
- ``openmp-switch``: the ``_openmp_mutex`` build flips between gnu and llvm.
"""

from __future__ import annotations

import re

_URL_RE = re.compile(
    rb"/(?:noarch|linux-64)/([A-Za-z0-9_.+-]+?)(?:\.conda|\.tar\.bz2)\b"
)
MPI_NAMES = (
    "hdf5",
    "libnetcdf",
    "netcdf-fortran",
    "esmf",
    "esmpy",
    "h5py",
    "netcdf4",
)

Packages = dict[str, set[tuple[str, str]]]


def packages(data: bytes) -> Packages:
    """name → {(version, build)} of every conda package URL in ``data``."""
    out: Packages = {}
    for m in _URL_RE.finditer(data):
        parts = m.group(1).decode().rsplit("-", 2)
        if len(parts) == 3:
            out.setdefault(parts[0], set()).add((parts[1], parts[2]))
    return out


def _changed(was: set[str], now: set[str]) -> bool:
    """Both sides have values and share none (environments added or dropped
    in a multi-environment file change the union without changing any one)."""
    return bool(was and now and was.isdisjoint(now))


#: CUDA libraries: every build is for the GPU (pkgs/main's cudnn says
#: ``cuda10.1_0``, conda-forge's the same library ``hc0a50b0_0``)
GPU_ONLY = frozenset({"cudnn", "nccl", "cudatoolkit", "cutensor", "libcudnn"})


def _gpu(build: str) -> bool:
    return "cuda" in build or "gpu" in build


def _major(pkgs: Packages, name: str, depth: int = 1) -> set[str]:
    return {".".join(v.split(".")[:depth]) for v, _ in pkgs.get(name, ())}


def _gpu_tags(a: Packages, b: Packages) -> set[str]:
    tags = set()
    for name in set(a) & set(b):
        if name in GPU_ONLY:  # a GPU library whatever its build string says
            continue
        was = {_gpu(build) for _, build in a[name]}
        now = {_gpu(build) for _, build in b[name]}
        if was == {True} and now == {False}:
            tags.add("gpu-to-cpu")
        elif was == {False} and now == {True}:
            tags.add("cpu-to-gpu")
    cuda_a = _major(a, "cuda-version") | _major(a, "cudatoolkit")
    cuda_b = _major(b, "cuda-version") | _major(b, "cudatoolkit")
    if _changed(cuda_a, cuda_b) or (
        "cudatoolkit" in a and "cudatoolkit" not in b and "cuda-cudart" in b
    ):
        tags.add("cuda-major")
    for name in ("cudnn", "libcudnn", "nccl"):
        was, now = _major(a, name), _major(b, name)
        if name == "cudnn" and was and not now:
            now = _major(b, "libcudnn")  # the cudnn 9 split: a rename
        if (was and not now) or (was and now and _changed(was, now)):
            tags.add("cudnn-nccl")
    return tags


def _variant_tags(a: Packages, b: Packages) -> set[str]:
    tags = set()

    def blas(p: Packages) -> set[str]:
        return {build.rsplit("_", 1)[-1] for _, build in p.get("libblas", ())}

    if _changed(blas(a), blas(b)):
        tags.add("blas-switch")
    for name in MPI_NAMES:
        was = {build.split("_")[0] for _, build in a.get(name, ())} & {"mpi", "nompi"}
        now = {build.split("_")[0] for _, build in b.get(name, ())} & {"mpi", "nompi"}
        if was == {"mpi"} and now == {"nompi"}:
            tags.add("mpi-loss")
        elif was == {"nompi"} and now == {"mpi"}:
            tags.add("mpi-gain")

    def omp(p: Packages) -> set[str]:
        return {
            "llvm" if "llvm" in build else "gnu"
            for _, build in p.get("_openmp_mutex", ())
        }

    if _changed(omp(a), omp(b)):
        tags.add("openmp-switch")
    return tags


def tags(before: bytes, after: bytes) -> list[str]:
    """The sorted tags of a pair of lock files."""
    a, b = packages(before), packages(after)
    found = _gpu_tags(a, b) | _variant_tags(a, b)
    versions = (("numpy", 1, "numpy-major"), ("python", 2, "python-minor"))
    for name, depth, tag in versions:
        if _changed(_major(a, name, depth), _major(b, name, depth)):
            found.add(tag)
    return sorted(found)
