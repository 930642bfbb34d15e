"""The dry-run solve options of ``conda-guard diff`` (argparse).

:func:`add_solve_arguments` adds ``--install``, ``--update``, ``--update-all``,
``--batch``, ``--solver``, the channel options, ``--solve-timeout`` and
``--virtual-package``; :func:`wants_solve` says whether parsed arguments ask
for a solve.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..constants import DEFAULT_BATCH_TIMEOUT

if TYPE_CHECKING:
    import argparse


SOLVERS = ("rattler", "conda")


PRIORITIES = ("strict", "flexible", "disabled")


def add_solve_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the dry-run solve options to ``parser`` (the ``diff`` subcommand)."""
    group = parser.add_argument_group(
        "dry-run solve",
        "propose a change to a prefix and compare it (with --batch) to a one-shot "
        "solve of everything the environment's history asked for",
    )
    group.add_argument(
        "--install",
        nargs="+",
        action="extend",
        default=[],
        metavar="SPEC",
        help="what `conda install SPEC…` would do",
    )
    group.add_argument(
        "--update",
        nargs="+",
        action="extend",
        default=[],
        metavar="SPEC",
        help="what `conda update SPEC…` would do (SPECs must be installed)",
    )
    group.add_argument(
        "--update-all",
        action="store_true",
        help="what `conda update --all` would do (implies --batch)",
    )
    group.add_argument(
        "--batch",
        action="store_true",
        help="also solve the history specs plus the request from scratch and compare",
    )
    group.add_argument(
        "--solver",
        choices=SOLVERS,
        default="rattler",
        help="solver backend (default: rattler; conda uses your configured solver)",
    )
    group.add_argument(
        "-c",
        "--channel",
        action="append",
        default=[],
        metavar="C",
        help="channel to solve against, highest priority first (repeatable; "
        "default: the channels the environment's packages came from)",
    )
    group.add_argument(
        "--custom-channel",
        action="append",
        default=[],
        metavar="NAME=LOCATION",
        help="serve channel NAME from LOCATION (a URL or a local channel "
        "directory), as conda's custom_channels setting does; packages solved "
        "from it are reported as NAME (repeatable)",
    )
    group.add_argument(
        "--strict-channel-priority",
        action="store_const",
        const="strict",
        dest="channel_priority",
        help="a package only comes from the highest-priority channel that has it",
    )
    group.add_argument(
        "--channel-priority",
        choices=PRIORITIES,
        dest="channel_priority",
        default=None,
        help="channel priority (default: flexible, as conda's default)",
    )
    group.add_argument(
        "--solve-timeout",
        type=_positive_float,
        default=DEFAULT_BATCH_TIMEOUT,
        metavar="SECONDS",
        help=f"time budget of the dry-run solves (default: {DEFAULT_BATCH_TIMEOUT:g});"
        " a comparison that runs out of time is skipped with a note",
    )
    group.add_argument(
        "--virtual-package",
        action="append",
        default=None,
        metavar="SPEC",
        help="a virtual package the solve assumes, e.g. __glibc=2.35, __cuda=12.4,"
        " __unix (repeatable; default: detected on this machine)",
    )
    group.add_argument(
        "--update-deps",
        action="store_true",
        help="the requested packages' dependencies may move too (conda's"
        " --update-deps)",
    )
    group.add_argument(
        "--freeze-installed",
        action="store_true",
        default=None,
        help="installed packages may not move (conda's default for install;"
        " a failed frozen solve is retried unfrozen only without this flag)",
    )


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _arg_error(f"not a number: {text!r}") from None
    if value <= 0:
        raise _arg_error(f"must be > 0: {text!r}")
    return value


def _arg_error(message: str) -> Exception:
    import argparse

    return argparse.ArgumentTypeError(message)


def wants_solve(args: argparse.Namespace) -> bool:
    """True when the arguments ask for a dry-run solve."""
    return bool(
        getattr(args, "install", None)
        or getattr(args, "update", None)
        or getattr(args, "update_all", False)
        or getattr(args, "batch", False)
    )
