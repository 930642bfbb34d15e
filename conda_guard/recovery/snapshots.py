"""``snapshots``: list a prefix's generations, prune them, keep their archives.

The listing says for each generation when it was taken, the command it was
taken before, its package count and whether it can be restored offline (and
why not); ``--verify`` hashes every archive. It ends with the store's real
disk use (:func:`~conda_guard.recovery.fsutil.disk_usage`).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..constants import EXIT_OK
from ..exceptions import UsageError
from . import fsutil

if TYPE_CHECKING:
    import argparse

    from .generation import Generation
    from .store import Store

_DURATION = re.compile(r"([0-9]+)\s*([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _usage_line(store: Store) -> str:
    u = store.usage()
    return (
        f"store use: {u.files} files, {fsutil.human_bytes(u.apparent)} "
        f"({fsutil.human_bytes(u.only_here)} only in the store, "
        f"{fsutil.human_bytes(u.shared)} shared by hard links with package caches); "
        f"generation files {fsutil.human_bytes(store.metadata_bytes())}"
    )


def _when(gen: Generation) -> str:
    return gen.created.replace("T", " ").rstrip("Z")


# -- snapshots -------------------------------------------------------------------------


def gen_json(store: Store, gen: Generation, st: Any) -> dict[str, Any]:
    return {
        "generation": gen.number,
        "label": gen.label,
        "created": gen.created,
        "revision": gen.revision,
        "command": gen.command,
        "packages": len(gen.records),
        "pip": len(gen.pip),
        "restorable": st.restorable,
        "reason": st.reason,
        "pip_not_restorable": list(st.pip_missing),
        "explicit": str(store.explicit_path(gen.number)),
    }


def _statuses(store: Store, gens: list[Generation], deep: bool) -> list[Any]:
    from .verify import Status, status, verify

    out = []
    for gen in gens:
        st = status(store, gen)
        if deep and st.restorable:
            problems = verify(store, gen)
            if problems:
                names = "; ".join(str(p) for p in problems[:3])
                st = Status(
                    False, f"{len(problems)} problem(s): {names}", st.pip_missing
                )
            else:
                st = Status(True, "every archive verified", st.pip_missing)
        out.append(st)
    return out


def _table(gens: list[Generation], sts: list[Any]) -> list[str]:
    rows = [("gen", "taken (UTC)", "rev", "packages", "offline", "taken before")]
    for gen, st in zip(gens, sts):
        rows.append(
            (
                gen.label,
                _when(gen),
                "-" if gen.revision is None else str(gen.revision),
                str(len(gen.records)) + (f"+{len(gen.pip)} pip" if gen.pip else ""),
                "yes" if st.restorable else "no",
                gen.command or "-",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = []
    for i, row in enumerate(rows):
        lines.append(
            "  ".join(c.ljust(w) for c, w in zip(row[:5], widths)) + "  " + row[5]
        )
        if i and (not sts[i - 1].restorable or sts[i - 1].reason.startswith("while")):
            lines.append(" " * (widths[0] + 2) + f"({sts[i - 1].reason})")
    return [line.rstrip() for line in lines]


def run_snapshots(args: argparse.Namespace, store: Store, pkgs_dirs: list[str]) -> int:
    """``snapshots``: list generations; ``--prune``, ``--keep-archives``."""
    if args.prune:
        return _prune(args, store)
    if args.keep_archives:
        return _keep_archives(args, store, pkgs_dirs)
    gens = store.generations()
    sts = _statuses(store, gens, args.verify)
    if args.json:
        doc = {
            "prefix": store.prefix,
            "store": str(store.path),
            "generations": [gen_json(store, g, s) for g, s in zip(gens, sts)],
            "usage": vars(store.usage()) if store.exists else None,
        }
        print(json.dumps(doc, indent=2))
        return EXIT_OK
    if not gens:
        print(f"No generations of {store.prefix} yet (store: {store.path}).")
        return EXIT_OK
    print(f"Generations of {store.prefix}")
    print(f"store: {store.path}\n")
    print("\n".join(_table(gens, sts)))
    print("\n" + _usage_line(store))
    return EXIT_OK


def _age(text: str) -> timedelta:
    m = _DURATION.fullmatch(text.strip())
    if m is None:
        raise UsageError(
            f"--older-than wants an age such as 30d, 12h or 2w, not {text!r}"
        )
    return timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2)])


def _created(gen: Generation) -> datetime:
    try:
        return datetime.strptime(gen.created, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=timezone.utc
        )
    except ValueError:
        return datetime.now(timezone.utc)


def _prune(args: argparse.Namespace, store: Store) -> int:
    if args.keep is None and args.older_than is None:
        raise UsageError("--prune needs --keep N and/or --older-than AGE")
    if args.keep is not None and args.keep < 0:
        raise UsageError("--keep must be 0 or more")
    gens = store.generations()
    newest = {g.number for g in gens[len(gens) - args.keep :]} if args.keep else set()
    cutoff = (
        datetime.now(timezone.utc) - _age(args.older_than) if args.older_than else None
    )
    doomed = [
        g
        for g in gens
        if (args.keep is None or g.number not in newest)
        and (cutoff is None or _created(g) < cutoff)
    ]
    kept = [g for g in gens if g not in doomed]
    labels = ", ".join(g.label for g in doomed) or "none"
    if args.dry_run:
        print(f"Would delete: {labels}.")
        return EXIT_OK
    for gen in doomed:
        store.remove(gen.number)
    freed = store.collect_garbage(kept) if store.exists else fsutil.Usage()
    print(
        f"Deleted {labels}; {len(kept)} generation(s) left. Freed "
        f"{fsutil.human_bytes(freed.only_here)} ({fsutil.human_bytes(freed.shared)} "
        f"of the deleted archives are still held by package caches)."
    )
    return EXIT_OK


def _keep_archives(args: argparse.Namespace, store: Store, pkgs_dirs: list[str]) -> int:
    """Put archives that only a package cache holds into the store now."""
    from .capture import find_archive

    dirs = [Path(d) for d in pkgs_dirs]
    changed = 0
    for gen in store.generations():
        archives = []
        for arch in gen.archives:
            if arch.kept == "store":
                archives.append(arch)
                continue
            rec = {"fn": arch.fn, "size": arch.size}
            if arch.cache_path:
                rec["package_tarball_full_path"] = arch.cache_path
            source = find_archive(rec, arch.fn, dirs)
            digest = arch.sha256 or arch.md5
            how = None
            if source is not None and digest:
                rel = store.archive_rel(digest, arch.fn)
                how = store.add_file(rel, source, allow_copy=bool(args.copy))
            if how is None:
                archives.append(arch)
                continue
            archives.append(
                replace(arch, kept="store", how=how, path=rel, cache_path=None)
            )
        if archives != list(gen.archives):
            new = replace(gen, archives=tuple(archives))
            fsutil.atomic_write(store.generation_path(gen.number), new.dumps())
            changed += 1
    print(f"{changed} generation(s) now keep more of their archives in {store.path}.")
    return EXIT_OK
