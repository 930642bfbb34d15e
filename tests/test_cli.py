"""The standalone CLI: exit codes, formats, and one-line errors without tracebacks."""

from __future__ import annotations

import json

import pytest

from conda_guard.cli import main

from .helpers import DATA, EXAMPLES, needs_data, run_cli

pytestmark = needs_data

ENV = str(EXAMPLES / "ml-env")
#: the README's example: pytorch's CUDA build replaced by its CPU build (high)
GPU = str(EXAMPLES.parent / "docs" / "examples" / "gpu-env")


def test_diff_text_exit_1_on_high(capsys):
    assert main(["diff", f"{GPU}@0", GPU, "--color", "never"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("conda-guard: 1 finding (1 high) in 3 changes\n")
    assert "[gpu-to-cpu]" in out
    assert (
        "1.11.0 py3.10_cuda11.1_cudnn8.0.5_0 (pytorch) -> 1.12.1 py3.10_cpu_0 (pytorch)"
        in out
    )


def test_diff_medium_exits_0_unless_fail_on_medium(capsys):
    # ml-env's numpy-abi finding is medium from metadata (issue 14)
    assert main(["diff", f"{ENV}@1", ENV]) == 0
    assert main(["diff", f"{ENV}@1", ENV, "--fail-on", "medium"]) == 1
    assert "[numpy-abi]" in capsys.readouterr().out


def test_diff_fail_on_medium_and_ignore(capsys):
    assert main(["diff", f"{ENV}@1", ENV, "--ignore", "numpy-abi"]) == 0
    assert capsys.readouterr().out == "conda-guard: no findings in 1 change\n"
    assert main(["diff", f"{ENV}@1", ENV, "--ignore", "numpy-abi", "--json"]) == 0
    assert "ignored or allowed" in json.loads(capsys.readouterr().out)["notes"][-1]


def test_diff_same_state_is_one_line(capsys):
    assert main(["diff", ENV, ENV]) == 0
    assert capsys.readouterr().out == "conda-guard: no findings in 0 changes\n"


def test_diff_json_schema(capsys):
    assert main(["diff", f"{ENV}@1", ENV, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == 1
    assert set(doc) >= {"before", "after", "changes", "findings", "notes", "summary"}
    (f,) = doc["findings"]
    assert set(f) == {"rule", "severity", "message", "packages", "evidence", "why"}
    assert f["rule"] == "numpy-abi" and f["severity"] == "medium"
    assert f["packages"][0]["before"]["build"] == "py312heda63a1_0"
    assert f["packages"][0]["after"]["build"] == "py312h6cf2f7f_0"
    assert doc["summary"] == {"changes": 1, "findings": {"medium": 1}}


def test_diff_markdown(capsys):
    assert main(["diff", f"{ENV}@1", ENV, "--markdown"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("### conda-guard: 1 finding (1 medium)")
    assert "| **medium** | `numpy-abi` |" in out
    assert "| numpy | upgraded | `1.26.4 py312heda63a1_0` (conda-forge) |" in out


def test_history_lists_every_revision(capsys):
    assert main(["history", ENV]) == 0
    out = capsys.readouterr().out
    assert "rev 0  2026-03-02 10:15:07" in out
    assert "rev 2  2026-11-20 09:03:12  /opt/conda/bin/conda install numpy>=2" in out
    assert out.count("[numpy-abi]") == 1


def test_history_json_and_revision_filter(capsys):
    assert main(["history", ENV, "--json", "--revision", "1"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [r["revision"] for r in doc["revisions"]] == [1]
    assert [c["name"] for c in doc["revisions"][0]["changes"]][:2] == [
        "pandas",
        "python-dateutil",
    ]


def test_history_unknown_revision_is_usage_error(capsys):
    assert main(["history", ENV, "--revision", "9"]) == 2
    assert "no revision 9" in capsys.readouterr().err


def test_check_quiet_when_fine(capsys):
    env = str(EXAMPLES.parent / "docs" / "examples" / "drift-env")
    assert main(["check", env]) == 0
    assert (
        capsys.readouterr().out
        == "conda-guard: no findings in " + env + " (43 packages)\n"
    )


def test_check_reports_a_package_older_than_numpy2_next_to_it(capsys):
    # ml-env: lightgbm (built 2023) next to numpy 2.3 — medium from metadata
    assert main(["check", ENV]) == 0
    out = capsys.readouterr().out
    assert out.startswith("conda-guard: 1 finding (1 medium) in " + ENV)
    assert "lightgbm is installed next to numpy 2.3.0" in out


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["diff", "/nonexistent/x", ENV], "/nonexistent/x: no such file or directory"),
        (
            ["diff", str(DATA / "prefixes/conda-corrupt-json"), ENV],
            "corrupt-1.2.3-hashhash.json",
        ),
        (
            ["diff", str(DATA / "pinning/conda_build_config.yaml"), ENV],
            "unknown format",
        ),
        (["history", str(DATA / "prefixes/mamba-history-junk-segfault")], "history:1"),
        (["diff", ENV], "diff needs AFTER"),
        (["diff"], "diff needs BEFORE and AFTER"),
        (["history", ENV, "--revision", "x"], "invalid int value"),
    ],
    ids=[
        "missing",
        "corrupt-json",
        "unknown-format",
        "junk-history",
        "no-after",
        "nothing",
        "bad-int",
    ],
)
def test_bad_input_is_one_line_exit_2(argv, needle):
    proc = run_cli(*argv)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert needle in proc.stderr
    err_lines = [line for line in proc.stderr.splitlines() if line.strip()]
    if not needle.startswith("invalid"):
        assert len(err_lines) == 1, proc.stderr


def test_version_and_help():
    assert run_cli("--version").stdout.startswith("conda-guard ")
    help_text = run_cli("diff", "--help").stdout
    for flag in (
        "--json",
        "--markdown",
        "--fail-on",
        "--install",
        "--update-all",
        "-p PREFIX",
    ):
        assert flag in help_text


@pytest.mark.solve
def test_diff_install_mkl_with_custom_channel(capsys):
    """`conda install "libblas=*=*mkl"` in the OpenBLAS example env, solved by
    rattler over the harvested copy of conda-forge served as conda-forge."""
    pytest.importorskip("rattler", reason="py-rattler is not installed")
    harvested = DATA / "channels" / "harvested"
    code = main(
        [
            "diff",
            "-p",
            ENV,
            "--install",
            "libblas=*=*mkl",
            "--json",
            "--custom-channel",
            f"conda-forge={harvested}",
        ]
    )
    doc = json.loads(capsys.readouterr().out)
    assert code == 0  # medium findings only; --fail-on defaults to high
    rules = {f["rule"]: f for f in doc["findings"]}
    assert "channel-mix" not in rules  # the local copy is reported as conda-forge
    blas = rules["blas-switch"]
    assert blas["severity"] == "medium"
    assert blas["why"] == ["requested 'libblas=*=*mkl' -> libblas 3.9.0 13_linux64_mkl"]
    after = {p["name"]: p["after"] for p in blas["packages"]}
    assert after["libblas"]["build"] == "13_linux64_mkl"
    assert after["libblas"]["channel"] == "conda-forge"
    assert "openmp-switch" in rules


def test_custom_channel_needs_name_and_location(capsys):
    assert main(["diff", "-p", ENV, "--install", "x", "--custom-channel", "oops"]) == 2
    assert "--custom-channel takes NAME=LOCATION" in capsys.readouterr().err


#: the pangeo refresh of issue 13 (@EXPLICIT, shipped with the docs): one high,
#: and 31 pinned libraries crossing their pins, which are info
PANGEO = EXAMPLES.parent / "docs" / "examples" / "pangeo-ml"
PANGEO_PAIR = [
    str(PANGEO / "conda-linux-64.f0957bf.lock"),
    str(PANGEO / "conda-linux-64.6d4c2ab.lock"),
]


def test_info_findings_are_hidden_from_people_and_counted(capsys):
    assert main(["diff", *PANGEO_PAIR, "--summary"]) == 1
    out = capsys.readouterr().out
    assert "INFO" not in out and "[abi-pin]" not in out
    assert out.startswith("conda-guard: 4 findings (1 high, 2 medium, 1 low) in ")
    assert "31 info finding(s) not shown (abi-pin); --show-info or --json" in out


def test_show_info_and_json_carry_info_findings(capsys):
    main(["diff", *PANGEO_PAIR, "--summary", "--show-info"])
    out = capsys.readouterr().out
    assert "INFO (31)" in out
    # explicit files carry no depends: the message does not claim what it
    # cannot see
    assert "no dependencies, so which packages link it cannot be seen" in out
    assert "nothing in the result depends" not in out
    main(["diff", *PANGEO_PAIR, "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert sum(f["severity"] == "info" for f in doc["findings"]) == 31


def test_fail_on_info_shows_what_fails(capsys):
    assert main(["diff", *PANGEO_PAIR, "--summary", "--fail-on", "info"]) == 1
    assert "INFO (31)" in capsys.readouterr().out


def test_readme_example_is_real_output(capsys):
    # README shows the main job's report with '...' where lines are left out
    readme = (EXAMPLES.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("```\n$ conda-guard diff docs/examples/gpu-env@0", 1)[1]
    shown = block.split("```", 1)[0].splitlines()[1:]
    main(["diff", f"{GPU}@0", GPU, "--color", "never"])
    out = capsys.readouterr().out.replace(str(EXAMPLES.parent) + "/", "")
    lines, at = out.splitlines(), 0
    for line in shown:
        if line.strip() == "...":
            continue
        assert line in lines[at:], line
        at = lines.index(line, at) + 1
