"""conda-meta/history parsing on the real history files in shared/data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conda_guard.exceptions import InputError
from conda_guard.readers.history import (
    DistRef,
    parse_history,
    parse_history_text,
    spec_name,
)

from .helpers import needs_data

PREFIXES = Path(__file__).parents[2] / "shared" / "data" / "prefixes"
CHEMTOOLS = PREFIXES / "chemtools-win64-mkl-openssl-downgrade"
PY313T = PREFIXES / "conda-envpy313t-osx-arm64"
PY27 = PREFIXES / "conda-py27-osx-nomkl"
MINONDA = PREFIXES / "conda-tests-minonda-2016"
MAMBA = PREFIXES / "mamba-history-parse"
MAMBA_META = PREFIXES / "mamba-history-parse-metadata"
JUNK = PREFIXES / "mamba-history-junk-segfault"

pytestmark = needs_data


def hist(prefix: Path):
    return parse_history(prefix / "conda-meta" / "history")


# --- requested specs: the expected maps from ABI-FACTS §9 -----------------


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        (
            CHEMTOOLS,
            {
                "python": "python=3.11.0",
                "scipy": "scipy",
                "ipykernel": "ipykernel",
                "matplotlib": "matplotlib",
                "pandas": "pandas",
                "ipywidgets": "ipywidgets",
                "openpyxl": "openpyxl",
            },
        ),
        (
            PY313T,
            {
                "python_abi": "python_abi[build=*_cp313t]",
                "python": "python=3.13",
                "pip": "pip",
            },
        ),
        (
            MAMBA,
            {
                "cpp-tabulate": "cpp-tabulate",
                "openssl": "openssl=3.5.0",
                "wheel": "wheel=0.40.0",
                "xtl": "xtl=0.8.0",
            },
        ),
        (MAMBA_META, {"pandas": 'pandas[version=">=0.25.2,<3"]'}),
        (
            PY27,
            {
                "python": "python=2",
                "lxml": "lxml",
                "pip": "pip=8",
                "nomkl": "nomkl",
                "h5py": "h5py",
                "numpy": "numpy",
            },
        ),
        (
            MINONDA,
            {
                "conda": "conda",
                "python": "python 2.7*",
                "cas-mirror": "cas-mirror",
                "grin": "grin",
                "pyflakes": "pyflakes",
            },
        ),
    ],
    ids=["chemtools", "py313t", "mamba-parse", "mamba-metadata", "py27", "minonda"],
)
def test_requested_specs_real(prefix, expected):
    assert hist(prefix).requested_specs() == expected


def test_requested_specs_upto_and_installed():
    h = hist(CHEMTOOLS)
    assert h.requested_specs(upto=1) == {"python": "python=3.11.0", "scipy": "scipy"}
    assert h.requested_specs(installed={"scipy", "openssl"}) == {"scipy": "scipy"}


# --- revisions --------------------------------------------------------------


def test_chemtools_revisions():
    h = hist(CHEMTOOLS)
    assert len(h) == 7
    first = h.revisions[0]
    assert first.number == 0
    assert first.date == "2022-11-01 18:19:54"
    assert first.conda_version == "22.9.0"
    assert first.cmd.endswith(
        "create --prefix D:\\Documents\\GitHub\\chemtools python=3.11.0"
    )
    assert first.update_specs == ("python=3.11.0",)
    assert first.line == 1
    assert not first.full
    matplotlib = h.revisions[3]
    assert matplotlib.update_specs == ("matplotlib",)
    assert [d.dist for d in matplotlib.removed] == [
        "openssl-3.0.5-hcfcfb64_2",
        "python-3.11.0-hcf16a7b_0_cpython",
    ]
    assert len(matplotlib.added) == 50


def test_chemtools_openssl_downgrade_between_revisions():
    h = hist(CHEMTOOLS)
    before, after = h.dists_at(2), h.dists_at(3)
    assert (before["openssl"].version, before["openssl"].build) == (
        "3.0.5",
        "hcfcfb64_2",
    )
    assert (after["openssl"].version, after["openssl"].build) == (
        "1.1.1q",
        "hcfcfb64_1",
    )
    assert before["python"].build == "hcf16a7b_0_cpython"
    assert after["python"].build == "h9a09f29_0_cpython"
    assert after["openssl"].channel == "conda-forge"
    assert after["openssl"].subdir == "win-64"
    assert len(before) == 65 and len(after) == 113
    assert len(h.dists_at(-1)) == 130


def test_dist_ref_to_record_points_at_the_line():
    h = hist(CHEMTOOLS)
    rec = h.dists_at(0)["openssl"].to_record()
    assert (rec.name, rec.version, rec.build, rec.build_number) == (
        "openssl",
        "3.0.5",
        "hcfcfb64_2",
        2,
    )
    assert (rec.channel, rec.subdir) == ("conda-forge", "win-64")
    assert rec.source.endswith("conda-meta/history:13")


def test_mamba_url_removal_and_remove_specs():
    h = hist(MAMBA)
    assert len(h) == 8
    rev = h.revisions[3]
    assert rev.update_specs == ("cpp-tabulate",)
    assert rev.remove_specs == ("cpp-tabulate",)
    assert rev.conda_version == "3.8.0"
    removed = rev.removed[0]
    assert (removed.name, removed.version, removed.build) == (
        "cpp-tabulate",
        "1.0",
        "hc9558a2_0",
    )
    assert (removed.channel, removed.subdir) == ("conda-forge", "linux-64")
    # removal written as a URL still removes the package added as channel::dist
    final = h.dists_at(-1)
    assert final["cpp-tabulate"].version == "1.5"
    assert "nlohmann_json" not in final
    assert final["xtl"].version == "0.8.0"
    assert final["wheel"].build == "pyhd8ed1ab_1"
    assert h.revisions[6].remove_specs == ("wheel", "xtl", "nlohmann_json")


def test_mamba_metadata_single_transaction():
    h = hist(MAMBA_META)
    assert len(h) == 1
    assert h.revisions[0].update_specs == ('pandas[version=">=0.25.2,<3"]',)
    dists = h.dists_at(0)
    assert len(dists) == 40
    assert dists["libblas"].build == "24_linux64_openblas"
    assert dists["numpy"].version == "2.1.1"
    assert dists["python"].dist == "python-3.12.6-hc5c86c4_2_cpython"
    assert dists["python"].subdir == ""


def test_minonda_2016_full_state_then_diffs():
    h = hist(MINONDA)
    assert len(h) == 6
    first = h.revisions[0]
    assert first.full
    assert first.conda_version is None
    assert len(first.added) == 16
    assert h.dists_at(0)["openssl"].dist == "openssl-1.0.2d-0"
    assert h.dists_at(0)["openssl"].channel == ""
    assert h.dists_at(1)["openssl"].dist == "openssl-1.0.2f-0"
    assert h.revisions[2].update_specs == ("cas-mirror", "conda", "python 2.7*")
    final = h.dists_at(5)
    assert len(final) == 21
    assert final["cas-mirror"].build == "py27_x0"
    assert final["cas-mirror"].version == "1.4.1"


def test_py27_defaults_channel():
    d = hist(PY27).dists_at(0)
    assert d["blas"].dist == "blas-1.0-openblas"
    assert d["blas"].channel == "defaults"
    assert d["numpy"].version == "1.15.1"


def test_junk_history_is_an_input_error_on_line_1():
    with pytest.raises(InputError) as err:
        hist(JUNK)
    assert err.value.line == 1
    assert "bad revision header date 'x'" in str(err.value)
    assert str(err.value).startswith(str(JUNK / "conda-meta" / "history") + ":1: ")


def test_parse_history_accepts_the_prefix_directory():
    assert len(parse_history(CHEMTOOLS)) == 7


def test_missing_history_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        parse_history(tmp_path / "history")


def test_not_utf8_history(tmp_path):
    path = tmp_path / "history"
    path.write_bytes(b"==> 2020-01-01 00:00:00 <==\n+a-1-0\n\xff\xfe\n")
    with pytest.raises(InputError) as err:
        parse_history(path)
    assert err.value.line == 3


# --- the text forms, one rule at a time ------------------------------------


HEAD = "==> 2020-01-02 03:04:05 <==\n# cmd: conda install x\n"


def test_old_install_specs_rejoin_version_fragments():
    h = parse_history_text(
        HEAD + "+defaults::jupyter-1.0.0-py35_0\n"
        "# install specs: python>=3.5.1,jupyter >=1.0.0,<2.0,matplotlib >=1.5.1,<2.0\n"
    )
    assert h.revisions[0].update_specs == (
        "python>=3.5.1",
        "jupyter >=1.0.0,<2.0",
        "matplotlib >=1.5.1,<2.0",
    )


def test_neutered_specs_override_and_features_dropped():
    h = parse_history_text(
        HEAD + "+a-1-0\n# update specs: ['numpy=1.26', 'mkl@']\n"
        "==> 2020-01-03 00:00:00 <==\n# cmd: conda install y\n+b-1-0\n"
        "# update specs: ['y']\n# neutered specs: ['numpy']\n"
    )
    assert h.revisions[0].update_specs == ("numpy=1.26",)
    assert h.requested_specs() == {"numpy": "numpy", "y": "y"}


def test_sections_without_cmd_are_not_requests():
    h = parse_history_text(
        "==> 2020-01-02 03:04:05 <==\n+a-1-0\n# update specs: ['a']\n"
    )
    assert h.revisions[0].cmd is None
    assert h.requested_specs() == {}


def test_comments_before_the_first_header_are_ignored():
    h = parse_history_text("# written by hand\n\n" + HEAD + "+a-1-0\n")
    assert len(h) == 1
    assert h.revisions[0].line == 3


def test_empty_history_has_no_revisions():
    h = parse_history_text("")
    assert len(h) == 0
    assert h.requested_specs() == {}
    with pytest.raises(InputError, match="history is empty"):
        h.dists_at(0)


def test_empty_section_changes_nothing():
    h = parse_history_text(HEAD + "+a-1-0\n" + HEAD)
    assert h.dists_at(1) == h.dists_at(0)
    assert set(h.dists_at(1)) == {"a"}


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("a-1-0\n", 1, "no revision header before this line"),
        ("# c\nnot a header\n", 2, "no revision header before this line"),
        ("==> 2020-01-02 <==\n", 1, "bad revision header date '2020-01-02'"),
        ("==> 2020-01-02 03:04:05\n", 1, "bad revision header"),
        (HEAD + "+a-1-0\nb-1-0\n", 4, "unexpected line in a diff section"),
        (HEAD + "+numpy\n", 3, "bad package line '+numpy'"),
        (HEAD + "# update specs: ['a'\n", 3, "cannot parse the spec list"),
        (HEAD + "# update specs: [1, 2]\n", 3, "not a list of strings"),
        (HEAD + "# update specs: a[b],c\n", 3, "cannot parse the spec list"),
        (HEAD + "# update specs: ['>=1']\n", 3, "no package name"),
    ],
    ids=[
        "bare-first",
        "text-first",
        "date-no-time",
        "unclosed-header",
        "mixed-section",
        "short-dist",
        "bad-literal",
        "not-strings",
        "bracket-old-format",
        "nameless-spec",
    ],
)
def test_bad_lines_name_the_line(text, line, reason):
    with pytest.raises(InputError) as err:
        parse_history_text(text, "h").requested_specs()
    assert err.value.line == line
    assert reason in err.value.reason


def test_dists_at_out_of_range():
    h = hist(CHEMTOOLS)
    with pytest.raises(InputError, match=r"no revision 7 \(revisions are 0 to 6\)"):
        h.dists_at(7)
    assert h.dists_at(-7) == h.dists_at(0)


@pytest.mark.parametrize(
    ("spec", "name"),
    [
        ("numpy", "numpy"),
        ("python=3.11.0", "python"),
        ("python 2.7*", "python"),
        ("conda-forge::numpy>=1.26", "numpy"),
        ("conda-forge/linux-64::numpy=1.26", "numpy"),
        ("python_abi[build=*_cp313t]", "python_abi"),
        ('pandas[version=">=0.25.2,<3"]', "pandas"),
        ("libblas ==3.9.0 17_linux64_openblas", "libblas"),
        ("openmp 21.1.6|21.1.6.*", "openmp"),
    ],
)
def test_spec_name(spec, name):
    assert spec_name(spec) == name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "conda-forge/osx-arm64::python-3.13.2-hfd29fff_1_cp313t",
            ("python", "3.13.2", "hfd29fff_1_cp313t", "conda-forge", "osx-arm64"),
        ),
        (
            "https://conda.anaconda.org/conda-forge/noarch::wheel-0.45.1-pyhd8ed1ab_1",
            ("wheel", "0.45.1", "pyhd8ed1ab_1", "conda-forge", "noarch"),
        ),
        ("defaults::blas-1.0-openblas", ("blas", "1.0", "openblas", "defaults", "")),
        ("openssl-1.0.2d-0", ("openssl", "1.0.2d", "0", "", "")),
        (
            "pkgs/main/linux-64::zlib-1.2.11-h7b6447c_3",
            ("zlib", "1.2.11", "h7b6447c_3", "pkgs/main", "linux-64"),
        ),
    ],
    ids=["channel-subdir", "url", "defaults", "bare-2016", "pkgs-main"],
)
def test_dist_ref_forms(text, expected):
    d = DistRef.parse(text)
    assert (d.name, d.version, d.build, d.channel, d.subdir) == expected


# --- the streamed replay agrees with the parsed history ----------------------

REAL_HISTORIES = [CHEMTOOLS, PY313T, PY27, MINONDA, MAMBA, MAMBA_META]


@pytest.mark.parametrize("prefix", REAL_HISTORIES, ids=lambda p: p.name)
def test_replay_matches_the_parsed_history(prefix):
    from conda_guard.readers.history_replay import iter_replay, replay

    path = prefix / "conda-meta" / "history"
    h = hist(prefix)
    for n in range(len(h)):
        r = replay(path, n)
        assert r.count == n + 1
        assert r.dists == h.dists_at(n)
        assert r.specs == h.requested_specs(upto=n)
        assert replay(path, n - len(h)).dists == h.dists_at(n)
    whole = replay(path)
    assert whole.count == len(h)
    assert whole.specs == h.requested_specs()
    assert [rev for rev, _ in iter_replay(path)] == list(h.revisions)


def test_replay_reads_only_up_to_the_revision(tmp_path):
    from conda_guard.readers.history_replay import replay

    path = tmp_path / "history"
    path.write_text(HEAD + "+a-1-0\n" + HEAD + "+b-1-0\n==> broken\n")
    assert set(replay(path, 1).dists) == {"a", "b"}
    with pytest.raises(InputError, match="bad revision header"):
        replay(path)


def test_replay_out_of_range(tmp_path):
    from conda_guard.readers.history_replay import replay

    path = CHEMTOOLS / "conda-meta" / "history"
    with pytest.raises(InputError, match=r"no revision 7 \(revisions are 0 to 6\)"):
        replay(path, 7)
    with pytest.raises(InputError, match=r"no revision -8 \(revisions are 0 to 6\)"):
        replay(path, -8)
    empty = tmp_path / "history"
    empty.write_text("")
    with pytest.raises(InputError, match="history is empty"):
        replay(empty, 0)
    assert replay(empty).count == 0


def test_pixi_history_placeholder_has_no_revisions(tmp_path):
    # pixi writes this one line so that `conda run -p` accepts its environments
    path = tmp_path / "history"
    path.write_text("// not relevant for pixi but for `conda run -p`")
    assert len(parse_history(path)) == 0


def test_history_lines_are_numbered_like_splitlines(tmp_path, monkeypatch):
    from conda_guard.readers import history_file as history

    text = "a\r\nb\x0cc\n\nd\u2028e\rf"
    path = tmp_path / "history"
    path.write_bytes(text.encode())
    assert [x for b in history.history_blocks(path) for x in b] == text.splitlines()
    monkeypatch.setattr(history, "_BLOCK", 3)  # blocks end at a newline
    blocks = list(history.history_blocks(path))
    assert len(blocks) > 1
    assert [x for b in blocks for x in b] == text.splitlines()


def test_overlong_history_line(tmp_path, monkeypatch):
    from conda_guard.readers import history_file

    monkeypatch.setattr(history_file, "MAX_LINE_BYTES", 100)
    path = tmp_path / "history"
    path.write_text(HEAD + "# cmd: " + "x" * 200 + "\n")
    with pytest.raises(InputError, match="line longer than") as err:
        parse_history(path)
    assert err.value.line == 3


@given(specs=st.lists(st.text(max_size=12), max_size=5), quote=st.booleans())
def test_spec_list_fast_path_is_literal_eval(specs, quote):
    import ast

    from conda_guard.readers.history_comments import _QUOTED_RE, _SIMPLE_LIST_RE

    text = repr(specs) if quote else json.dumps(specs)
    if _SIMPLE_LIST_RE.fullmatch(text):
        assert [a or b for a, b in _QUOTED_RE.findall(text)] == ast.literal_eval(text)


def test_comments_with_and_without_the_short_path():
    # "# cmd:" / "# conda version:" as conda writes them take a short path;
    # other spacings the regexes; a spec list read twice gives the same specs
    text = (
        "==> 2024-01-01 00:00:00 <==\n"
        "# cmd: conda install numpy\n"
        "# conda version: 24.1.0\n"
        "+conda-forge/linux-64::numpy-1.26.4-py311h64a7726_0\n"
        "# update specs: ['numpy']\n"
        "==> 2024-01-02 00:00:00 <==\n"
        "#cmd:conda   install numpy  \n"
        "#  conda version:24.1.2\n"
        "# update specs: ['numpy']\n"
        "==> 2024-01-03 00:00:00 <==\n"
        "# cmd:\n"
        "# conda version:\n"
    )
    first, second, third = parse_history_text(text).revisions
    assert (first.cmd, first.conda_version) == ("conda install numpy", "24.1.0")
    assert (second.cmd, second.conda_version) == ("conda   install numpy", "24.1.2")
    assert (third.cmd, third.conda_version) == (None, None)
    assert first.update_specs == second.update_specs == ("numpy",)
