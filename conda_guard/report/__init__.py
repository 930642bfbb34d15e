"""Renderers: an :class:`~conda_guard.analysis.Analysis` in, text out. They never
decide, print or exit.
"""

from __future__ import annotations

from .json import render_json
from .markdown import render_markdown
from .text import render_text

__all__ = ["render_json", "render_markdown", "render_text"]
