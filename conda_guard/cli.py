"""The standalone command line (``conda-guard``), conda-free.

``build_parser()`` makes the parser; ``configure_parser(parser)`` adds the same
subcommands to a parser conda gives us (``conda guard``); ``main(argv)`` parses
and runs, turning every :class:`~conda_guard.exceptions.GuardError` into one
line on stderr and exit code 2. The work itself is in :mod:`conda_guard.commands`.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from . import __version__
from .constants import EXIT_USAGE, SeverityName
from .readers import FORMATS

if TYPE_CHECKING:
    from collections.abc import Sequence

SEVERITIES = SeverityName.names()
FORMAT_NAMES = tuple(FORMATS)

DESCRIPTION = (
    "Show what a change to a conda environment does to its ABI-sensitive "
    "packages (numpy, BLAS, CUDA, Python, C++ runtime, OpenSSL, channels), "
    "without changing anything."
)

DIFF_EPILOG = """\
states (auto-detected; --format forces one):
  a prefix directory (conda-meta/*.json), PREFIX@N (a prefix at history
  revision N), an @EXPLICIT file, conda-lock.yml, pixi.lock, a `conda env
  export` YAML with builds, `conda list --json` or `conda list --export` output.

examples:
  conda-guard diff examples/ml-env@1 examples/ml-env
  conda-guard diff ~/miniconda3/envs/ml@2 ~/miniconda3/envs/ml --json
  conda-guard diff -n ml --install pytorch -c conda-forge
  conda-guard diff -n ml --update-all --batch
  git show HEAD~1:pixi.lock > old.pixi.lock
  conda-guard diff old.pixi.lock pixi.lock --markdown

exit status: 0 nothing at or above --fail-on, 1 findings at or above
--fail-on, 2 bad input or usage.
"""


def _add_output_options(p: argparse.ArgumentParser) -> None:
    out = p.add_argument_group("output")
    fmt = out.add_mutually_exclusive_group()
    fmt.add_argument(
        "--json", action="store_true", help="print the JSON report (schema 1)"
    )
    fmt.add_argument(
        "--markdown",
        action="store_true",
        help="print a Markdown report (for pull requests)",
    )
    out.add_argument(
        "--summary",
        action="store_true",
        help="text report: findings only, without evidence and the change list",
    )
    out.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the text report (default: auto, only on a terminal)",
    )
    pol = p.add_argument_group("policy")
    pol.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        default=None,
        help="exit 1 when a finding is at or above this severity (default: high;"
        " inside conda: plugins.guard_fail_on)",
    )
    pol.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="RULE",
        help="drop findings of this rule id (repeatable)",
    )
    pol.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="SPEC",
        help="exempt a package name or match spec from findings (repeatable)",
    )


def _add_env_options(p: argparse.ArgumentParser) -> None:
    env = p.add_argument_group("environment")
    target = env.add_mutually_exclusive_group()
    target.add_argument("-p", "--prefix", help="full path to the environment prefix")
    target.add_argument("-n", "--name", help="name of the environment")


def _add_input_options(p: argparse.ArgumentParser) -> None:
    inp = p.add_argument_group("input")
    inp.add_argument(
        "--format", choices=FORMAT_NAMES, help="read both states as this format"
    )
    inp.add_argument("--before-format", choices=FORMAT_NAMES, help="format of BEFORE")
    inp.add_argument("--after-format", choices=FORMAT_NAMES, help="format of AFTER")
    inp.add_argument(
        "--platform",
        help="platform to read from multi-platform lock files (e.g. linux-64)",
    )
    inp.add_argument(
        "--environment", help="environment of a pixi.lock (default: default)"
    )
    inp.add_argument(
        "--no-links",
        dest="links",
        action="store_false",
        help="skip the binary (soname, symbol version) checks of a prefix",
    )


def configure_diff(p: argparse.ArgumentParser) -> None:
    """Arguments of ``diff``."""
    p.add_argument(
        "before", nargs="?", help="the current state (default: the -p/-n prefix)"
    )
    p.add_argument("after", nargs="?", help="the proposed state")
    _add_env_options(p)
    _add_input_options(p)
    from .solve import add_solve_arguments

    add_solve_arguments(p)
    _add_output_options(p)


def configure_history(p: argparse.ArgumentParser) -> None:
    """Arguments of ``history``."""
    p.add_argument("target", nargs="?", metavar="PREFIX", help="environment prefix")
    _add_env_options(p)
    p.add_argument(
        "--revision",
        type=int,
        action="append",
        metavar="N",
        help="show only revision N (repeatable)",
    )
    _add_output_options(p)


def configure_check(p: argparse.ArgumentParser) -> None:
    """Arguments of ``check``."""
    p.add_argument("target", nargs="?", metavar="PREFIX", help="environment prefix")
    _add_env_options(p)
    p.add_argument(
        "--no-links",
        dest="links",
        action="store_false",
        help="skip the binary checks (pip-installed extensions)",
    )
    _add_output_options(p)


SUBCOMMANDS = {
    "diff": (
        configure_diff,
        "Diff two environment states, or a prefix and a proposed install/update.",
        DIFF_EPILOG,
    ),
    "history": (
        configure_history,
        "Each revision of a prefix's history, what changed and its findings.",
        None,
    ),
    "check": (
        configure_check,
        (
            "Report on an environment as it is: mixed channels, broken "
            "dependencies, pip-installed compiled packages."
        ),
        None,
    ),
}


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Add the ``diff``/``history``/``check`` subcommands to ``parser``."""
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (configure, help_text, epilog) in SUBCOMMANDS.items():
        p = sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        configure(p)


def build_parser(prog: str = "conda-guard") -> argparse.ArgumentParser:
    """The standalone parser."""
    parser = argparse.ArgumentParser(prog=prog, description=DESCRIPTION)
    parser.add_argument(
        "--version", action="version", version=f"conda-guard {__version__}"
    )
    configure_parser(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run a parsed command; GuardError → one line on stderr, exit 2."""
    from .commands import COMMANDS
    from .exceptions import GuardError

    try:
        return COMMANDS[args.command](args)
    except GuardError as exc:
        print(f"conda-guard: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("conda-guard: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``conda-guard`` console script."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or usage errors (2)
        return int(exc.code or 0) if isinstance(exc.code, int) else EXIT_USAGE
    return run(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
