"""Recovery: generations of a prefix, offline rollback, portable exports, drift.

A *generation* is a prefix captured before a change: every ``conda-meta``
record (URL, hashes, depends), the requested specs of its history, the
pip-installed distributions (with their files) and an ``@EXPLICIT`` file with
``#sha256`` anchors. Its package archives are hard-linked from conda's package
cache into a per-prefix *store* outside the prefix, so ``conda clean`` cannot
take them away and a rollback needs neither a channel nor the network.

The modules here are conda-free (the standalone ``conda-guard`` uses them):
:mod:`.fsutil` (atomic writes, hashing, links, disk use), :mod:`.store`,
:mod:`.generation` (the file format and its validation), :mod:`.capture`,
:mod:`.pipdists`, :mod:`.verify`, :mod:`.export` and the lock writers,
:mod:`.drift` and :mod:`.commands` (the CLI). The conda side (the rollback
transaction, the capture before every guarded transaction, the ``conda clean``
check, the exporter plugins) is in ``conda_guard/adapters/conda_recovery*.py``.
"""

from __future__ import annotations
