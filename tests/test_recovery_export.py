"""Exports (environment.yml, conda-lock v1, pixi.lock v6, @EXPLICIT) and drift."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from conda_guard.cli import main
from conda_guard.exceptions import UsageError
from conda_guard.readers import read_state
from conda_guard.recovery.export import (
    environment_yaml,
    from_prefix,
    version_range,
)
from conda_guard.recovery.export_all import export_all
from conda_guard.recovery.lock_conda import content_hash

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "docs" / "examples"
VECTOR = ROOT / "tests" / "data" / "export"


@pytest.mark.parametrize(
    ("version", "level", "pin"),
    [
        ("1.26.4", "exact", "==1.26.4"),
        ("1.26.4", "minor", ">=1.26.4,<1.27"),
        ("1.26.4", "major", ">=1.26.4,<2"),
        ("2026c", "minor", "==2026c"),
        ("8.6.13", "major", ">=8.6.13,<9"),
        ("3", "minor", "==3"),
    ],
)
def test_version_range(version, level, pin):
    assert version_range(version, level) == pin


def test_unknown_pin_level():
    with pytest.raises(UsageError, match="--pin"):
        version_range("1.0", "patch")


def _vector_data():
    data = from_prefix(EXAMPLES / "gpu-env")
    return replace(
        data,
        requested={
            "pytorch": "pytorch::pytorch=1.12.1=*cpu*",
            "cudatoolkit": "cudatoolkit=11.1",
            "python": "python>=3.10",
            "tzdata": "tzdata",
        },
        pip=(("Foo.Bar", "1.0.2"), ("requests", "2.32.3")),
        source="docs/examples/gpu-env",
    )


def test_environment_yaml_keeps_build_and_channel_and_pip():
    text = environment_yaml(_vector_data(), "minor")
    assert text == (VECTOR / "environment.yml").read_text()
    doc = yaml.safe_load(text)
    assert "pytorch::pytorch >=1.12.1,<1.13 *cpu*" in doc["dependencies"]
    assert {"pip": ["foo-bar>=1.0.2,<1.1", "requests>=2.32.3,<2.33"]} in doc[
        "dependencies"
    ]


def test_conda_lock_content_hash_is_conda_locks():
    """The vector was computed by conda-lock 4.0.3 (scripts/make_conda_lock_vpr.py)."""
    want = json.loads((VECTOR / "conda-lock-content-hash.json").read_text())
    data = _vector_data()
    for platform, digest in want["content_hash"].items():
        assert content_hash(replace(data, platform=platform), "minor") == digest
    assert content_hash(data, "exact") != want["content_hash"]["linux-64"]


@pytest.fixture
def exported(tmp_path) -> tuple[Path, dict[str, Path]]:
    prefix = tmp_path / "env"
    shutil.copytree(EXAMPLES / "python-env", prefix)
    return prefix, export_all(from_prefix(prefix), tmp_path / "out", "exact")


def test_export_writes_four_files_that_read_back(exported):
    prefix, files = exported
    env = read_state(prefix)
    for fmt in ("conda-lock", "pixi-lock", "explicit"):
        state = read_state(files[fmt], fmt)
        assert {r.name for r in state} == set(env.records), fmt
        for rec in state:
            assert (rec.version, rec.build) == (
                env.get(rec.name).version,
                env.get(rec.name).build,
            )
            assert rec.sha256 == env.get(rec.name).sha256
    doc = yaml.safe_load(files["environment"].read_text())
    assert doc["dependencies"] == ["numpy ==2.3.5", "python ==3.13.9"]
    assert doc["channels"] == ["conda-forge"]


def test_pixi_lock_reads_with_py_rattler(exported):
    rattler = pytest.importorskip("rattler", reason="py-rattler checks the pixi.lock")
    prefix, files = exported
    lock = rattler.LockFile.from_path(files["pixi-lock"])
    env = lock.default_environment()
    (platform,) = env.platforms()
    records = env.conda_repodata_records_for_platform(platform)
    want = read_state(prefix)
    assert len(records) == len(want)
    for rec in records:
        mine = want.get(rec.name.normalized)
        assert (str(rec.version), str(rec.build), rec.build_number) == (
            mine.version,
            mine.build,
            mine.build_number,
        )
        assert rec.sha256.hex() == mine.sha256 and rec.md5.hex() == mine.md5
        assert str(rec.subdir) == mine.subdir


def test_conda_lock_has_hashes_and_metadata(exported):
    _, files = exported
    doc = yaml.safe_load(files["conda-lock"].read_text())
    assert doc["version"] == 1
    assert doc["metadata"]["platforms"] == ["linux-64"]
    assert re.fullmatch(r"[0-9a-f]{64}", doc["metadata"]["content_hash"]["linux-64"])
    for pkg in doc["package"]:
        assert (
            pkg["manager"] == "conda" and pkg["hash"]["md5"] and pkg["hash"]["sha256"]
        )


# -- drift ----------------------------------------------------------------------------


def _drift(*argv: str) -> int:
    return main(["drift", *argv])


def test_drift_in_sync_then_each_edit_drifts(exported, capsys):
    prefix, files = exported
    yml, lock, pixi = (
        str(files[k]) for k in ("environment", "conda-lock", "pixi-lock")
    )
    explicit = str(files["explicit"])
    assert _drift(yml, lock, pixi, explicit, "-p", str(prefix)) == 0
    out = capsys.readouterr().out
    assert out.count("in sync") == 6

    # the yml asks for something the lock does not have
    original = Path(yml).read_text()
    Path(yml).write_text(original.replace("numpy ==2.3.5", "numpy ==2.4.0"))
    assert _drift(yml, lock, "-p", str(prefix)) == 1
    assert (
        "'numpy ==2.4.0' is not met by the locked numpy 2.3.5"
        in capsys.readouterr().out
    )
    Path(yml).write_text(original)

    # the lock is edited (another sha256)
    text = Path(lock).read_text()
    sha = read_state(prefix).get("zstd").sha256
    Path(lock).write_text(text.replace(sha, "f" * 64))
    assert _drift(yml, lock, "-p", str(prefix)) == 1
    assert "zstd: same 1.5.7 hb78ec9c_6, but sha256 ffffffffffff" in (
        capsys.readouterr().out
    )
    Path(lock).write_text(text)

    # the prefix changes (another numpy build)
    meta = prefix / "conda-meta" / "numpy-2.3.5-py313hf6604e3_0.json"
    rec = json.loads(meta.read_text())
    meta.write_text(json.dumps(rec | {"build": "py313h_other_0"}))
    assert _drift(yml, lock, pixi, "-p", str(prefix)) == 1
    out = capsys.readouterr().out
    assert "numpy: locked 2.3.5 py313hf6604e3_0, installed 2.3.5 py313h_other_0" in out


def test_drift_checks_channels_and_the_lock_closure(exported, capsys):
    _, files = exported
    yml = files["environment"]
    yml.write_text(
        yml.read_text().replace("- conda-forge", "- conda-forge\n- bioconda")
    )
    lock = files["conda-lock"]
    doc = yaml.safe_load(lock.read_text())
    doc["package"] = [p for p in doc["package"] if p["name"] != "libzlib"]
    lock.write_text(yaml.safe_dump(doc))
    assert _drift(str(yml), str(lock)) == 1
    out = capsys.readouterr().out
    assert "channel bioconda is not a channel of the lock" in out
    assert "depends on 'libzlib >=1.3.1,<2.0a0': not in the lock" in out


def test_drift_bad_input_is_one_line(tmp_path, capsys):
    assert _drift(str(tmp_path / "missing.yml")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such file" in err
    yml = tmp_path / "environment.yml"
    yml.write_text("dependencies:\n  - numpy\n")
    assert _drift(str(yml)) == 2
    assert "give a lock file" in capsys.readouterr().err
