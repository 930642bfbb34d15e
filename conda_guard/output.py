"""How a command writes its result: colour, the report in the format asked
for (JSON as lines from the C encoder), and the exit code."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from .constants import EXIT_FINDINGS, EXIT_OK

if TYPE_CHECKING:
    import argparse

    from .analysis import Analysis
    from .models import Finding
    from .policy import Policy


def use_color(args: argparse.Namespace) -> bool:
    """Colour the text report: ``--color always|never``, else on a terminal
    (never with ``NO_COLOR``)."""
    if args.color == "always":
        return True
    if args.color == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def json_lines(
    obj: dict[str, Any],
    stream: tuple[str, Iterable[Any]] | None = None,
    tail: Callable[[], dict[str, Any]] | None = None,
) -> Iterator[str]:
    """A JSON object as lines: one per top-level key, one per list element.

    Each value or element is one line from the C encoder (``indent=2`` runs
    the pure-Python encoder, several times slower on a 1,000-package
    report). ``stream`` is ``(key, iterable)``: a key whose list is written
    as it is produced; ``tail`` gives the keys that follow it, once it is done.
    """
    pending: str | None = None
    for line in _json_body(obj, stream, tail):
        if pending is not None:
            # no comma after an opening line or before a closing one
            bare = pending.endswith(("{", "[")) or line.startswith(("  ]", "}"))
            yield pending if bare else pending + ","
        pending = line
    if pending is not None:
        yield pending


def _json_body(
    obj: dict[str, Any],
    stream: tuple[str, Iterable[Any]] | None,
    tail: Callable[[], dict[str, Any]] | None,
) -> Iterator[str]:
    """The lines of :func:`json_lines` without the commas between them."""
    yield "{"
    items: Iterable[tuple[str, Any]] = obj.items()
    if stream is not None:
        items = (*items, stream)
    for key, value in items:
        if isinstance(value, dict) or not isinstance(value, (list, Iterator)):
            yield f"  {json.dumps(key)}: {json.dumps(value)}"
            continue
        opened = False
        for element in value:
            if not opened:
                yield f"  {json.dumps(key)}: ["
                opened = True
            yield f"    {json.dumps(element)}"
        yield "  ]" if opened else f"  {json.dumps(key)}: []"
    for key, value in (tail() if tail is not None else {}).items():
        yield f"  {json.dumps(key)}: {json.dumps(value)}"
    yield "}"


def print_lines(lines: Iterable[str]) -> None:
    """Write ``lines`` to standard output, one per line."""
    write = sys.stdout.write
    for line in lines:
        write(line + "\n")


def emit(analysis: Analysis, args: argparse.Namespace) -> None:
    """Print the report in the format asked for."""
    if args.json:
        from .report.json import render_json

        print_lines(json_lines(render_json(analysis)))
    elif args.markdown:
        from .report.markdown import render_markdown

        print(render_markdown(analysis, limit=args.markdown_limit or None), end="")
    else:
        from .report.text import render_text

        print(
            render_text(analysis, color=use_color(args), summary=args.summary), end=""
        )


def exit_code(findings: Iterable[Finding], policy: Policy) -> int:
    """1 when a finding is at or above ``policy.fail_on``, else 0."""
    return (
        EXIT_FINDINGS
        if any(f.severity >= policy.fail_on for f in findings)
        else EXIT_OK
    )
