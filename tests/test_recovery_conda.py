"""Recovery with real conda: generations, rollback where --revision fails, export.

Each test has its own copy of the local conda-forge channel (real records,
tests/conda_channel.py), its own package cache and generation store, and runs
conda in a subprocess as a user does. The channel can then be deleted and the
cache cleaned without touching the other tests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip(
    "conda", reason="conda is not importable (see docs/dev/conda-from-source.md)"
)

from conda_guard.recovery.store import Store

from .conda_fixtures import TEST_SOLVER, hash_tree

pytestmark = pytest.mark.conda


@dataclass
class Sandbox:
    root: Path
    channel: Path
    env: dict[str, str]

    @property
    def store_root(self) -> Path:
        return self.root / "store"

    def conda(self, *argv: object, extra: dict[str, str] | None = None, ok=True):
        proc = subprocess.run(
            [sys.executable, "-m", "conda", *map(str, argv)],
            capture_output=True,
            text=True,
            env={**self.env, **(extra or {})},
            timeout=600,
            check=False,
        )
        if ok and proc.returncode != 0:
            raise AssertionError(
                f"conda {argv} -> {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
            )
        return proc

    def store(self, prefix: Path) -> Store:
        return Store.for_prefix(prefix, self.store_root)


def write_condarc(root: Path, channel: Path, store: Path | str) -> Path:
    condarc = root / "condarc"
    condarc.write_text(
        "\n".join(
            [
                "offline: true",
                f"solver: {TEST_SOLVER}",
                "channel_priority: flexible",
                "auto_update_conda: false",
                "notify_outdated_conda: false",
                "channels:",
                f"  - {channel.as_uri()}",
                "pkgs_dirs:",
                f"  - {root / 'pkgs'}",
                f"envs_dirs: [{root / 'envs'}]",
                "plugins:",
                f"  guard_snapshot_dir: {store}",
            ]
        )
        + "\n"
    )
    return condarc


@pytest.fixture
def box(guard_channels, tmp_path) -> Sandbox:
    channel = tmp_path / "channel"
    shutil.copytree(guard_channels["conda-forge"], channel)
    condarc = write_condarc(tmp_path, channel, tmp_path / "store")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONDA")}
    env.update(
        CONDARC=str(condarc),
        CONDA_NUMBER_CHANNEL_NOTICES="0",
        CONDA_REPORT_ERRORS="false",
        NO_COLOR="1",
    )
    return Sandbox(tmp_path, channel, env)


def records(prefix: Path) -> dict[str, tuple[str, str, str]]:
    out = {}
    for meta in (prefix / "conda-meta").glob("*.json"):
        rec = json.loads(meta.read_text())
        out[rec["name"]] = (rec["version"], rec["build"], rec.get("sha256"))
    return out


def generation_records(gen) -> dict[str, tuple[str, str, str]]:
    return {r["name"]: (r["version"], r["build"], r.get("sha256")) for r in gen.records}


def explicit_lines(text: str) -> set[str]:
    lines = text.splitlines()
    return {x for x in lines[lines.index("@EXPLICIT") + 1 :] if x.strip()}


def requested_now(prefix: Path) -> dict[str, str]:
    from conda.history import History

    return {
        k: str(v) for k, v in History(str(prefix)).get_requested_specs_map().items()
    }


def _v1_then_v2(box: Sandbox) -> Path:
    prefix = box.root / "envs" / "e"
    box.conda("create", "-y", "-p", prefix, "python=3.10", "numpy=1.25.1")
    assert not box.store(prefix).exists  # a new prefix has nothing to keep
    proc = box.conda("install", "-y", "-p", prefix, "numpy=2.2.6")
    assert f"conda-guard: generation g1 of {prefix} taken" in proc.stderr
    return prefix


# -- the acceptance case -------------------------------------------------------------


def test_rollback_works_where_install_revision_fails(box):
    prefix = box.root / "envs" / "e"
    box.conda("create", "-y", "-p", prefix, "python=3.10", "numpy=1.25.1")
    v1 = records(prefix)
    v1_explicit = box.conda("list", "-p", prefix, "--explicit", "--sha256").stdout
    v1_requested = requested_now(prefix)
    box.conda("install", "-y", "-p", prefix, "numpy=2.2.6")
    gen = box.store(prefix).load(1)
    assert generation_records(gen) == v1
    assert records(prefix)["numpy"][0] == "2.2.6"

    shutil.rmtree(box.channel)
    box.conda("clean", "--all", "-y")
    revision = box.conda(
        "install", "--revision", "0", "--offline", "-y", "-p", prefix, ok=False
    )
    said = revision.stdout + revision.stderr
    assert revision.returncode != 0, said
    assert "UnavailableInvalidChannel" in said or "PackagesNotFound" in said, said
    print("\nconda install --revision 0 --offline:\n" + said)  # quoted in the notes

    rollback = box.conda("guard", "rollback", "-y", "-p", prefix)
    assert "archives verified: 40 (hashes match)" in rollback.stdout
    assert f"Rolled back {prefix} to g1: 1 unlinked, 1 linked." in rollback.stdout
    assert records(prefix) == generation_records(gen) == v1
    after = box.conda("list", "-p", prefix, "--explicit", "--sha256").stdout
    assert explicit_lines(after) == explicit_lines(v1_explicit)
    assert explicit_lines(after) == explicit_lines(
        box.store(prefix).explicit_path(1).read_text()
    )
    assert requested_now(prefix) == v1_requested
    assert requested_now(prefix) == gen.requested
    # the rollback itself was a transaction: the state it replaced is g2
    g2 = box.store(prefix).load(2)
    assert g2.command and "guard rollback" in g2.command
    assert generation_records(g2)["numpy"][0] == "2.2.6"


def test_corrupt_archive_refuses_and_changes_nothing(box):
    prefix = _v1_then_v2(box)
    store = box.store(prefix)
    gen = store.load(1)
    victim = gen.archive_of("numpy")
    path = store.path / victim.path
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.unlink()  # a new inode: the package cache's link stays intact
    path.write_bytes(bytes(data))
    before = hash_tree(prefix)
    proc = box.conda("guard", "rollback", "-y", "-p", prefix, ok=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"refusing to restore g1 of {prefix}" in proc.stderr
    assert f"{victim.fn}: corrupt: sha256" in proc.stderr
    assert "nothing was changed" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert hash_tree(prefix) == before


# -- specs, pip, dry run, guard mode -------------------------------------------------


def _pip_dist(prefix: Path, version: str) -> Path:
    site = prefix / "lib" / "python3.10" / "site-packages"
    for old in site.glob("tinylib*"):
        shutil.rmtree(old)
    (site / "tinylib").mkdir(parents=True)
    (site / "tinylib" / "__init__.py").write_text(f"VERSION = {version!r}\n")
    info = site / f"tinylib-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Name: tinylib\nVersion: {version}\n")
    (info / "INSTALLER").write_text("pip\n")
    (info / "RECORD").write_text(
        "tinylib/__init__.py,,\n"
        + "".join(f"{info.name}/{f},,\n" for f in ("METADATA", "INSTALLER", "RECORD"))
    )
    return site


def test_rollback_restores_specs_and_pip_files(box):
    prefix = box.root / "envs" / "e"
    box.conda("create", "-y", "-p", prefix, "python=3.10", "numpy=1.25.1")
    site = _pip_dist(prefix, "1.0")
    pip_before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    box.conda("install", "-y", "-p", prefix, "numpy=2.2.6")  # g1
    box.conda("install", "-y", "-p", prefix, "filelock")  # g2
    _pip_dist(prefix, "2.0")
    assert "filelock" in requested_now(prefix)

    as_json = box.conda("guard", "rollback", "g1", "--dry-run", "--json", "-p", prefix)
    doc = json.loads(as_json.stdout)
    assert doc["done"] is False and doc["generation"] == "g1"
    assert doc["remove_specs"] == ["filelock"] and doc["pip"]["restored"]
    assert {f["rule"] for f in doc["findings"]} >= {"numpy-abi"}
    dry = box.conda("guard", "rollback", "g1", "--dry-run", "-p", prefix)
    assert "pip restore: tinylib 1.0" in dry.stdout
    assert "no longer requested: filelock" in dry.stdout
    assert "[numpy-abi]" in dry.stdout and "Dry run: nothing was changed." in dry.stdout
    assert "filelock" in records(prefix)

    box.conda("guard", "rollback", "g1", "-y", "-p", prefix)
    gen = box.store(prefix).load(1)
    assert records(prefix) == generation_records(gen)
    assert (
        requested_now(prefix)
        == gen.requested
        == {
            "python": "python=3.10",
            "numpy": "numpy=1.25.1",
        }
    )
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == pip_before


def test_block_mode_refuses_rollback_unless_accepted(box):
    prefix = _v1_then_v2(box)
    before = hash_tree(prefix)
    strict = {
        "CONDA_PLUGINS_GUARD_MODE": "block",
        "CONDA_PLUGINS_GUARD_FAIL_ON": "medium",
    }
    proc = box.conda("guard", "rollback", "-y", "-p", prefix, extra=strict, ok=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "conda-guard stopped this transaction" in proc.stderr
    assert "[numpy-abi]" in proc.stderr
    assert hash_tree(prefix) == before
    box.conda(
        "guard", "rollback", "-y", "-p", prefix, "--accept", "numpy", extra=strict
    )
    assert records(prefix)["numpy"][0] == "1.25.1"


def test_snapshots_can_be_turned_off(box):
    prefix = box.root / "envs" / "e"
    box.conda("create", "-y", "-p", prefix, "python=3.10", "numpy=1.25.1")
    off = {"CONDA_PLUGINS_GUARD_SNAPSHOT": "false"}
    proc = box.conda("install", "-y", "-p", prefix, "numpy=2.2.6", extra=off)
    assert "generation" not in proc.stderr
    assert box.store(prefix).numbers() == []
    proc = box.conda("guard", "rollback", "-y", "-p", prefix, ok=False)
    assert proc.returncode == 2
    assert f"no generations of {prefix} yet" in proc.stderr
    # by hand, inside conda (conda's package cache and settings)
    taken = box.conda("guard", "snapshot", "-p", prefix)
    assert f"Generation g1 of {prefix}: 40 packages" in taken.stdout
    assert "archives: 40 hardlink." in taken.stdout
    proc = box.conda("guard", "rollback", "-y", "-p", prefix, ok=False)
    assert proc.returncode == 2
    assert "is as every generation has it: nothing to roll back to" in proc.stderr


def test_damaged_generation_is_one_line_and_changes_nothing(box):
    prefix = _v1_then_v2(box)
    path = box.store(prefix).generation_path(1)
    path.write_text(path.read_text()[:200])
    before = hash_tree(prefix)
    proc = box.conda("guard", "rollback", "-y", "-p", prefix, ok=False)
    assert proc.returncode == 2
    assert "damaged generation file (invalid JSON" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert hash_tree(prefix) == before


# -- conda clean ---------------------------------------------------------------------


def test_clean_names_generations_it_would_make_unrestorable(box):
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == box.root.stat().st_dev:
        pytest.skip("no second file system here (the store must not hard-link)")
    far = shm / f"cg-{os.getpid()}-{box.root.name}"
    box.env["CONDARC"] = str(write_condarc(box.root, box.channel, far))
    try:
        prefix = _v1_then_v2(box)
        store = Store.for_prefix(prefix, far)
        gen = store.load(1)
        assert {a.kept for a in gen.archives} == {"cache"}
        dry = box.conda("clean", "--all", "--dry-run", ok=False)
        assert "conda-guard: this clean deletes package archives" in dry.stderr
        assert f"{prefix}: g1 (40 archive(s))" in dry.stderr
        fix = f"conda guard snapshots -p {prefix} --keep-archives --copy"
        assert fix in dry.stderr
        box.conda(*fix.split()[1:])
        assert {a.how for a in store.load(1).archives} == {"copy"}
        clean = box.conda("clean", "--all", "-y")
        assert "conda-guard" not in clean.stderr
        listing = box.conda("guard", "snapshots", "-p", prefix, "--verify").stdout
        assert "every archive verified" not in listing  # only shown when asked in json
        assert " yes " in listing
    finally:
        shutil.rmtree(far, ignore_errors=True)


def test_hard_linked_archives_survive_clean(box):
    """conda clean leaves files with st_nlink > 1 (main_clean.py, _get_size)."""
    prefix = _v1_then_v2(box)
    pkgs = box.root / "pkgs"
    gen = box.store(prefix).load(1)
    clean = box.conda("clean", "--all", "-y")
    assert "Will remove 1 (" in clean.stdout  # numpy 2.2.6's tarball: no other link
    kept = {
        p.name for p in pkgs.iterdir() if p.is_file() and p.suffix in (".conda", ".bz2")
    }
    assert {a.fn for a in gen.archives} <= kept


# -- export --------------------------------------------------------------------------


def test_export_round_trip_and_drift(box):
    prefix = box.root / "envs" / "e"
    box.conda("create", "-y", "-p", prefix, "python=3.10", "numpy=1.25.1")
    out = box.root / "out"
    box.conda("guard", "export", "-p", prefix, "-o", out)
    fresh = box.root / "envs" / "fresh"
    box.conda("create", "--offline", "-y", "-p", fresh, "--file", out / "explicit.txt")
    assert records(fresh) == records(prefix)
    urls = {
        n: json.loads(m.read_text())["url"]
        for n, m in ((m.name, m) for m in (prefix / "conda-meta").glob("*.json"))
    }
    assert urls == {
        n: json.loads(m.read_text())["url"]
        for n, m in ((m.name, m) for m in (fresh / "conda-meta").glob("*.json"))
    }

    files = [out / "environment.yml", out / "conda-lock.yml", out / "pixi.lock"]
    assert box.conda("guard", "drift", *files, "-p", prefix).returncode == 0
    for path, old, new in (
        (files[0], "numpy ==1.25.1", "numpy ==2.2.6"),
        (files[1], "version: 1.25.1", "version: 1.25.2"),
    ):
        text = path.read_text()
        path.write_text(text.replace(old, new))
        proc = box.conda("guard", "drift", *files, "-p", prefix, ok=False)
        assert proc.returncode == 1, proc.stdout
        path.write_text(text)
    box.conda("install", "-y", "-p", prefix, "numpy=2.2.6")
    proc = box.conda("guard", "drift", *files, "-p", prefix, ok=False)
    assert proc.returncode == 1
    assert "numpy: locked 1.25.1 py310ha4c1d20_0, installed 2.2.6 py310hefbff90_0" in (
        proc.stdout
    )

    exported = box.conda("export", "-p", fresh, "--format", "guard-explicit").stdout
    assert explicit_lines(exported) == explicit_lines(
        (out / "explicit.txt").read_text()
    )
