"""Hypothesis: real files from ../shared/data, damaged with their structure in mind.

Byte soups rarely get past the first check of a reader; these mutations keep
a real file almost valid so that the damage reaches the code that reads
records. Line formats (@EXPLICIT, exports, ``conda list``, history) lose,
repeat, swap, cut and gain lines; YAML and JSON documents (lock files,
environment files, ``conda list --json``, conda-meta records) are parsed,
changed where records live (a key dropped, a value replaced by another
type, an entry repeated) and written back. Every reader must then give a
state or a one-line :class:`~conda_guard.exceptions.GuardError`; the streamed
history replay must agree with the parsed history on every revision.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conda_guard.exceptions import GuardError, InputError, UsageError
from conda_guard.readers import read_state
from conda_guard.readers.history import parse_history
from conda_guard.readers.history_replay import replay
from conda_guard.readers.yaml_loader import load_yaml_text

from .helpers import DATA, ROOT

if TYPE_CHECKING:
    from typing import Any

pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason=f"no test data at {DATA}")

ENVFILES = DATA / "envfiles"
LINE_FILES = sorted((ENVFILES / "explicit").glob("*.txt")) + [
    ROOT / "tests" / "data" / "conda26-list-export.ml-env.txt",
    ROOT / "tests" / "data" / "conda26-list.ml-env.txt",
]
YAML_FILES = (
    sorted((ENVFILES / "conda-lock").glob("*.yml"))
    + sorted((ENVFILES / "pixi-lock").glob("*.lock"))
    + sorted((ENVFILES / "environment-yml").glob("*.y*ml"))
    + sorted((ROOT / "tests" / "data").glob("rattler-*.yml"))
)
JSON_FILES = [ROOT / "tests" / "data" / "conda26-list-json.ml-env.json"]
HISTORIES = sorted(
    p
    for p in (DATA / "prefixes").glob("*/conda-meta/history")
    if "junk" not in p.parts[-3]
)
RECORDS = sorted((DATA / "prefixes").glob("*/conda-meta/*.json"))
RECORDS = [p for p in RECORDS if "corrupt" not in p.parts[-3]]

FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("mutate")


def _read(path: Path, fmt: str | None = None) -> None:
    try:
        read_state(str(path), fmt)
    except (InputError, UsageError) as exc:
        assert "\n" not in str(exc), str(exc)
    except GuardError as exc:  # pragma: no cover - no other kind is expected
        pytest.fail(f"unexpected {type(exc).__name__}: {exc}")


# --- lines ------------------------------------------------------------------------

line_edit = st.one_of(
    st.tuples(st.just("drop"), st.integers(0, 10_000)),
    st.tuples(st.just("repeat"), st.integers(0, 10_000)),
    st.tuples(st.just("swap"), st.integers(0, 10_000), st.integers(0, 10_000)),
    st.tuples(st.just("cut"), st.integers(0, 10_000), st.integers(0, 200)),
    st.tuples(st.just("insert"), st.integers(0, 10_000), st.text(max_size=60)),
    st.tuples(st.just("byte"), st.integers(0, 10_000), st.integers(0, 255)),
)


def _edit_lines(lines: list[str], edits: list[tuple]) -> str:
    lines = list(lines)
    for edit in edits:
        if not lines:
            break
        i = edit[1] % len(lines)
        if edit[0] == "drop":
            del lines[i]
        elif edit[0] == "repeat":
            lines.insert(i, lines[i])
        elif edit[0] == "swap":
            j = edit[2] % len(lines)
            lines[i], lines[j] = lines[j], lines[i]
        elif edit[0] == "cut":
            lines[i] = lines[i][: edit[2]]
        elif edit[0] == "insert":
            lines.insert(i, edit[2])
        else:
            pos = edit[2] % (len(lines[i]) + 1)
            lines[i] = lines[i][:pos] + chr(edit[2]) + lines[i][pos:]
    return "\n".join(lines) + "\n"


@FUZZ
@given(
    index=st.integers(0, len(LINE_FILES) - 1),
    edits=st.lists(line_edit, min_size=1, max_size=6),
)
def test_line_files_mutated(workdir, index, edits):
    source = LINE_FILES[index]
    path = workdir / f"lines-{source.name}"
    path.write_text(_edit_lines(source.read_text().splitlines(), edits))
    _read(path)


@FUZZ
@given(
    index=st.integers(0, len(HISTORIES) - 1),
    edits=st.lists(line_edit, min_size=1, max_size=6),
)
def test_histories_mutated_replay_agrees(workdir, index, edits):
    source = HISTORIES[index]
    path = workdir / "history"
    path.write_text(_edit_lines(source.read_text().splitlines(), edits))
    try:
        history = parse_history(path)
    except InputError as exc:
        assert "\n" not in str(exc)
        with pytest.raises(InputError):
            replay(path)
        return
    for n in range(len(history)):
        replayed = replay(path, n)
        assert replayed.dists == history.dists_at(n)
        assert replayed.specs == history.requested_specs(upto=n)
    assert replay(path).count == len(history)


# --- documents --------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
values = st.one_of(scalars, st.lists(scalars, max_size=3), st.just({}))
#: the keys records are read from, in every format
RECORD_KEYS = [
    "name",
    "version",
    "build",
    "build_string",
    "build_number",
    "depends",
    "constrains",
    "track_features",
    "noarch",
    "url",
    "channel",
    "subdir",
    "platform",
    "manager",
    "hash",
    "dependencies",
    "conda",
    "pypi",
    "kind",
    "md5",
    "sha256",
    "timestamp",
    "files",
    "packages",
    "environments",
    "version",
]
doc_edit = st.one_of(
    st.tuples(
        st.just("field"), st.integers(0, 10_000), st.sampled_from(RECORD_KEYS), values
    ),
    st.tuples(st.just("unfield"), st.integers(0, 10_000), st.sampled_from(RECORD_KEYS)),
    st.tuples(st.just("drop"), st.integers(0, 10_000)),
    st.tuples(st.just("set"), st.integers(0, 10_000), values),
    st.tuples(st.just("repeat"), st.integers(0, 10_000)),
)


def _containers(node: Any, out: list[Any]) -> list[Any]:
    if isinstance(node, (dict, list)):
        out.append(node)
        items = node.values() if isinstance(node, dict) else node
        for value in items:
            _containers(value, out)
    return out


def _records(doc: Any) -> list[dict[str, Any]]:
    """The mappings that look like records (or the document's top level)."""
    found = [
        c
        for c in _containers(doc, [])
        if isinstance(c, dict) and set(c) & set(RECORD_KEYS)
    ]
    return found or [c for c in _containers(doc, []) if isinstance(c, dict)]


def _edit_doc(doc: Any, edits: list[tuple]) -> Any:
    for edit in edits:
        if edit[0] in ("field", "unfield"):
            records = _records(doc)
            if not records:
                continue
            record = records[edit[1] % len(records)]
            if edit[0] == "field":
                record[edit[2]] = edit[3]
            else:
                record.pop(edit[2], None)
            continue
        found = _containers(doc, [])
        if not found:
            break
        node = found[edit[1] % len(found)]
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            continue
        key = keys[edit[1] % len(keys)]
        if edit[0] == "drop":
            del node[key]
        elif edit[0] == "set":
            node[key] = edit[2]
        elif edit[0] == "repeat" and isinstance(node, list):
            node.append(json.loads(json.dumps(node[key], default=str)))
    return doc


@FUZZ
@given(
    index=st.integers(0, len(YAML_FILES) - 1),
    edits=st.lists(doc_edit, min_size=1, max_size=5),
)
def test_yaml_documents_mutated(workdir, index, edits):
    source = YAML_FILES[index]
    doc = _edit_doc(load_yaml_text(source.read_text(), str(source)), edits)
    path = workdir / source.name
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    _read(path)


@FUZZ
@given(
    index=st.integers(0, len(JSON_FILES) - 1),
    edits=st.lists(doc_edit, min_size=1, max_size=5),
)
def test_json_documents_mutated(workdir, index, edits):
    source = JSON_FILES[index]
    doc = _edit_doc(json.loads(source.read_text()), edits)
    path = workdir / source.name
    path.write_text(json.dumps(doc))
    _read(path)


@FUZZ
@given(
    index=st.integers(0, len(RECORDS) - 1),
    edits=st.lists(doc_edit, min_size=1, max_size=4),
    history=st.integers(0, len(HISTORIES) - 1),
)
def test_prefix_records_mutated(workdir, index, edits, history):
    prefix = workdir / "prefix"
    meta = prefix / "conda-meta"
    meta.mkdir(parents=True, exist_ok=True)
    for old in meta.iterdir():
        old.unlink()
    source = RECORDS[index]
    record = _edit_doc(json.loads(source.read_text()), edits)
    (meta / source.name).write_text(json.dumps(record))
    (meta / "history").write_bytes(HISTORIES[history].read_bytes())
    for ref in (prefix, f"{prefix}@0"):
        _read(Path(ref) if ref is prefix else ref)  # type: ignore[arg-type]
