"""docs/report.schema.json describes the JSON reports the CLI really prints."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from conda_guard.analysis import Comparison, analyze
from conda_guard.models import ChangeKind, Severity
from conda_guard.readers import read_state
from conda_guard.report import render_json

jsonschema = pytest.importorskip(
    "jsonschema", reason="jsonschema validates the reports against the schema"
)

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_PATH = ROOT / "docs" / "report.schema.json"
ML = "examples/ml-env"

# the conda recipe's test ships tests/ without docs/
pytestmark = pytest.mark.skipif(
    not SCHEMA_PATH.is_file(), reason="docs/ is not in this copy"
)
GPU = "docs/examples/gpu-env"


@cache
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validator():
    return jsonschema.Draft202012Validator(schema())


def cli_json(*argv: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "conda_guard", *argv, "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def all_messages(errs) -> list[str]:
    """Messages of errors and of the errors under them (oneOf/allOf branches)."""
    out = []
    for e in errs:
        out.append(e.message)
        out.extend(all_messages(e.context or []))
    return out


def errors(doc: dict) -> list[str]:
    return [e.message for e in validator().iter_errors(doc)]


def test_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(schema())
    assert schema()["$defs"]["report"]["properties"]["schema"] == {"const": 1}


def test_enums_follow_the_model():
    defs = schema()["$defs"]
    assert defs["finding"]["properties"]["severity"]["enum"] == [
        str(s) for s in Severity
    ]
    assert defs["change"]["properties"]["kind"]["enum"] == [str(k) for k in ChangeKind]


@pytest.mark.parametrize(
    "argv",
    [
        ("diff", f"{ML}@1", ML),
        ("diff", f"{ML}@0", f"{ML}@1"),
        ("diff", f"{GPU}@0", GPU),
        ("check", ML),
        ("history", ML),
        ("history", GPU),
    ],
    ids=["numpy-abi", "install-pandas", "gpu-to-cpu", "check", "history", "history2"],
)
def test_real_reports_are_valid(argv):
    doc = cli_json(*argv)
    assert errors(doc) == []
    reports = doc["revisions"] if argv[0] == "history" else [doc]
    assert reports and all(r["schema"] == 1 for r in reports)


def test_gpu_report_has_variants_and_null_sides():
    doc = cli_json("diff", f"{GPU}@0", GPU)
    changes = {c["name"]: c for c in doc["changes"]}
    assert changes["pytorch"]["variants"]["gpu"] == {"before": "cuda", "after": "cpu"}
    assert changes["libuv"]["after"] is None
    rules = [f["rule"] for f in doc["findings"]]
    assert rules[0] == "gpu-to-cpu"
    assert doc["findings"][0]["severity"] == "high"


def test_report_with_comparisons_and_commands_is_valid():
    incremental = read_state("docs/examples/drift-env")
    batch = read_state("docs/examples/drift-env-batch")
    current = read_state("docs/examples/drift-env@2")
    main = analyze(current, incremental)
    doc = render_json(
        main.extend(
            comparisons=(
                Comparison("batch vs current", analyze(current, batch)),
                Comparison("incremental vs batch", analyze(batch, incremental)),
            ),
            commands=("conda create -n drift-env python=3.12 numpy pandas",),
        )
    )
    assert errors(doc) == []
    assert [c["label"] for c in doc["comparisons"]] == [
        "batch vs current",
        "incremental vs batch",
    ]
    # the renderer's top-level keys are exactly what the schema requires
    body = set(schema()["$defs"]["body"]["required"])
    assert set(doc) == body | set(schema()["$defs"]["report"]["required"])


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("schema",), 2, "1 was expected"),
        (("findings", 0, "severity"), "urgent", "'urgent' is not one of"),
        (("changes", 0, "kind"), "moved", "'moved' is not one of"),
        (("findings", 0, "packages", 0, "after", "sha256"), "xyz", "does not match"),
        (("summary", "findings", "severe"), 1, "'severe' is not one of"),
    ],
    ids=["version", "severity", "kind", "sha256", "summary-key"],
)
def test_wrong_reports_are_rejected(path, value, message):
    doc = copy.deepcopy(cli_json("diff", f"{ML}@1", ML))
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    found = all_messages(validator().iter_errors(doc))
    assert found, f"{path} = {value!r} was accepted"
    assert any(message in m for m in found), found


def test_missing_keys_are_rejected():
    doc = cli_json("diff", f"{ML}@1", ML)
    for key in ("why", "evidence"):
        broken = copy.deepcopy(doc)
        del broken["findings"][0][key]
        assert errors(broken), key
