"""Write conda_version_vectors.json: answers of conda's own version code.

Run by hand (not by the tests) with the path to conda's
``conda/models/version.py`` (conda/conda); it needs no conda install: the one
import from ``..exceptions`` is replaced by a local ``ValueError`` subclass.

    python tests/data/make_conda_version_vectors.py /path/to/conda/models/version.py
"""

from __future__ import annotations

import json
import logging
import random
import re
import sys
import types
from pathlib import Path

HERE = Path(__file__).parent
SHARED = HERE.parents[2] / "shared" / "data" / "channels"


def load_conda_version(path: Path) -> types.ModuleType:
    source = path.read_text(encoding="utf-8").replace(
        "from ..exceptions import InvalidVersionSpec",
        "class InvalidVersionSpec(ValueError):\n"
        "    def __init__(self, *args):\n"
        "        super().__init__(' '.join(map(str, args)))",
    )
    module = types.ModuleType("conda_version")
    exec(compile(source, str(path), "exec"), module.__dict__)
    return module


def real_versions() -> list[str]:
    found: set[str] = set()
    for path in sorted(SHARED.glob("**/*.json")):
        if path.name in ("run_exports.json", "provenance.json"):
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        for key in ("packages", "packages.conda"):
            for record in data.get(key, {}).values():
                found.add(record["version"])
    return sorted(found)


SEGMENTS = [str(i) for i in range(12)] + [
    "a", "b", "rc", "dev", "post", "1a", "2rc1", "0dev", "3post1", "RC", "alpha",
    "g", "x", "1b2", "0_", "01",
]  # fmt: skip


def fuzz_version(rng: random.Random) -> str:
    parts = [str(rng.randint(0, 12))] + rng.sample(SEGMENTS, rng.randint(0, 4))
    text = rng.choice(["."] * 4 + ["_", "-"]).join(parts)
    if rng.random() < 0.1:
        text += "_"
    if rng.random() < 0.15:
        text = f"{rng.randint(1, 3)}!{text}"
    if rng.random() < 0.15:
        text += "+" + rng.choice(SEGMENTS)
    return text


OPS = ["", "", "==", "!=", "<", "<=", ">", ">=", "=", "~="]


def fuzz_spec(rng: random.Random, versions: list[str], depth: int = 0) -> str:
    roll = rng.random()
    if depth < 2 and roll < 0.25:
        left = fuzz_spec(rng, versions, depth + 1)
        right = fuzz_spec(rng, versions, depth + 1)
        return left + rng.choice([",", "|"]) + right
    if depth < 2 and roll < 0.3:
        return "(" + fuzz_spec(rng, versions, depth + 1) + ")"
    if roll > 0.97:
        return "*"
    return rng.choice(OPS) + rng.choice(versions) + rng.choice(["", "", ".*", "*"])


def main(conda_version_py: str) -> None:
    logging.disable(logging.CRITICAL)
    cv = load_conda_version(Path(conda_version_py))
    rng = random.Random(20261128)
    real = real_versions()
    pool = real + [fuzz_version(rng) for _ in range(3000)]
    valid = []
    invalid = []
    for text in pool:
        try:
            cv.VersionOrder(text)
        except ValueError:
            invalid.append(text)
        else:
            valid.append(text)
    order = []
    near = sorted(valid, key=cv.VersionOrder)
    for _ in range(2500):
        a, b = rng.sample(valid, 2)
        if rng.random() < 0.5:  # near neighbours are the interesting pairs
            i = rng.randrange(len(near) - 1)
            a, b = near[i], near[i + 1]
        va, vb = cv.VersionOrder(a), cv.VersionOrder(b)
        order.append([a, b, (va > vb) - (va < vb), va.startswith(vb)])
    plain = [v for v in valid if "*" not in v]
    specs = []
    while len(specs) < 2500:
        spec = fuzz_spec(rng, plain)
        version = rng.choice(plain)
        targets = re.findall(r"~=([^,|()]+)", spec)
        if any("." not in t.split("!")[-1] for t in targets):
            continue  # conda fails at match time on '~=' with one component
        try:
            vs = cv.VersionSpec(spec)
        except ValueError:
            specs.append([spec, version, None])
            continue
        try:
            specs.append([spec, version, bool(vs.match(version))])
        except ValueError:
            continue
    out = {
        "source": "conda/conda conda/models/version.py, run as-is",
        "conda_commit": "0f64223fb8da4328457a69fe6483959dbb783152",
        "invalid_versions": sorted(set(invalid))[:300],
        "order": order,
        "specs": specs,
    }
    target = HERE / "conda_version_vectors.json"
    target.write_text(json.dumps(out, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {target} ({target.stat().st_size} bytes)")


if __name__ == "__main__":
    main(sys.argv[1])
