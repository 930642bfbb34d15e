"""Every command shown in docs/ runs as shown.

Shell examples live in fenced blocks. In a ``console`` block, ``$ `` starts a
command and the lines up to the next ``$ `` are its output; a trailing
``# exit N`` gives the expected exit status (default 0). In an ``sh`` block,
each line is a command and no output is shown.

- ``conda-guard …`` commands run from the repository root (as
  ``python -m conda_guard …``, so the checkout is what runs), and their exit
  status and shown output must match exactly.
- ``conda …`` commands need conda: they are ``conda``-marked, and where conda
  is importable their arguments must parse with conda's own parser (the
  plugin's subcommand and settings included).
- Other tools (``pip``, ``mamba``, ``pixi``, ``conda-lock``) are listed and
  skipped with the reason.

docs/dev/ (developer setup notes: clones, installs) is not part of this.

``python tests/test_docs.py --update`` rewrites the shown output and exit status
of every ``conda-guard`` example from a real run (check the diff).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SHARED = ROOT.parent / "shared"

FENCE_RE = re.compile(
    r"^(?P<fence>```+)(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=fence)\s*$", re.M | re.S
)
# the conda recipe's test ships tests/ without docs/
pytestmark = pytest.mark.skipif(
    not (DOCS / "conf.py").is_file(), reason="docs/ is not in this copy"
)

EXIT_RE = re.compile(r"\s+#\s*exit\s+(\d+)\s*$")
ENV_RE = re.compile(r"^(?:[A-Z_][A-Z0-9_]*=\S*\s+)+")


@dataclass(frozen=True)
class Example:
    """One documented command."""

    page: str
    line: int
    command: str  # as shown, without the ``# exit N`` comment
    exit: int
    output: str | None  # None: the doc shows no output (``sh`` block)
    span: tuple[int, int] | None  # character span of command+output in the page

    @property
    def argv(self) -> list[str]:
        return shlex.split(ENV_RE.sub("", self.command))

    @property
    def env(self) -> dict[str, str]:
        m = ENV_RE.match(self.command)
        return dict(w.split("=", 1) for w in m.group(0).split()) if m else {}

    @property
    def tool(self) -> str:
        return self.argv[0] if self.argv else ""

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def examples_of(path: Path) -> list[Example]:
    text = path.read_text(encoding="utf-8")
    page = str(path.relative_to(DOCS))
    out: list[Example] = []
    for block in FENCE_RE.finditer(text):
        lang = block["info"].strip().split()[0] if block["info"].strip() else ""
        body_start = block.start("body")
        first_line = text.count("\n", 0, body_start) + 1
        lines = block["body"].splitlines(keepends=True)
        if lang == "console":
            i = 0
            offset = body_start
            while i < len(lines):
                line = lines[i]
                if not line.startswith("$ "):
                    offset += len(line)
                    i += 1
                    continue
                start = offset
                cmd = line[2:].rstrip("\n")
                j = i + 1
                output_lines = []
                end = offset + len(line)
                while j < len(lines) and not lines[j].startswith("$ "):
                    output_lines.append(lines[j])
                    end += len(lines[j])
                    j += 1
                m = EXIT_RE.search(cmd)
                out.append(
                    Example(
                        page,
                        first_line + i,
                        EXIT_RE.sub("", cmd),
                        int(m[1]) if m else 0,
                        "".join(output_lines),
                        (start, end),
                    )
                )
                offset = end
                i = j
        elif lang in ("sh", "bash", "shell"):
            for k, line in enumerate(lines):
                cmd = line.strip()
                if not cmd or cmd.startswith("#"):
                    continue
                m = EXIT_RE.search(cmd)
                out.append(
                    Example(
                        page,
                        first_line + k,
                        EXIT_RE.sub("", cmd),
                        int(m[1]) if m else 0,
                        None,
                        None,
                    )
                )
    return out


def user_pages() -> list[Path]:
    """The user documentation (docs/dev/ holds developer setup notes, not examples)."""
    return sorted(
        p
        for p in DOCS.rglob("*.md")
        if not ({"_build", "dev", "examples"} & set(p.relative_to(DOCS).parts))
    )


def all_examples() -> list[Example]:
    pages = user_pages()
    return [e for p in pages for e in examples_of(p)]


EXAMPLES = all_examples()
GUARD = [e for e in EXAMPLES if e.tool == "conda-guard"]
CONDA = [e for e in EXAMPLES if e.tool == "conda"]
OTHER = [e for e in EXAMPLES if e.tool not in ("conda-guard", "conda")]


def run_guard(example: Example) -> tuple[int, str]:
    """Run a documented ``conda-guard`` command from the repository root."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CONDA_PLUGINS_GUARD_", "FORCE_COLOR"))
    }
    env.update(example.env)
    env.update({"COLUMNS": "80", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"})
    proc = subprocess.run(
        [sys.executable, "-m", "conda_guard", *example.argv[1:]],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
    )
    # argparse names the program after argv[0]; the docs show the console script
    text = proc.stdout.replace("usage: __main__.py", "usage: conda-guard")
    text = text.replace("python -m conda_guard", "conda-guard")
    return proc.returncode, text


def normalize(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def needs_shared(example: Example) -> bool:
    return "../shared/" in example.command


# -- the extraction itself ---------------------------------------------------------


def test_extraction_reads_commands_exit_and_output(tmp_path, monkeypatch):
    page = tmp_path / "p.md"
    page.write_text(
        "text\n\n```console\n$ conda-guard diff a b  # exit 1\nline 1\nline 2\n"
        "$ conda-guard --version\nconda-guard 0\n```\n\n```sh\nconda install x\n"
        "# a comment\nCONDA_PLUGINS_GUARD_MODE=block conda install y\n```\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(sys.modules[__name__], "DOCS", tmp_path)
    found = examples_of(page)
    assert [(e.line, e.command, e.exit, e.output) for e in found] == [
        (4, "conda-guard diff a b", 1, "line 1\nline 2\n"),
        (7, "conda-guard --version", 0, "conda-guard 0\n"),
        (12, "conda install x", 0, None),
        (14, "CONDA_PLUGINS_GUARD_MODE=block conda install y", 0, None),
    ]
    assert found[3].argv == ["conda", "install", "y"]
    assert found[3].env == {"CONDA_PLUGINS_GUARD_MODE": "block"}


def test_the_docs_have_examples_of_each_kind():
    assert len(GUARD) >= 10
    assert CONDA
    pages = {e.page for e in GUARD}
    assert {"why.md", "getting-started.md", "rules.md"} <= pages
    # the output check below only runs for examples that show output
    shown = [e for e in GUARD if e.output is not None and e.output.strip()]
    assert len(shown) >= 15
    assert {e.page for e in shown} >= {"why.md", "getting-started.md", "rules.md"}


# -- conda-guard commands: run them --------------------------------------------------


@pytest.mark.parametrize("example", GUARD, ids=[e.id for e in GUARD])
def test_documented_conda_guard_command(example: Example):
    if needs_shared(example) and not (SHARED / "data").is_dir():
        pytest.skip(f"needs the real test data in {SHARED / 'data'}")
    solves = {"--install", "--update", "--update-all"} & set(example.argv)
    if solves and "--solver" not in example.argv:
        pytest.importorskip("rattler", reason="the dry-run solve uses py-rattler")
    code, output = run_guard(example)
    assert code == example.exit, f"{example.id}: exit {code}\n{output}"
    if example.output is not None and example.output.strip():
        assert normalize(output) == normalize(example.output), (
            f"{example.id}: output differs; run `python tests/test_docs.py --update`"
        )


def test_documented_json_report_is_valid_json():
    for example in GUARD:
        if "--json" in example.argv and example.output and example.output.strip():
            data = json.loads(example.output)
            assert data["schema"] == 1, example.id


# -- conda commands: marked, parsed with conda's parser where conda is ---------------


@pytest.mark.conda
@pytest.mark.parametrize("example", CONDA, ids=[e.id for e in CONDA])
def test_documented_conda_command_parses(example: Example):
    from conda.base.context import context
    from conda.cli.conda_argparse import generate_parser

    context.__init__()
    parser = generate_parser()
    argv = example.argv[1:]
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help exits 0 after printing
        assert exc.code == 0 and "--help" in argv, example.id
        return
    assert args.cmd == argv[0], example.id
    plugin = getattr(args, "_plugin_subcommand", None)
    if plugin is None:
        return
    # conda hands a plugin subcommand its raw arguments; parse them as the
    # guard's action does
    from conda_guard.adapters.conda_subcommands import build_parser
    from conda_guard.solve import wants_solve

    if plugin.name != "guard":  # conda's own plugin subcommands (doctor ...)
        return
    try:
        guard = build_parser().parse_args(list(args._args))
    except SystemExit as exc:
        assert exc.code == 0 and "--help" in argv, example.id
        return
    if guard.command == "diff":
        # what conda_guard.commands.run_diff accepts: AFTER, or a change to solve
        assert guard.after or wants_solve(guard), f"{example.id}: nothing to compare"


# -- other tools: listed, not run ----------------------------------------------------


@pytest.mark.parametrize("example", OTHER, ids=[e.id for e in OTHER])
def test_other_tools_are_only_shown(example: Example):
    assert example.tool in {"pip", "mamba", "pixi", "conda-lock", "nox"}, example.id
    if example.tool == "pip":
        # the extras a pip line names exist
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            tomllib = pytest.importorskip("tomli")

        meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
        extras = set(meta["project"]["optional-dependencies"])
        for word in example.argv[2:]:
            named = re.findall(r"\[([\w,-]+)\]", word)
            for group in named:
                assert set(group.split(",")) <= extras, (example.id, group)
    pytest.skip(f"{example.tool} is not run by the docs tests ({example.command})")


# -- regenerate the shown output -----------------------------------------------------


def update() -> int:
    """Rewrite each ``conda-guard`` example's output and ``# exit N`` in place."""
    changed = 0
    for path in user_pages():
        text = path.read_text(encoding="utf-8")
        examples = [e for e in examples_of(path) if e.tool == "conda-guard" and e.span]
        for example in reversed(examples):
            code, output = run_guard(example)
            head = f"$ {example.command}" + (f"  # exit {code}" if code else "")
            new = head + "\n" + normalize(output) + "\n"
            start, end = example.span
            if text[start:end] != new:
                text = text[:start] + new + text[end:]
                changed += 1
        path.write_text(text, encoding="utf-8")
    print(f"{changed} example(s) updated")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--update"]:
        sys.exit(update())
    sys.exit(pytest.main([__file__, "-q", *sys.argv[1:]]))


# -- conda's own output, recorded in docs/recorded/ ----------------------------------


@pytest.mark.conda
@pytest.mark.slow
def test_recorded_conda_output_is_current(tmp_path):
    """docs/recorded/ is what docs/examples/record_conda.py prints today."""
    pytest.importorskip("conda_index", reason="the recorder indexes local channels")
    sys.path.insert(0, str(DOCS / "examples"))
    try:
        import record_conda
    finally:
        sys.path.remove(str(DOCS / "examples"))
    written = record_conda.record(tmp_path)
    shown_files = {p.name for p in (DOCS / "recorded").glob("*.txt")}
    assert {p.name for p in written} == shown_files

    # the local packages are rebuilt each time: their hashes and sizes differ
    def stable(text: str) -> str:
        text = re.sub(r"\b[0-9a-f]{32}\b|\b[0-9a-f]{64}\b", "<hash>", text)
        text = re.sub(r'"size": \d+', '"size": <n>', text)
        return re.sub(r"\b\d+ B\b", "<n> B", text)

    for path in written:
        shown = (DOCS / "recorded" / path.name).read_text(encoding="utf-8")
        assert stable(path.read_text(encoding="utf-8")) == stable(shown), (
            f"docs/recorded/{path.name} is stale: run "
            "`python docs/examples/record_conda.py` where conda is"
        )


# -- the Sphinx build (nox -s docs / .ci/run build it too) --------------------------


def parser_options() -> set[str]:
    """Every option string of ``conda-guard`` and its subcommands."""
    import argparse

    from conda_guard.cli import build_parser

    out: set[str] = set()
    parsers = [build_parser()]
    while parsers:
        parser = parsers.pop()
        for action in parser._actions:
            out.update(action.option_strings)
            if isinstance(action, argparse._SubParsersAction):
                parsers.extend(action.choices.values())
    return out


def test_cli_page_is_generated_from_the_parser():
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert ":module: guard_docs\n:func: cli_parser\n:prog: conda-guard" in page
    ext = (DOCS / "_ext" / "guard_docs.py").read_text(encoding="utf-8")
    assert "from conda_guard.cli import build_parser" in ext
    assert "--fail-on" in parser_options() and "--install" in parser_options()


@pytest.mark.slow
def test_docs_build_without_warnings(tmp_path):
    pytest.importorskip("sphinx", reason="the docs extra is not installed")
    for module in ("myst_parser", "sphinxarg", "sphinx_design", "conda_sphinx_theme"):
        pytest.importorskip(module, reason="the docs extra is not installed")
    out = tmp_path / "html"
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html"]
        + [str(DOCS), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    # docutils errors inside generated content (sphinx-argparse parses help
    # text itself) are not Sphinx warnings: look for their traces
    for page in out.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "system-message" not in html and "problematic" not in html, page.name
    cli = (out / "cli.html").read_text(encoding="utf-8")
    missing = sorted(o for o in parser_options() if o not in cli)
    assert missing == [], f"options missing from the CLI reference: {missing}"
    rules = (out / "rules.html").read_text(encoding="utf-8")
    from conda_guard.rules import RULE_IDS

    assert all(f'id="rule-{r}"' in rules for r in RULE_IDS)
