"""Control characters and Markdown syntax from the input never reach the output
raw (issue 12.5): text and Markdown reports escape ESC, BEL, bidi marks, and keep
backticks, pipes and HTML inside code spans and cells."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from conda_guard.analysis import analyze
from conda_guard.readers import read_state
from conda_guard.report import render_markdown, render_text
from conda_guard.report.common import escape, md_code, md_text

from .helpers import EXAMPLES, needs_data

pytestmark = needs_data
ENV = str(EXAMPLES / "ml-env")

HOSTILE_VERSION = "2.3.0\x1b]0;pwned\x07\x1b[2J`|<details>"
HOSTILE_CHANNEL = "conda-forge\x1b[31m\u202e``x``"
#: what may appear in a text report: printable characters and newlines
CONTROL_RE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(scope="module")
def hostile():
    """ml-env@1 -> ml-env with numpy's new version and channel made hostile."""
    before = read_state(f"{ENV}@1")
    after = read_state(ENV)
    numpy = after.get("numpy")
    bad = replace(numpy, version=HOSTILE_VERSION, channel=HOSTILE_CHANNEL)
    records = dict(after.records, numpy=bad)
    return analyze(before, replace(after, records=records))


def test_the_hostile_record_is_reported(hostile):
    assert [c.name for c in hostile.changes] == ["numpy"]
    assert hostile.findings  # numpy-abi: the report has messages quoting it


@pytest.mark.parametrize("summary", [False, True], ids=["full", "summary"])
def test_text_report_has_no_control_characters(hostile, summary):
    out = render_text(hostile, summary=summary)
    assert not CONTROL_RE.search(out), CONTROL_RE.findall(out)
    if not summary:
        assert "2.3.0\\x1b]0;pwned\\x07\\x1b[2J`|<details>" in out
        assert "conda-forge\\x1b[31m\\u202e``x``" in out


def test_colour_comes_only_from_the_renderer(hostile):
    out = render_text(hostile, color=True)
    sequences = set(re.findall("\x1b\\[[0-9;]*m", out))
    assert sequences <= {"\x1b[1;31m", "\x1b[33m", "\x1b[36m", "\x1b[2m", "\x1b[0m"}
    assert not CONTROL_RE.search(re.sub("\x1b\\[[0-9;]*m", "", out))


def test_markdown_keeps_values_inside_their_code_spans(hostile):
    markdown_it = pytest.importorskip("markdown_it", reason="parses the Markdown")
    out = render_markdown(hostile)
    assert not CONTROL_RE.search(out)
    tokens = markdown_it.MarkdownIt("commonmark").enable("table").parse(out)
    inline = [t for t in tokens if t.type == "inline"]
    spans = [
        c.content for t in inline for c in t.children or () if c.type == "code_inline"
    ]
    shown = "2.3.0\\x1b]0;pwned\\x07\\x1b[2J`|<details> py312h6cf2f7f_0"
    assert shown in spans  # one span, backtick and pipe inside
    # the '<details>' of the version did not open an HTML block
    html = [t.content for t in tokens if t.type in ("html_block", "html_inline")]
    assert all("pwned" not in h for h in html)


def test_markdown_table_rows_have_four_cells(hostile):
    markdown_it = pytest.importorskip("markdown_it", reason="parses the Markdown")
    out = render_markdown(hostile)
    tokens = markdown_it.MarkdownIt("commonmark").enable("table").parse(out)
    cells, widths = 0, []
    for t in tokens:
        if t.type == "tr_open":
            cells = 0
        elif t.type in ("td_open", "th_open"):
            cells += 1
        elif t.type == "tr_close":
            widths.append(cells)
    assert widths and set(widths) <= {3, 4}  # the findings and the change table


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\x1b[31mb", "a\\x1b[31mb"),
        ("bell\x07", "bell\\x07"),
        ("line\nbreak\ttab", "line\\x0abreak\\x09tab"),
        ("del\x7f c1\x9b", "del\\x7f c1\\x9b"),
        ("rlo\u202eevil", "rlo\\u202eevil"),
        ("plain 1.2.3 py312_0 ü", "plain 1.2.3 py312_0 ü"),
    ],
    ids=["esc", "bel", "newline-tab", "del-c1", "bidi", "plain"],
)
def test_escape(text, expected):
    assert escape(text) == expected


def test_markdown_code_spans_and_text():
    assert md_code("1.0") == "`1.0`"
    assert md_code("a`b") == "``a`b``"
    assert md_code("`x") == "`` `x ``"
    assert md_code("a|b") == "`a\\|b`"
    assert md_code("a|b", table=False) == "`a|b`"
    assert md_text("_x_ *y* <b>&") == "\\_x\\_ \\*y\\* &lt;b>&amp;"
