"""The recovery commands of the CLI: ``snapshot``, ``snapshots``, ``export``, ``drift``.

They need no conda (``rollback`` does, and lives in the conda adapter). Each
returns an exit code; bad input is a :class:`~conda_guard.exceptions.GuardError`
the CLI prints as one line with exit 2. Inside conda (``conda guard ...``) the
prefix, package caches and store settings come from conda's context.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..constants import EXIT_FINDINGS, EXIT_OK
from ..exceptions import UsageError

if TYPE_CHECKING:
    import argparse

    from .store import Store


# -- shared arguments ----------------------------------------------------------------


def _add_target(p: argparse.ArgumentParser) -> None:
    p.add_argument("target", nargs="?", metavar="PREFIX", help="environment prefix")
    env = p.add_argument_group("environment")
    target = env.add_mutually_exclusive_group()
    target.add_argument("-p", "--prefix", help="full path to the environment prefix")
    target.add_argument("-n", "--name", help="name of the environment")
    env.add_argument(
        "--store",
        metavar="DIR",
        default=None,
        help=(
            "root of the generation stores (default: "
            "$CONDA_PLUGINS_GUARD_SNAPSHOT_DIR or ~/.conda/guard/generations; "
            "inside conda plugins.guard_snapshot_dir)"
        ),
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def _add_copy(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--copy",
        action="store_true",
        default=None,
        help="copy archives that cannot be hard-linked into the store",
    )
    p.add_argument(
        "--pkgs-dir",
        dest="pkgs_dirs",
        action="append",
        metavar="DIR",
        help="a conda package cache to take archives from (repeatable; default: "
        "$CONDA_PKGS_DIRS, <root>/pkgs and ~/.conda/pkgs)",
    )


def configure_snapshot(p: argparse.ArgumentParser) -> None:
    """Arguments of ``snapshot``."""
    _add_target(p)
    _add_copy(p)


def configure_snapshots(p: argparse.ArgumentParser) -> None:
    """Arguments of ``snapshots``."""
    _add_target(p)
    p.add_argument(
        "--verify", action="store_true", help="hash every kept archive (slow, certain)"
    )
    prune = p.add_argument_group("freeing space")
    prune.add_argument(
        "--prune", action="store_true", help="delete old generations (see --keep)"
    )
    prune.add_argument(
        "--keep", type=int, metavar="N", help="with --prune: keep the newest N"
    )
    prune.add_argument(
        "--older-than",
        metavar="AGE",
        help="with --prune: delete generations older than AGE (30d, 12h, 2w)",
    )
    prune.add_argument(
        "--dry-run", action="store_true", help="with --prune: only say what goes"
    )
    p.add_argument(
        "--keep-archives",
        action="store_true",
        help="put archives that only a package cache holds into the store now",
    )
    _add_copy(p)


def configure_export(p: argparse.ArgumentParser) -> None:
    """Arguments of ``export``."""
    _add_target(p)
    p.add_argument(
        "-o", "--output", required=True, metavar="DIR", help="directory to write to"
    )
    p.add_argument(
        "--pin",
        choices=("exact", "minor", "major"),
        default="exact",
        help="how environment.yml pins the requested specs (default: exact)",
    )
    p.add_argument(
        "--generation",
        metavar="GEN",
        help="export a generation (g3, -1) instead of the prefix as it is",
    )
    p.add_argument("--env-name", help="the name in environment.yml (default: prefix's)")


def configure_drift(p: argparse.ArgumentParser) -> None:
    """Arguments of ``drift``."""
    p.add_argument("files", nargs="+", metavar="FILE", help="environment.yml, locks")
    env = p.add_argument_group("environment")
    target = env.add_mutually_exclusive_group()
    target.add_argument("-p", "--prefix", help="compare the locks with this prefix")
    target.add_argument("-n", "--name", help="name of the environment")
    p.add_argument("--platform", help="platform of multi-platform locks")
    p.add_argument("--json", action="store_true", help="print JSON")


ROLLBACK_HELP = (
    "Put a prefix back to a generation taken before a transaction: offline, no "
    "solve, archives verified first, conda's own unlink/link."
)


def configure_rollback(sub: Any) -> None:
    """Add ``rollback`` to the ``conda guard`` subparsers (run by the conda adapter)."""
    p = sub.add_parser("rollback", help=ROLLBACK_HELP, description=ROLLBACK_HELP)
    rollback_arguments(p)


def rollback_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``conda guard rollback``."""
    p.add_argument(
        "generation",
        nargs="?",
        metavar="GENERATION",
        help="g3, 3 or -1 (the newest); default: the newest generation that "
        "differs from the prefix as it is",
    )
    target = p.add_mutually_exclusive_group()
    target.add_argument("-p", "--prefix", help="full path to the environment prefix")
    target.add_argument("-n", "--name", help="name of the environment")
    p.add_argument("--dry-run", action="store_true", help="show what would change")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask to confirm")
    p.add_argument("--json", action="store_true", help="report as JSON")
    p.add_argument(
        "--accept",
        dest="guard_accept",
        action="append",
        default=[],
        metavar="RULE|PKG",
        help="accept the findings of a rule id or about a package (block mode)",
    )


# -- helpers ---------------------------------------------------------------------------


def _prefix(args: argparse.Namespace) -> str:
    from ..commands import target_prefix

    prefix = target_prefix(args, getattr(args, "target", None)) or os.environ.get(
        "CONDA_PREFIX"
    )
    if not prefix:
        raise UsageError(
            "give a PREFIX, or -p PREFIX / -n NAME (no environment is active)"
        )
    return prefix


def _store(args: argparse.Namespace, prefix: str) -> Store:
    from .store import Store  # not on the CLI's start-up path

    return Store.for_prefix(prefix, getattr(args, "store", None))


def _pkgs_dirs(args: argparse.Namespace, prefix: str) -> list[str]:
    if getattr(args, "pkgs_dirs", None):
        return [str(p) for p in args.pkgs_dirs]
    from ..binaries import guess_pkgs_dirs

    return [str(p) for p in guess_pkgs_dirs(Path(prefix))]


# -- snapshot --------------------------------------------------------------------------


def run_snapshot(args: argparse.Namespace) -> int:
    """``snapshot``: take a generation of the prefix now."""
    from .capture import capture
    from .snapshots import gen_json
    from .verify import status

    prefix = _prefix(args)
    store = _store(args, prefix)
    taken = capture(
        prefix,
        store,
        pkgs_dirs=_pkgs_dirs(args, prefix),
        allow_copy=bool(args.copy),
        command="conda-guard snapshot",
        reason="manual",
    )
    gen = taken.generation
    st = status(store, gen)
    hows = [a.how or a.kept for a in gen.archives]
    counts = ", ".join(f"{hows.count(h)} {h}" for h in sorted(set(hows)))
    if args.json:
        print(json.dumps(gen_json(store, gen, st) | {"new": taken.new}, indent=2))
        return EXIT_OK
    if taken.new:
        print(
            f"Generation {gen.label} of {prefix}: {len(gen.records)} packages, "
            f"{len(gen.pip)} pip distribution(s); archives: {counts}."
        )
    else:
        print(f"No new generation: {prefix} is as {gen.label} has it.")
    answer = "yes" if st.restorable else "no"
    print(f"Restorable offline: {answer} ({st.reason}).")
    if st.pip_missing:
        print(f"pip distributions it cannot restore: {', '.join(st.pip_missing)}")
    print(f"Store: {store.path}")
    return EXIT_OK


# -- export and drift ---------------------------------------------------------


def run_export(args: argparse.Namespace) -> int:
    """``export``: environment.yml, conda-lock.yml, pixi.lock, explicit.txt."""
    from .export import from_generation, from_prefix
    from .export_all import export_all
    from .states import pick

    prefix = _prefix(args)
    if args.generation:
        m = re.fullmatch(r"g?(-?[0-9]+)", args.generation.strip())
        if m is None:
            raise UsageError(f"not a generation: {args.generation!r} (give g3 or -1)")
        data = from_generation(
            pick(_store(args, prefix), int(m.group(1))), args.env_name
        )
    else:
        data = from_prefix(prefix, args.env_name)
    written = export_all(data, args.output, args.pin)
    if args.json:
        print(json.dumps({k: str(v) for k, v in written.items()}, indent=2))
        return EXIT_OK
    print(f"Exported {data.source} ({len(data.records)} packages, {data.platform}):")
    for path in written.values():
        print(f"  {path}")
    if data.pip:
        names = ", ".join(n for n, _ in data.pip)
        print(f"pip distributions are in environment.yml only (not locked): {names}")
    return EXIT_OK


def run_drift(args: argparse.Namespace) -> int:
    """``drift``: exit 1 when the yml, the locks and the prefix disagree."""
    from ..commands import target_prefix
    from .drift import drift

    prefix = target_prefix(args)
    checks = drift(list(args.files), prefix, args.platform)
    drifted = any(c.differences for c in checks)
    if args.json:
        print(
            json.dumps(
                {"drift": drifted, "checks": [c.to_json() for c in checks]}, indent=2
            )
        )
    else:
        for c in checks:
            state = (
                f"{len(c.differences)} difference(s)" if c.differences else "in sync"
            )
            print(f"{c.left} vs {c.right}: {state} ({c.summary})")
            print("".join(f"  - {d}\n" for d in c.differences), end="")
    return EXIT_FINDINGS if drifted else EXIT_OK


SUBCOMMANDS = {
    "snapshot": (
        configure_snapshot,
        (
            "Take a generation of a prefix now (records, specs, pip files; "
            "archives hard-linked into the store)."
        ),
        None,
    ),
    "snapshots": (
        configure_snapshots,
        (
            "List a prefix's generations (restorable offline or not, and why); "
            "--prune frees space."
        ),
        None,
    ),
    "export": (
        configure_export,
        (
            "Write environment.yml, conda-lock.yml, pixi.lock and an @EXPLICIT "
            "file (sha256) of a prefix or a generation."
        ),
        None,
    ),
    "drift": (
        configure_drift,
        (
            "Check without solving that environment.yml, its locks and the prefix "
            "agree (exit 1 when they do not)."
        ),
        None,
    ),
}


def run_snapshots(args: argparse.Namespace) -> int:
    """``snapshots`` (see :mod:`.snapshots`)."""
    from .snapshots import run_snapshots as run

    prefix = _prefix(args)
    return run(args, _store(args, prefix), _pkgs_dirs(args, prefix))


COMMANDS = {
    "snapshot": run_snapshot,
    "snapshots": run_snapshots,
    "export": run_export,
    "drift": run_drift,
}
