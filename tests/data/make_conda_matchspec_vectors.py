"""Write conda_matchspec_vectors.json: answers of conda's own MatchSpec.

Run by hand (not by the tests) with a Python that has conda (see
docs/dev/conda-from-source.md), from the repository root:

    python tests/data/make_conda_matchspec_vectors.py

The specs are real: the ``depends`` and ``constrains`` of the harvested
conda-forge channel, the requested specs of the real histories in
``../shared/data/prefixes`` and the shapes the tests name, plus a few
derived ones (a channel, brackets, a build glob, a subdir). For each, conda
answers whether it parses and, if so, its name and whether it matches real
records of that name (at most four, picked with a fixed seed) and real
versions of that name. tests/test_matchspec.py checks conda_guard.matchspec
against these answers.
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).parent
SHARED = HERE.parents[2] / "shared" / "data"
CHANNEL = SHARED / "channels" / "harvested"
SHAPES = [
    "numpy",
    "numpy >=1.19,<3",
    "blas 2.301   mkl",
    "liblapacke =3.9.0=31*_openblas",
    "python=3.11",
    "python=3.11.0",
    "libblas ==3.9.0 17_linux64_openblas",
    "pytorch=*=*cuda*",
    "conda-forge::numpy",
    "conda-forge/linux-64::numpy=1.26",
    "pandas[version='>=0.25.2,<3']",
    'numpy[version=">=1"]',
    "python_abi[build=*_cp313t]",
    "openmp 21.1.6|21.1.6.*",
    "python 2.7*",
    "numpy[build_number='>=1']",
    "numpy[subdir=linux-64]",
    "numpy >=1.26 py311*",
    "numpy 1.26.*",
    "numpy !=1.26.4",
    "numpy ~=1.26.0",
    "numpy *",
    "numpy=1.26=py311*",
    "numpy[version='1.26.*', build='*_0']",
]


def records() -> dict[str, list[dict]]:
    """name → real records of the harvested channel."""
    out: dict[str, list[dict]] = {}
    for subdir in ("linux-64", "noarch"):
        data = json.loads((CHANNEL / subdir / "repodata.json").read_text())
        for key in ("packages", "packages.conda"):
            for fn, rec in data.get(key, {}).items():
                rec = dict(rec, fn=fn, subdir=rec.get("subdir") or subdir)
                out.setdefault(rec["name"], []).append(rec)
    return out


def real_specs(by_name: dict[str, list[dict]]) -> list[str]:
    specs: set[str] = set(SHAPES)
    for recs in by_name.values():
        for rec in recs:
            specs.update(rec.get("depends", ()))
            specs.update(rec.get("constrains", ()))
    spec_line = re.compile(r"#\s*(?:update|remove|neutered) specs:\s*(\[.*\])")
    for history in sorted((SHARED / "prefixes").glob("*/conda-meta/history")):
        for line in history.read_text(encoding="utf-8", errors="replace").splitlines():
            m = spec_line.match(line)
            if m:
                try:
                    specs.update(json.loads(m.group(1).replace("'", '"')))
                except ValueError:
                    continue
    return sorted(s for s in specs if isinstance(s, str) and s.strip())


def derived(rng: random.Random, specs: list[str]) -> list[str]:
    """A channel, a subdir, brackets or a build glob on some real specs."""
    out = []
    for spec in rng.sample(specs, 200):
        name = re.split(r"[\s=<>!~\[]", spec.strip(), maxsplit=1)[0]
        rest = spec.strip()[len(name) :].strip()
        out += [
            f"conda-forge::{spec}",
            f"conda-forge/linux-64::{spec}",
            f"{name}[version='{rest}']" if rest and " " not in rest else name,
            f"{name} * *_0",
        ]
    return out


def record_of(raw: dict):
    from conda.models.records import PackageRecord

    fields = {
        k: raw[k]
        for k in (
            "name",
            "version",
            "build",
            "build_number",
            "depends",
            "constrains",
            "subdir",
            "fn",
            "md5",
            "sha256",
        )
        if k in raw
    }
    return PackageRecord(channel="conda-forge", **fields)


def main() -> None:
    from conda.models.match_spec import MatchSpec

    rng = random.Random(20261129)
    by_name = records()
    every = real_specs(by_name)
    pool = sorted(set(SHAPES) | set(rng.sample(every, 1500)))
    pool += derived(rng, every)
    cases = []
    for text in pool:
        try:
            spec = MatchSpec(text)
        except Exception:  # conda's InvalidMatchSpec and friends
            cases.append({"spec": text, "valid": False})
            continue
        name = spec.name
        candidates = by_name.get(name, [])
        picked = rng.sample(candidates, min(4, len(candidates)))
        versions = sorted({r["version"] for r in candidates})
        versions = rng.sample(versions, min(6, len(versions)))
        cases.append(
            {
                "spec": text,
                "valid": True,
                "name": name,
                "matches": [
                    [r["fn"], r["subdir"], bool(spec.match(record_of(r)))]
                    for r in picked
                ],
                "versions": [
                    [v, bool(spec.version.match(v)) if spec.version else True]
                    for v in versions
                ],
            }
        )
    out = {
        "source": "conda.models.match_spec.MatchSpec of conda 26.7.1 (conda/conda"
        " 0f64223fb8da), records of ../shared/data/channels/harvested",
        "cases": cases,
    }
    target = HERE / "conda_matchspec_vectors.json"
    target.write_text(json.dumps(out, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {target} ({len(cases)} specs, {target.stat().st_size} bytes)")


if __name__ == "__main__":
    sys.exit(main())
