"""JSON report, schema 1 (documented in docs/json-schema.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import __version__
from ..constants import REPORT_SCHEMA
from .common import severity_counts

if TYPE_CHECKING:
    from ..analysis import Analysis


def _body(analysis: Analysis) -> dict[str, Any]:
    return {
        "before": analysis.before.describe(),
        "after": analysis.after.describe(),
        "changes": [c.to_json() for c in analysis.changes],
        "findings": [f.to_json() for f in analysis.findings],
    }


def body_json(analysis: Analysis) -> dict[str, Any]:
    """States, changes, findings, notes and warnings of one analysis."""
    out = _body(analysis)
    out["notes"] = list(analysis.notes)
    out["warnings"] = list(analysis.warnings)
    return out


def render_json(analysis: Analysis) -> dict[str, Any]:
    """The report as a JSON-serialisable dict."""
    out: dict[str, Any] = {
        "schema": REPORT_SCHEMA,
        "tool": f"conda-guard {__version__}",
    }
    out.update(_body(analysis))
    out["comparisons"] = [
        {"label": c.label, **_body(c.analysis)} for c in analysis.comparisons
    ]
    out["notes"] = list(analysis.notes)
    out["warnings"] = list(analysis.warnings)
    out["commands"] = list(analysis.commands)
    out["summary"] = {
        "changes": len(analysis.changes),
        "findings": severity_counts(analysis.findings),
    }
    return out
