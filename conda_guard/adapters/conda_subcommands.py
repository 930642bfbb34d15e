"""``conda guard``: the standalone commands inside conda, plus strict install/update.

``diff``, ``history`` and ``check`` are the parsers and commands of
:mod:`conda_guard.cli`, with ``-n NAME`` and the default environment resolved
by conda. ``install`` and ``update`` take conda's own arguments (its parsers
are reused) and run conda's command with the guard in block mode, plus
``--fail-on``, ``--accept RULE|PKG`` and ``--batch``.

The plugin registers no ``configure_parser``: conda would call it whenever it
builds its parser (nearly every command), and this parser needs the CLI and
the solve options. conda hands the raw arguments to :func:`execute`, which
builds the parser, parses them and re-initialises conda's context with them
(as ``conda.cli.main.main_subshell`` does), so ``-n``, ``-p``, ``--json``,
``-y``, ``--dry-run`` and ``-c`` mean what they mean to conda.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ..constants import GuardMode, SeverityName

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .conda_run import GuardRun

STRICT_HELP = {
    "install": (
        "conda install with the guard in block mode: refuse findings at or above "
        "--fail-on unless accepted with --accept."
    ),
    "update": (
        "conda update with the guard in block mode: refuse findings at or above "
        "--fail-on unless accepted with --accept."
    ),
}


def _subparsers(parser: argparse.ArgumentParser) -> Any:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest="command", metavar="COMMAND", required=True)


def _add_strict_options(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group("conda-guard")
    group.add_argument(
        "--fail-on",
        dest="guard_fail_on",
        choices=SeverityName.names(),
        default=None,
        help="refuse findings at or above this severity "
        "(default: plugins.guard_fail_on, 'high')",
    )
    group.add_argument(
        "--accept",
        dest="guard_accept",
        action="append",
        default=[],
        metavar="RULE|PKG",
        help="accept the findings of a rule id, or about a package name or match "
        "spec, for this command (repeatable)",
    )
    group.add_argument(
        "--batch",
        dest="guard_batch",
        action="store_true",
        help="install the batch solution (all specs solved at once) instead of "
        "conda's incremental one",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``conda guard`` parser (conda's ArgumentParser class, for its help)."""
    from conda.cli.conda_argparse import ArgumentParser

    parser = ArgumentParser(prog="conda guard")
    configure_parser(parser)
    return parser


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Add ``diff``/``history``/``check`` (from the CLI) and ``install``/``update``."""
    from conda.cli.main_install import configure_parser as conda_install
    from conda.cli.main_update import configure_parser as conda_update

    from ..cli import configure_parser as configure_core

    parser.description = (
        "Show and stop ABI-breaking changes to conda environments (numpy ABI, "
        "BLAS, CUDA -> CPU, Python minor, C++ runtime, OpenSSL, channel mixing)."
    )
    configure_core(parser)
    sub = _subparsers(parser)
    from .conda_recovery_cli import configure_rollback  # recovery (issue 11)

    configure_rollback(sub)
    for name, configure in (("install", conda_install), ("update", conda_update)):
        p = configure(sub)
        p.description = STRICT_HELP[name]
        _add_strict_options(p)
    # the strict commands' help lines in `conda guard -h`
    for choice in sub._choices_actions:
        if choice.dest in STRICT_HELP:
            choice.help = STRICT_HELP[choice.dest]


def execute(argv: Sequence[str] | argparse.Namespace) -> int:
    """Run ``conda guard <argv>``; the return value is the exit code."""
    from conda.base.context import context

    if isinstance(argv, argparse.Namespace):
        args = argv
    else:
        args = build_parser().parse_args(list(argv))
        args.cmd = "guard"
        # conda reads every attribute as a setting: unset (None) ones must go
        given = {k: v for k, v in vars(args).items() if v is not None}
        context.__init__(argparse_args=argparse.Namespace(**given))
    from .conda_channels import install

    install()  # name channels as conda does (channel_alias, custom_channels …)
    command = getattr(args, "command", None)
    if command in STRICT_HELP:
        return run_strict(args, command)
    from .conda_recovery_hooks import recovery_defaults  # recovery (issue 11)

    recovery_defaults(args)
    if command == "rollback":
        from .conda_recovery_cli import run_rollback

        return run_rollback(args)
    _resolve_prefix(args, command)
    _solve_defaults(args)
    _policy_defaults(args)
    from ..cli import run

    return run(args)


def _resolve_prefix(args: argparse.Namespace, command: str | None) -> None:
    """``-n NAME`` and the default environment, as conda resolves them."""
    from conda.base.context import context

    positional = getattr(args, "before" if command == "diff" else "target", None)
    if getattr(args, "prefix", None) or positional:
        return
    if getattr(args, "name", None) or command in ("history", "check", "diff"):
        args.prefix = context.target_prefix
        args.name = None


def _solve_defaults(args: argparse.Namespace) -> None:
    """A dry-run solve uses conda's solver, channels and channel priority
    unless given (``--solver rattler`` reads the same channels, resolved by
    conda's ``Channel``)."""
    from conda.base.context import context

    from ..solve import wants_solve

    if not wants_solve(args):
        return
    if getattr(args, "solver", None) is None:
        args.solver = "conda"
    if not getattr(args, "channel", None):
        args.channel = list(context.channels)
    if getattr(args, "channel_priority", None) is None:
        priority = getattr(context.channel_priority, "value", context.channel_priority)
        args.channel_priority = str(priority).lower()


def _policy_defaults(args: argparse.Namespace) -> None:
    """The ``plugins.guard_*`` policy applies here too: ``guard_fail_on`` unless
    ``--fail-on`` is given; ``guard_ignore`` and ``guard_allow`` add to the options."""
    from .conda_settings import read_settings

    settings = read_settings()
    if getattr(args, "fail_on", None) is None:
        args.fail_on = str(settings.fail_on)
    args.ignore = [*settings.ignore, *(getattr(args, "ignore", None) or ())]
    args.allow = [*settings.allow, *(getattr(args, "allow", None) or ())]


def _say(text: str) -> None:
    import json

    from conda.base.context import context

    if context.json:
        print(json.dumps({"success": True, "message": f"conda-guard: {text}"}))
    else:
        print(f"\n# conda-guard: {text}\n")


def run_strict(args: argparse.Namespace, command: str) -> int:
    """conda's install/update with the guard in block mode (GuardError → exit 2)."""
    from ..exceptions import GuardError
    from .conda_errors import GuardUsageError

    try:
        return _run_strict(args, command)
    except GuardError as exc:
        raise GuardUsageError(str(exc)) from exc


def _run_strict(args: argparse.Namespace, command: str) -> int:
    from ..policy import split_accept
    from . import conda_hooks, conda_run

    rules, packages = split_accept(args.guard_accept)
    overrides: dict[str, Any] = {
        "mode": GuardMode.BLOCK,
        "ignore": rules,
        "allow": packages,
    }
    if args.guard_fail_on:
        overrides["fail_on"] = SeverityName(args.guard_fail_on)
    with conda_run.strict_run(command, overrides) as run:
        run.accepted = packages
        if args.guard_batch:
            if not _apply_batch(args, run, command):
                _say("a one-shot solve gives the environment as it is; nothing to do.")
                return 0
            command = run.command = "install"  # the batch records, pinned exactly
            if not hasattr(args, "revision"):  # an update namespace
                args.revision = None
        if command == "install" and getattr(args, "revision", None) is not None:
            conda_hooks.check_revision(run)
        if command == "install":
            from conda.cli.main_install import execute as conda_execute
        else:
            from conda.cli.main_update import execute as conda_execute
        return conda_execute(args, None) or 0


def _apply_batch(args: argparse.Namespace, run: GuardRun, command: str) -> bool:
    """Replace the request by the records of a one-shot solve that differ.

    Returns False when the one-shot solution is what is installed. Packages the
    one-shot solve would not install stay (this only installs).
    """
    from conda.auxlib import NULL
    from conda.base.constants import UpdateModifier
    from conda.base.context import context

    from ..diff import same_package
    from ..exceptions import UsageError
    from .conda_hooks import batch_state, read_before
    from .conda_run import CondaRequest

    current = read_before(context.target_prefix)
    request = CondaRequest(
        command=command,
        typed=tuple(str(p) for p in getattr(args, "packages", None) or ()),
        update_all=context.update_modifier == UpdateModifier.UPDATE_ALL,
    )
    batch, notes = batch_state(current, run.settings(), request)
    if batch is None:
        why = "; ".join(notes) or "no solution"
        raise UsageError(f"--batch: the one-shot solve failed ({why})")
    changed = [
        rec
        for rec in batch
        if not rec.pip
        and (
            current.get(rec.name) is None
            or not same_package(current.records[rec.name], rec)
        )
    ]
    args.packages = [
        _pin(r.channel, f"{r.name}=={r.version}={r.build}") for r in changed
    ]
    # exact pins of every changed record: conda install links just those
    args.update_modifier = NULL
    return bool(changed)


def _pin(channel: str | None, spec: str) -> str:
    """``CHANNEL::spec`` when the configured solver can read that channel name."""
    from .conda_channels import pin_channel

    named = pin_channel(channel) if channel else None
    return f"{named}::{spec}" if named else spec
