"""docs/recorded/recovery/ is what docs/examples/record_recovery.py prints today."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


def stable(text: str) -> str:
    """Hashes, sizes, times and store keys differ between recordings."""
    text = re.sub(r"\b[0-9a-f]{32}\b|\b[0-9a-f]{64}\b", "<hash>", text)
    text = re.sub(r"-[0-9a-f]{12}\b", "-<key>", text)
    text = re.sub(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d", "<time>", text)
    text = re.sub(r"\b\d+(\.\d+)? (B|KB|KiB|MiB)\b", "<size>", text)
    return re.sub(r" +\n", "\n", text)


@pytest.mark.conda
@pytest.mark.slow
def test_recorded_recovery_is_current(tmp_path):
    pytest.importorskip("conda", reason="the walk-through runs conda")
    pytest.importorskip("conda_index", reason="the recorder indexes local channels")
    sys.path.insert(0, str(DOCS / "examples"))
    try:
        import record_recovery
    finally:
        sys.path.remove(str(DOCS / "examples"))
    if not record_recovery.second_file_system():
        pytest.skip("no second file system: clean-check.txt cannot be recorded here")
    written = record_recovery.record(tmp_path)
    shown = {p.name for p in (DOCS / "recorded" / "recovery").glob("*.txt")}
    assert {p.name for p in written} == shown
    for path in written:
        old = (DOCS / "recorded" / "recovery" / path.name).read_text(encoding="utf-8")
        assert stable(path.read_text(encoding="utf-8")) == stable(old), (
            f"docs/recorded/recovery/{path.name} is stale: run "
            "`python docs/examples/record_recovery.py` where conda is"
        )


def test_every_recording_is_shown():
    page = (DOCS / "recovery.md").read_text(encoding="utf-8")
    for path in (DOCS / "recorded" / "recovery").glob("*.txt"):
        assert f"recorded/recovery/{path.name}" in page
