"""examples/ml-env and docs/examples/ are what scripts/make_examples.py makes:
real solves, redone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import needs_data

pytest.importorskip("rattler", reason="the examples are made by py-rattler solves")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "docs" / "examples"
DATA = ROOT.parent / "shared" / "data"
NAMES = ["blas-env", "python-env", "drift-env", "drift-env-batch", "gpu-env"]
#: where each example is shipped
SHIPPED = {name: EXAMPLES / name for name in NAMES} | {
    "ml-env": ROOT / "examples/ml-env"
}

pytestmark = [
    pytest.mark.solve,
    needs_data,
    pytest.mark.skipif(not EXAMPLES.is_dir(), reason="docs/ is not in this copy"),
]


#: record fields that make the example (py-rattler's JSON may add or order others)
KEYS = ("name", "version", "build", "build_number", "depends", "constrains")
KEYS += ("channel", "url", "subdir", "track_features", "requested_spec")


def files(root: Path) -> dict[str, object]:
    """File name -> content: the history as text, records as their key fields."""
    out: dict[str, object] = {}
    for p in sorted(root.rglob("*")):
        if not p.is_file():
            continue
        name = str(p.relative_to(root))
        if p.suffix == ".json":
            rec = json.loads(p.read_text(encoding="utf-8"))
            out[name] = {k: rec.get(k) for k in KEYS}
        else:
            out[name] = p.read_text(encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def remade(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("examples")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_examples.py"), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("wrote ") == len(SHIPPED)
    return out


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_example_prefix_is_reproduced(remade, name):
    shipped = files(SHIPPED[name])
    assert "conda-meta/history" in shipped
    assert files(remade / name) == shipped, (
        f"{SHIPPED[name].relative_to(ROOT)} differs from a fresh solve: "
        "run `python scripts/make_examples.py` and check the docs and README"
    )


def test_examples_are_the_documented_ones():
    shipped = sorted(p.parent.name for p in EXAMPLES.glob("*/conda-meta"))
    assert shipped == sorted(NAMES)
