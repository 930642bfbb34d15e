"""The commands behind the CLI: ``diff``, ``history``, ``check`` → exit code.

Each reads states, runs :func:`~conda_guard.analysis.analyze` and prints one
report (text, ``--json`` or ``--markdown``) to stdout.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .constants import EXIT_FINDINGS, EXIT_OK, REPORT_SCHEMA
from .exceptions import UsageError
from .models import Severity, State
from .policy import Policy

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Iterable

    from .analysis import Analysis
    from .models import Finding


def policy_from_args(args: argparse.Namespace) -> Policy:
    """The policy of ``--fail-on`` (default ``high``), ``--ignore``, ``--allow``."""
    return Policy(
        fail_on=Severity.parse(args.fail_on or "high"),
        ignore=frozenset(args.ignore or ()),
        allow=tuple(args.allow or ()),
    )


def _envs_dirs() -> list[Path]:
    dirs = [
        Path(p) for p in os.environ.get("CONDA_ENVS_PATH", "").split(os.pathsep) if p
    ]
    for var in ("CONDA_ROOT", "MAMBA_ROOT_PREFIX"):
        if os.environ.get(var):
            dirs.append(Path(os.environ[var]) / "envs")
    current = os.environ.get("CONDA_PREFIX")
    if current:
        p = Path(current)
        dirs.append(p.parent if p.parent.name == "envs" else p / "envs")
    dirs.append(Path.home() / ".conda" / "envs")
    return dirs


def resolve_name(name: str) -> str:
    """The prefix of the environment called ``name`` (conda's envs dirs)."""
    if name == "base":
        for var in ("CONDA_ROOT", "MAMBA_ROOT_PREFIX"):
            if os.environ.get(var):
                return os.environ[var]
    for d in _envs_dirs():
        if (d / name / "conda-meta").is_dir():
            return str(d / name)
    txt = Path.home() / ".conda" / "environments.txt"
    if txt.is_file():
        for line in txt.read_text(errors="replace").splitlines():
            if line.strip() and Path(line.strip()).name == name:
                return line.strip()
    raise UsageError(f"could not find an environment named {name!r}; use -p PREFIX")


def target_prefix(
    args: argparse.Namespace, positional: str | None = None
) -> str | None:
    """The prefix from a positional argument, ``-p`` or ``-n`` (or None)."""
    if positional:
        return positional
    if getattr(args, "prefix", None):
        return args.prefix
    if getattr(args, "name", None):
        return resolve_name(args.name)
    return None


def _color(args: argparse.Namespace) -> bool:
    if args.color == "always":
        return True
    if args.color == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def emit(analysis: Analysis, args: argparse.Namespace) -> None:
    """Print the report in the format asked for."""
    from .report import render_json, render_markdown, render_text

    if args.json:
        print(json.dumps(render_json(analysis), indent=2))
    elif args.markdown:
        print(render_markdown(analysis), end="")
    else:
        print(render_text(analysis, color=_color(args), summary=args.summary), end="")


def exit_code(findings: Iterable[Finding], policy: Policy) -> int:
    """1 when a finding is at or above ``policy.fail_on``, else 0."""
    return (
        EXIT_FINDINGS
        if any(f.severity >= policy.fail_on for f in findings)
        else EXIT_OK
    )


def link_checks(
    before: State, after: State, enabled: bool
) -> tuple[list[Finding], list[str]]:
    """Binary (soname, symbol version, pip extension) findings for a prefix."""
    if not enabled or before.kind != "prefix" or not before.prefix:
        return [], []
    from .binaries import check_links, guess_pkgs_dirs, incoming_from_cache
    from .diff import same_package

    prefix = Path(before.prefix)
    changed = [
        r
        for r in after
        if not ((old := before.get(r.name)) is not None and same_package(old, r))
    ]
    # files of incoming packages are known when conda's package cache has them
    incoming = incoming_from_cache(changed, guess_pkgs_dirs(prefix))
    report = check_links(before, after, prefix=prefix, incoming=incoming)
    return list(report.findings), list(report.notes)


def run_diff(args: argparse.Namespace) -> int:
    """``diff``: BEFORE → AFTER, or a prefix → a proposed install/update."""
    from .analysis import analyze
    from .readers import read_state
    from .solve import options_from_args, propose, wants_solve

    policy = policy_from_args(args)
    solving = wants_solve(args)
    before_ref = args.before or target_prefix(args)
    if before_ref is None:
        raise UsageError(
            "diff needs BEFORE and AFTER, or a prefix (-p/-n or BEFORE) with "
            "--install/--update/--update-all"
        )
    if solving and args.after:
        raise UsageError(
            "AFTER cannot be combined with --install/--update/--update-all"
        )
    if not solving and not args.after:
        raise UsageError(
            "diff needs AFTER, or --install/--update/--update-all to propose a change"
        )
    read = {"platform": args.platform, "environment": args.environment}
    before = read_state(before_ref, args.before_format or args.format, **read)
    if solving:
        proposal = propose(options_from_args(args), before, policy=policy)
        links, link_notes = link_checks(before, proposal.incremental, args.links)
        analysis = analyze(
            before,
            proposal.incremental,
            policy=policy,
            extra=(*proposal.findings, *links),
            notes=(*proposal.notes, *link_notes),
        ).extend(comparisons=proposal.comparisons, commands=proposal.commands)
    else:
        after = read_state(args.after, args.after_format or args.format, **read)
        links, link_notes = link_checks(before, after, args.links)
        analysis = analyze(before, after, policy=policy, extra=links, notes=link_notes)
    emit(analysis, args)
    # the comparisons (batch solve) inform; what the command would do decides
    return exit_code(analysis.findings, policy)


def _require_prefix(args: argparse.Namespace) -> str:
    prefix = target_prefix(args, args.target)
    if prefix is None:
        raise UsageError("give a PREFIX, or -p PREFIX / -n NAME")
    return prefix


def run_history(args: argparse.Namespace) -> int:
    """``history``: every revision of a prefix, its changes and findings."""
    from .analysis import analyze
    from .readers.history import parse_history
    from .readers.prefix import read_prefix_revisions
    from .report import render_json, render_text

    prefix = _require_prefix(args)
    policy = policy_from_args(args)
    history = parse_history(Path(prefix) / "conda-meta" / "history")
    numbers = [r.number for r in history.revisions]
    wanted = set(args.revision or numbers)
    unknown = sorted(wanted - set(numbers))
    if unknown:
        raise UsageError(
            f"no revision {', '.join(map(str, unknown))} in {prefix} "
            f"(revisions 0-{len(numbers) - 1})"
        )
    previous = State(records={}, source="(empty)", kind="empty")
    results: list[tuple[Any, Analysis]] = []
    states = read_prefix_revisions(prefix)
    for rev, state in zip(history.revisions, states):
        if rev.number in wanted:
            results.append((rev, analyze(previous, state, policy=policy)))
        previous = state
    findings = [f for _, a in results for f in a.findings]
    if args.json:
        print(
            json.dumps(
                {
                    "schema": REPORT_SCHEMA,
                    "prefix": prefix,
                    "revisions": [
                        {
                            "revision": r.number,
                            "date": r.date,
                            "cmd": r.cmd,
                            **render_json(a),
                        }
                        for r, a in results
                    ],
                },
                indent=2,
            )
        )
    else:
        color = _color(args)
        for rev, analysis in results:
            head = f"rev {rev.number}  {rev.date or ''}  {rev.cmd or ''}".rstrip()
            print(head)
            body = render_text(analysis, color=color, summary=True)
            print(
                "".join(f"  {line}\n" if line else "\n" for line in body.splitlines()),
                end="",
            )
    return exit_code(findings, policy)


def run_check(args: argparse.Namespace) -> int:
    """``check``: the environment as it is."""
    from .analysis import Analysis, analyze
    from .readers import read_state

    prefix = _require_prefix(args)
    policy = policy_from_args(args)
    state = read_state(prefix, "prefix")
    empty = State(records={}, source="(empty)", kind="empty", explicit=state.explicit)
    found = analyze(empty, state, policy=policy)
    notes = list(found.notes)
    extra: list[Finding] = []
    if args.links:
        from .binaries import pip_extension_findings, pip_extensions

        extra.extend(pip_extension_findings(pip_extensions(Path(prefix))))
    if state.frozen is not None:
        notes.append("the environment is marked frozen (conda-meta/frozen)")
    analysis = Analysis(
        before=state,
        after=state,
        changes=(),
        findings=found.findings,
        notes=tuple(notes),
    ).extend(findings=extra)
    emit(analysis, args)
    return exit_code(analysis.findings, policy)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "diff": run_diff,
    "history": run_history,
    "check": run_check,
}
