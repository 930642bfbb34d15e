"""Channel names as conda gives them, and the ``.condarc`` files they come from.

conda's history names channels by their canonical name (``forge`` under a
``channel_alias``, ``defaults`` for ``pkgs/main``), conda-meta by URL: both
sides are read with one configuration (issue 10.1–10.2). The expected names
are conda's (``conda/models/channel.py``: ``Channel(url).canonical_name``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conda_guard.channel_names import (
    ChannelConfig,
    Condarc,
    active,
    channel_urls,
    strip_url,
    use,
)
from conda_guard.exceptions import InputError
from conda_guard.readers.condarc import read_condarc, search_files

from .helpers import needs_data

MIRROR = ChannelConfig(
    Condarc(
        channel_alias="file:///srv/mirror/",
        custom_channels={"internal": "https://repo.corp.example/conda"},
        custom_multichannels={"corp": ("internal", "forge")},
        default_channels=("file:///srv/mirror/main",),
        channels=("forge", "defaults"),
        offline=True,
    )
)


@pytest.fixture
def mirror():
    previous = use(MIRROR)
    yield MIRROR
    use(previous)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("https://conda.anaconda.org/conda-forge/linux-64", "conda-forge"),
        ("https://conda.anaconda.org/t/tk-123/conda-forge/noarch", "conda-forge"),
        ("https://repo.anaconda.com/pkgs/main/linux-64", "pkgs/main"),
        (
            "https://repo.anaconda.com/pkgs/main/osx-64/zlib-1.2.11-h7b6447c_3.conda",
            "pkgs/main",
        ),
        ("https://prefix.dev/conda-forge", "conda-forge"),
        ("https://user:secret@my.host/path/chan/noarch", "path/chan"),
        ("file:///srv/mirror/forge/linux-64", "file:///srv/mirror/forge"),
        ("conda-forge/linux-64", "conda-forge"),
        ("defaults", "defaults"),
        ("", ""),
    ],
)
def test_default_names(text, name):
    assert ChannelConfig().name_of(text) == name


@pytest.mark.parametrize(
    ("text", "name", "key"),
    [
        ("file:///srv/mirror/forge/linux-64", "forge", "corp"),
        ("file:///srv/mirror/bioconda/noarch", "bioconda", "bioconda"),
        ("forge/linux-64", "forge", "corp"),
        ("https://repo.corp.example/conda/internal/noarch", "internal", "corp"),
        (
            "https://repo.corp.example/conda/internal/sub",
            "internal/sub",
            "internal/sub",
        ),
        ("file:///srv/mirror/main/linux-64", "main", "defaults"),
        ("defaults", "defaults", "defaults"),
        ("https://conda.anaconda.org/conda-forge", "conda-forge", "conda-forge"),
    ],
)
def test_alias_custom_and_multichannels(text, name, key):
    assert MIRROR.name_of(text) == name
    assert MIRROR.key_of(text) == key


def test_same_channel():
    default = ChannelConfig()
    assert default.same("defaults", "pkgs/main")
    assert default.same("https://repo.anaconda.com/pkgs/r/noarch", "defaults")
    assert not default.same("pkgs/main", "pkgs/r")  # two members, two channels
    assert not default.same("conda-forge", "pkgs/main")
    # an alias this configuration does not know: the name and a URL ending in it
    assert default.same("forge", "file:///srv/mirror/forge")
    assert not default.same("forge", "file:///srv/mirror/conda-forge")
    assert not default.same("conda-forge", "")
    assert MIRROR.same("forge", "file:///srv/mirror/forge/linux-64")


def test_base_urls():
    assert MIRROR.base_urls("forge") == ("file:///srv/mirror/forge",)
    assert MIRROR.base_urls("defaults") == ("file:///srv/mirror/main",)
    assert MIRROR.base_urls("internal/sub") == (
        "https://repo.corp.example/conda/internal/sub",
    )
    assert MIRROR.base_urls("corp") == (
        "https://repo.corp.example/conda/internal",
        "file:///srv/mirror/forge",
    )
    assert MIRROR.base_urls("https://x.example/c/linux-64/") == ("https://x.example/c",)
    assert ChannelConfig().base_urls("defaults") == (
        "https://repo.anaconda.com/pkgs/main",
        "https://repo.anaconda.com/pkgs/r",
    )


def test_channel_urls_follow_the_active_configuration(mirror):
    assert channel_urls(["forge", "defaults", "forge"]) == [
        "file:///srv/mirror/forge",
        "file:///srv/mirror/main",
    ]
    assert active() is mirror


def test_strip_url():
    assert (
        strip_url("https://a.example/t/tok/chan/linux-64/") == "https://a.example/chan"
    )
    assert strip_url("HTTPS://u:p@a.example/chan") == "https://a.example/chan"


# -- .condarc ------------------------------------------------------------------


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_read_condarc_merges_the_search_path_as_conda_does(tmp_path):
    home = tmp_path / "home"
    root = tmp_path / "root"
    _write(
        root / ".condarc",
        "channels: [conda-forge, defaults]\nchannel_alias: https://old.example\n"
        "custom_channels:\n  internal: https://a.example/conda\n",
    )
    _write(
        home / ".config" / "conda" / "condarc.d" / "10-mirror.yml",
        "channel_alias: file:///srv/mirror\ncustom_channels:\n"
        "  other: https://b.example\n",
    )
    _write(home / ".condarc", "channels: [forge]\noffline: true\n")
    rc = _write(tmp_path / "given.yml", "add_pip_as_python_dependency: false\n")
    env = {"CONDA_ROOT": str(root), "CONDARC": str(rc)}
    files = list(search_files(env, home))
    assert files == [
        root / ".condarc",
        home / ".config" / "conda" / "condarc.d" / "10-mirror.yml",
        home / ".condarc",
        rc,
    ]
    condarc = read_condarc(env, home)
    # a later file's list entries come first; values: the later file wins
    assert condarc.channels == ("forge", "conda-forge", "defaults")
    assert condarc.channel_alias == "file:///srv/mirror"
    assert dict(condarc.custom_channels) == {
        "internal": "https://a.example/conda",
        "other": "https://b.example",
    }
    assert condarc.offline is True
    assert condarc.add_pip_as_python_dependency is False
    assert condarc.sources == tuple(str(f) for f in files)
    names = ChannelConfig(condarc)
    assert names.name_of("file:///srv/mirror/forge/noarch") == "forge"
    assert str(home / ".condarc") in names.origin


def test_only_condarc_names_are_read(tmp_path):
    """conda reads ``$CONDARC`` only when it is named .condarc, condarc, *.yml."""
    home = tmp_path / "home"
    home.mkdir()
    other = _write(tmp_path / "myrc", "channels: [zz]\n")
    assert list(search_files({"CONDARC": str(other)}, home)) == []
    named = _write(tmp_path / "condarc", "channels: [zz]\n")
    assert read_condarc({"CONDARC": str(named)}, home).channels == ("zz",)


def test_environment_variables_come_last(tmp_path):
    home = tmp_path / "home"
    _write(home / ".condarc", "channels: [forge]\noffline: true\n")
    env = {"CONDA_CHANNELS": "a,b", "CONDA_OFFLINE": "false"}
    condarc = read_condarc(env, home)
    assert condarc.channels == ("a", "b", "forge")
    assert condarc.offline is False
    assert condarc.sources[-1] == "$CONDA_CHANNELS, $CONDA_OFFLINE"


def test_no_condarc_is_condas_defaults(tmp_path):
    condarc = read_condarc({}, tmp_path)
    if condarc.sources:  # a system file of this machine (/etc/conda/.condarc)
        pytest.skip(f"this machine has {condarc.sources}")
    assert condarc == Condarc()
    assert ChannelConfig(condarc).origin == "conda's defaults (no .condarc)"


@pytest.mark.parametrize(
    "text",
    [
        "channels: {a: b}\n",
        "offline: maybe\n",
        "custom_channels: [a]\n",
        "- just\n- a list\n",
        "a: [\n",
    ],
)
def test_a_bad_condarc_is_one_line(tmp_path, text):
    home = tmp_path / "home"
    path = _write(home / ".condarc", text)
    with pytest.raises(InputError) as err:
        read_condarc({}, home)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_the_cli_reads_condarc(tmp_path, monkeypatch, capsys):
    """``conda-guard`` names channels with the user's ``.condarc`` (file alias)."""
    from conda_guard.cli import main

    prefix = tmp_path / "env"
    meta = prefix / "conda-meta"
    meta.mkdir(parents=True)
    (meta / "zlib-1.3.1-hb9d3cd8_2.json").write_text(
        '{"name": "zlib", "version": "1.3.1", "build": "hb9d3cd8_2", '
        '"build_number": 2, "subdir": "linux-64", "depends": [], '
        '"channel": "file:///srv/mirror/forge/linux-64"}'
    )
    home = tmp_path / "home"
    _write(home / ".condarc", "channel_alias: file:///srv/mirror\n")
    monkeypatch.setenv("HOME", str(home))
    for var in ("CONDARC", "CONDA_ROOT", "CONDA_PREFIX", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(var, raising=False)
    previous = active()
    try:
        assert main(["check", str(prefix), "--json"]) in (0, 1)
        assert active().name_of("file:///srv/mirror/forge/linux-64") == "forge"
    finally:
        use(previous)
    capsys.readouterr()


# -- the history and conda-meta name one channel alike -------------------------

PY27 = Path(__file__).resolve().parents[2] / "shared" / "data" / "prefixes"


@needs_data
def test_history_defaults_is_condameta_pkgs_main():
    """A real defaults prefix: the history says ``defaults``, conda-meta
    ``pkgs/main``; a revision names them as conda-meta does, and no package
    of it moves channel."""
    from conda_guard.diff import diff_states
    from conda_guard.models import ChangeKind
    from conda_guard.readers.prefix import read_prefix, read_prefix_revision

    prefix = PY27 / "conda-py27-osx-nomkl"
    now = read_prefix(prefix)
    then = read_prefix_revision(prefix, 0)
    assert {r.channel for r in now} == {"pkgs/main"}
    assert {r.channel for r in then} == {"pkgs/main"}
    moved = [c for c in diff_states(then, now) if c.has(ChangeKind.CHANNEL_SWITCH)]
    assert moved == []


def _alias_prefix(root: Path) -> Path:
    """A prefix conda wrote with ``channel_alias: file:///srv/mirror``."""
    meta = root / "conda-meta"
    meta.mkdir(parents=True)
    for name, version, build in (
        ("numpy", "2.0.1", "py312h1103770_0"),
        ("libzlib", "1.3.1", "hb9d3cd8_2"),
    ):
        (meta / f"{name}-{version}-{build}.json").write_text(
            f'{{"name": "{name}", "version": "{version}", "build": "{build}",'
            ' "build_number": 0, "subdir": "linux-64", "depends": [],'
            ' "channel": "file:///srv/mirror/forge/linux-64"}'
        )
    (meta / "history").write_text(
        "==> 2026-01-01 10:00:00 <==\n"
        "# cmd: conda create -p x numpy=1.26\n"
        "+forge/linux-64::numpy-1.26.4-py312heda63a1_0\n"
        "+forge/linux-64::libzlib-1.3.1-hb9d3cd8_2\n"
        "# update specs: ['numpy=1.26']\n"
        "==> 2026-01-02 10:00:00 <==\n"
        "# cmd: conda install -p x numpy=2.0\n"
        "-forge/linux-64::numpy-1.26.4-py312heda63a1_0\n"
        "+forge/linux-64::numpy-2.0.1-py312h1103770_0\n"
        "# update specs: ['numpy=2.0']\n"
    )
    return root


@pytest.mark.parametrize("configured", [True, False])
def test_alias_history_and_urls_are_one_channel(tmp_path, configured):
    """``forge/linux-64::`` in the history and ``file:///srv/mirror/forge`` in
    conda-meta: with the alias configured, and without it (a prefix read on
    another machine), no channel move and no channel mix."""
    from conda_guard.analysis import analyze
    from conda_guard.models import ChangeKind
    from conda_guard.readers.prefix import read_prefix, read_prefix_revision

    previous = use(MIRROR if configured else ChannelConfig())
    try:
        prefix = _alias_prefix(tmp_path / "env")
        now = read_prefix(prefix)
        then = read_prefix_revision(prefix, 0)
        expected = "forge" if configured else "file:///srv/mirror/forge"
        assert {r.channel for r in then} == {r.channel for r in now} == {expected}
        rules = {f.rule for f in analyze(then, now).findings}
        assert "channel-mix" not in rules
        changes = analyze(then, now).changes
        assert [c.name for c in changes] == ["numpy"]
        assert not changes[0].has(ChangeKind.CHANNEL_SWITCH)
    finally:
        use(previous)


def test_os_environ_is_the_default(monkeypatch, tmp_path):
    home = tmp_path / "h"
    _write(home / ".condarc", "channels: [zz]\n")
    monkeypatch.setenv("HOME", str(home))
    for var in ("CONDARC", "CONDA_ROOT", "CONDA_PREFIX", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delenv("CONDA_CHANNELS", raising=False)
    assert read_condarc().channels[0] == "zz"
    assert os.environ["HOME"] == str(home)


# -- solving over a mirror under channel_alias, standalone ----------------------


def test_solver_spec():
    from conda_guard.solve.channels import solver_spec

    previous = use(MIRROR)
    try:
        assert solver_spec("forge::numpy >=2") == "file:///srv/mirror/forge::numpy >=2"
        assert (
            solver_spec("forge/linux-64::numpy")
            == "file:///srv/mirror/forge/linux-64::numpy"
        )
        assert solver_spec("defaults::zlib") == "zlib"  # a multichannel: no URL
        assert solver_spec("numpy") == "numpy"
        assert solver_spec("https://x.example/c::numpy") == "https://x.example/c::numpy"
    finally:
        use(previous)
