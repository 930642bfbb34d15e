"""Recovery inside conda: settings, a generation before each transaction, clean check.

- the settings are in :mod:`.conda_recovery_settings` (``guard_snapshot``,
  ``guard_snapshot_dir``, ``guard_snapshot_copy``).
- :class:`GuardSnapshot` is a pre-transaction action: its ``execute()`` runs
  after conda verified the transaction and before it unlinks anything, and
  takes a generation of the prefix as it still is. It never fails the
  transaction: a problem is one warning line.
- :func:`clean_check` runs before ``conda clean`` and names the generations
  whose archives only conda's package cache holds and the clean would delete.
- :func:`recovery_defaults` fills the store, package caches and prefix of the
  ``conda guard snapshot|snapshots|export|drift`` commands from conda's context.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conda.core.path_actions import Action

from .conda_recovery_settings import read_settings, store_for

if TYPE_CHECKING:
    import argparse

#: the ``conda guard`` commands that work on a prefix's generations
RECOVERY_COMMANDS = ("snapshot", "snapshots", "export", "drift", "rollback")


# -- the generation before each transaction --------------------------------------


def command_line() -> str:
    """The command being run, as a user typed it (for the generation list)."""
    argv = sys.argv
    if argv and Path(argv[0]).name in ("conda", "__main__.py", "conda-script.py"):
        return shlex.join(["conda", *argv[1:]])
    from conda.base.context import context

    args = context._argparse_args
    cmd = getattr(args, "cmd", None) or "?"
    packages = [str(p) for p in getattr(args, "packages", None) or ()]
    return shlex.join(["conda", cmd, *packages])


def take_generation(prefix: str) -> Any:
    """Capture ``prefix`` into its store (conda's package caches as sources)."""
    from conda.base.context import context

    from ..recovery.capture import capture

    settings = read_settings()
    store = store_for(prefix)
    return capture(
        prefix,
        store,
        pkgs_dirs=list(context.pkgs_dirs),
        allow_copy=settings.copy,
        command=command_line(),
        reason="before-transaction",
    )


class GuardSnapshot(Action):
    """conda-guard's generation before a transaction (``execute`` only captures)."""

    def verify(self) -> Exception | None:
        """Nothing to verify."""
        self._verified = True
        return None

    def execute(self) -> None:
        """Take the generation; a failure is one warning, never the transaction's."""
        prefix = self.target_prefix
        meta = Path(prefix or "") / "conda-meta"
        if not prefix or not any(meta.glob("*.json")):
            return  # a new (or empty) prefix: nothing to keep yet
        try:
            if not read_settings().snapshot:
                return
            taken = take_generation(prefix)
        except Exception as exc:  # never let the snapshot break the transaction
            print(
                f"conda-guard: warning: no generation was taken of {prefix} "
                f"({type(exc).__name__}: {exc}); the transaction goes on.",
                file=sys.stderr,
            )
            return
        gen = taken.generation
        if taken.new:
            kept = sum(1 for a in gen.archives if a.kept == "store")
            print(
                f"conda-guard: generation {gen.label} of {prefix} taken "
                f"({len(gen.records)} packages, {kept} archives kept); undo with "
                f"`conda guard rollback -p {shlex.quote(prefix)} {gen.label}`",
                file=sys.stderr,
            )

    def reverse(self) -> None:
        """A generation stays valid whatever happens to the transaction."""

    def cleanup(self) -> None:
        """Nothing to clean up."""


# -- conda clean -------------------------------------------------------------------


def _doomed(path: Path, writable: set[str], tarballs: bool, force: bool) -> bool:
    if str(path.parent) not in writable:
        return False
    try:
        st = path.stat()
    except OSError:
        return False
    return force or (tarballs and st.st_nlink == 1)


def at_risk(tarballs: bool, force: bool) -> list[tuple[str, list[str], int]]:
    """(prefix, generations, archives) that ``conda clean`` would make unrestorable."""
    from conda.core.package_cache_data import PackageCacheData

    from ..exceptions import GuardError
    from ..recovery.store import all_stores

    writable = {str(Path(c.pkgs_dir)) for c in PackageCacheData.writable_caches()}
    out = []
    for store in all_stores(read_settings().store_dir):
        try:
            generations = store.generations()
        except GuardError:
            continue  # a damaged store is reported by `conda guard snapshots`
        gens, files = [], set()
        for gen in generations:
            hit = {
                a.cache_path
                for a in gen.archives
                if a.kept == "cache"
                and a.cache_path
                and _doomed(Path(a.cache_path), writable, tarballs, force)
            }
            if hit:
                gens.append(gen.label)
                files |= hit
        if gens:
            out.append((store.prefix, gens, len(files)))
    return out


def clean_check(command: str) -> None:
    """The ``conda_pre_commands`` action for ``clean`` (prints, never blocks)."""
    from conda.base.context import context

    args = context._argparse_args
    tarballs = bool(getattr(args, "all", False) or getattr(args, "tarballs", False))
    force = bool(getattr(args, "force_pkgs_dirs", False))
    if not (tarballs or force):
        return
    try:
        risky = at_risk(tarballs, force)
    except Exception as exc:  # informative only
        print(f"conda-guard: warning: generations not checked ({exc})", file=sys.stderr)
        return
    if not risky:
        return
    lines = [
        (
            "conda-guard: this clean deletes package archives that only conda's "
            "package cache holds for these generations (their store could not "
            "hard-link them):"
        )
    ]
    for prefix, gens, count in risky:
        lines.append(f"  {prefix}: {', '.join(gens)} ({count} archive(s))")
    lines.append("They would no longer be restorable offline. To keep them, first run:")
    for prefix, _gens, _count in risky:
        lines.append(
            f"  conda guard snapshots -p {shlex.quote(prefix)} --keep-archives --copy"
        )
    lines.append(
        "(Archives in a store are safe: conda clean leaves files with more than "
        "one hard link and never looks into the store.)"
    )
    print("\n".join(lines), file=sys.stderr)


# -- conda guard snapshot|snapshots|export|drift -----------------------------------


def recovery_defaults(args: argparse.Namespace) -> None:
    """conda's prefix, package caches and the store settings for these commands.

    ``drift`` compares with a prefix only when given one (``-p``/``-n``).
    """
    command = getattr(args, "command", None)
    if command not in RECOVERY_COMMANDS:
        return
    from conda.base.context import context

    settings = read_settings()
    if getattr(args, "store", None) is None:
        args.store = settings.store_dir
    if not getattr(args, "pkgs_dirs", None):
        args.pkgs_dirs = list(context.pkgs_dirs)
    if getattr(args, "copy", None) is None:
        args.copy = settings.copy
    given = getattr(args, "target", None) or getattr(args, "prefix", None)
    if getattr(args, "name", None) or (not given and command != "drift"):
        args.prefix = context.target_prefix
        args.name = None
