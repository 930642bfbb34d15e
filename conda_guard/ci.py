"""Lock-file review where changes are made: the pre-commit hook and the report
step of the GitHub Action (``python -m conda_guard.ci pre-commit|github``).

Both diff a lock file as committed against the file as it is now, read with
git (:mod:`conda_guard.readers.git`): every environment and platform of a
``pixi.lock`` or ``conda-lock.yml`` (grouped report), one state for other
formats.

- ``pre-commit FILE…``: each staged file against ``HEAD`` (``--base``); prints
  the findings (``--full``: the whole text report); exit 1 when a finding is at
  or above ``--fail-on``.
- ``github``: the lock files a pull request changes (``GUARD_PATHS`` globs)
  between the merge base with ``GUARD_BASE`` (or ``origin/$GITHUB_BASE_REF``)
  and the checkout; the Markdown report goes to ``$GITHUB_STEP_SUMMARY`` and to a
  comment file, ``severity``/``findings``/``files``/``failed``/``comment-file``
  to ``$GITHUB_OUTPUT``. It exits 0 with findings (the action fails the job after
  posting the comment) and 2 on bad input.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .exceptions import GuardError, UsageError
from .models import Severity

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .analysis import Analysis
    from .grouped import GroupedAnalysis
    from .models import Finding
    from .policy import Policy

DEFAULT_PATHS = "**/pixi.lock\n**/conda-lock.yml\n**/*.conda-lock.yml\n**/conda-*.lock"
#: a GitHub comment holds 65,536 characters; the rest is the comment's frame
COMMENT_LIMIT = 60_000
#: a job summary holds 1 MiB per step
SUMMARY_LIMIT = 900_000


@dataclass(frozen=True)
class FileReport:
    """One lock file: its analysis (one state or grouped), or why it has none."""

    path: str
    analysis: Analysis | None = None
    grouped: GroupedAnalysis | None = None
    note: str = ""  # "new file", or the error that stopped the diff
    error: bool = False

    def findings(self) -> tuple[Finding, ...]:
        """Its findings (every group's for a grouped report)."""
        if self.grouped is not None:
            return self.grouped.findings()
        return self.analysis.findings if self.analysis is not None else ()

    def text(self, *, summary: bool = False) -> str:
        """The text report (``summary``: findings only)."""
        from .report import render_text
        from .report.grouped import render_grouped_text

        if self.grouped is not None:
            return render_grouped_text(self.grouped, summary=summary)
        if self.analysis is not None:
            return render_text(self.analysis, summary=summary)
        return f"conda-guard: {self.path}: {self.note}\n"

    def markdown(self, limit: int, level: int) -> str:
        """The Markdown report, its headline a heading of ``level``."""
        from .report import render_markdown
        from .report.common import md_text
        from .report.grouped import render_grouped_markdown

        if self.grouped is not None:
            return render_grouped_markdown(self.grouped, limit=limit, level=level)
        if self.analysis is not None:
            return render_markdown(self.analysis, limit=limit, level=level)
        return f"_{md_text(self.note)}_\n"


def git(*args: str) -> str:
    """Run git; its output, or a one-line :class:`UsageError`."""
    try:
        proc = subprocess.run(
            ["git", *args], capture_output=True, text=True, timeout=120, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"cannot run git: {exc}") from None
    if proc.returncode != 0:
        first = (proc.stderr.strip().splitlines() or ["git failed"])[0]
        raise UsageError(f"git {args[0]}: {first.removeprefix('fatal: ')}")
    return proc.stdout


def _in_revision(rev: str, path: str) -> bool:
    return (
        subprocess.run(
            ["git", "cat-file", "-e", f"{rev}:{path}"], capture_output=True, check=False
        ).returncode
        == 0
    )


def report_file(
    base: str,
    path: str,
    policy: Policy,
    environments: str | None = None,
    platforms: str | None = None,
) -> FileReport:
    """``BASE:path`` against ``path``: all environments/platforms of a lock file."""
    from .analysis import analyze
    from .grouped import analyze_all, selection
    from .readers import detect, read_state
    from .readers.all_environments import MULTI_FORMATS, read_all

    if not _in_revision(base, path):
        return FileReport(
            path, note=f"new file (not in {base[:12]}), nothing to compare"
        )
    old = f"{base}:{path}"
    try:
        if detect(path) in MULTI_FORMATS:
            envs, plats = selection(environments), selection(platforms)
            before = read_all(old, environments=envs, platforms=plats)
            after = read_all(path, environments=envs, platforms=plats)
            grouped = analyze_all(
                before, after, policy=policy, environments=envs, platforms=plats
            )
            return FileReport(path, grouped=grouped)
        return FileReport(
            path, analysis=analyze(read_state(old), read_state(path), policy=policy)
        )
    except GuardError as exc:
        return FileReport(path, note=f"error: {exc}", error=True)


def _policy(fail_on: str, ignore: Sequence[str], allow: Sequence[str] = ()) -> Policy:
    from .policy import Policy

    try:
        severity = Severity.parse(fail_on)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return Policy(fail_on=severity, ignore=frozenset(ignore), allow=tuple(allow))


def _exit(reports: Sequence[FileReport], policy: Policy) -> int:
    if any(r.error for r in reports):
        return 2
    failing = any(f.severity >= policy.fail_on for r in reports for f in r.findings())
    return 1 if failing else 0


# -- pre-commit -----------------------------------------------------------------------


def pre_commit(argv: Sequence[str]) -> int:
    """The hook: each file against ``--base`` (HEAD); the worst exit code."""
    p = argparse.ArgumentParser(prog="conda-guard pre-commit")
    p.add_argument("files", nargs="*")
    p.add_argument("--base", default="HEAD", help="revision to compare with")
    p.add_argument("--fail-on", default="high")
    p.add_argument("--ignore", action="append", default=[], metavar="RULE")
    p.add_argument("--allow", action="append", default=[], metavar="SPEC")
    p.add_argument("-e", "--environment", default="all")
    p.add_argument("--platform", default="all")
    p.add_argument(
        "--full", action="store_true", help="the full report, not only the findings"
    )
    args = p.parse_args(argv)
    policy = _policy(args.fail_on, args.ignore, args.allow)
    if args.files and not _in_revision(args.base, ""):
        if args.base == "HEAD":
            return 0  # the first commit: nothing to compare with
        git("rev-parse", "--verify", f"{args.base}^{{commit}}")  # says what is wrong
    reports = [
        report_file(args.base, f, policy, args.environment, args.platform)
        for f in args.files
    ]
    for report in reports:
        if len(reports) > 1:
            print(f"{report.path}:")
        print(report.text(summary=not args.full), end="")
    return _exit(reports, policy)


# -- GitHub Action --------------------------------------------------------------------


def glob_re(pattern: str) -> re.Pattern[str]:
    """A path glob (``**`` any directories, ``*`` and ``?`` within one) as a regex."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def _words(value: str | None) -> list[str]:
    return [w for w in re.split(r"[\s,]+", value or "") if w]


def changed_files(base: str, globs: Sequence[str]) -> list[str]:
    """Files changed (added, modified, renamed) from ``base`` to the checkout."""
    names = git("diff", "--name-only", "-z", "--no-renames", "--diff-filter=AM", base)
    patterns = [glob_re(g) for g in globs]
    return [n for n in names.split("\0") if n and any(p.fullmatch(n) for p in patterns)]


def merge_base(env: dict[str, str]) -> str:
    """The commit the pull request started from (``git merge-base``)."""
    base = env.get("GUARD_BASE") or (
        f"origin/{env['GITHUB_BASE_REF']}" if env.get("GITHUB_BASE_REF") else ""
    )
    if not base:
        raise UsageError(
            "no base to compare with: set GUARD_BASE, or run on a pull_request "
            "event (GITHUB_BASE_REF)"
        )
    try:
        return git("merge-base", base, "HEAD").strip()
    except UsageError as exc:
        raise UsageError(
            f"{exc} (is the history there? use actions/checkout with fetch-depth: 0)"
        ) from None


def comment(reports: Sequence[FileReport], base: str, limit: int) -> str:
    """The whole comment: a headline, then each file's report."""
    from .report.common import md_code, plural, severity_counts

    findings = [f for r in reports for f in r.findings()]
    head = f"## conda-guard: {plural(len(reports), 'lock file')} changed"
    if findings:
        counts = ", ".join(
            f"{n} {s}" for s, n in severity_counts(tuple(findings)).items()
        )
        head += f", {plural(len(findings), 'finding')} ({counts})"
    lines = [
        head,
        "",
        f"Compared with {md_code(base[:12], table=False)}, where this branch starts.",
        "",
    ]
    budget = max(2_000, (limit - 500) // max(len(reports), 1))
    for r in reports:
        lines += [
            f"### {md_code(r.path, table=False)}",
            "",
            r.markdown(budget, level=4),
        ]
    return "\n".join(lines).rstrip() + "\n"


def _write_outputs(path: str | None, values: dict[str, str]) -> None:
    if not path:
        return
    with open(path, "a", encoding="utf-8") as fh:
        for key, value in values.items():
            fh.write(f"{key}={value}\n")


def github(env: dict[str, str] | None = None) -> int:
    """The action's report step; see the module docstring."""
    env = dict(os.environ if env is None else env)
    policy = _policy(
        env.get("GUARD_FAIL_ON") or "high", _words(env.get("GUARD_IGNORE"))
    )
    base = merge_base(env)
    files = changed_files(base, _words(env.get("GUARD_PATHS") or DEFAULT_PATHS))
    reports = [
        report_file(
            base,
            f,
            policy,
            env.get("GUARD_ENVIRONMENTS") or "all",
            env.get("GUARD_PLATFORMS") or "all",
        )
        for f in files
    ]
    for r in reports:
        print(f"{r.path}:\n{r.text()}", end="")
    if not reports:
        print("conda-guard: no lock file changed")
    findings = [f for r in reports for f in r.findings()]
    worst = max((f.severity for f in findings), default=None)
    target = Path(
        env.get("GUARD_COMMENT_FILE")
        or Path(env.get("RUNNER_TEMP") or ".") / "conda-guard-comment.md"
    )
    target.write_text(
        comment(reports, base, COMMENT_LIMIT) if reports else "", encoding="utf-8"
    )
    if reports and env.get("GITHUB_STEP_SUMMARY"):
        with open(env["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as fh:
            fh.write(comment(reports, base, SUMMARY_LIMIT))
    code = _exit(reports, policy)
    _write_outputs(
        env.get("GITHUB_OUTPUT"),
        {
            "severity": str(worst) if worst is not None else "none",
            "findings": str(len(findings)),
            "files": str(len(reports)),
            "failed": "true" if code else "false",
            "comment-file": str(target),
        },
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m conda_guard.ci pre-commit FILE… | github``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["pre-commit"]:
            return pre_commit(argv[1:])
        if argv[:1] == ["github"]:
            return github()
        raise UsageError("usage: python -m conda_guard.ci pre-commit FILE... | github")
    except GuardError as exc:
        print(f"conda-guard: error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
