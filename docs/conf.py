"""Sphinx configuration of the conda-guard documentation."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent))  # the checkout, for conda_guard itself

import conda_guard  # noqa: E402

project = "conda-guard"
author = "conda-guard developers"
copyright = "conda-guard developers"
version = release = conda_guard.__version__

extensions = [
    "myst_parser",
    "sphinx_design",
    "sphinx_copybutton",
    "sphinxarg.ext",
    "guard_docs",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "examples"]
myst_enable_extensions = ["colon_fence", "deflist", "fieldlist"]
myst_heading_anchors = 3

html_theme = "conda_sphinx_theme"
html_title = f"conda-guard {release}"
html_theme_options = {
    "navigation_with_keys": True,
    "show_prev_next": False,
}
html_static_path: list[str] = []

# shell prompts are not copied by the copy button
copybutton_prompt_text = r"\$ "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True

nitpicky = False
