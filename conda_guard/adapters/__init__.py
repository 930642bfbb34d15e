"""Adapters: the only modules that import conda or rattler.

Each ``conda_*`` module maps one side of conda (records, settings, hooks,
errors, subcommands, doctor) onto the conda-free core.
"""

from __future__ import annotations
