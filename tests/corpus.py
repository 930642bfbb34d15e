"""The real-world corpus: read every before/after pair, analyze it, list findings.

``tests/data/corpus/`` holds consecutive versions of real lock files from
public repositories (see its ``SOURCES.md``; built by
``scripts/make_corpus.py``). This module unpacks them (checking each against its
git blob id), reads both sides of each pair with conda-guard's own readers and
runs :func:`conda_guard.analysis.analyze`.

Which states of a pair are compared:

- ``@EXPLICIT``: the one state of each file.
- ``conda-lock.yml``: every ``linux-64`` platform both files list.
- ``pixi.lock``: every environment both files have, and in it every platform
  of the newer file whose subdir is ``linux-64`` that the older one has under
  the same name, or (v6 → v7, where platforms got names such as ``p1`` with
  ``subdir: linux-64``) under its subdir when no platform of the newer file
  has that name. An environment/platform whose package list is the same in
  both files is not analysed: nothing in it changed.

Only ``linux-64`` is compared (:data:`SUBDIRS`), to keep the run short: the
CUDA, MPI and most BLAS changes are there, and the other platforms of the
same environments mostly repeat the same version changes.

A YAML lock file is parsed once however many environments are read from it:
:func:`yaml_cache` memoizes the readers' ``load_yaml`` by path.

Command line (the lead's tools to judge findings)::

    python -m tests.corpus --dump out.json   # every finding, with its records
    python -m tests.corpus --summary         # counts per rule and severity
    python -m tests.corpus --update          # rewrite verdicts.json's ids/counts
    python -m tests.corpus --write-docs      # regenerate docs/precision.md
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import io
import json
import lzma
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conda_guard.abi import load_table
from conda_guard.analysis import analyze
from conda_guard.exceptions import GuardError
from conda_guard.readers import read_state

if TYPE_CHECKING:
    from collections.abc import Iterator

    from conda_guard.models import Finding, Record, State

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "corpus"
CORPUS_JSON = CORPUS / "corpus.json"
VERDICTS_JSON = CORPUS / "verdicts.json"
PRECISION_MD = ROOT / "docs" / "precision.md"
CHUNK = 25  # pairs per test case: bounded work per xdist job
SUBDIRS = ("linux-64",)  # the platforms compared in multi-platform lock files
JUDGED = ("high", "medium")  # severities judged one by one
VERDICTS = ("correct", "false alarm", "debatable", "unjudged")

_YAML_READERS = ("conda_guard.readers.pixi_lock", "conda_guard.readers.conda_lock")


@functools.cache
def corpus() -> dict[str, Any]:
    """``corpus.json``: the sources and their pairs."""
    return json.loads(CORPUS_JSON.read_text(encoding="utf-8"))


def sources() -> dict[str, dict[str, Any]]:
    """Source id → its entry in ``corpus.json``."""
    return {s["id"]: s for s in corpus()["sources"]}


def chunks() -> list[tuple[str, int]]:
    """``(source id, chunk index)`` for every :data:`CHUNK` pairs of a source."""
    out = []
    for src in corpus()["sources"]:
        n = len(src["pairs"])
        out += [(src["id"], i) for i in range((n + CHUNK - 1) // CHUNK)]
    return out


def git_blob_id(data: bytes) -> str:
    """The git blob id of ``data`` (``git hash-object``)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def read_blobs(source: dict[str, Any]) -> dict[str, bytes]:
    """Blob id → content, from the source's archives; each checked by its id."""
    out: dict[str, bytes] = {}
    for archive in source["archives"]:
        raw = lzma.decompress((CORPUS / archive["file"]).read_bytes())
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tar:
            for member in tar.getmembers():
                fh = tar.extractfile(member)
                assert fh is not None, member.name
                data = fh.read()
                if git_blob_id(data) != member.name:
                    raise ValueError(f"{archive['file']}: {member.name} is corrupt")
                out[member.name] = data
    return out


def unpack(source: dict[str, Any], dest: Path) -> dict[str, Path]:
    """Write the source's blobs under ``dest``; blob id → path."""
    dest.mkdir(parents=True, exist_ok=True)
    paths = {}
    for blob, data in read_blobs(source).items():
        path = dest / f"{source['id']}-{blob[:12]}"
        if not path.exists():
            path.write_bytes(data)
        paths[blob] = path
    return paths


@contextlib.contextmanager
def yaml_cache() -> Iterator[None]:
    """Parse each YAML file once while reading several states from it."""
    modules = [importlib.import_module(name) for name in _YAML_READERS]
    originals = {m: getattr(m, "load_yaml", None) for m in modules}
    base = next((f for f in originals.values() if f is not None), None)
    if base is None:  # the readers changed how they load YAML: no cache
        yield
        return
    cached = functools.lru_cache(maxsize=4)(lambda p: base(p))

    def load_yaml(path: Any, data: bytes | None = None) -> Any:
        return cached(str(path))  # corpus files are regular files: read by path

    for m, original in originals.items():
        if original is not None:
            m.load_yaml = load_yaml
    try:
        yield
    finally:
        for m, original in originals.items():
            if original is not None:
                m.load_yaml = original


def load_yaml(path: Path) -> Any:
    """The readers' YAML loader (cached inside :func:`yaml_cache`)."""
    loader = getattr(importlib.import_module(_YAML_READERS[0]), "load_yaml", None)
    if loader is None:  # the readers changed how they load YAML
        import yaml

        loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        return yaml.load(Path(path).read_bytes(), Loader=loader_cls)
    return loader(path)


@dataclass(frozen=True)
class Combo:
    """One state compared in a pair: environment and platform on each side."""

    environment: str | None = None
    before_platform: str | None = None
    after_platform: str | None = None

    @property
    def label(self) -> str:
        """``env/platform`` (``""`` for single-state files)."""
        if self.after_platform is None:
            return ""
        plat = self.after_platform
        if self.before_platform != plat:
            plat = f"{self.before_platform}>{plat}"
        return f"{self.environment}/{plat}" if self.environment else plat


def _subdirs(data: dict[str, Any]) -> dict[str, str]:
    out = {}
    for item in data.get("platforms") or ():
        if isinstance(item, dict) and item.get("name"):
            out[str(item["name"])] = str(item.get("subdir") or item["name"])
    return out


def pixi_combos(before: dict[str, Any], after: dict[str, Any]) -> list[Combo]:
    """The environment/platform pairs of two pixi.lock files that changed."""
    out = []
    sub_b, sub_a = _subdirs(before), _subdirs(after)
    envs_b, envs_a = before["environments"], after["environments"]
    for env in sorted(set(envs_b) & set(envs_a)):
        pb = (envs_b[env] or {}).get("packages") or {}
        pa = (envs_a[env] or {}).get("packages") or {}
        for plat in sorted(pa):
            if sub_a.get(plat, plat) not in SUBDIRS:
                continue
            old = plat if plat in pb else None
            if old is None:
                subdir = sub_a.get(plat, plat)
                same = [p for p in pb if sub_b.get(p, p) == subdir and p not in pa]
                old = same[0] if len(same) == 1 else None
            if old is not None and pb[old] != pa[plat]:
                out.append(Combo(str(env), str(old), str(plat)))
    return out


def conda_lock_combos(before: dict[str, Any], after: dict[str, Any]) -> list[Combo]:
    """The platforms two conda-lock.yml files both list."""

    def platforms(data: dict[str, Any]) -> set[str]:
        listed = (data.get("metadata") or {}).get("platforms") or []
        return {str(p) for p in listed} or {
            str(e["platform"]) for e in data["package"] if e.get("platform")
        }

    common = platforms(before) & platforms(after) & set(SUBDIRS)
    return [Combo(None, p, p) for p in sorted(common)]


def combos(fmt: str, before: Path, after: Path) -> list[Combo]:
    """What to compare in one pair of files of format ``fmt``."""
    if fmt == "explicit":
        return [Combo()]
    b, a = load_yaml(before), load_yaml(after)
    if fmt == "pixi-lock":
        return pixi_combos(b, a)
    return conda_lock_combos(b, a)


def describe(record: Record | None) -> str | None:
    """``version build (channel)`` of a record, or ``None``."""
    if record is None:
        return None
    return f"{record.version} {record.build} ({record.channel or '?'})".replace(
        " ()", ""
    )


@dataclass
class Row:
    """One finding of one pair, flattened for the dump and the verdicts."""

    id: str
    pair: str
    combo: str
    rule: str
    severity: str
    message: str
    packages: list[dict[str, str | None]] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def finding_id(pair: str, combo: str, finding: Finding) -> str:
    """The stable id of a finding: pair, env/platform, rule, package names."""
    parts = [pair, combo, finding.rule, ",".join(finding.names) or "-"]
    return " ".join(p for p in parts if p)


def rows_for(pair_id: str, combo: str, findings: tuple[Finding, ...]) -> list[Row]:
    """Findings as rows, ids made unique within the pair (``#2``, ``#3`` …)."""
    rows: list[Row] = []
    seen: dict[str, int] = {}
    for f in findings:
        fid = finding_id(pair_id, combo, f)
        seen[fid] = seen.get(fid, 0) + 1
        if seen[fid] > 1:
            fid = f"{fid} #{seen[fid]}"
        packages = [
            {"name": p.name, "before": describe(p.before), "after": describe(p.after)}
            for p in f.packages
        ]
        rows.append(
            Row(
                fid,
                pair_id,
                combo,
                f.rule,
                str(f.severity),
                f.message,
                packages,
                list(f.evidence),
            )
        )
    return rows


@dataclass
class PairResult:
    """Everything one pair gave: findings, states compared, reader errors."""

    pair: str
    rows: list[Row] = field(default_factory=list)
    compared: int = 0
    errors: list[str] = field(default_factory=list)


class StateCache:
    """States read from the previous pair's newer file, kept for the next pair.

    Consecutive pairs share a file (the "after" of one is the "before" of the
    next), so each state is read once. States are immutable.
    """

    def __init__(self) -> None:
        self.previous: dict[tuple[str, str | None, str | None], Any] = {}
        self.current: dict[tuple[str, str | None, str | None], Any] = {}

    def next_pair(self) -> None:
        """Keep only what the pair just analyzed read."""
        self.previous, self.current = self.current, {}

    def read(self, path: Path, fmt: str, env: str | None, platform: str | None) -> Any:
        """The state of ``path`` at ``env``/``platform``, read at most once."""
        key = (str(path), env, platform)
        state = self.previous.get(key, self.current.get(key))
        if state is None:
            state = read_state(path, fmt, environment=env, platform=platform)
        self.current[key] = state
        return state


def analyze_pair(
    source: dict[str, Any],
    pair: dict[str, Any],
    paths: dict[str, Path],
    cache: StateCache | None = None,
) -> PairResult:
    """Read both sides of ``pair`` in every :class:`Combo` and analyze them."""
    cache = cache or StateCache()
    fmt = source["format"]
    before, after = paths[pair["before"]["blob"]], paths[pair["after"]["blob"]]
    result = PairResult(pair["id"])
    try:
        todo = combos(fmt, before, after)
    except (GuardError, KeyError, TypeError, AttributeError) as exc:
        result.errors.append(f"listing environments: {exc}")
        return result
    table = load_table()
    for combo in todo:
        try:
            b = cache.read(before, fmt, combo.environment, combo.before_platform)
            a = cache.read(after, fmt, combo.environment, combo.after_platform)
        except GuardError as exc:
            result.errors.append(f"{combo.label or fmt}: {exc}")
            continue
        result.compared += 1
        findings = analyze(b, a, table=table).findings
        result.rows += rows_for(pair["id"], combo.label, findings)
    return result


def run_source(
    source: dict[str, Any], workdir: Path, pairs: list[dict[str, Any]] | None = None
) -> list[PairResult]:
    """Analyze ``pairs`` (default: all) of one source, blobs unpacked in ``workdir``."""
    paths = unpack(source, workdir)
    cache = StateCache()
    out = []
    with yaml_cache():
        for pair in pairs or source["pairs"]:
            out.append(analyze_pair(source, pair, paths, cache))
            cache.next_pair()
    return out


def run_chunk(source_id: str, index: int, workdir: Path) -> list[PairResult]:
    """Analyze chunk ``index`` (:data:`CHUNK` pairs) of a source."""
    source = sources()[source_id]
    pairs = source["pairs"][index * CHUNK : (index + 1) * CHUNK]
    return run_source(source, workdir, pairs)


def run_all(workdir: Path) -> list[PairResult]:
    """Analyze every pair of the corpus."""
    out = []
    for source in corpus()["sources"]:
        out += run_source(source, workdir / source["id"])
    return out


if __name__ == "__main__":  # pragma: no cover - the lead's command line
    from tests.corpus_cli import main

    raise SystemExit(main())


def pair_states(pair_id: str, workdir: Path) -> tuple[State, State]:
    """The two states of one @EXPLICIT pair of the corpus (``source@commit``)."""
    source_id = pair_id.split("@", 1)[0]
    source = sources()[source_id]
    pair = next(p for p in source["pairs"] if p["id"] == pair_id)
    paths = unpack(source, workdir)
    fmt = source["format"]
    return (
        read_state(paths[pair["before"]["blob"]], fmt),
        read_state(paths[pair["after"]["blob"]], fmt),
    )
