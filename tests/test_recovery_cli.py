"""The standalone commands: snapshot, snapshots (list, verify, prune), PREFIX@gN."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conda_guard.cli import main
from conda_guard.recovery.store import Store

from .recovery_helpers import build_prefix


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_prefix(tmp_path_factory.mktemp("layout"))


@pytest.fixture
def env(built, tmp_path, monkeypatch):
    prefix, pkgs = tmp_path / "env", tmp_path / "pkgs"
    shutil.copytree(built[0], prefix)
    shutil.copytree(built[1], pkgs)
    monkeypatch.setenv("CONDA_PKGS_DIRS", str(pkgs))
    monkeypatch.setenv("CONDA_PLUGINS_GUARD_SNAPSHOT_DIR", str(tmp_path / "store"))
    return prefix, pkgs, tmp_path / "store"


def _json(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


def test_snapshot_then_list(env, capsys):
    prefix, _, store_root = env
    assert main(["snapshot", str(prefix)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Generation g1 of {prefix}: 30 packages, 0 pip")
    assert "archives: 30 hardlink." in out
    assert "Restorable offline: yes (every archive is in the store)." in out
    assert main(["snapshot", str(prefix)]) == 0
    assert "No new generation" in capsys.readouterr().out
    assert main(["snapshots", "-p", str(prefix)]) == 0
    out = capsys.readouterr().out
    assert "g1" in out and "conda-guard snapshot" in out and " yes " in out
    assert "0 B only in the store" in out
    assert main(["snapshots", "-p", str(prefix), "--json", "--verify"]) == 0
    doc = _json(capsys)
    (gen,) = doc["generations"]
    assert gen["restorable"] and gen["reason"] == "every archive verified"
    assert doc["usage"]["only_here"] == 0
    assert Path(doc["store"]).parent == store_root


def test_unrestorable_generation_says_why(env, capsys):
    prefix, pkgs, store_root = env
    main(["snapshot", str(prefix)])
    capsys.readouterr()
    store = Store.for_prefix(prefix, store_root)
    gen = store.load(1)
    victim = gen.archive_of("zstd")
    (store.path / victim.path).unlink()
    assert main(["snapshots", str(prefix)]) == 0
    out = capsys.readouterr().out
    assert "no" in out and f"1 archive(s) missing: {victim.fn}" in out


def test_generation_is_a_state_for_diff(env, capsys):
    prefix, _, _ = env
    main(["snapshot", str(prefix)])
    capsys.readouterr()
    meta = prefix / "conda-meta" / "numpy-2.3.5-py313hf6604e3_0.json"
    rec = json.loads(meta.read_text())
    meta.unlink()
    rec.update(version="2.4.0", build="py313h_new_0")
    (prefix / "conda-meta" / "numpy-2.4.0-py313h_new_0.json").write_text(
        json.dumps(rec)
    )
    code = main(["diff", f"{prefix}@g1", str(prefix), "--json", "--no-links"])
    doc = _json(capsys)
    assert code in (0, 1)
    assert doc["before"]["kind"] == "generation"
    assert doc["before"]["source"] == f"{prefix}@g1"
    (change,) = doc["changes"]
    assert change["name"] == "numpy" and change["kind"] == "upgraded"
    # g-1 is the newest
    main(["diff", f"{prefix}@g-1", str(prefix), "--json", "--no-links"])
    assert _json(capsys)["before"]["source"] == f"{prefix}@g1"
    assert main(["diff", f"{prefix}@g7", str(prefix)]) == 2
    assert "no generation g7" in capsys.readouterr().err


def test_prune_keeps_the_newest_and_frees_space(env, capsys):
    prefix, _, store_root = env
    metas = sorted((prefix / "conda-meta").glob("*.json"))
    main(["snapshot", str(prefix)])
    for meta in metas[:3]:  # three more generations, one package fewer each
        meta.unlink()
        main(["snapshot", str(prefix)])
    capsys.readouterr()
    store = Store.for_prefix(prefix, store_root)
    assert store.numbers() == [1, 2, 3, 4]
    assert main(["snapshots", str(prefix), "--prune", "--keep", "2", "--dry-run"]) == 0
    assert "Would delete: g1, g2." in capsys.readouterr().out
    assert main(["snapshots", str(prefix), "--prune", "--keep", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Deleted g1, g2; 2 generation(s) left.")
    assert store.numbers() == [3, 4]
    kept = {a.path for n in (3, 4) for a in store.load(n).archives}
    on_disk = {p.relative_to(store.path).as_posix() for p in store.files()}
    assert on_disk == kept  # the archives only g1/g2 used are gone
    assert main(["snapshots", str(prefix), "--prune", "--older-than", "0s"]) == 0
    assert store.numbers() == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["snapshots", "--prune"], "--prune needs --keep N and/or --older-than AGE"),
        (["snapshots", "--prune", "--older-than", "soon"], "--older-than wants an age"),
        (["snapshot", "--store", "{prefix}/inside"], "is inside the prefix"),
        (["export", "-o", "{tmp}/out", "--generation", "g9"], "no generation"),
    ],
)
def test_bad_usage_is_one_line(env, capsys, tmp_path, argv, message):
    prefix, _, _ = env
    main(["snapshot", str(prefix)])
    capsys.readouterr()
    argv = [a.format(prefix=prefix, tmp=tmp_path) for a in argv]
    assert main([argv[0], str(prefix), *argv[1:]]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_not_a_prefix_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CONDA_PLUGINS_GUARD_SNAPSHOT_DIR", str(tmp_path / "store"))
    (tmp_path / "empty").mkdir()
    assert main(["snapshot", str(tmp_path / "empty")]) == 2
    assert "no conda-meta" in capsys.readouterr().err


def test_export_of_a_generation(env, capsys, tmp_path):
    prefix, _, _ = env
    main(["snapshot", str(prefix)])
    (prefix / "conda-meta" / "tzdata-2026c-h151e31d_0.json").unlink()
    capsys.readouterr()
    out_dir = tmp_path / "exported"
    assert main(["export", str(prefix), "--generation", "g1", "-o", str(out_dir)]) == 0
    explicit = (out_dir / "explicit.txt").read_text()
    assert "tzdata-2026c-h151e31d_0.conda#" in explicit  # the generation had it
    assert main(["drift", str(out_dir / "conda-lock.yml"), "-p", str(prefix)]) == 1
    assert "tzdata: only locked (2026c h151e31d_0)" in capsys.readouterr().out
