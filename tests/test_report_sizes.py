"""Reports at real sizes (issue 14.9) and across platforms (issue 12.6): a real
600-change lock diff fits a GitHub comment with the change table folded and
says what it cut; a diff without findings is one line; history honours
--summary and --markdown; states of two platforms are flagged."""

from __future__ import annotations

import json
import re

import pytest

from conda_guard.analysis import analyze
from conda_guard.cli import main
from conda_guard.models import Severity
from conda_guard.policy import Policy
from conda_guard.readers import read_state
from conda_guard.report import render_json, render_markdown, render_text
from conda_guard.report.fit import GITHUB_COMMENT_LIMIT, Block, fit

from .helpers import DATA, EXAMPLES, needs_data
from .lockfiles import PANGEO_EXPLICIT_600, PANGEO_EXPLICIT_BEFORE, unpack

pytestmark = needs_data
ENV = str(EXAMPLES / "ml-env")
ROW_RE = re.compile(r"^\| [^|].* \| .* \| .* \| .* \|$", re.M)


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """pangeo ml-notebook @EXPLICIT, f0957bf -> 4074d6b: 600 real changes."""
    tmp = tmp_path_factory.mktemp("big")
    before = read_state(unpack(PANGEO_EXPLICIT_BEFORE, tmp))
    after = read_state(unpack(PANGEO_EXPLICIT_600, tmp))
    # every finding listed, info included (--show-info): the largest report
    return analyze(before, after)


def _change_rows(text: str) -> int:
    table = text.split("<summary>Changes", 1)[1].split("</details>", 1)[0]
    return len(ROW_RE.findall(table)) - 1  # minus the header


def test_the_real_diff_has_600_changes(big):
    assert len(big.changes) == 600
    assert big.findings


def test_600_changes_fit_a_github_comment(big):
    full = render_markdown(big, limit=None)
    cut = render_markdown(big)
    assert len(full) > GITHUB_COMMENT_LIMIT  # the limit matters for this diff
    assert len(cut) <= 60_000 < GITHUB_COMMENT_LIMIT
    assert "<details><summary>Changes (600)</summary>" in cut
    shown = _change_rows(cut)
    m = re.search(r"not shown: (\d+) of 600 changes", cut)
    assert m, cut[:600]
    assert shown + int(m[1]) == 600
    assert f"_… {m[1]} more changes not shown._" in cut
    # the cut is announced at the top, under the headline
    assert cut.index("Shortened to 60,000 characters") < cut.index("| severity |")
    # every finding is still there, in order
    for f in big.findings:
        assert f"`{f.rule}`" in cut


def test_a_small_limit_cuts_evidence_then_findings_but_keeps_the_highest(big):
    high = [f for f in big.findings if str(f.severity) == "high"]
    out = render_markdown(big, limit=3_000)
    assert len(out) <= 3_000
    assert "changes" in out.split("not shown:", 1)[1].split("\n", 1)[0]
    assert out.count("| **high** |") == len(high)
    tiny = render_markdown(big, limit=1_200)
    assert len(tiny) <= 1_200
    assert "findings" in tiny.split("not shown:", 1)[1].split("\n", 1)[0]


def test_no_limit_and_cli_option(big, tmp_path, capsys):
    before = unpack(PANGEO_EXPLICIT_BEFORE, tmp_path)
    after = unpack(PANGEO_EXPLICIT_600, tmp_path)
    # for people, info findings are counted in a note, not listed
    policy = Policy(show=Severity.LOW)
    shown = analyze(read_state(before), read_state(after), policy=policy)
    main(["diff", str(before), str(after), "--markdown", "--markdown-limit", "0"])
    assert capsys.readouterr().out == render_markdown(shown, limit=None)
    args = ["--markdown", "--markdown-limit", "0", "--show-info"]
    main(["diff", str(before), str(after), *args])
    assert capsys.readouterr().out == render_markdown(big, limit=None)
    main(["diff", str(before), str(after), "--markdown", "--markdown-limit", "20000"])
    out = capsys.readouterr().out
    assert len(out) <= 20_000 and "Shortened to 20,000 characters" in out


def test_fit_drops_whole_ranks_and_hard_cuts_as_last_resort():
    blocks = [
        Block(head=("# title", "")),
        Block(notice=True),
        Block(
            head=("rows:",),
            items=tuple(f"row {i}" for i in range(50)),
            rank=1,
            what="rows",
        ),
        Block(
            head=("<details>",),
            items=("x" * 40,) * 10,
            tail=("</details>",),
            rank=2,
            what="blobs",
        ),
    ]
    whole = fit(blocks, None)
    assert "</details>" in whole and "row 49" in whole
    out = fit(blocks, 300)
    assert len(out) <= 300
    assert "<details>" not in out  # rank 2 lost every item: dropped whole
    assert "not shown: " in out and "of 10 blobs" in out
    assert fit([Block(head=("y" * 500,))], 100).endswith("_… cut at the size limit._\n")


# -- quiet ------------------------------------------------------------------------


def test_prefix_diff_without_findings_is_one_line(capsys):
    """ml-env@0 -> @1 (conda install pandas): notes exist, but all is well."""
    assert main(["diff", f"{ENV}@0", f"{ENV}@1"]) == 0
    assert capsys.readouterr().out == "conda-guard: no findings in 5 changes\n"
    assert main(["diff", f"{ENV}@0", f"{ENV}@1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["notes"]  # the notes are kept


def test_ignored_findings_are_quiet_too(capsys):
    assert main(["diff", f"{ENV}@1", ENV, "--ignore", "numpy-abi"]) == 0
    assert capsys.readouterr().out == "conda-guard: no findings in 1 change\n"


# -- history ------------------------------------------------------------------------


def test_history_summary_and_full_differ(capsys):
    # numpy 1.26 -> 2.3 under lightgbm is medium from metadata: exit 0
    assert main(["history", ENV, "--summary"]) == 0
    short = capsys.readouterr().out
    assert main(["history", ENV]) == 0
    full = capsys.readouterr().out
    assert short != full
    for out in (short, full):
        assert re.findall(r"^rev (\d+)", out, re.M) == ["0", "1", "2"]
        assert out.count("[numpy-abi]") == 1
    assert "evidence:" in full and "evidence:" not in short
    assert "Changes (1):" in full and "Changes (" not in short


def test_history_markdown(capsys):
    assert main(["history", ENV, "--markdown", "--fail-on", "medium"]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"### conda-guard history of {ENV}: 1 finding (1 medium)")
    assert re.findall(r"^#### rev (\d+)", out, re.M) == ["0", "1", "2"]
    assert "`/opt/conda/bin/conda install numpy>=2`" in out
    assert "| **medium** | `numpy-abi` |" in out
    assert out.count("<details><summary>Changes (") == 3
    assert main(["history", ENV, "--markdown", "--markdown-limit", "1500"]) == 0
    cut = capsys.readouterr().out
    assert len(cut) <= 1500 and "| **medium** | `numpy-abi` |" in cut


# -- platforms ----------------------------------------------------------------------

PANGEO_MULTI = DATA / "envfiles" / "conda-lock" / "conda-lock-pangeo.conda-lock.yml"


def test_states_of_two_platforms_are_flagged():
    before = read_state(PANGEO_MULTI, platform="osx-64")
    after = read_state(PANGEO_MULTI, platform="linux-64")
    analysis = analyze(before, after)
    (warning,) = analysis.warnings
    assert "osx-64" in warning and "linux-64" in warning
    text = render_text(analysis).splitlines()
    assert text[1] == f"  warning: {warning}"
    summary = render_text(analysis, summary=True).splitlines()
    assert summary[1] == f"  warning: {warning}"
    assert render_json(analysis)["warnings"] == [warning]
    md = render_markdown(analysis).splitlines()
    assert md[2].startswith("> **Warning:** the two states are for different platforms")
    # one platform: no warning
    same = analyze(after, read_state(PANGEO_MULTI, platform="linux-64"))
    assert same.warnings == () and render_json(same)["warnings"] == []


def test_a_warning_breaks_quiet_mode():
    before = read_state(PANGEO_MULTI, platform="win-64")
    after = read_state(PANGEO_MULTI, platform="linux-64")
    analysis = analyze(before, after, policy=None)
    quiet = analysis.__class__(
        before=before,
        after=after,
        changes=analysis.changes,
        findings=(),
        warnings=analysis.warnings,
    )
    lines = render_text(quiet).splitlines()
    assert len(lines) == 2 and lines[1].startswith("  warning: the two states")
