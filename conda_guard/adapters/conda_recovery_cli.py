"""The ``conda guard rollback`` command: parse, verify, report, confirm, run.

The mechanics (plan, staging, conda's transaction) are in
:mod:`conda_guard.adapters.conda_recovery`; this module prints what the
rollback does, in text or ``--json``, and runs the steps in their order.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..recovery.commands import configure_rollback
from .conda_recovery import (
    GuardRecoveryError,
    Plan,
    analysis_of,
    choose,
    execute_plan,
    guard_check,
    plan,
    refusal,
    stage,
)

if TYPE_CHECKING:
    import argparse

    from ..analysis import Analysis
    from ..recovery.generation import Generation
    from ..recovery.pipdists import PipOutcome
    from ..recovery.store import Store

__all__ = ["configure_rollback", "run_rollback"]


def _dist(prec: Any) -> str:
    return f"{prec.name} {prec.version} {prec.build}"


def _pip_preview(
    prefix: str, store: Store, gen: Generation, dry_run: bool
) -> PipOutcome:
    from ..recovery import pipdists
    from ..recovery.capture import read_meta_records

    root = Path(prefix)
    current = pipdists.find_dists(root, read_meta_records(root))
    return pipdists.restore(root, store, gen.pip, current, dry_run=dry_run)


def plan_lines(p: Plan, pip: PipOutcome, checked: int) -> list[str]:
    """The plan as a person reads it."""
    gen = p.generation
    when = gen.created.replace("T", " ").replace("Z", " UTC")
    lines = [f"Rollback of {gen.prefix} to {gen.label} (taken {when})"]
    if gen.command:
        lines.append(f"  taken before: {gen.command}")
    lines.append(f"  archives verified: {checked} (hashes match)")
    lines.append(
        f"  unlink ({len(p.unlink)}):"
        + "".join(f"\n    - {_dist(x)}" for x in p.unlink)
    )
    lines.append(
        f"  link ({len(p.link)}):" + "".join(f"\n    + {_dist(x)}" for x in p.link)
    )
    specs = ", ".join(p.update_specs) or "(none)"
    lines.append(f"  requested specs: {specs}")
    if p.remove_specs:
        lines.append(f"  no longer requested: {', '.join(p.remove_specs)}")
    for verb, items in (
        ("pip restore", pip.restored),
        ("pip remove", pip.removed),
        ("pip cannot restore", pip.cannot),
    ):
        if items:
            lines.append(f"  {verb}: {'; '.join(items)}")
    return lines


def _json(p: Plan, pip: PipOutcome, analysis: Analysis, *, done: bool) -> str:
    gen = p.generation
    return json.dumps(
        {
            "success": True,
            "done": done,
            "prefix": gen.prefix,
            "generation": gen.label,
            "unlink": [x.dist_str() for x in p.unlink],
            "link": [x.dist_str() for x in p.link],
            "update_specs": list(p.update_specs),
            "remove_specs": list(p.remove_specs),
            "pip": {
                "restored": pip.restored,
                "removed": pip.removed,
                "cannot": pip.cannot,
            },
            "findings": [f.to_json() for f in analysis.findings],
        },
        indent=2,
    )


def _accept(values: list[str]) -> dict[str, tuple[str, ...]]:
    """The run's overrides for ``--accept`` (rule ids and packages)."""
    from ..policy import split_accept

    rules, packages = split_accept(values)
    return {"ignore": rules, "allow": packages} if rules or packages else {}


def run_rollback(args: argparse.Namespace) -> int:
    """``conda guard rollback``; errors are :class:`GuardRecoveryError` (exit 2)."""
    from conda.base.context import context

    from ..exceptions import GuardError
    from ..recovery.verify import verify
    from .conda_recovery_settings import store_for
    from .conda_run import begin, end

    prefix = str(Path(args.prefix or context.target_prefix).absolute())
    try:
        store = store_for(prefix)
        gen = choose(store, prefix, args.generation)
        problems = verify(store, gen)
    except GuardError as exc:
        raise GuardRecoveryError(f"conda guard rollback: {exc}") from exc
    if problems:
        raise GuardRecoveryError(refusal(gen, problems))
    begin("rollback", _accept(args.guard_accept))
    try:
        p = plan(prefix, gen)
        pip = _pip_preview(prefix, store, gen, dry_run=True)
        analysis = analysis_of(prefix, gen)
        return _run(args, prefix, store, p, pip, analysis)
    finally:
        end()


def _run(
    args: argparse.Namespace,
    prefix: str,
    store: Store,
    p: Plan,
    pip: PipOutcome,
    analysis: Analysis,
) -> int:
    from conda.base.context import context

    from ..report import render_text

    gen = p.generation
    quiet = context.json or args.json
    if not quiet:
        kept = sum(1 for d in gen.pip if d.archive)
        print("\n".join(plan_lines(p, pip, len(gen.archives) + kept)))
    if args.dry_run:
        if quiet:
            print(_json(p, pip, analysis, done=False))
        else:
            print("\n" + render_text(analysis), end="")
            print("Dry run: nothing was changed.")
        return 0
    guard_check(prefix, gen, analysis)
    if p.conda_nothing and not (pip.restored or pip.removed):
        if quiet:
            print(_json(p, pip, analysis, done=True))
        else:
            print(f"\n{prefix} is already as {gen.label} has it: nothing to do.")
        return 0
    if not (args.yes or context.always_yes):
        from conda.reporters import confirm_yn

        confirm_yn()
    stage(store, gen, p.link)
    if not p.conda_nothing:
        execute_plan(prefix, p)
    done = _pip_preview(prefix, store, gen, dry_run=False)
    if quiet:
        print(_json(p, done, analysis, done=True))
    else:
        print(
            f"\nRolled back {prefix} to {gen.label}: {len(p.unlink)} unlinked, "
            f"{len(p.link)} linked."
        )
        if done.cannot:
            print(f"pip distributions not restored: {'; '.join(done.cannot)}")
    return 0
