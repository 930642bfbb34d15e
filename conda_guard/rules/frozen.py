"""``frozen``: the environment is marked frozen (``conda-meta/frozen``, CEP 22)
and the change would modify it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ..models import Severity
from .base import Rule, finding

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..models import Finding
    from .base import RuleContext

RULE = Rule("frozen", Severity.HIGH, "the environment is marked frozen")


def _message(text: str) -> str:
    try:
        data = json.loads(text) if text.strip() else {}
    except ValueError:
        return ""
    return str(data.get("message", "")) if isinstance(data, dict) else ""


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield one finding when a frozen environment would change."""
    state = ctx.before
    if state.frozen is None or not ctx.changes:
        return
    note = _message(state.frozen)
    where = f"{state.prefix}/conda-meta/frozen" if state.prefix else "conda-meta/frozen"
    yield finding(
        RULE,
        f"the environment is marked frozen ({where})"
        + (f": {note}" if note else "")
        + f"; {len(ctx.changes)} package(s) would change",
        ctx.changes[:20],
        evidence=[f"{where} exists" + (f" with message '{note}'" if note else "")],
    )
