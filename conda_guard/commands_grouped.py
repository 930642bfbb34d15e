"""``diff --all-environments`` (or ``--environment``/``--platform`` with several
names or ``all``): every selected environment and platform of two lock files,
each file read once, one grouped report, the exit code of the worst pair."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .exceptions import UsageError

if TYPE_CHECKING:
    import argparse

    from .policy import Policy


def run_diff_all(args: argparse.Namespace, policy: Policy, *, solving: bool) -> int:
    """Read both files once, analyse every pair, print the grouped report."""
    from .grouped import analyze_all, selection
    from .output import exit_code, use_color
    from .readers.all_environments import read_all
    from .report.grouped import (
        render_grouped_json,
        render_grouped_markdown,
        render_grouped_text,
    )

    if solving or not (args.before and args.after):
        raise UsageError(
            "all environments: give BEFORE and AFTER lock files "
            "(no -p/-n, --install, --update)"
        )
    envs = None if args.all_environments else selection(args.environment)
    plats = None if args.all_environments else selection(args.platform)
    if args.environment is None and not args.all_environments:
        envs = ("default",)
    before = read_all(
        args.before,
        args.before_format or args.format,
        environments=envs,
        platforms=plats,
    )
    after = read_all(
        args.after, args.after_format or args.format, environments=envs, platforms=plats
    )
    grouped = analyze_all(
        before, after, policy=policy, environments=envs, platforms=plats
    )
    if args.json:
        print(json.dumps(render_grouped_json(grouped), indent=2))
    elif args.markdown:
        limit = args.markdown_limit or None
        print(render_grouped_markdown(grouped, limit=limit), end="")
    else:
        text = render_grouped_text(grouped, color=use_color(args), summary=args.summary)
        print(text, end="")
    return exit_code(grouped.findings(), policy)
