"""Hypothesis: no input makes a reader raise anything but a one-line GuardError.

Random bytes, random text, random JSON/YAML documents and line soups built from
real history/explicit/export fragments go into every reader (and detection).
``UsageError`` is allowed only where it is a real answer: a lock file with
several platforms or environments and none chosen.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conda_guard.exceptions import GuardError, InputError, UsageError
from conda_guard.readers import FORMATS, detect, read_state
from conda_guard.readers.history import parse_history_text
from conda_guard.readers.yaml_loader import load_yaml_text

_DIR = Path(tempfile.mkdtemp(prefix="conda-guard-fuzz-"))
# an xdist worker imports this module without running its tests (no fixture)
atexit.register(shutil.rmtree, _DIR, True)


@pytest.fixture(scope="module", autouse=True)
def _remove_the_directory():
    yield
    shutil.rmtree(_DIR, ignore_errors=True)


FILE_FORMATS = [f for f in FORMATS if f != "prefix"]
LOCKS = ("conda-lock", "pixi-lock")


def _write(data: bytes | str, name: str = "input") -> Path:
    path = _DIR / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8", errors="surrogatepass")
    else:
        path.write_bytes(data)
    return path


def _check(fmt: str | None, path: Path) -> None:
    try:
        read_state(str(path), fmt)
    except InputError as exc:
        assert "\n" not in exc.reason
    except UsageError as exc:
        assert fmt in LOCKS or fmt is None
        assert "\n" not in str(exc)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "name",
                    "version",
                    "build",
                    "build_number",
                    "depends",
                    "package",
                    "platform",
                    "manager",
                    "url",
                    "hash",
                    "dependencies",
                    "metadata",
                    "platforms",
                    "environments",
                    "packages",
                    "conda",
                    "pypi",
                    "kind",
                    "subdir",
                    "channel",
                    "linux-64",
                    "default",
                    "pip",
                    "track_features",
                    "noarch",
                    "files",
                    "conda_source",
                    "md5",
                    "sha256",
                    "base_url",
                    "build_string",
                ]
            )
            | st.text(max_size=8),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)

FRAGMENTS = [
    "==> 2022-11-01 18:19:54 <==",
    "==>x<==",
    "# cmd: conda install numpy",
    "# conda version: 22.9.0",
    "+conda-forge/win-64::openssl-3.0.5-hcfcfb64_2",
    "-https://conda.anaconda.org/conda-forge/linux-64::cpp-tabulate-1.0-hc9558a2_0",
    "openssl-1.0.2d-0",
    "# update specs: ['python=3.11.0']",
    '# update specs: ["pandas[version=\\">=0.25.2,<3\\"]"]',
    '# remove specs: ["wheel"]',
    "# install specs: python>=3.5.1,jupyter >=1.0.0,<2.0",
    "# neutered specs: ['numpy']",
    "@EXPLICIT",
    "# platform: linux-64",
    (
        "https://conda.anaconda.org/conda-forge/linux-64/zlib-1.2.13-hd590300_5.conda#"
        "f36c115f1ee199da648e0597ec2047ad"
    ),
    "numpy=1.26.4=py312heda63a1_0",
    "requests=2.31.0=pypi_0",
    "# packages in environment at /opt/x:",
    "libblas                   3.9.0            16_linux64_mkl    conda-forge",
    "version: 6",
    "environments:",
    "  default:",
    "    packages:",
    "      linux-64:",
    "      - conda: https://conda.anaconda.org/conda-forge/linux-64/a-1-0.conda",
    "packages:",
    "- conda: https://conda.anaconda.org/conda-forge/linux-64/a-1-0.conda",
    "package:",
    "- {name: a, version: '1', manager: conda, platform: linux-64, url: x}",
    "dependencies:",
    "  - numpy=1.26.4=py312heda63a1_0",
    "  - pip:",
    "    - tqdm==4.66.1",
    "metadata: {platforms: [linux-64, osx-64]}",
]
line_soup = st.lists(
    st.sampled_from(FRAGMENTS) | st.text(max_size=30), max_size=25
).map("\n".join)


@settings(max_examples=60)
@given(data=st.binary(max_size=400), fmt=st.sampled_from([None, *FILE_FORMATS]))
def test_random_bytes(data, fmt):
    _check(fmt, _write(data))


@settings(max_examples=60)
@given(text=st.text(max_size=400), fmt=st.sampled_from([None, *FILE_FORMATS]))
def test_random_text(text, fmt):
    _check(fmt, _write(text))


@given(text=line_soup, fmt=st.sampled_from([None, *FILE_FORMATS]))
def test_line_soup(text, fmt):
    _check(fmt, _write(text))


@given(doc=json_values, fmt=st.sampled_from([None, *FILE_FORMATS]))
def test_random_documents(doc, fmt):
    # JSON is YAML: this drives the YAML readers with arbitrary structures too
    _check(fmt, _write(json.dumps(doc)))


@given(text=line_soup)
def test_history_text(text):
    try:
        history = parse_history_text(text, "history")
        history.requested_specs()
        for n in range(len(history)):
            history.dists_at(n)
    except InputError as exc:
        assert "\n" not in str(exc)


@given(record=json_values, history=line_soup)
def test_prefix_with_random_record_and_history(record, history):
    root = _DIR / "prefix"
    meta = root / "conda-meta"
    meta.mkdir(parents=True, exist_ok=True)
    for old in meta.iterdir():
        old.unlink()
    (meta / "pkg-1-0.json").write_text(json.dumps(record))
    (meta / "history").write_text(history)
    for ref in (str(root), f"{root}@0"):
        try:
            read_state(ref)
        except InputError as exc:
            assert "\n" not in str(exc)


YAML_FRAGMENTS = [
    "a: &x [1, 2]",
    "b: *x",
    "- &y {k: v}",
    "- *y",
    "c: *nope",
    "? [1]",
    ": 2",
    "d: !!python/object:os.system x",
    "e: !custom 1",
    "---",
    "...",
    "f: 'quoted",
    'g: "esc \\x41"',
    "h: |",
    "  block",
    "i: >-",
    "  - [[[[",
    "j: {a: 1, a: 2}",
    "%YAML 1.1",
    "k: 010",
    "l: 0x1f",
    "m: 1:30",
    "n: ~",
    "<<: *x",
]
yaml_soup = st.lists(
    st.sampled_from(YAML_FRAGMENTS) | st.text(max_size=20), max_size=20
).map("\n".join)


@given(text=yaml_soup)
def test_yaml_loader_never_crashes(text):
    try:
        load_yaml_text(text, "f.yml")
    except InputError as exc:
        assert "\n" not in str(exc)
        assert str(exc).startswith("f.yml")


@given(text=st.text(max_size=200))
def test_detect_never_crashes(text):
    try:
        assert detect(_write(text, "detect")) in FORMATS
    except InputError as exc:
        assert "unknown format" in exc.reason or "not" in exc.reason


@pytest.mark.parametrize("fmt", FILE_FORMATS)
def test_each_reader_on_empty_file(fmt):
    with pytest.raises(GuardError):
        read_state(str(_write("", f"empty-{fmt}")), fmt)
