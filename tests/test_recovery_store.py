"""Generations without conda: capture, store, hard links, validation, pip files."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conda_guard.cli import main
from conda_guard.exceptions import InputError, UsageError
from conda_guard.recovery import pipdists
from conda_guard.recovery.capture import capture
from conda_guard.recovery.explicit import topological
from conda_guard.recovery.generation import generation_from_json, load_generation
from conda_guard.recovery.store import Store, prefix_key
from conda_guard.recovery.verify import status, verify

from .recovery_helpers import add_pip_dist, build_prefix, remove_pip_dist, tree


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    return build_prefix(tmp_path_factory.mktemp("layout"))


@pytest.fixture
def env(built, tmp_path) -> tuple[Path, Path, Store]:
    """A private copy of the prefix and its package cache, and a store."""
    prefix, pkgs = tmp_path / "env", tmp_path / "pkgs"
    shutil.copytree(built[0], prefix)
    shutil.copytree(built[1], pkgs)
    for meta in (prefix / "conda-meta").glob("*.json"):
        rec = json.loads(meta.read_text())
        rec["package_tarball_full_path"] = str(pkgs / rec["fn"])
        meta.write_text(json.dumps(rec))
    return prefix, pkgs, Store.for_prefix(prefix, tmp_path / "store")


def _take(prefix: Path, pkgs: Path, store: Store, **kw):
    return capture(prefix, store, pkgs_dirs=[pkgs], command="test", **kw)


# -- capture ------------------------------------------------------------------------


def test_capture_hard_links_every_archive(env):
    prefix, pkgs, store = env
    taken = _take(prefix, pkgs, store)
    gen = taken.generation
    assert taken.new and gen.label == "g1"
    names = {p.name.rsplit("-", 2)[0] for p in (prefix / "conda-meta").glob("*.json")}
    assert {r["name"] for r in gen.records} == names
    assert all(a.kept == "store" and a.how == "hardlink" for a in gen.archives)
    for arch in gen.archives:
        kept = store.path / arch.path
        assert kept.samefile(pkgs / arch.fn)
        assert kept.stat().st_nlink == 2
    # records keep URL, hashes, depends; not the prefix's file lists
    numpy = next(r for r in gen.records if r["name"] == "numpy")
    assert numpy["url"].endswith("numpy-2.3.5-py313hf6604e3_0.conda")
    assert numpy["depends"] and numpy["sha256"] and numpy["md5"]
    assert "files" not in numpy and "paths_data" not in numpy
    assert gen.requested == {"python": "python=3.13", "numpy": "numpy"}
    usage = store.usage()
    assert usage.only_here == 0 and usage.shared == usage.apparent > 0
    assert status(store, gen).restorable
    assert verify(store, gen) == []


def test_explicit_file_has_sha256_anchors_in_dependency_order(env):
    prefix, pkgs, store = env
    gen = _take(prefix, pkgs, store).generation
    lines = store.explicit_path(gen.number).read_text().splitlines()
    urls = lines[lines.index("@EXPLICIT") + 1 :]
    by_url = {r["url"]: r for r in gen.records}
    assert len(urls) == len(gen.records)
    seen: set[str] = set()
    for line in urls:
        url, digest = line.split("#")
        rec = by_url[url]
        assert digest == rec["sha256"]
        deps = {d.split()[0] for d in rec.get("depends", ())} & {
            r["name"] for r in gen.records
        }
        assert deps <= seen, f"{rec['name']} comes before {deps - seen}"
        seen.add(rec["name"])


def test_topological_order_survives_a_cycle():
    recs = [
        {"name": "a", "depends": ["b"]},
        {"name": "b", "depends": ["a"]},
        {"name": "c", "depends": ["a"]},
    ]
    assert [r["name"] for r in topological(recs)] == ["a", "b", "c"]


def test_unchanged_prefix_is_not_stored_twice_and_change_is(env):
    prefix, pkgs, store = env
    first = _take(prefix, pkgs, store)
    again = _take(prefix, pkgs, store)
    assert not again.new and again.generation.number == first.generation.number
    (prefix / "conda-meta" / "tzdata-2026c-h151e31d_0.json").unlink()
    third = _take(prefix, pkgs, store)
    assert third.new and third.generation.label == "g2"
    assert store.numbers() == [1, 2]


def test_archives_survive_package_cache_removal(env):
    """What conda clean --tarballs/--force-pkgs-dirs does to the cache."""
    prefix, pkgs, store = env
    gen = _take(prefix, pkgs, store).generation
    shutil.rmtree(pkgs)
    assert verify(store, gen) == []
    usage = store.usage()
    assert usage.only_here == usage.apparent > 0 and usage.shared == 0
    # a later generation of the same packages finds them in the store
    (prefix / "conda-meta" / "tzdata-2026c-h151e31d_0.json").unlink()
    later = _take(prefix, pkgs, store).generation
    assert all(a.kept == "store" for a in later.archives)


def _other_device(path: Path) -> Path | None:
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        if shm.stat().st_dev != path.stat().st_dev:
            return shm
    return None


@pytest.mark.parametrize("allow_copy", [False, True], ids=["no-copy", "copy"])
def test_another_file_system_copies_only_when_allowed(env, tmp_path, allow_copy):
    prefix, pkgs, _ = env
    other = _other_device(tmp_path)
    if other is None:
        pytest.skip("no second file system here to test cross-device links")
    root = Path(other) / f"cg-store-{os.getpid()}-{allow_copy}"
    try:
        store = Store.for_prefix(prefix, root)
        gen = _take(prefix, pkgs, store, allow_copy=allow_copy).generation
        if allow_copy:
            assert {a.how for a in gen.archives} == {"copy"}
            usage = store.usage()
            assert usage.only_here == usage.apparent > 0
        else:
            assert {a.kept for a in gen.archives} == {"cache"}
            st = status(store, gen)
            assert st.restorable and "conda clean --tarballs" in st.reason
            (pkgs / gen.archives[0].fn).unlink()
            st = status(store, gen)
            assert not st.restorable and gen.archives[0].fn in st.reason
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_store_is_never_inside_the_prefix(env):
    prefix, _, _ = env
    with pytest.raises(UsageError, match="inside the prefix"):
        Store.for_prefix(prefix, prefix / "gens")
    assert prefix_key(prefix).startswith("env-")


# -- verification -----------------------------------------------------------------


def test_verify_names_corrupt_and_missing_archives(env):
    prefix, pkgs, store = env
    gen = _take(prefix, pkgs, store).generation
    corrupt, gone = gen.archives[0], gen.archives[1]
    path = store.path / corrupt.path
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.unlink()  # a new inode: the cache copy stays intact
    path.write_bytes(bytes(data))
    (store.path / gone.path).unlink()
    problems = {p.what: p.reason for p in verify(store, gen)}
    assert set(problems) == {corrupt.fn, gone.fn}
    assert problems[corrupt.fn].startswith("corrupt: sha256")
    assert problems[gone.fn].startswith("missing")


# -- the files: atomic, validated --------------------------------------------------


def _damage(path: Path, how: str) -> None:
    text = path.read_text()
    if how == "truncated":
        path.write_text(text[: len(text) // 2])
    elif how == "not-json":
        path.write_bytes(b"\x00\xff garbage")
    elif how == "checksum":
        path.write_text(text.replace('"reason": "manual"', '"reason": "edited"'))
    elif how == "type":
        doc = json.loads(text)
        doc["archives"][0]["size"] = "big"
        from conda_guard.recovery.generation import checksum

        doc["checksum"] = checksum(doc)
        path.write_text(json.dumps(doc))
    elif how == "escape":
        doc = json.loads(text)
        doc["archives"][0]["path"] = "../../etc/passwd"
        from conda_guard.recovery.generation import checksum

        doc["checksum"] = checksum(doc)
        path.write_text(json.dumps(doc))
    elif how == "directory":
        path.unlink()
        path.mkdir()


@pytest.mark.parametrize(
    "how", ["truncated", "not-json", "checksum", "type", "escape", "directory"]
)
def test_damaged_generation_file_is_one_line_and_exit_2(env, capsys, how):
    prefix, pkgs, store = env
    gen = _take(prefix, pkgs, store, reason="manual").generation
    _damage(store.generation_path(gen.number), how)
    with pytest.raises(InputError) as err:
        store.load(gen.number)
    assert "\n" not in str(err.value)
    code = main(["snapshots", "-p", str(prefix), "--store", str(store.path.parent)])
    out, errout = capsys.readouterr()
    assert code == 2
    assert errout.count("\n") == 1 and errout.startswith("conda-guard: error: ")
    assert "Traceback" not in errout


@pytest.mark.parametrize("content", [b"", b"{", b'{"format": "x"}', b"[]"])
def test_damaged_store_file_is_one_line(env, capsys, content):
    prefix, pkgs, store = env
    _take(prefix, pkgs, store)
    (store.path / "store.json").write_bytes(content)
    code = main(["snapshots", "-p", str(prefix), "--store", str(store.path.parent)])
    assert code == 2
    errout = capsys.readouterr().err
    assert errout.count("\n") == 1 and "store.json" in errout


@given(st.binary(max_size=300))
def test_load_generation_never_crashes(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "g1.json"
    path.write_bytes(data)
    with pytest.raises(InputError):
        load_generation(path)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda kids: (
            st.lists(kids, max_size=4)
            | st.dictionaries(st.text(max_size=8), kids, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_generation_shape_errors_are_caught(doc):
    from conda_guard.recovery.generation import _Bad

    try:
        generation_from_json(doc)
    except _Bad:
        pass


# -- pip-installed distributions ------------------------------------------------------


def test_pip_files_are_kept_and_restored(env):
    prefix, pkgs, store = env
    add_pip_dist(prefix, "tinylib", "1.0", "VERSION = '1.0'\n")
    before = tree(prefix / "lib")
    gen = _take(prefix, pkgs, store).generation
    (dist,) = gen.pip
    assert (dist.name, dist.version, dist.installer, dist.files) == (
        "tinylib",
        "1.0",
        "pip",
        4,
    )
    assert dist.files_sha256 and dist.archive
    # pip upgrades it, and installs another one
    remove_pip_dist(prefix, "tinylib")
    add_pip_dist(prefix, "tinylib", "2.0", "VERSION = '2.0'\n")
    add_pip_dist(prefix, "extra", "0.1", "")
    now = pipdists.find_dists(prefix, [])
    preview = pipdists.restore(prefix, store, gen.pip, now, dry_run=True)
    assert tree(prefix / "lib") != before
    assert preview.restored == ["tinylib 1.0"] and preview.removed == ["extra 0.1"]
    done = pipdists.restore(prefix, store, gen.pip, pipdists.find_dists(prefix, []))
    assert done.restored == ["tinylib 1.0"] and done.cannot == []
    assert tree(prefix / "lib") == before


def test_pip_dist_without_record_is_named(env):
    prefix, pkgs, store = env
    info = add_pip_dist(prefix, "oldlib", "0.9", "")
    (info / "RECORD").unlink()
    gen = _take(prefix, pkgs, store).generation
    (dist,) = gen.pip
    assert dist.archive is None and "no RECORD" in (dist.missing_reason or "")
    assert status(store, gen).pip_missing == ("oldlib",)
    remove_pip_dist(prefix, "oldlib")
    out = pipdists.restore(prefix, store, gen.pip, [])
    assert out.cannot and out.cannot[0].startswith("oldlib 0.9: ")


def test_unsafe_pip_archive_is_refused(env, tmp_path):
    import tarfile

    prefix, _, _ = env
    bad = tmp_path / "bad.tar"
    with tarfile.open(bad, "w") as tar:
        info = tarfile.TarInfo("../../escape.txt")
        info.size = 0
        tar.addfile(info)
    with pytest.raises(ValueError, match="unsafe"):
        pipdists.unpack_dist(prefix, bad)
    assert not (tmp_path.parent / "escape.txt").exists()
