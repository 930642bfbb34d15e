"""Unit tests of the solve layer: planning, record mapping, the worker protocol."""

from __future__ import annotations

import argparse
import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conda_guard.exceptions import SolveError, UsageError
from conda_guard.models import Record, State
from conda_guard.solve import (
    add_solve_arguments,
    channel_url,
    one_shot_command,
    options_from_args,
    plan_solves,
    propose,
    run_worker,
    target_platform,
    wants_solve,
)
from conda_guard.solve.unsat import explain_unsat, map_to_requested

from .solve_helpers import HARVESTED_URL, VIRTUAL, needs_data, needs_rattler

# verbatim py-rattler 0.28.0 SolverError text for `numpy 1.26.*` + `numpy >=2`
# over the harvested channel (see the `unsat` test in test_solve_acceptance.py)
RATTLER_UNSAT = """Cannot solve the request because of: The following packages are incompatible
├─ numpy >=2 cannot be installed because there are no viable options:
│  ├─ numpy 2.4.6, which conflicts with the versions reported above.
│  ├─ numpy 2.3.5, which conflicts with the versions reported above.
│  └─ numpy 2.0.2, which conflicts with the versions reported above.
└─ numpy 1.26.* cannot be installed because there are no viable options:
   ├─ numpy 1.26.4, which conflicts with the versions reported above.
   ├─ numpy 1.26.4, which conflicts with the versions reported above.
   └─ numpy 1.26.0, which conflicts with the versions reported above.
"""  # noqa: E501
RATTLER_CHAIN = """Cannot solve the request because of: pandas ==2.2.2 cannot be installed because there are no viable options:
├─ pandas 2.2.2 would require
│  └─ python >=3.12,<3.13.0a0, for which no candidates were found.
└─ pandas 2.2.2 would require
   └─ python >=3.11,<3.12.0a0, for which no candidates were found.
"""  # noqa: E501


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser()
    add_solve_arguments(p)
    return p


def rec(name: str, version: str, build: str = "0", **kw) -> Record:
    return Record(name=name, version=version, build=build, subdir="linux-64", **kw)


CURRENT = State.from_records(
    [
        rec("python", "3.12.13", "hd63d673_0_cpython", channel="conda-forge"),
        rec("numpy", "1.26.4", "py312heda63a1_0", channel="conda-forge"),
        rec("pandas", "2.1.3", "py312hfb8ada1_0", channel="conda-forge"),
        rec("tzdata", "2026c", "h151e31d_0", channel="conda-forge"),
        Record(name="requests", version="2.32.3", pip=True),
    ],
    kind="prefix",
    explicit={"python": "python=3.12", "pandas": "pandas=2.1", "numpy": "numpy"},
    prefix="/envs/work",
)


def test_arguments_and_wants_solve():
    args = parser().parse_args(
        [
            "--install",
            "numpy",
            "scipy",
            "--update",
            "pandas",
            "-c",
            "a",
            "-c",
            "b",
            "--strict-channel-priority",
            "--solve-timeout",
            "5",
            "--virtual-package",
            "__cuda=12.4",
        ]
    )
    assert args.install == ["numpy", "scipy"]
    assert args.update == ["pandas"]
    assert args.channel == ["a", "b"]
    assert args.channel_priority == "strict"
    assert args.solve_timeout == 5.0
    assert args.virtual_package == ["__cuda=12.4"]
    assert wants_solve(args)
    assert not wants_solve(parser().parse_args([]))
    assert wants_solve(parser().parse_args(["--update-all"]))
    with pytest.raises(SystemExit):
        parser().parse_args(["--solve-timeout", "0"])


def test_plan_install_freezes_installed_and_keeps_python_minor():
    plan = plan_solves(CURRENT, install=["scikit-learn"])
    assert plan.mode == "install"
    assert plan.incremental_specs == (
        "python=3.12",
        "pandas=2.1",
        "numpy",
        "scikit-learn",
    )
    assert [r.name for r in plan.pinned] == ["numpy", "pandas", "python", "tzdata"]
    assert plan.locked == ()
    assert plan.retry_unpinned is True
    assert plan.batch_specs == plan.incremental_specs


def test_plan_update_locks_and_replaces_history_spec():
    plan = plan_solves(CURRENT, update=["pandas"])
    assert plan.mode == "update"
    assert "pandas" in plan.incremental_specs and "pandas=2.1" not in (
        plan.incremental_specs
    )
    assert [r.name for r in plan.locked] == ["numpy", "python", "tzdata"]
    assert plan.pinned == ()


def test_plan_update_all_drops_history_constraints_but_not_python_minor():
    plan = plan_solves(CURRENT, update_all=True)
    assert plan.mode == "update-all"
    assert plan.incremental_specs == ("python 3.12.*", "pandas", "numpy")
    assert plan.locked == plan.pinned == ()
    # the batch keeps the user's constraints
    assert plan.batch_specs == ("python=3.12", "pandas=2.1", "numpy")


def test_plan_update_of_missing_package_is_a_usage_error():
    with pytest.raises(UsageError, match="not installed: scipy"):
        plan_solves(CURRENT, update=["scipy"])


def test_plan_without_history_requests_every_installed_name():
    bare = State.from_records(list(CURRENT)[:2], kind="prefix")
    plan = plan_solves(bare, install=["pandas"])
    assert plan.incremental_specs == ("python 3.12.*", "numpy", "pandas")
    assert "no history specs" in plan.notes[0]


def test_record_from_repodata_maps_fields():
    data = {
        "name": "libblas",
        "version": "3.11.0",
        "build": "5_h4a7cf45_openblas",
        "build_number": 5,
        "subdir": "linux-64",
        "depends": ["libopenblas >=0.3.30,<0.3.31.0a0"],
        "constrains": ["blas 2.305   openblas"],
        "track_features": "blas_mkl blas_mkl_2",
        "channel": "https://conda.anaconda.org/conda-forge/",
        "fn": "libblas-3.11.0-5_h4a7cf45_openblas.conda",
        "url": "https://conda.anaconda.org/conda-forge/linux-64/libblas-3.11.0-5_h4a7cf45_openblas.conda",
        "md5": "c160954f7418d7b6e87eaf05a8913fa9",
        "noarch": None,
    }
    r = Record.from_repodata(data, "test")
    assert r.channel == "conda-forge"
    assert r.track_features == ("blas_mkl", "blas_mkl_2")
    assert r.depends == ("libopenblas >=0.3.30,<0.3.31.0a0",)
    assert r.constrains == ("blas 2.305   openblas",)
    assert (r.build_number, r.noarch, r.md5) == (5, None, data["md5"])
    local = Record.from_repodata({**data, "channel": HARVESTED_URL + "/"})
    assert local.channel == HARVESTED_URL


def test_explain_unsat_folds_candidates_and_names_specs():
    text, conflicts = explain_unsat(RATTLER_UNSAT, ["numpy 1.26.*", "numpy >=2"])
    assert conflicts == ("numpy >=2", "numpy 1.26.*")
    assert "Cannot solve" not in text
    assert (
        "│  └─ numpy 2.4.6 | 2.3.5 | 2.0.2, which conflicts with the versions"
        " reported above." in text.splitlines()
    )
    assert len(text.splitlines()) == 5


def test_explain_unsat_keeps_the_chain():
    text, conflicts = explain_unsat(RATTLER_CHAIN, ["python=3.10", "pandas==2.2.2"])
    assert conflicts == ("pandas==2.2.2", "python=3.10")
    assert "python >=3.12,<3.13.0a0, for which no candidates were found." in text


def test_map_to_requested_prefers_exact_spelling():
    assert map_to_requested(["python 3.10.*", "libfoo"], ["python=3.10"]) == (
        "python=3.10",
        "libfoo",
    )


def test_one_shot_command_and_channels():
    cmd = one_shot_command(
        CURRENT,
        ["python=3.12", "numpy>=2"],
        ["conda-forge", "file:///x y"],
        strict=True,
    )
    assert cmd == (
        "conda create -n work --override-channels -c conda-forge -c 'file:///x y'"
        " --strict-channel-priority python=3.12 'numpy>=2'"
    )
    assert channel_url("pkgs/main") == "https://repo.anaconda.com/pkgs/main"
    assert channel_url("conda-forge") == "https://conda.anaconda.org/conda-forge"
    assert channel_url("/srv/chan").startswith("file:///")


def test_target_platform_from_records():
    assert target_platform(CURRENT) == "linux-64"
    assert target_platform(CURRENT, "osx-arm64") == "osx-arm64"


def test_worker_reports_unknown_backend():
    outcome = run_worker({"backend": "nope", "jobs": []}, timeout=60)
    assert outcome.error == "ValueError: unknown solver backend 'nope'"
    assert not outcome.timed_out and outcome.crashed is None


def test_worker_bad_request_is_an_error_not_a_hang():
    outcome = run_worker({"backend": "rattler", "channels": [], "jobs": []}, timeout=60)
    assert outcome.error == "no channel to solve against (pass --channel)"


@pytest.mark.solve
@needs_rattler
@needs_data
def test_worker_streams_results_and_survives_the_budget():
    doc = {
        "backend": "rattler",
        "channels": [HARVESTED_URL],
        "platforms": ["linux-64", "noarch"],
        "virtual_packages": list(VIRTUAL),
        "jobs": [
            {"label": "fast", "specs": ["python 3.12.*", "numpy"]},
            {"label": "slow", "specs": ["python 3.12.*", "numpy"], "delay": 30},
        ],
    }
    outcome = run_worker(doc, timeout=4)
    assert outcome.timed_out
    assert set(outcome.results) == {"fast"}
    numpy = {r.name: r for r in outcome.results["fast"].records}["numpy"]
    assert (numpy.version, numpy.build) == ("2.3.0", "py312h6cf2f7f_0")
    assert outcome.seconds < 20


@pytest.mark.solve
@needs_rattler
@needs_data
def test_propose_skips_a_batch_that_runs_out_of_time(tmp_path, monkeypatch):
    import importlib

    from .solve_helpers import build_prefix

    proposing = importlib.import_module("conda_guard.solve.proposal")

    prefix = build_prefix(tmp_path / "env", [["python=3.12", "numpy"]])
    from conda_guard.readers import read_state

    current = read_state(str(prefix))
    real = proposing.solve_request

    def slow_batch(request):
        jobs = tuple(
            dataclasses.replace(j, delay=30) if j.label == "batch" else j
            for j in request.jobs
        )
        return real(dataclasses.replace(request, jobs=jobs))

    monkeypatch.setattr(proposing, "solve_request", slow_batch)
    args = parser().parse_args(
        [
            "--install",
            "pandas",
            "--batch",
            "--solve-timeout",
            "4",
            *[f"--virtual-package={v}" for v in VIRTUAL],
        ]
    )
    proposal = propose(options_from_args(args), current)
    assert proposal.batch is None
    assert proposal.incremental.get("pandas").version == "2.2.2"
    assert any(
        n.startswith(
            "batch comparison skipped (batch vs current, incremental vs batch)"
        )
        and "did not finish within 4 s" in n
        for n in proposal.notes
    )
    assert proposal.comparisons == ()


def test_propose_without_channels_is_a_usage_error():
    bare = State.from_records([rec("zlib", "1.3")], kind="prefix")
    with pytest.raises(UsageError, match="no channel"):
        propose(options_from_args(parser().parse_args(["--install", "numpy"])), bare)


def test_update_all_with_specs_is_a_usage_error():
    with pytest.raises(UsageError):
        propose(
            options_from_args(
                parser().parse_args(["--update-all", "--update", "numpy"])
            ),
            CURRENT,
        )


def test_solve_error_is_a_guard_error():
    assert issubclass(SolveError, Exception) and SolveError("x").exit_code == 2


@needs_data
def test_drift_findings_on_real_records():
    from conda_guard.abi import load_table
    from conda_guard.rules.drift import drift_findings

    from .helpers import real

    common = [real("python-3.12.13-hd63d673_0_cpython")]
    incremental = State.from_records(
        [
            *common,
            real("numpy-1.26.4-py312heda63a1_0"),
            real("pandas-2.1.3-py312hfb8ada1_0"),
            real("tzdata-2026c-h151e31d_0"),
        ],
        explicit={"pandas": "pandas", "python": "python=3.12"},
    )
    batch = State.from_records(
        [
            *common,
            real("numpy-2.3.0-py312h6cf2f7f_0"),
            real("pandas-2.2.2-py312h1d6d2e6_1"),
        ]
    )
    found = drift_findings(incremental, batch, load_table())
    by_name = {f.names: f for f in found}
    numpy = by_name[("numpy",)]
    assert (numpy.rule, str(numpy.severity)) == ("drift", "medium")
    pandas = by_name[("pandas",)]
    assert str(pandas.severity) == "medium"
    assert pandas.message == (
        "pandas: the incremental result has pandas 2.1.3 py312hfb8ada1_0"
        " (conda-forge), a one-shot solve picks pandas 2.2.2 py312h1d6d2e6_1"
        " (conda-forge) (built against an ABI-sensitive package on which the two"
        " differ)."
    )
    assert (
        "pandas 2.1.3 py312hfb8ada1_0 (conda-forge) depends 'numpy >=1.26.0,<2.0a0';"
        " incremental numpy 1.26.4 py312heda63a1_0 (conda-forge), one-shot numpy"
        " 2.3.0 py312h6cf2f7f_0 (conda-forge)" in pandas.evidence
    )
    assert pandas.why == ("requested 'pandas' -> pandas 2.1.3 py312hfb8ada1_0",)
    low = by_name[("tzdata",)]
    assert str(low.severity) == "low"
    assert low.message == (
        "1 other package(s) differ from a one-shot solve of the same requests:"
        " tzdata (1 kept that a one-shot solve would not install)."
    )


def test_solver_channels():
    from conda_guard.solve import solver_channels

    assert solver_channels(["defaults", "conda-forge", "pkgs/main"], "rattler") == [
        "https://repo.anaconda.com/pkgs/main",
        "https://repo.anaconda.com/pkgs/r",
        "https://conda.anaconda.org/conda-forge",
    ]
    assert solver_channels(["defaults", "conda-forge"], "conda") == [
        "defaults",
        "conda-forge",
    ]


@pytest.mark.solve
@needs_rattler
@needs_data
def test_batch_only_compares_the_current_env(tmp_path):
    from conda_guard.readers import read_state

    from .solve_helpers import build_prefix

    prefix = build_prefix(
        tmp_path / "env", [["python=3.12", "pandas=2.1"], ["numpy"], ["pandas"]]
    )
    current = read_state(str(prefix))
    argv = ["--batch", *[f"--virtual-package={v}" for v in VIRTUAL]]
    proposal = propose(options_from_args(parser().parse_args(argv)), current)
    assert proposal.incremental is current
    assert [c.label for c in proposal.comparisons] == ["batch vs current"]
    assert proposal.batch.get("numpy").version == "2.3.0"
    assert any(f.names == ("numpy",) for f in proposal.findings)
    expected = (
        f"conda create -n env --override-channels -c {HARVESTED_URL}"
        " python=3.12 pandas numpy"
    )
    assert proposal.commands == (expected,)


def _fake_worker(tmp_path, body: str) -> str:
    script = tmp_path / "fake-python"
    script.write_text("#!/bin/sh\ncat >/dev/null\n" + body)
    script.chmod(0o755)
    return str(script)


def test_crash_after_done_counts_as_success(tmp_path):
    python = _fake_worker(
        tmp_path,
        'echo \'{"event": "result", "label": "incremental", "ok": true,'
        ' "records": []}\'\n'
        'echo \'{"event": "done"}\'\n'
        "kill -SEGV $$\n",
    )
    outcome = run_worker({"jobs": []}, timeout=30, python=python)
    assert outcome.crashed is None and outcome.error is None
    assert outcome.results["incremental"].ok is True


def test_crash_before_done_is_reported(tmp_path):
    python = _fake_worker(
        tmp_path, "echo 'Fatal Python error: PyGILState_Release' >&2\nkill -ABRT $$\n"
    )
    outcome = run_worker({"jobs": []}, timeout=30, python=python)
    assert outcome.results == {}
    assert outcome.crashed == (
        "the solve worker exited with code -6: Fatal Python error: PyGILState_Release"
    )


@needs_data
def test_same_artifact_from_a_mirror_is_the_installed_record():
    from conda_guard.solve import same_artifact

    from .helpers import real

    installed = real("numpy-1.26.4-py312heda63a1_0")
    mirrored = Record.from_repodata(
        {
            "name": installed.name,
            "version": installed.version,
            "build": installed.build,
            "build_number": installed.build_number,
            "subdir": installed.subdir,
            "sha256": installed.sha256,
            "md5": installed.md5,
            "channel": HARVESTED_URL + "/",
        }
    )
    assert mirrored.channel != installed.channel
    assert same_artifact(installed, mirrored)
    rebuilt = Record.from_repodata(
        {**installed.to_json(), "sha256": "0" * 64, "channel": HARVESTED_URL}
    )
    assert not same_artifact(installed, rebuilt)


@pytest.mark.solve
@needs_rattler
@needs_data
def test_installed_record_no_channel_has_is_kept():
    """conda keeps an installed package its channels no longer carry; so do we."""
    from .helpers import real

    numpy = real("numpy-1.26.4-py312heda63a1_0")
    local = {
        "name": "numpy",
        "version": "1.26.4",
        "build": "py312local_0",
        "build_number": 0,
        "subdir": "linux-64",
        "depends": list(numpy.depends),
        "channel": "https://example.org/gone",
        "fn": "numpy-1.26.4-py312local_0.conda",
        "url": "https://example.org/gone/linux-64/numpy-1.26.4-py312local_0.conda",
    }
    doc = {
        "backend": "rattler",
        "channels": [HARVESTED_URL],
        "platforms": ["linux-64", "noarch"],
        "virtual_packages": list(VIRTUAL),
        "jobs": [
            {"label": "locked", "specs": ["python 3.12.*", "numpy"], "locked": [local]},
            {"label": "fresh", "specs": ["python 3.12.*", "numpy"]},
        ],
    }
    outcome = run_worker(doc, timeout=60)
    kept = {r.name: r for r in outcome.results["locked"].records}["numpy"]
    assert (kept.build, kept.channel, kept.url) == (
        "py312local_0",
        "gone",
        "https://example.org/gone/linux-64/numpy-1.26.4-py312local_0.conda",
    )
    fresh = {r.name: r for r in outcome.results["fresh"].records}["numpy"]
    assert fresh.build == "py312h6cf2f7f_0"


_TREE_CHARS = st.sampled_from(["├─ ", "│  ", "└─ ", "   ", ""])


@given(
    st.lists(
        st.tuples(
            st.lists(_TREE_CHARS, max_size=3),
            st.sampled_from(
                [
                    "numpy >=2 cannot be installed because there are no options:",
                    "numpy 2.4.6, which conflicts with the versions reported above.",
                    "python >=3.12,<3.13.0a0, for which no candidates were found.",
                    "No candidates were found for nonexist *.",
                    "The following packages are incompatible",
                ]
            )
            | st.text(max_size=40),
        ),
        max_size=12,
    ),
    st.lists(st.sampled_from(["numpy >=2", "python=3.10", "nonexist"]), max_size=3),
)
def test_explain_unsat_never_fails(lines, requested):
    text = "\n".join("".join(prefix) + body for prefix, body in lines)
    readable, conflicts = explain_unsat(text, requested)
    assert isinstance(readable, str)
    assert len(set(conflicts)) == len(conflicts)
    assert all(c.strip() for c in conflicts)


@given(st.text(max_size=30))
def test_parse_virtual_package_is_total(text):
    from conda_guard.solve.protocol import parse_virtual_package

    try:
        name, version, build = parse_virtual_package(text)
    except ValueError:
        return
    assert name.startswith("__") and version and build


def test_parse_virtual_package_shapes():
    from conda_guard.solve.protocol import parse_virtual_package

    assert parse_virtual_package("__glibc=2.35") == ("__glibc", "2.35", "0")
    assert parse_virtual_package("__cuda 12.4") == ("__cuda", "12.4", "0")
    assert parse_virtual_package("__archspec=1=x86_64") == ("__archspec", "1", "x86_64")
    assert parse_virtual_package("__unix") == ("__unix", "0", "0")
    with pytest.raises(ValueError, match="invalid virtual package"):
        parse_virtual_package("glibc=2.35")


def test_plan_update_deps_frees_the_dependencies():
    state = State.from_records(
        [
            rec("python", "3.12.13", depends=("libffi >=3.4",)),
            rec("libffi", "3.4.6"),
            rec("numpy", "1.26.4", depends=("python >=3.12", "libblas >=3.9")),
            rec("libblas", "3.11.0", depends=("libopenblas >=0.3.30",)),
            rec("libopenblas", "0.3.30"),
            rec("zlib", "1.3.1"),
        ],
        explicit={"python": "python=3.12", "numpy": "numpy"},
    )
    plan = plan_solves(state, install=["numpy"], update_deps=True)
    assert [r.name for r in plan.locked] == ["zlib"]
    assert plan.pinned == ()
    assert [r.name for r in plan_solves(state, install=["numpy"]).pinned] == [
        "libblas",
        "libffi",
        "libopenblas",
        "python",
        "zlib",
    ]


def test_pinned_file_becomes_constraints(tmp_path):
    meta = tmp_path / "conda-meta"
    meta.mkdir()
    (meta / "pinned").write_text(
        "# keep numpy 1\nnumpy 1.26.*\n\nlibblas=*=*openblas\n"
    )
    state = State.from_records(
        list(CURRENT), explicit=dict(CURRENT.explicit), prefix=str(tmp_path)
    )
    plan = plan_solves(state, update_all=True)
    assert plan.constraints == ("numpy 1.26.*", "libblas=*=*openblas")


@pytest.mark.parametrize("value", ["inf", "nan", "1e30", "-1", "0", "soon"])
def test_solve_timeout_out_of_range_is_one_line_exit_2(value, capsys):
    with pytest.raises(SystemExit) as exc:
        parser().parse_args(["--install", "numpy", "--solve-timeout", value])
    assert exc.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.endswith(
        "error: argument --solve-timeout: must be a number of seconds > 0 and"
        f" <= 86400, not {value!r}"
    ) or last.endswith(
        f"error: argument --solve-timeout: not a number of seconds: {value!r}"
    )


@pytest.mark.parametrize("value", ["!!!", "glibc=2.35", "__glibc=2.35=x=y", ""])
def test_bad_virtual_package_is_one_line_exit_2(value, capsys):
    with pytest.raises(SystemExit) as exc:
        parser().parse_args(["--install", "numpy", f"--virtual-package={value}"])
    assert exc.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.endswith(
        f"error: argument --virtual-package: invalid virtual package {value!r}"
        " (expected e.g. __glibc=2.35, __unix)"
    )


def test_good_solve_options_parse():
    args = parser().parse_args(
        ["--install", "numpy", "--solve-timeout", "86400", "--virtual-package=__unix"]
    )
    options = options_from_args(args)
    assert options.timeout == 86400.0
    assert options.virtual_packages == ("__unix",)
