"""The standalone command line (``conda-guard``), conda-free.

``build_parser()`` makes the parser; ``configure_parser(parser)`` adds the same
subcommands to a parser conda gives us (``conda guard``); ``main(argv)`` parses
and runs. Every error is one line on stderr: a usage error or a
:class:`~conda_guard.exceptions.GuardError` exits 2, anything else (a bug)
exits 3, with the traceback only under ``-v``/``--verbose`` or
``CONDA_GUARD_DEBUG=1``. The work itself is in :mod:`conda_guard.commands`.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, NoReturn

from . import __version__
from .constants import EXIT_INTERNAL, EXIT_USAGE, SeverityName
from .exceptions import escape_controls
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
  export` YAML with builds, `conda list --json` or `conda list --export` output;
  REV:PATH reads a file from a git revision (main:pixi.lock, HEAD~1:conda-lock.yml,
  :pixi.lock for the staged copy; PATH from the top of the repository);
  - reads one state from standard input (limits: docs/cli.md).

examples:
  conda-guard diff examples/ml-env@1 examples/ml-env
  conda-guard diff ~/miniconda3/envs/ml@2 ~/miniconda3/envs/ml --json
  conda-guard diff -n ml --install pytorch -c conda-forge
  conda-guard diff -n ml --update-all --batch
  conda-guard diff HEAD~1:pixi.lock pixi.lock --all-environments
  conda-guard diff main:conda-lock.yml conda-lock.yml --platform all --markdown

exit status: 0 nothing at or above --fail-on, 1 findings at or above
--fail-on, 2 bad input or usage, 3 internal error (a bug; -v shows the
traceback).
"""


def _add_report_options(p: argparse.ArgumentParser) -> None:
    """The report and the exit status: every subcommand has both groups."""
    _add_output_options(p)
    _add_policy_options(p)


def _add_output_options(p: argparse.ArgumentParser) -> None:
    """How the report is printed (format, size, colour)."""
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
        "--markdown-limit",
        type=int,
        default=60_000,
        metavar="CHARS",
        help=(
            "cut the Markdown report to this many characters, change table first, "
            "saying what was cut (default: 60000, under a GitHub comment's 65536; "
            "0: no limit)"
        ),
    )
    out.add_argument(
        "--summary",
        action="store_true",
        help=(
            "text report: findings only, without evidence and the change list "
            "(history: one short block per revision)"
        ),
    )
    out.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the text report (default: auto, only on a terminal)",
    )


def _add_policy_options(p: argparse.ArgumentParser) -> None:
    """Which findings count (exit status) and which are dropped or shown."""
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
    pol.add_argument(
        "--show-info",
        action="store_true",
        help="also show info findings (hidden by default; always in --json)",
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
        metavar="PLATFORM",
        help=(
            "platform to read from multi-platform lock files (e.g. linux-64); "
            "several separated by commas, or 'all': one grouped report"
        ),
    )
    inp.add_argument(
        "-e",
        "--environment",
        metavar="ENV",
        help=(
            "environment of a pixi.lock (default: default); several separated "
            "by commas, or 'all': one grouped report of every environment"
        ),
    )
    inp.add_argument(
        "--all-environments",
        action="store_true",
        help=(
            "diff every environment and platform of two lock files in one run "
            "(--environment all --platform all); exit status of the worst"
        ),
    )
    inp.add_argument(
        "--no-links",
        dest="links",
        action="store_false",
        help="skip the checks that read a prefix's files (sonames, symbol "
        "versions, the NumPy C-API of extension modules)",
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
    _add_report_options(p)


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
    _add_report_options(p)


def configure_check(p: argparse.ArgumentParser) -> None:
    """Arguments of ``check``."""
    p.add_argument("target", nargs="?", metavar="PREFIX", help="environment prefix")
    _add_env_options(p)
    p.add_argument(
        "--no-links",
        dest="links",
        action="store_false",
        help="skip the checks of the prefix's files (sonames, symbol versions, "
        "the NumPy C-API of extension modules, pip-installed distributions)",
    )
    _add_report_options(p)


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


def _add_verbose(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the traceback of an internal error (also CONDA_GUARD_DEBUG=1)",
    )


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Add the ``diff``/``history``/``check`` subcommands to ``parser``."""
    from .recovery.commands import SUBCOMMANDS as RECOVERY

    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (configure, help_text, epilog) in {**SUBCOMMANDS, **RECOVERY}.items():
        p = sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        configure(p)
        _add_verbose(p)


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (not the whole usage, then the error)."""

    def error(self, message: str) -> NoReturn:
        self.exit(
            EXIT_USAGE,
            f"{self.prog}: error: {one_line(message)} (see '{self.prog} --help')\n",
        )


def build_parser(prog: str = "conda-guard") -> argparse.ArgumentParser:
    """The standalone parser."""
    parser = _Parser(prog=prog, description=DESCRIPTION)
    parser.add_argument(
        "--version", action="version", version=f"conda-guard {__version__}"
    )
    _add_verbose(parser)
    configure_parser(parser)
    return parser


_MAX_MESSAGE = 600
_SAFE = {c: f"\\x{c:02x}" for c in (*range(32), 127) if c != 10}


def one_line(text: object) -> str:
    """``text`` on one line: control characters escaped, at most 600 characters."""
    line = escape_controls(str(text))
    if len(line) > _MAX_MESSAGE:
        line = line[: _MAX_MESSAGE - 1] + "…"
    return line


def _message(exc: BaseException) -> str:
    """A GuardError's message: control characters but newlines escaped.

    Input errors are one line by construction; an unsatisfiable solve adds
    lines of explanation after its first.
    """
    return str(exc).translate(_SAFE)


def _debug(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "verbose", False)) or os.environ.get(
        "CONDA_GUARD_DEBUG", ""
    ).strip().lower() not in ("", "0", "false", "no")


def run(args: argparse.Namespace) -> int:
    """Run a parsed command; the exit code, and errors as one line on stderr.

    A :class:`~conda_guard.exceptions.GuardError` (bad input, bad usage) exits
    2; any other exception is a bug and exits 3 (``EXIT_INTERNAL``), never 0
    or 1, which mean "no findings" and "findings".
    """
    from .commands import COMMANDS
    from .exceptions import GuardError
    from .recovery.commands import COMMANDS as RECOVERY

    try:
        if getattr(args, "condarc", False):
            _use_condarc()
        return {**COMMANDS, **RECOVERY}[args.command](args)
    except GuardError as exc:
        print(f"conda-guard: error: {_message(exc)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("conda-guard: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _quiet_stdout()
        return 0
    except Exception as exc:  # a bug: say so in one line, never exit 0 or 1
        if _debug(args):
            import traceback

            traceback.print_exc()
        hint = "" if _debug(args) else "; -v or CONDA_GUARD_DEBUG=1 shows the traceback"
        print(
            f"conda-guard: internal error: {type(exc).__name__}: {one_line(exc)} "
            f"(a bug in conda-guard{hint})",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _use_condarc() -> None:
    """Name channels with the ``.condarc`` files conda would read here."""
    from .channel_names import ChannelConfig, use
    from .readers.condarc import read_condarc

    use(ChannelConfig(read_condarc()))


def _quiet_stdout() -> None:
    """After a closed pipe, keep Python from failing again when it flushes stdout."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``conda-guard`` console script."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or usage errors (2)
        return int(exc.code or 0) if isinstance(exc.code, int) else EXIT_USAGE
    args.condarc = True  # name channels as conda does here (inside conda: conda's)
    return run(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
