"""The commands behind the CLI: ``diff``, ``history``, ``check`` → exit code.

Each reads states, runs :func:`~conda_guard.analysis.analyze` and prints one
report (text, ``--json`` or ``--markdown``) to stdout.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .constants import EXIT_FINDINGS, EXIT_OK, REPORT_SCHEMA
from .exceptions import UsageError
from .models import Severity, State
from .output import emit, exit_code, json_lines, print_lines, use_color
from .policy import Policy
from .readers.source import STDIN, path_kind

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Iterable, Iterator

    from .analysis import Analysis


def policy_from_args(args: argparse.Namespace) -> Policy:
    """The policy of ``--fail-on`` (default high), ``--ignore``, ``--allow``,
    ``--show-info``.

    JSON is for programs: it carries every finding, info included. An
    ``--allow`` value that is not a package name or match spec, and an
    ``--ignore`` value that names no rule, are a :class:`UsageError` (they
    would otherwise allow or ignore nothing, silently).
    """
    from .matchspec import MatchSpec
    from .policy import check_rule_ids

    check_rule_ids(args.ignore or (), "--ignore")

    for item in args.allow or ():
        try:
            MatchSpec.parse(item)
        except ValueError as exc:
            raise UsageError(f"--allow {item!r}: {exc}") from None
    full = getattr(args, "show_info", False) or getattr(args, "json", False)
    return Policy(
        fail_on=Severity.parse(args.fail_on or "high"),
        ignore=frozenset(args.ignore or ()),
        allow=tuple(args.allow or ()),
        show=Severity.INFO if full else Severity.LOW,
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
    if not name or "/" in name or "\\" in name or "\0" in name or len(name) > 255:
        raise UsageError(f"{name[:80]!r} is not an environment name; use -p PREFIX")
    if name == "base":
        for var in ("CONDA_ROOT", "MAMBA_ROOT_PREFIX"):
            if os.environ.get(var):
                return os.environ[var]
    for d in _envs_dirs():
        if path_kind(d / name / "conda-meta") == "dir":
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


def run_diff(args: argparse.Namespace) -> int:
    """``diff``: BEFORE → AFTER, or a prefix → a proposed install/update."""
    from .analysis import analyze
    from .file_proof import prove
    from .grouped import wants_grouped
    from .readers import read_state
    from .solve import wants_solve

    policy = policy_from_args(args)
    solving = wants_solve(args)
    if args.all_environments or wants_grouped(args.environment, args.platform):
        from .commands_grouped import run_diff_all

        return run_diff_all(args, policy, solving=solving)
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
    if before_ref == args.after == STDIN:
        raise UsageError("only one of BEFORE and AFTER can be '-' (standard input)")
    read = {"platform": args.platform, "environment": args.environment}
    before = read_state(before_ref, args.before_format or args.format, **read)
    if solving:
        from .solve import options_from_args, propose

        proposal = propose(options_from_args(args), before, policy=policy)
        proof = prove(before, proposal.incremental, enabled=args.links)
        analysis = analyze(
            before,
            proposal.incremental,
            policy=policy,
            extra=(*proposal.findings, *proof.findings),
            notes=(*proposal.notes, *proof.notes),
            files=proof.facts,
        ).extend(comparisons=proposal.comparisons, commands=proposal.commands)
    else:
        after = read_state(args.after, args.after_format or args.format, **read)
        proof = prove(before, after, enabled=args.links)
        analysis = analyze(
            before,
            after,
            policy=policy,
            extra=proof.findings,
            notes=proof.notes,
            files=proof.facts,
        )
    proof.save()
    emit(analysis, args)
    # the comparisons (batch solve) inform; what the command would do decides
    return exit_code(analysis.findings, policy)


def _require_prefix(args: argparse.Namespace) -> str:
    prefix = target_prefix(args, args.target)
    if prefix is None:
        raise UsageError("give a PREFIX, or -p PREFIX / -n NAME")
    return prefix


def _revision_analyses(
    prefix: str, policy: Policy, wanted: set[int] | None, seen: list[int]
) -> Iterator[tuple[Any, Analysis]]:
    """``(revision, analysis)`` of each wanted revision, as the history streams.

    ``seen`` gets the number of the last revision read; reading stops after
    the highest wanted one.
    """
    from .analysis import analyze
    from .readers.prefix import iter_prefix_revisions

    previous = State(records={}, source="(empty)", kind="empty")
    last = max(wanted) if wanted else None
    for rev, state in iter_prefix_revisions(prefix):
        seen.append(rev.number)
        if wanted is None or rev.number in wanted:
            yield rev, analyze(previous, state, policy=policy)
        if last is not None and rev.number >= last:
            return
        previous = state


def _history_notes(prefix: str, seen: list[int]) -> dict[str, list[str]]:
    """``{"notes": [...]}`` when the history has no revisions, else ``{}``."""
    if seen:
        return {}
    path = Path(prefix) / "conda-meta" / "history"
    return {"notes": [f"{path}: the history has no revisions"]}


def run_history(args: argparse.Namespace) -> int:
    """``history``: every revision of a prefix, its changes and findings.

    The history is read as a stream: each revision is printed when it is
    analysed (``--revision`` prints once all asked-for revisions are known).
    """
    prefix = _require_prefix(args)
    policy = policy_from_args(args)
    wanted = set(args.revision) if args.revision else None
    seen: list[int] = []
    results: Iterable[tuple[Any, Analysis]] = _revision_analyses(
        prefix, policy, wanted, seen
    )
    if wanted is not None:
        results = _all_wanted(list(results), wanted, prefix, seen)
    failed = False

    def fails(analysis: Analysis) -> Analysis:
        nonlocal failed
        failed = failed or exit_code(analysis.findings, policy) == EXIT_FINDINGS
        return analysis

    _print_history(args, prefix, ((rev, fails(a)) for rev, a in results), seen)
    return EXIT_FINDINGS if failed else EXIT_OK


def _all_wanted(
    results: list[tuple[Any, Analysis]], wanted: set[int], prefix: str, seen: list[int]
) -> list[tuple[Any, Analysis]]:
    """``results``; :class:`UsageError` naming the wanted revisions not in them."""
    unknown = sorted(wanted - {rev.number for rev, _ in results})
    if unknown:
        known = f"revisions 0-{seen[-1]}" if seen else "the history is empty"
        raise UsageError(
            f"no revision {', '.join(map(str, unknown))} in {prefix} ({known})"
        )
    return results


def _print_history(
    args: argparse.Namespace,
    prefix: str,
    results: Iterable[tuple[Any, Analysis]],
    seen: list[int],
) -> None:
    """Print the revisions as they come: JSON lines, markdown or text."""
    from .report import render_json
    from .report.history import render_history_markdown, render_revision_text

    if args.json:
        revisions = (
            {"revision": r.number, "date": r.date, "cmd": r.cmd, **render_json(a)}
            for r, a in results
        )
        head = {"schema": REPORT_SCHEMA, "prefix": prefix}
        print_lines(
            json_lines(
                head,
                ("revisions", revisions),
                lambda: _history_notes(prefix, seen),
            )
        )
    elif args.markdown:
        limit = args.markdown_limit or None
        print(render_history_markdown(prefix, list(results), limit=limit), end="")
    else:
        color = use_color(args)
        for rev, analysis in results:
            text = render_revision_text(
                rev, analysis, color=color, summary=args.summary
            )
            print_lines(text.splitlines())
        for note in _history_notes(prefix, seen).get("notes", ()):
            print(f"conda-guard: note: {note}")


def run_check(args: argparse.Namespace) -> int:
    """``check``: the environment as it is, from its records and its files."""
    from .checkup import check_environment

    prefix = _require_prefix(args)
    policy = policy_from_args(args)
    analysis = check_environment(prefix, policy, files=args.links)
    emit(analysis, args)
    return exit_code(analysis.findings, policy)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "diff": run_diff,
    "history": run_history,
    "check": run_check,
}
