"""nox sessions: tests, lint, bench, docs, conda_tests (by hand, where conda is)."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint"]
nox.options.reuse_existing_virtualenvs = True

PYTHONS = ["3.10", "3.11", "3.12", "3.13", "3.14"]


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run(
        "python", "-m", "pytest", "-n", "auto", "--benchmark-disable", *session.posargs
    )


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")


@nox.session
def bench(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run(
        "python",
        "-m",
        "pytest",
        "tests/bench",
        "--benchmark-only",
        "-p",
        "no:xdist",
        *session.posargs,
    )


@nox.session
def docs(session: nox.Session) -> None:
    session.install("-e", ".[docs]")
    session.run(
        "sphinx-build", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html"
    )


@nox.session(venv_backend="none")
def conda_tests(session: nox.Session) -> None:
    """Run the conda-marked tests with the current interpreter (one that has conda)."""
    session.run("python", "-m", "pytest", "-m", "conda", *session.posargs)
