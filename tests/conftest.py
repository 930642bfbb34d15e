"""pytest configuration: the ``conda`` marker skips where conda is not importable."""

from __future__ import annotations

import importlib.util
import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

HAVE_CONDA = importlib.util.find_spec("conda") is not None

if HAVE_CONDA:
    # conda's own fixtures (conda_cli, tmp_env, ...) and ours built on them
    pytest_plugins = ["conda.testing.fixtures", "tests.conda_fixtures"]


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    if HAVE_CONDA:
        return
    skip = pytest.mark.skip(
        reason="conda is not importable here (it cannot be installed from PyPI); "
        "run these by hand where conda is, see docs/dev/conda-from-source.md"
    )
    for item in items:
        if "conda" in item.keywords:
            item.add_marker(skip)
