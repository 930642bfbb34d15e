"""Benchmarks of the parsers on real data, each with a baseline in the same run:
conda version ordering (baseline: comparing the same strings as text), match-spec
parsing cold vs cached, and reading a 1,000-record prefix (baseline: json.loads
of the same files). These replace timed assertions in the unit tests.
"""

from __future__ import annotations

import json

import pytest

from conda_guard.matchspec import _parse_cached, parse_match_spec
from conda_guard.readers.prefix import read_prefix
from conda_guard.version import VersionSpec, parse_version

from ..helpers import DATA, HARVESTED, needs_data

pytestmark = needs_data
SOURCES = ("rattler-osx-arm64-records", "chemtools-win64-mkl-openssl-downgrade")


@pytest.fixture(scope="module")
def versions() -> list[str]:
    found = set()
    for path in HARVESTED.glob("*/repodata.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        for key in ("packages", "packages.conda"):
            found.update(r["version"] for r in data.get(key, {}).values())
    return sorted(found)[:1001]


@pytest.fixture(scope="module")
def specs() -> list[str]:
    found = set()
    for path in HARVESTED.glob("*/repodata.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        for key in ("packages", "packages.conda"):
            for rec in data.get(key, {}).values():
                found.update(rec.get("depends", ()))
    return sorted(found)[:1000]


def _compare_versions(pairs: list[tuple[str, str]]) -> int:
    parse_version.cache_clear()
    spec = VersionSpec(">=1.2,<2.0a0")
    return sum((parse_version(a) < parse_version(b)) + spec.match(a) for a, b in pairs)


def test_bench_versions_baseline_text(benchmark, versions):
    pairs = list(zip(versions, versions[1:]))
    assert benchmark(lambda: sum(a < b for a, b in pairs)) >= 0


def test_bench_versions_parse_and_compare(benchmark, versions):
    pairs = list(zip(versions, versions[1:]))
    assert len(pairs) == 1000
    assert benchmark(_compare_versions, pairs) > 0


def test_bench_matchspec_cold(benchmark, specs):
    def cold() -> int:
        _parse_cached.cache_clear()
        return sum(parse_match_spec(t).name is not None for t in specs)

    assert benchmark(cold) == len(specs)


def test_bench_matchspec_cached(benchmark, specs):
    for text in specs:
        parse_match_spec(text)
    assert benchmark(lambda: sum(1 for t in specs if parse_match_spec(t))) == len(specs)


@pytest.fixture(scope="module")
def big_prefix(tmp_path_factory):
    """1,000 conda-meta files: real PrefixRecords of ../shared/data under new names."""
    prefixes = DATA / "prefixes"
    sources = [
        json.loads(p.read_text())
        for name in SOURCES
        for p in sorted((prefixes / name / "conda-meta").glob("*.json"))
        if not p.name.startswith("numpy")
    ]
    root = tmp_path_factory.mktemp("bench") / "env"
    meta = root / "conda-meta"
    meta.mkdir(parents=True)
    for i in range(1000):
        source = sources[i % len(sources)]
        data = dict(source, name=f"{source['name']}-{i}")
        (meta / f"{data['name']}-{data['version']}-{data['build']}.json").write_text(
            json.dumps(data)
        )
    return root


def test_bench_read_prefix_baseline_json(benchmark, big_prefix):
    files = sorted((big_prefix / "conda-meta").glob("*.json"))
    assert len(benchmark(lambda: [json.loads(p.read_bytes()) for p in files])) == 1000


def test_bench_read_prefix_1000(benchmark, big_prefix):
    assert len(benchmark(read_prefix, big_prefix)) == 1000
