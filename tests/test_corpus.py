"""The real-world corpus: intact archives, every pair analyzed, verdicts pinned.

Each ``test_findings_match_verdicts`` case reads and analyzes
:data:`tests.corpus.CHUNK` pairs of one source and fails on a reader error, on
a high or medium finding missing from ``tests/data/corpus/verdicts.json`` (or
judged at another severity, or a high not judged yet), on a judged finding that
no longer appears, and on changed low/info counts. After a rule change, run
``python -m tests.corpus --update``, judge what is new, and commit both files.
"""

from __future__ import annotations

import functools
import importlib.util
import re

import pytest

from conda_guard.rules import RULE_IDS
from tests import corpus as C
from tests import corpus_verdicts as V

SOURCES = C.sources()
MAX_FILE = 2_000_000
#: kinds of change the corpus must hold (issue 14's acceptance)
REQUIRED_TAGS = {
    "gpu-to-cpu",
    "cuda-major",
    "cudnn-nccl",
    "blas-switch",
    "mpi-loss",
    "numpy-major",
    "python-minor",
}


def _tagger():
    path = C.ROOT / "scripts" / "corpus_tags.py"
    spec = importlib.util.spec_from_file_location("corpus_tags", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.tags


@functools.cache
def blobs(source_id: str) -> dict[str, bytes]:
    return C.read_blobs(SOURCES[source_id])


@pytest.mark.parametrize("source_id", sorted(SOURCES))
def test_archives_hold_each_pair_byte_for_byte(source_id: str) -> None:
    source = SOURCES[source_id]
    have = blobs(source_id)  # each checked against its git blob id
    wanted = {p[side]["blob"] for p in source["pairs"] for side in ("before", "after")}
    assert wanted == set(have)
    for archive in source["archives"]:
        size = (C.CORPUS / archive["file"]).stat().st_size
        assert size == archive["bytes"] <= MAX_FILE
    tags = _tagger()
    for pair in source["pairs"]:
        assert pair["before"]["blob"] != pair["after"]["blob"]
        assert pair["id"] == f"{source_id}@{pair['after']['commit'][:10]}"
        before, after = have[pair["before"]["blob"]], have[pair["after"]["blob"]]
        assert pair["tags"] == tags(before, after), pair["id"]


def test_corpus_covers_formats_repositories_and_versions() -> None:
    pairs = [p for s in SOURCES.values() for p in s["pairs"]]
    assert len(pairs) >= 300
    assert len({p["id"] for p in pairs}) == len(pairs)
    assert len({s["repo"] for s in SOURCES.values()}) >= 5
    assert {s["format"] for s in SOURCES.values()} == {
        "explicit",
        "conda-lock",
        "pixi-lock",
    }
    versions = set()
    for sid, source in SOURCES.items():
        if source["format"] == "pixi-lock":
            for data in blobs(sid).values():
                versions.add(int(re.match(rb"version: (\d+)", data).group(1)))
    assert versions == {4, 5, 6, 7}
    found = {tag for p in pairs for tag in p["tags"]}
    assert found >= REQUIRED_TAGS


def test_sources_md_names_every_pair_and_license() -> None:
    text = (C.CORPUS / "SOURCES.md").read_text(encoding="utf-8")
    for source in SOURCES.values():
        assert f"[{source['repo']}]" in text
        assert f"{source['license']} (`{source['license_file']}`)" in text
        for pair in source["pairs"]:
            row = (
                f"| `{pair['id']}` | {pair['date']} | `{pair['before']['commit']}` | "
                f"`{pair['after']['commit']}` |"
            )
            assert row in text


@pytest.mark.parametrize(
    ("source_id", "index"), C.chunks(), ids=[f"{s}-{i}" for s, i in C.chunks()]
)
def test_findings_match_verdicts(source_id: str, index: int, tmp_path) -> None:
    results = C.run_chunk(source_id, index, tmp_path)
    assert results and all(r.compared or not r.rows for r in results)
    problems = V.check(results, V.load())
    assert not problems, (
        f"{len(problems)} difference(s) from verdicts.json (run `{V.UPDATE}`, "
        "judge the new findings, commit):\n" + "\n".join(problems[:40])
    )


def test_verdicts_name_corpus_pairs_and_say_why() -> None:
    data = V.load()
    pairs = {p["id"] for s in SOURCES.values() for p in s["pairs"]}
    for fid, entry in data["findings"].items():
        assert fid.split(" ", 1)[0] in pairs, fid
        assert entry["rule"] in RULE_IDS, fid
        assert entry["severity"] in C.JUDGED, fid
        assert entry["verdict"] in C.VERDICTS, fid
        if entry["verdict"] != "unjudged":
            assert entry["why"].strip() and "\n" not in entry["why"], fid
    assert set(data["counts"]) <= pairs


def test_precision_page_is_up_to_date() -> None:
    want = V.render(V.load(), C.corpus(), list(RULE_IDS))
    have = C.PRECISION_MD.read_text(encoding="utf-8")
    assert have == want, (
        "docs/precision.md is stale: python -m tests.corpus --write-docs"
    )


def _result(*rows: tuple[str, str, str], errors: tuple[str, ...] = ()):
    pair = "src@0123456789"
    out = C.PairResult(pair, compared=1, errors=list(errors))
    for rule, severity, names in rows:
        fid = f"{pair} env/linux-64 {rule} {names}"
        out.rows.append(C.Row(fid, pair, "env/linux-64", rule, severity, "msg"))
    return out


def _verdicts(**findings: tuple[str, str]) -> dict:
    pair = "src@0123456789"
    return {
        "findings": {
            f"{pair} env/linux-64 {key.replace('_', '-')}": {
                "rule": key.split(" ")[0],
                "severity": severity,
                "verdict": verdict,
                "why": "because",
            }
            for key, (severity, verdict) in findings.items()
        },
        "counts": {pair: {"abi-pin low": 1}},
    }


def test_check_passes_when_the_run_matches_the_table() -> None:
    run = _result(("gpu-to-cpu", "high", "x"), ("abi-pin", "low", "y"))
    table = {"gpu-to-cpu x": ("high", "correct")}
    assert V.check([run], _verdicts(**{k: v for k, v in table.items()})) == []


@pytest.mark.parametrize(
    ("rows", "table", "expected"),
    [
        ([("gpu-to-cpu", "high", "x")], {}, "new high finding"),
        (
            [("gpu-to-cpu", "high", "x")],
            {"gpu-to-cpu x": ("medium", "correct")},
            "is now high, judged as medium",
        ),
        (
            [("gpu-to-cpu", "high", "x")],
            {"gpu-to-cpu x": ("high", "unjudged")},
            "is not judged yet",
        ),
        ([], {"gpu-to-cpu x": ("high", "correct")}, "no longer appears"),
        ([("gpu-to-cpu", "high", "x")], {"gpu-to-cpu x": ("high", "maybe")}, "unknown"),
    ],
)
def test_check_reports_each_difference(rows, table, expected) -> None:
    run = _result(*rows, ("abi-pin", "low", "y"))
    problems = V.check([run], _verdicts(**table))
    assert len(problems) == 1 and expected in problems[0], problems


def test_check_reports_changed_counts_and_read_errors() -> None:
    run = _result(("abi-pin", "low", "y"), ("abi-pin", "low", "z"), errors=("bad",))
    problems = V.check([run], _verdicts())
    assert any("read error: bad" in p for p in problems)
    assert any("low/info counts {'abi-pin low': 2}" in p for p in problems)


def test_update_keeps_verdicts_and_resets_changed_severities() -> None:
    run = _result(
        ("gpu-to-cpu", "high", "x"),
        ("cuda-change", "medium", "c"),
        ("python-minor", "medium", "p"),
    )
    table = {
        "gpu-to-cpu x": ("high", "correct"),
        "cuda-change c": ("high", "correct"),
        "numpy-abi n": ("high", "false alarm"),
    }
    new, log = V.updated([run], _verdicts(**table))
    verdicts = {
        fid.rsplit(" ", 2)[1]: e["verdict"] for fid, e in new["findings"].items()
    }
    assert verdicts == {
        "gpu-to-cpu": "correct",
        "cuda-change": "unjudged",
        "python-minor": "unjudged",
    }
    assert any(line.startswith("gone:") and "numpy-abi" in line for line in log)
    assert V.check([run], new) == []


def test_pixi_combos_follow_v7_platform_names_and_skip_unchanged() -> None:
    before = {
        "environments": {
            "cuda": {"packages": {"linux-64": [{"conda": "a"}]}},
            "same": {"packages": {"linux-64": [{"conda": "b"}]}},
            "gone": {"packages": {"linux-64": []}},
        }
    }
    after = {
        "platforms": [{"name": "p1", "subdir": "linux-64"}, {"name": "osx-arm64"}],
        "environments": {
            "cuda": {"packages": {"p1": [{"conda": "a2"}], "osx-arm64": []}},
            "same": {"packages": {"linux-64": [{"conda": "b"}]}},
        },
    }
    assert [c.label for c in C.pixi_combos(before, after)] == ["cuda/linux-64>p1"]
