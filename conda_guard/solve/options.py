"""The dry-run solve options of ``conda-guard diff``, and their typed form.

:func:`add_solve_arguments` adds ``--install``, ``--update``, ``--update-all``,
``--batch``, ``--solver``, the channel options, ``--solve-timeout`` and
``--virtual-package`` (values are checked as they are parsed: a bad one is an
argparse error, exit 2); :func:`wants_solve` says whether parsed arguments ask
for a solve. The command layer turns the namespace into a
:class:`SolveOptions` once (:func:`options_from_args`); nothing below it reads
argparse.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..constants import DEFAULT_BATCH_TIMEOUT

if TYPE_CHECKING:
    from typing import Any

SOLVERS = ("rattler", "conda")
PRIORITIES = ("strict", "flexible", "disabled")


@dataclass(frozen=True)
class SolveOptions:
    """A dry-run request and how to solve it, as the user gave them.

    ``channels`` empty: the channels the installed packages came from (rattler)
    or conda's configured ones (conda). ``channel_priority`` None: flexible for
    rattler, conda's setting for conda. ``virtual_packages`` None: detected.
    ``freeze_installed`` None: conda's default (frozen for install, retried
    unfrozen when that fails).
    """

    install: tuple[str, ...] = ()
    update: tuple[str, ...] = ()
    update_all: bool = False
    #: True: --batch; False: --no-batch; None: auto (see :func:`propose`)
    batch: bool | None = None
    solver: str = "rattler"
    channels: tuple[str, ...] = ()
    custom_channels: tuple[str, ...] = ()  # NAME=LOCATION
    channel_priority: str | None = None
    timeout: float = DEFAULT_BATCH_TIMEOUT
    virtual_packages: tuple[str, ...] | None = None
    update_deps: bool = False
    freeze_installed: bool | None = None
    platform: str | None = None

    @property
    def wants_solve(self) -> bool:
        """True when these options ask for a dry-run solve."""
        return bool(self.install or self.update or self.update_all or self.batch)


def _seconds(text: str) -> float:
    from ..settings import timeout_seconds  # imported when the option is given

    try:
        return timeout_seconds(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _virtual_package(text: str) -> str:
    from .protocol import parse_virtual_package  # imported when the option is given

    try:
        parse_virtual_package(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text.strip()


#: (flags, argparse keywords) of every option, in the order ``--help`` shows them
_ARGUMENTS: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = (
    (
        ("--install",),
        dict(
            nargs="+",
            action="extend",
            default=[],
            metavar="SPEC",
            help="what `conda install SPEC…` would do",
        ),
    ),
    (
        ("--update",),
        dict(
            nargs="+",
            action="extend",
            default=[],
            metavar="SPEC",
            help="what `conda update SPEC…` would do (SPECs must be installed)",
        ),
    ),
    (
        ("--update-all",),
        dict(
            action="store_true",
            help="what `conda update --all` would do (implies --batch)",
        ),
    ),
    (
        ("--batch",),
        dict(
            action="store_const",
            const=True,
            default=None,
            help="also solve the history specs plus the request from scratch and "
            "compare (default: with --update-all, and when the request brings in a "
            "compiled package built against numpy)",
        ),
    ),
    (
        ("--no-batch",),
        dict(
            action="store_const",
            const=False,
            dest="batch",
            help="never run the one-shot solve",
        ),
    ),
    (
        ("--solver",),
        dict(
            choices=SOLVERS,
            default=None,
            help="solver backend: rattler (default of conda-guard) or conda (your "
            "configured solver; the default of conda guard)",
        ),
    ),
    (
        ("-c", "--channel"),
        dict(
            action="append",
            default=[],
            metavar="C",
            help="channel to solve against, highest priority first (repeatable; "
            "default: the channels the environment's packages came from)",
        ),
    ),
    (
        ("--custom-channel",),
        dict(
            action="append",
            default=[],
            metavar="NAME=LOCATION",
            help="serve channel NAME from LOCATION (a URL or a local channel "
            "directory), as conda's custom_channels setting does; packages solved "
            "from it are reported as NAME (repeatable)",
        ),
    ),
    (
        ("--strict-channel-priority",),
        dict(
            action="store_const",
            const="strict",
            dest="channel_priority",
            help="a package only comes from the highest-priority channel that has it",
        ),
    ),
    (
        ("--channel-priority",),
        dict(
            choices=PRIORITIES,
            dest="channel_priority",
            default=None,
            help="channel priority (default: flexible, as conda's default)",
        ),
    ),
    (
        ("--solve-timeout",),
        dict(
            type=_seconds,
            default=DEFAULT_BATCH_TIMEOUT,
            metavar="SECONDS",
            help="time budget of the dry-run solves (default: "
            f"{DEFAULT_BATCH_TIMEOUT:g}); a comparison that runs out of time is "
            "skipped with a note",
        ),
    ),
    (
        ("--virtual-package",),
        dict(
            action="append",
            type=_virtual_package,
            default=None,
            metavar="SPEC",
            help="a virtual package the solve assumes, e.g. __glibc=2.35, "
            "__cuda=12.4, __unix (repeatable; default: detected on this machine)",
        ),
    ),
    (
        ("--update-deps",),
        dict(
            action="store_true",
            help="the requested packages' dependencies may move too (conda's"
            " --update-deps)",
        ),
    ),
    (
        ("--freeze-installed",),
        dict(
            action="store_true",
            default=None,
            help="installed packages may not move (conda's default for install;"
            " a failed frozen solve is retried unfrozen only without this flag)",
        ),
    ),
)


def add_solve_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the dry-run solve options to ``parser`` (the ``diff`` subcommand)."""
    group = parser.add_argument_group(
        "dry-run solve",
        "propose a change to a prefix and compare it (with --batch) to a one-shot "
        "solve of everything the environment's history asked for",
    )
    for flags, keywords in _ARGUMENTS:
        group.add_argument(*flags, **keywords)


def wants_solve(args: argparse.Namespace) -> bool:
    """True when the arguments ask for a dry-run solve."""
    return bool(
        getattr(args, "install", None)
        or getattr(args, "update", None)
        or getattr(args, "update_all", False)
        or getattr(args, "batch", False)
    )


def options_from_args(args: argparse.Namespace) -> SolveOptions:
    """The :class:`SolveOptions` of a parsed ``diff`` namespace (read once, here)."""
    virtual = getattr(args, "virtual_package", None)
    return SolveOptions(
        install=tuple(getattr(args, "install", None) or ()),
        update=tuple(getattr(args, "update", None) or ()),
        update_all=bool(getattr(args, "update_all", False)),
        batch=getattr(args, "batch", None),
        solver=getattr(args, "solver", None) or "rattler",
        channels=tuple(getattr(args, "channel", None) or ()),
        custom_channels=tuple(getattr(args, "custom_channel", None) or ()),
        channel_priority=getattr(args, "channel_priority", None),
        timeout=float(getattr(args, "solve_timeout", None) or DEFAULT_BATCH_TIMEOUT),
        virtual_packages=tuple(virtual) if virtual else None,
        update_deps=bool(getattr(args, "update_deps", False)),
        freeze_installed=getattr(args, "freeze_installed", None),
        platform=getattr(args, "platform", None),
    )
