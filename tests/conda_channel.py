"""Build small local conda channels from real records, for the conda tests.

Every package is a real record: ``info/index.json`` is the record as it stands
in ``../shared/data`` (the harvested conda-forge channel and the pytorch channel
slice), the payload is empty. conda-package-handling writes the archives and
conda-index writes ``repodata.json``, exactly as for a real channel.

Three records are not in the shared data; they live in
``tests/data/conda_extra_records.json``: ``cudatoolkit 11.1.74 h6bb024c_0``
(nvidia) and ``pytorch-mutex 1.0 cuda`` copied from a public pixi lock file, and
``pytorch-mutex 1.0 cpu`` which is synthesized (the cuda record with build
``cpu``) because no stored source has it.

The set is the closure of ``python 3.10``, ``pip``, ``mkl 2022``, ``blas * mkl``,
``numpy`` (1.25.1 and 2.2.6), ``filelock`` and ``pytorch`` 1.11.0 / 1.12.1
(CUDA 11.1 and CPU builds of 1.11.0; CPU and CUDA 11.3/11.6 builds of 1.12.1,
whose cudatoolkit is deliberately absent). So ``pytorch=1.11.0 cudatoolkit=11.1``
installs the CUDA build, and asking for ``pytorch=1.12.1`` afterwards can only be
met by the CPU build: the real way a GPU build silently becomes a CPU build.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
HARVESTED = SHARED / "channels" / "harvested"
PYTORCH_SLICE = SHARED / "channels" / "pytorch-linux-64"
EXTRA = Path(__file__).resolve().parent / "data" / "conda_extra_records.json"

#: (subdir, file name) in the harvested conda-forge channel.
CONDA_FORGE = (
    ("linux-64", "_openmp_mutex-4.5-7_kmp_llvm.conda"),
    ("linux-64", "blas-2.113-mkl.tar.bz2"),
    ("linux-64", "blas-devel-3.9.0-13_linux64_mkl.tar.bz2"),
    ("linux-64", "bzip2-1.0.8-hda65f42_9.conda"),
    ("noarch", "ca-certificates-2026.7.22-hbd8a1cb_0.conda"),
    ("linux-64", "icu-78.3-h54a6638_2.conda"),
    ("linux-64", "ld_impl_linux-64-2.46.1-default_hbd61a6d_102.conda"),
    ("linux-64", "libblas-3.9.0-13_linux64_mkl.tar.bz2"),
    ("linux-64", "libcblas-3.9.0-13_linux64_mkl.tar.bz2"),
    ("linux-64", "libexpat-2.8.1-hecca717_1.conda"),
    ("linux-64", "libffi-3.5.2-h3435931_0.conda"),
    ("linux-64", "libgcc-16.1.0-ha9f2e26_0.conda"),
    ("linux-64", "libgcc-ng-16.1.0-h69a702a_0.conda"),
    ("linux-64", "libgfortran-15.2.0-h69a702a_18.conda"),
    ("linux-64", "libgfortran-ng-15.2.0-h69a702a_18.conda"),
    ("linux-64", "libgfortran5-15.2.0-h68bc16d_18.conda"),
    ("linux-64", "libhwloc-2.11.1-default_hecaa2ac_1000.conda"),
    ("linux-64", "libiconv-1.18-h3b78370_2.conda"),
    ("linux-64", "liblapack-3.9.0-13_linux64_mkl.tar.bz2"),
    ("linux-64", "liblapacke-3.9.0-13_linux64_mkl.tar.bz2"),
    ("linux-64", "liblzma-5.8.3-hb03c661_0.conda"),
    ("linux-64", "libnsl-2.0.1-hb9d3cd8_1.conda"),
    ("linux-64", "libsqlite-3.53.4-hf4e2dac_0.conda"),
    ("linux-64", "libstdcxx-16.1.0-h934c35e_0.conda"),
    ("linux-64", "libstdcxx-ng-16.1.0-hdf11a46_0.conda"),
    ("linux-64", "libuuid-2.42.2-h5347b49_0.conda"),
    ("linux-64", "libuv-1.52.1-h280c20c_0.conda"),
    ("linux-64", "libxcrypt-4.4.36-hd590300_1.conda"),
    ("linux-64", "libxml2-2.15.3-h49c6c72_0.conda"),
    ("linux-64", "libxml2-16-2.15.3-hca6bf5a_0.conda"),
    ("linux-64", "libzlib-1.3.2-h25fd6f3_2.conda"),
    ("linux-64", "llvm-openmp-22.1.8-h4922eb0_0.conda"),
    ("linux-64", "mkl-2022.0.1-h8d4b97c_803.tar.bz2"),
    ("linux-64", "mkl-devel-2022.0.1-ha770c72_804.tar.bz2"),
    ("linux-64", "mkl-include-2022.0.1-h8d4b97c_803.tar.bz2"),
    ("linux-64", "ncurses-6.6-hdb14827_0.conda"),
    ("linux-64", "numpy-1.25.1-py310ha4c1d20_0.conda"),
    ("linux-64", "numpy-2.2.6-py310hefbff90_0.conda"),
    ("linux-64", "openssl-3.6.3-h35e630c_0.conda"),
    ("noarch", "filelock-3.15.4-pyhd8ed1ab_0.conda"),
    ("noarch", "packaging-26.2-pyhc364b38_0.conda"),
    ("noarch", "pip-26.1.2-pyh8b19718_0.conda"),
    ("linux-64", "python-3.10.20-h267e890_1_cpython.conda"),
    ("linux-64", "python_abi-3.10-2_cp310.tar.bz2"),
    ("linux-64", "readline-8.3-h853b02a_0.conda"),
    ("noarch", "setuptools-83.0.0-pyh332efcf_0.conda"),
    ("linux-64", "tbb-2021.12.0-h84d6215_4.conda"),
    ("linux-64", "tk-8.6.13-noxft_hd70dff1_3.conda"),
    ("noarch", "typing_extensions-4.16.0-pyhcf101f3_0.conda"),
    ("noarch", "tzdata-2026c-h151e31d_0.conda"),
    ("noarch", "wheel-0.47.0-pyhd8ed1ab_0.conda"),
    ("linux-64", "zstd-1.5.7-hb78ec9c_6.conda"),
)

#: file names in the pytorch channel slice (linux-64).
PYTORCH = (
    "pytorch-1.11.0-py3.10_cuda11.1_cudnn8.0.5_0.tar.bz2",
    "pytorch-1.11.0-py3.10_cpu_0.tar.bz2",
    "pytorch-1.12.1-py3.10_cpu_0.tar.bz2",
    "pytorch-1.12.1-py3.10_cuda11.3_cudnn8.3.2_0.tar.bz2",
    "pytorch-1.12.1-py3.10_cuda11.6_cudnn8.3.2_0.tar.bz2",
)

#: CUDA and CPU builds used by the tests (full build strings).
PYTORCH_CUDA_BUILD = "py3.10_cuda11.1_cudnn8.0.5_0"
PYTORCH_CPU_BUILD = "py3.10_cpu_0"

# index.json keys a package carries (repodata-only keys are dropped)
_DROP = frozenset({"md5", "sha256", "size", "fn", "url", "_synthesized"})


def _repodata_records(channel_dir: Path, subdir: str) -> dict[str, dict]:
    data = json.loads((channel_dir / subdir / "repodata.json").read_text())
    out: dict[str, dict] = {}
    out.update(data.get("packages", {}))
    out.update(data.get("packages.conda", {}))
    return out


def collect_records() -> dict[str, dict[str, dict]]:
    """Channel name → ``subdir/fn`` → real record (with the extra records)."""
    harvested = {
        sub: _repodata_records(HARVESTED, sub) for sub in ("linux-64", "noarch")
    }
    torch = _repodata_records(PYTORCH_SLICE, "linux-64")
    channels: dict[str, dict[str, dict]] = {
        "conda-forge": {f"{s}/{fn}": harvested[s][fn] for s, fn in CONDA_FORGE},
        "pytorch": {f"linux-64/{fn}": torch[fn] for fn in PYTORCH},
        "nvidia": {},
    }
    extra = json.loads(EXTRA.read_text())
    for name in ("nvidia", "pytorch"):
        channels[name].update(extra[name])
    return channels


def _write_package(record: dict, fn: str, out_dir: Path) -> None:
    import conda_package_handling.api as cph

    index = {k: v for k, v in record.items() if k not in _DROP}
    index.setdefault("depends", [])
    with tempfile.TemporaryDirectory() as tmp:
        info = Path(tmp) / "info"
        info.mkdir()
        (info / "index.json").write_text(json.dumps(index, indent=2, sort_keys=True))
        (info / "paths.json").write_text('{"paths": [], "paths_version": 1}')
        (info / "files").write_text("")
        cph.create(
            tmp, ["info/index.json", "info/paths.json", "info/files"], fn, str(out_dir)
        )


def build_channels(root: Path) -> dict[str, Path]:
    """Write the channels under ``root`` and index them; name → channel dir."""
    out: dict[str, Path] = {}
    for name, records in collect_records().items():
        channel = root / name
        for sub in ("linux-64", "noarch"):
            (channel / sub).mkdir(parents=True, exist_ok=True)
        for key, record in records.items():
            sub, fn = key.split("/", 1)
            _write_package(record, fn, channel / sub)
        subprocess.run(
            [sys.executable, "-m", "conda_index", str(channel)],
            check=True,
            capture_output=True,
        )
        out[name] = channel
    return out


if __name__ == "__main__":  # pragma: no cover - manual use
    target = Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp())
    for name, path in build_channels(target).items():
        print(name, path.as_uri())
