"""Renderers: an :class:`~conda_guard.analysis.Analysis` in, text out. They never
decide, print or exit.

The markdown and text renderers are imported when first asked for: a
``--json`` run does not load them (nor :mod:`html`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .json import render_json

if TYPE_CHECKING:
    from .markdown import render_markdown
    from .text import render_text

__all__ = ["render_json", "render_markdown", "render_text"]


def __getattr__(name: str) -> Any:
    if name == "render_markdown":
        from .markdown import render_markdown

        return render_markdown
    if name == "render_text":
        from .text import render_text

        return render_text
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
