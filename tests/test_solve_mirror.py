"""Dry-run solves over a mirror named by ``channel_alias``, offline, standalone.

The configuration most companies have: channels by name, ``channel_alias``
pointing at a mirror (here a local ``file://`` one holding the harvested
conda-forge channel as ``forge``), ``offline: true``. conda writes such a
prefix with URLs in conda-meta and names in the history (``forge/linux-64::``,
``forge::numpy`` specs). ``conda-guard`` reads the same ``.condarc`` and
solves against the mirror: the names resolve to it, the channel-qualified
history specs too, and nothing reads the network (issue 10.1). Real rattler
solves in the worker.
"""

from __future__ import annotations

import pytest

from conda_guard.analysis import analyze
from conda_guard.channel_names import ChannelConfig, Condarc, use
from conda_guard.models import ChangeKind
from conda_guard.readers import read_state
from conda_guard.solve import SolveOptions, propose

from .solve_helpers import (
    HARVESTED,
    VIRTUAL,
    needs_data,
    needs_rattler,
    solve_steps,
    write_prefix,
)

pytestmark = [pytest.mark.solve, needs_rattler, needs_data]


@pytest.fixture
def mirror(tmp_path):
    """``file://…/mirror/forge`` is the harvested channel; the alias is set."""
    root = tmp_path / "mirror"
    root.mkdir()
    (root / "forge").symlink_to(HARVESTED, target_is_directory=True)
    config = ChannelConfig(
        Condarc(
            channel_alias=root.as_uri(),
            channels=("forge",),
            offline=True,
            sources=(str(tmp_path / ".condarc"),),
        )
    )
    previous = use(config)
    yield root
    use(previous)


def _conda_prefix(tmp_path, root):
    """A prefix as conda writes it with the alias: URLs in conda-meta, the
    channel's name in the history's package lines and a ``forge::`` spec."""
    url = (root / "forge").as_uri()
    previous = use(ChannelConfig())  # records keep their URLs
    try:
        steps = solve_steps([["python=3.12", "numpy<2"]], channels=(url,))
    finally:
        use(previous)
    prefix = write_prefix(tmp_path / "env", steps)
    meta = prefix / "conda-meta"
    assert (
        f'"channel": "{url}"'
        in (meta / "python-3.12.13-hd63d673_0_cpython.json").read_text()
    )
    history = meta / "history"
    text = history.read_text().replace(url + "/", "forge/")
    text = text.replace("'numpy<2'", "'forge::numpy<2'")
    history.write_text(text)
    assert "+forge/linux-64::numpy-1.26.4" in text and url not in text
    return prefix


def test_names_resolve_to_the_mirror_and_the_solve_runs_offline(tmp_path, mirror):
    prefix = _conda_prefix(tmp_path, mirror)
    current = read_state(str(prefix))
    assert {r.channel for r in current} == {"forge"}
    assert current.explicit["numpy"] == "forge::numpy<2"
    options = SolveOptions(
        install=("pandas",), batch=True, virtual_packages=VIRTUAL, timeout=120
    )
    proposal = propose(options, current)
    assert proposal.batch is not None, proposal.notes
    mirror_url = (mirror / "forge").as_uri()
    assert any(
        n.startswith(f"channels read from: forge = {mirror_url}")
        for n in proposal.notes
    ), proposal.notes
    assert any(n.startswith("offline (") for n in proposal.notes)
    assert proposal.incremental.get("pandas").channel == "forge"
    # the history spec forge::numpy<2 held (rattler got the mirror URL)
    assert proposal.batch.get("numpy").version.startswith("1.")
    switched = [
        c.name
        for c in analyze(current, proposal.incremental).changes
        if c.has(ChangeKind.CHANNEL_SWITCH)
    ]
    assert switched == []
    assert "-c forge" in proposal.commands[0]


def test_without_the_condarc_the_installed_urls_serve(tmp_path, mirror):
    """Read on a machine without that ``.condarc``: the channels are the URLs
    in conda-meta, and ``forge::numpy<2`` goes to the one named ``…/forge``."""
    prefix = _conda_prefix(tmp_path, mirror)
    previous = use(ChannelConfig())
    try:
        current = read_state(str(prefix))
        mirror_url = (mirror / "forge").as_uri()
        assert {r.channel for r in current} == {mirror_url}
        options = SolveOptions(
            install=("pandas",), batch=True, virtual_packages=VIRTUAL, timeout=120
        )
        proposal = propose(options, current)
    finally:
        use(previous)
    assert proposal.batch is not None, proposal.notes
    assert proposal.batch.get("numpy").version.startswith("1.")
