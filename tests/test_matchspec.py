"""Tests for conda_guard.matchspec: conda's MatchSpec shapes and matching."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conda_guard.matchspec import MatchSpec, parse_match_spec
from conda_guard.models import Record

SHARED = Path(__file__).parents[2] / "shared" / "data"
CHANNELS = SHARED / "channels"
HARVESTED = CHANNELS / "harvested" / "linux-64" / "repodata.json"

# ---------------------------------------------------------------------------
# parsing: (text, name, version, build, channel, subdir)
# ---------------------------------------------------------------------------

SHAPES = [
    # every shape the architecture lists
    ("blas 2.301   mkl", "blas", "2.301", "mkl", None, None),
    (
        "liblapacke =3.9.0=31*_openblas",
        "liblapacke",
        "3.9.0",
        "31*_openblas",
        None,
        None,
    ),
    (
        "libblas ==3.9.0 17_linux64_openblas",
        "libblas",
        "3.9.0",
        "17_linux64_openblas",
        None,
        None,
    ),
    ("openmp 21.1.6|21.1.6.*", "openmp", "21.1.6|21.1.6.*", None, None, None),
    ("__cuda  >=12.4", "__cuda", ">=12.4", None, None, None),
    ("conda-forge::numpy", "numpy", None, None, "conda-forge", None),
    (
        "conda-forge/linux-64::numpy=1.26",
        "numpy",
        "1.26.*",
        None,
        "conda-forge",
        "linux-64",
    ),
    ('numpy[version=">=1"]', "numpy", ">=1", None, None, None),
    ("pytorch=*=*cuda*", "pytorch", None, "*cuda*", None, None),
    ("python_abi[build=*_cp313t]", "python_abi", None, "*_cp313t", None, None),
    ('pandas[version=">=0.25.2,<3"]', "pandas", ">=0.25.2,<3", None, None, None),
    ("pandas[version='>=0.25.2,<3']", "pandas", ">=0.25.2,<3", None, None, None),
    ("python=3.11.0", "python", "3.11.0.*", None, None, None),
    # conda's other shapes
    ("numpy", "numpy", None, None, None, None),
    ("numpy==1.26.4", "numpy", "1.26.4", None, None, None),
    ("numpy>=1.19,<3", "numpy", ">=1.19,<3", None, None, None),
    ("numpy >= 1.19 , < 3", "numpy", ">=1.19,<3", None, None, None),
    ("numpy=1.26.4=py311h64a7726_0", "numpy", "1.26.4", "py311h64a7726_0", None, None),
    ("numpy 1.26.4 py311h64a7726_0", "numpy", "1.26.4", "py311h64a7726_0", None, None),
    ("_openmp_mutex * *_llvm", "_openmp_mutex", None, "*_llvm", None, None),
    ("_openmp_mutex >=4.5 2_gnu", "_openmp_mutex", ">=4.5", "2_gnu", None, None),
    ("apache-arrow-proc =*=cpu", "apache-arrow-proc", None, "cpu", None, None),
    ("_r-mutex 1.* anacondar_1", "_r-mutex", "1.*", "anacondar_1", None, None),
    ("python 2.7*", "python", "2.7.*", None, None, None),
    ("pip=8", "pip", "8.*", None, None, None),
    ("blas[build=mkl]", "blas", None, "mkl", None, None),
    ("defaults::libgomp", "libgomp", None, None, "defaults", None),
    ("pkgs/main::numpy", "numpy", None, None, "pkgs/main", None),
    (
        "https://conda.anaconda.org/conda-forge/linux-64::numpy",
        "numpy",
        None,
        None,
        "conda-forge",
        "linux-64",
    ),
    ("numpy[channel=conda-forge/noarch]", "numpy", None, None, "conda-forge", "noarch"),
    ("numpy[subdir=linux-64]", "numpy", None, None, None, "linux-64"),
    ('"numpy >=1.2"', "numpy", ">=1.2", None, None, None),
    ("numpy >=1.2  # a comment", "numpy", ">=1.2", None, None, None),
    ("numpy (optional)", "numpy", None, None, None, None),
    ("NumPy", "numpy", None, None, None, None),
    ("*[md5=0123456789abcdef0123456789abcdef]", "*", None, None, None, None),
    ("numpy=", "numpy", None, None, None, None),
]


@pytest.mark.parametrize(
    ("text", "name", "version", "build", "channel", "subdir"),
    SHAPES,
    ids=[s[0] for s in SHAPES],
)
def test_shapes(
    text: str,
    name: str,
    version: str | None,
    build: str | None,
    channel: str | None,
    subdir: str | None,
) -> None:
    ms = MatchSpec(text)
    assert ms.name == name
    assert (str(ms.version) if ms.version is not None else None) == version
    assert ms.build == build
    assert ms.channel == channel
    assert ms.subdir == subdir
    assert ms.original == text
    # the normalized text parses back to the same spec
    assert MatchSpec(str(ms)) == ms
    assert MatchSpec.parse(text) == ms


def test_brackets_keep_every_key() -> None:
    ms = MatchSpec(
        "conda-forge::numpy[version='>=1.26, <2', build=py311*, build_number='>=1',"
        " md5=a502d7aa, sha256=abc, fn=numpy-1.26.4-py311h64a7726_0.conda,"
        " license=BSD-3-Clause]"
    )
    assert ms.name == "numpy"
    assert str(ms.version) == ">=1.26,<2"
    assert ms.build == "py311*"
    assert ms.build_number == ">=1"
    assert ms.md5 == "a502d7aa"
    assert ms.sha256 == "abc"
    assert ms.fn == "numpy-1.26.4-py311h64a7726_0.conda"
    assert ms.channel == "conda-forge"
    assert ms.extra == (("license", "BSD-3-Clause"),)
    assert str(ms) == (
        "conda-forge::numpy >=1.26,<2 py311*[build_number='>=1', "
        "fn='numpy-1.26.4-py311h64a7726_0.conda', md5='a502d7aa', sha256='abc', "
        "license='BSD-3-Clause']"
    )
    assert MatchSpec(str(ms)) == ms


def test_bracket_version_overrides_positional_and_equals_rules() -> None:
    assert str(MatchSpec("numpy 1.2[version='>=2']").version) == ">=2"
    # '=1.2' is a prefix match unless a build follows (then it is exact)
    assert str(MatchSpec("numpy=1.2").version) == "1.2.*"
    assert str(MatchSpec("numpy=1.2=py_0").version) == "1.2"
    assert str(MatchSpec("numpy[version='=1.2']").version) == "1.2.*"
    assert str(MatchSpec("numpy[version='=1.2', build=py_0]").version) == "1.2"
    assert str(MatchSpec("numpy ==1.2 py_0").version) == "1.2"
    assert str(MatchSpec("numpy >=1.0 , < 2.0 py34_0").version) == ">=1.0,<2.0"
    assert MatchSpec("numpy >=1.0 , < 2.0 py34_0").build == "py34_0"
    assert MatchSpec("foo 1.2 =py34_0").build == "py34_0"
    # 'name=2*' is a prefix match ('2.*'), unlike a bare VersionSpec('=2*')
    assert str(MatchSpec("numpy=2*").version) == "2.*"
    assert MatchSpec("numpy=2*").match_version("2.1") is True
    assert MatchSpec("numpy=2*").match_version("20.1") is False


def test_package_url() -> None:
    url = (
        "https://conda.anaconda.org/conda-forge/linux-64/"
        "numpy-1.26.4-py311h64a7726_0.conda"
    )
    ms = MatchSpec(url + "#a502d7aa")
    assert (ms.name, str(ms.version), ms.build) == (
        "numpy",
        "1.26.4",
        "py311h64a7726_0",
    )
    assert (ms.channel, ms.subdir, ms.fn, ms.url) == (
        "conda-forge",
        "linux-64",
        "numpy-1.26.4-py311h64a7726_0.conda",
        url,
    )
    local = MatchSpec("python-abi-thing-3.11-4_cp311.tar.bz2")
    assert (local.name, str(local.version), local.build, local.channel) == (
        "python-abi-thing",
        "3.11",
        "4_cp311",
        None,
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (">=1.2", "no package name"),
        ("numpy >=1..2", "empty version component"),
        ("numpy[version=]", "empty value"),
        ("numpy[version]", "cannot read brackets"),
        ("numpy[version='>=1]", "unclosed quote"),
        ("numpy][", "unbalanced"),
        ("numpy[build=x]>=1.2[md5=y]", "more than one bracket"),
        ("num$py", "invalid package name"),
        ("numpy[build_number=abc]", "build_number"),
        ("numpy ~=1", "at least two components"),
        ("numpy-1.2.conda", "not name-version-build"),
    ],
)
def test_invalid(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        MatchSpec(text)


# ---------------------------------------------------------------------------
# matching real records
# ---------------------------------------------------------------------------


def _record(fn: str, raw: dict, channel: str = "conda-forge") -> Record:
    return Record(
        name=raw["name"],
        version=raw["version"],
        build=raw["build"],
        build_number=raw.get("build_number", 0),
        channel=channel,
        subdir=raw.get("subdir", ""),
        depends=tuple(raw.get("depends") or ()),
        md5=raw.get("md5"),
        sha256=raw.get("sha256"),
        fn=fn,
    )


@pytest.fixture(scope="module")
def repodata() -> dict[str, dict]:
    if not HARVESTED.is_file():
        pytest.skip(f"shared data not found at {HARVESTED}")
    data = json.loads(HARVESTED.read_text(encoding="utf-8"))
    return {**data["packages"], **data["packages.conda"]}


@pytest.fixture(scope="module")
def records(repodata: dict[str, dict]) -> dict[str, Record]:
    return {fn: _record(fn, raw) for fn, raw in repodata.items()}


MATCH_CASES = [
    (
        "liblapacke =3.9.0=31*_openblas",
        "liblapacke-3.9.0-31_he2f377e_openblas.conda",
        True,
    ),
    (
        "liblapacke =3.9.0=31*_openblas",
        "liblapacke-3.9.0-32_he2f377e_openblas.conda",
        False,
    ),
    (
        "liblapacke =3.9.0=31*_openblas",
        "liblapacke-3.9.0-13_linux64_mkl.tar.bz2",
        False,
    ),
    (
        "libblas ==3.9.0 17_linux64_openblas",
        "libblas-3.9.0-17_linux64_openblas.conda",
        True,
    ),
    (
        "libblas ==3.9.0 17_linux64_openblas",
        "libblas-3.9.0-13_linux64_mkl.tar.bz2",
        False,
    ),
    ("libblas * *mkl", "libblas-3.11.0-8_h5875eb1_mkl.conda", True),
    ("libblas * *mkl", "libblas-3.11.0-5_h4a7cf45_openblas.conda", False),
    ("libblas >=3.10", "libblas-3.11.0-5_h4a7cf45_openblas.conda", True),
    ("libblas >=3.10", "libblas-3.9.0-34_h59b9bed_openblas.conda", False),
    ("libblas[build_number='>=31']", "libblas-3.9.0-31_h59b9bed_openblas.conda", True),
    ("libblas[build_number=31]", "libblas-3.9.0-32_h59b9bed_openblas.conda", False),
    ("libblas[build_number='<31']", "libblas-3.9.0-23_linux64_openblas.conda", True),
    ("blas 2.113 mkl", "blas-2.113-mkl.tar.bz2", True),
    ("blas 2.113 openblas", "blas-2.113-mkl.tar.bz2", False),
    ("numpy >=1.26,<2.0a0", "numpy-1.26.4-py311h64a7726_0.conda", True),
    ("numpy >=1.26,<2.0a0", "numpy-2.0.2-py39h9cb892a_0.conda", False),
    ("numpy=1.26", "numpy-1.26.4-py312heda63a1_0.conda", True),
    ("numpy=1.2", "numpy-1.26.4-py312heda63a1_0.conda", False),
    ("numpy 1.26", "numpy-1.26.4-py312heda63a1_0.conda", False),
    ("numpy=*=py311*", "numpy-1.26.4-py311h64a7726_0.conda", True),
    ("numpy=*=py311*", "numpy-1.26.4-py312heda63a1_0.conda", False),
    ("conda-forge::numpy", "numpy-1.26.4-py311h64a7726_0.conda", True),
    ("pkgs/main::numpy", "numpy-1.26.4-py311h64a7726_0.conda", False),
    (
        "https://conda.anaconda.org/conda-forge::numpy",
        "numpy-1.26.4-py311h64a7726_0.conda",
        True,
    ),
    ("conda-forge/linux-64::numpy", "numpy-1.26.4-py311h64a7726_0.conda", True),
    ("conda-forge/osx-64::numpy", "numpy-1.26.4-py311h64a7726_0.conda", False),
    ("scipy", "numpy-1.26.4-py311h64a7726_0.conda", False),
    ("num*", "numpy-1.26.4-py311h64a7726_0.conda", True),
    ("openssl >=1.1.1l,<1.1.2a", "openssl-1.1.1q-h166bdaf_0.tar.bz2", True),
    ("openssl >=1.1.1l,<1.1.2a", "openssl-3.0.0-h7f98852_2.tar.bz2", False),
    ("openssl[md5=07acc367]", "openssl-1.1.1q-h166bdaf_0.tar.bz2", False),
    (
        "openssl[fn=openssl-1.1.1q-h166bdaf_0.tar.bz2]",
        "openssl-1.1.1q-h166bdaf_0.tar.bz2",
        True,
    ),
    ("_openmp_mutex * *_llvm", "_openmp_mutex-4.5-7_kmp_llvm.conda", True),
    ("_openmp_mutex * *_llvm", "_openmp_mutex-4.5-20_gnu.conda", False),
    ("_openmp_mutex[build='^\\d+_gnu$']", "_openmp_mutex-4.5-20_gnu.conda", True),
]


@pytest.mark.parametrize(
    ("spec", "fn", "expected"),
    MATCH_CASES,
    ids=[f"{s} ~ {f}" for s, f, _ in MATCH_CASES],
)
def test_match_real_records(
    spec: str, fn: str, expected: bool | None, records: dict[str, Record]
) -> None:
    if expected is None:  # the file is not in the data: nothing to match
        assert fn not in records
        return
    record = records[fn]
    assert MatchSpec(spec).match(record) is expected
    assert (record in MatchSpec(spec)) is expected


def test_match_checks_md5_and_channel_url(records: dict[str, Record]) -> None:
    record = records["openssl-1.1.1q-h166bdaf_0.tar.bz2"]
    assert record.md5 is not None
    assert MatchSpec(f"openssl[md5={record.md5}]").match(record)
    url_record = Record(
        name="numpy",
        version="1.26.4",
        build="py311h64a7726_0",
        channel="https://conda.anaconda.org/conda-forge/linux-64",
        subdir="linux-64",
    )
    assert MatchSpec("conda-forge::numpy").match(url_record)
    assert not MatchSpec("bioconda::numpy").match(url_record)
    assert not MatchSpec("conda-forge/osx-arm64::numpy").match(url_record)
    # unknown channel/subdir (an env export) is not a mismatch; a missing hash is
    bare = Record(name="numpy", version="1.26.4", build="py311h64a7726_0")
    assert MatchSpec("conda-forge/linux-64::numpy 1.26.4").match(bare)
    assert not MatchSpec("numpy[md5=a502d7aa]").match(bare)


def test_immutable() -> None:
    ms = MatchSpec.parse("numpy >=1.2")
    with pytest.raises(AttributeError, match="immutable"):
        ms.name = "scipy"  # type: ignore[misc]
    assert MatchSpec(ms) == ms


def test_match_version() -> None:
    ms = MatchSpec("numpy >=1.19,<3")
    assert ms.match_version("2.1.0") is True
    assert ms.match_version("3.0.0") is False
    assert ms.match_version("not a version!") is False
    assert MatchSpec("numpy").match_version("anything") is True


def test_is_name_only() -> None:
    assert MatchSpec("numpy").is_name_only
    assert MatchSpec("numpy=*").is_name_only
    assert not MatchSpec("numpy 1.2").is_name_only
    assert not MatchSpec("conda-forge::numpy").is_name_only


# ---------------------------------------------------------------------------
# every spec string in the real data
# ---------------------------------------------------------------------------


def _repodata_files() -> list[Path]:
    return [
        p
        for p in sorted(CHANNELS.glob("**/*.json"))
        if p.name not in ("run_exports.json", "provenance.json")
    ]


@pytest.fixture(scope="module")
def real_specs() -> tuple[set[str], dict[str, set[str]]]:
    if not CHANNELS.is_dir():
        pytest.skip(f"shared data not found at {CHANNELS}")
    specs: set[str] = set()
    versions: dict[str, set[str]] = {}
    for path in _repodata_files():
        data = json.loads(path.read_text(encoding="utf-8"))
        for key in ("packages", "packages.conda"):
            for raw in data.get(key, {}).values():
                specs.update(raw.get("depends") or ())
                specs.update(raw.get("constrains") or ())
                versions.setdefault(raw["name"], set()).add(raw["version"])
    assert len(specs) > 4000
    return specs, versions


def test_every_repodata_spec_parses(
    real_specs: tuple[set[str], dict[str, set[str]]],
) -> None:
    specs, _ = real_specs
    for text in sorted(specs):
        ms = MatchSpec(text)
        assert ms.name and " " not in ms.name, text
        assert MatchSpec(str(ms)) == ms, text


def test_history_and_environment_specs_parse() -> None:
    histories = sorted(SHARED.glob("prefixes/*/conda-meta/history"))
    if not histories:
        pytest.skip(f"shared data not found at {SHARED}")
    seen = 0
    for path in histories:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            head, sep, rest = line.partition("specs: ")
            if not sep or not head.startswith("#"):
                continue
            for text in ast.literal_eval(rest.strip()):
                MatchSpec(text)
                seen += 1
    assert seen >= 25
    from conda_guard.readers.yaml_loader import load_yaml_text

    envs = sorted((SHARED / "envfiles" / "environment-yml").glob("*.y*ml"))
    count = 0
    for path in envs:
        doc = load_yaml_text(path.read_text(encoding="utf-8"), str(path))
        for dep in doc.get("dependencies") or ():
            if isinstance(dep, str):
                MatchSpec(dep)
                count += 1
    assert count > 50


def test_explicit_file_urls_parse() -> None:
    files = sorted((SHARED / "envfiles" / "explicit").glob("*.txt"))
    if not files:
        pytest.skip(f"shared data not found at {SHARED}")
    count = 0
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith(("http://", "https://", "file://")):
                ms = MatchSpec(line)
                fn = line.split("#", 1)[0].rsplit("/", 1)[1]
                assert ms.fn == fn
                assert f"{ms.name}-" in fn and ms.build and fn.startswith(ms.name)
                count += 1
    assert count > 100


def test_parse_is_cached(
    real_specs: tuple[set[str], dict[str, set[str]]],
) -> None:
    """Speed is measured in tests/bench/test_bench_parsers.py."""
    specs, _ = real_specs
    sample = sorted(specs)[:1000]
    first = [parse_match_spec(text) for text in sample]
    assert all(a is parse_match_spec(t) for a, t in zip(first, sample))


# ---------------------------------------------------------------------------
# comparison with py-rattler (a test dependency)
# ---------------------------------------------------------------------------


def test_real_specs_agree_with_rattler(
    real_specs: tuple[set[str], dict[str, set[str]]],
) -> None:
    """Name, build glob and version matching agree with rattler's MatchSpec on
    every depends/constrains string, checked against every real version of
    that package."""
    rattler = pytest.importorskip("rattler")
    specs, versions = real_specs
    checked = 0
    for text in sorted(specs):
        ours = MatchSpec(text)
        theirs = rattler.MatchSpec(text)
        assert theirs.name is not None
        assert ours.name == theirs.name.normalized, text
        their_build = None if theirs.build in (None, "*") else str(theirs.build)
        assert ours.build == their_build, text
        their_version = (
            rattler.VersionSpec(str(theirs.version)) if theirs.version else None
        )
        for version in versions.get(ours.name, ()):
            expected = (
                True
                if their_version is None
                else their_version.matches(rattler.Version(version))
            )
            assert ours.match_version(version) is expected, (text, version)
            checked += 1
    assert checked > 10000


_NAMES = st.sampled_from(["numpy", "libblas", "python_abi", "_openmp_mutex", "a-b.c"])
_VERSIONS = st.sampled_from(
    [
        "1.26.4",
        ">=1.19,<3",
        "1.2.*",
        "=1.2",
        "==3.9.0",
        "*",
        "21.1.6|21.1.6.*",
        "<2.0a0",
    ]
)
_BUILDS = st.sampled_from([None, "mkl", "31*_openblas", "*_cp313t", "py311h64a7726_0"])
_CHANNELS = st.sampled_from([None, "conda-forge", "conda-forge/linux-64", "pkgs/main"])


@settings(max_examples=300, deadline=None)
@given(_NAMES, _VERSIONS, _BUILDS, _CHANNELS, st.sampled_from([" ", "  ", "="]))
def test_roundtrip_and_rattler_fields(
    name: str, version: str, build: str | None, channel: str | None, sep: str
) -> None:
    rattler = pytest.importorskip("rattler")
    text = name
    if sep == "=" and version.lstrip("=")[0] in "0123456789*":
        text += f"={version.lstrip('=')}"
        if build:
            text += f"={build}"
    else:
        text += f" {version}"
        if build:
            text += f" {build}"
    if channel:
        text = f"{channel}::{text}"
    ours = MatchSpec(text)
    assert MatchSpec(str(ours)) == ours
    theirs = rattler.MatchSpec(text)
    assert ours.name == theirs.name.normalized
    assert ours.build == (None if theirs.build in (None, "*") else str(theirs.build))
    assert ours.subdir == theirs.subdir
    if channel:
        assert theirs.channel is not None
        assert ours.channel == theirs.channel.name


# ---------------------------------------------------------------------------
# answers of conda's own MatchSpec (tests/data/conda_matchspec_vectors.json,
# made by tests/data/make_conda_matchspec_vectors.py where conda is)
# ---------------------------------------------------------------------------

MATCHSPEC_VECTORS = Path(__file__).parent / "data" / "conda_matchspec_vectors.json"


@pytest.fixture(scope="module")
def conda_answers() -> list[dict]:
    return json.loads(MATCHSPEC_VECTORS.read_text(encoding="utf-8"))["cases"]


@pytest.fixture(scope="module")
def harvested_by_fn() -> dict[tuple[str, str], dict]:
    out = {}
    for subdir in ("linux-64", "noarch"):
        path = CHANNELS / "harvested" / subdir / "repodata.json"
        if not path.is_file():
            pytest.skip(f"shared data not found at {path}")
        data = json.loads(path.read_text(encoding="utf-8"))
        for key in ("packages", "packages.conda"):
            for fn, raw in data[key].items():
                out[fn, subdir] = raw
    return out


def test_conda_answers_cover_the_shapes(conda_answers: list[dict]) -> None:
    assert len(conda_answers) > 2000
    assert sum(len(c.get("matches", ())) for c in conda_answers) > 5000
    assert sum(len(c.get("versions", ())) for c in conda_answers) > 5000


def test_names_and_validity_agree_with_conda(conda_answers: list[dict]) -> None:
    wrong = []
    for case in conda_answers:
        try:
            ours = MatchSpec.parse(case["spec"])
        except ValueError:
            if case["valid"]:
                wrong.append((case["spec"], "rejected; conda reads it"))
            continue
        if not case["valid"]:
            wrong.append((case["spec"], "read; conda rejects it"))
        elif ours.name != case["name"]:
            wrong.append((case["spec"], f"name {ours.name!r}, conda {case['name']!r}"))
    assert wrong == []


def test_matching_agrees_with_conda(
    conda_answers: list[dict], harvested_by_fn: dict[tuple[str, str], dict]
) -> None:
    wrong = []
    for case in conda_answers:
        if not case["valid"]:
            continue
        ours = MatchSpec.parse(case["spec"])
        for fn, subdir, expected in case["matches"]:
            raw = dict(harvested_by_fn[fn, subdir], subdir=subdir)
            if ours.match(_record(fn, raw)) is not expected:
                wrong.append((case["spec"], fn, expected))
        for version, expected in case["versions"]:
            if ours.match_version(version) is not expected:
                wrong.append((case["spec"], version, expected))
    assert wrong == []
