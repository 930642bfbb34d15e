"""Record conda-lock's default virtual packages, as its content hash sees them.

conda-lock's content hash (``metadata.content_hash``) covers the lock
specification *and* the virtual packages it solves with. Without a
``--virtual-package-spec`` that is its built-in default set; this script writes
that set, per platform, in the exact form ``conda_lock.content_hash`` hashes
(``_reinsert_spurious_build_number`` applied), to
``conda_guard/data/conda_lock_virtual_packages.json``. It also records the
content hash conda-lock computes for ``tests/data/export/environment.yml``
(a test vector for conda_guard.recovery.lock_conda).

Run with a Python that has conda-lock (not a conda-guard dependency):

    python scripts/make_conda_lock_vpr.py

The PyPI-to-conda name lookup (network) is replaced by the identity for the
one name it maps here, ``pip``.
"""

from __future__ import annotations

import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
PLATFORMS = [
    "linux-64",
    "linux-aarch64",
    "linux-ppc64le",
    "osx-64",
    "osx-arm64",
    "win-64",
]


def main() -> int:
    import conda_lock
    import conda_lock.src_parser.pyproject_toml as pyproject
    from conda_lock.content_hash import (
        _reinsert_spurious_build_number,
        _virtual_package_content_for_platform,
        compute_content_hashes,
    )
    from conda_lock.src_parser.environment_yaml import parse_environment_file
    from conda_lock.virtual_package import default_virtual_package_repodata

    pyproject.pypi_name_to_conda_name = lambda name, mapping_url=None: name
    vpr = _reinsert_spurious_build_number(default_virtual_package_repodata())
    data = {
        "source": f"conda-lock {conda_lock.__version__}: default virtual packages, "
        "as conda_lock.content_hash hashes them (MIT, github.com/conda/conda-lock)",
        "platforms": {
            p: _virtual_package_content_for_platform(vpr, p) for p in PLATFORMS
        },
    }
    out = ROOT / "conda_guard" / "data" / "conda_lock_virtual_packages.json"
    out.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"wrote {out}")
    env = ROOT / "tests" / "data" / "export" / "environment.yml"
    spec = parse_environment_file(env, PLATFORMS, mapping_url="unused")
    hashes = compute_content_hashes(spec, default_virtual_package_repodata())
    vector = ROOT / "tests" / "data" / "export" / "conda-lock-content-hash.json"
    vector.write_text(
        json.dumps(
            {"conda-lock": conda_lock.__version__, "content_hash": hashes}, indent=1
        )
        + "\n"
    )
    print(f"wrote {vector}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
