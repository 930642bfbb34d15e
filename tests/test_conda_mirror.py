"""Inside conda, channels by name on a mirror: alias, https, custom_channels, defaults.

The configuration most users and every company with a mirror have
(issue 10 points 1-2): ``channels: [forge, pytorch, nvidia]`` by name, the
names resolved by conda's ``channel_alias`` (a local ``file://`` mirror with
``offline: true``, or an https one served by a local server with a
self-signed certificate and ``ssl_verify``) or by ``custom_channels``; and
``channels: [defaults]`` with ``default_channels`` on the https mirror
(``…/pkgs/main``), as an all-defaults environment is. The mirror holds the
real channels of tests/conda_channel.py (``forge`` is the conda-forge one).

conda writes such a prefix with URLs in conda-meta and names in its history
(``forge/linux-64::numpy-…``, ``defaults/linux-64::…``). For each
configuration and the solver of ``$CONDA_GUARD_TEST_SOLVER``:

- the ``Details:`` command printed under a warning runs and reports;
- the batch solve runs (``guard_batch: always``), over the mirror;
- ``conda guard install --batch`` installs the one-shot solution;
- ``conda guard history`` and ``conda install --revision N`` see no channel
  move where none happened.

One environment per configuration (module scope), made with conda in a
subprocess; the tests only read it (dry runs).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shlex
import shutil
import ssl
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

pytest.importorskip(
    "conda", reason="conda is not importable (see docs/dev/conda-from-source.md)"
)

from conda.exceptions import DryRunExit

from conda_guard.models import ChangeKind

from .conda_channel import PYTORCH_CPU_BUILD, PYTORCH_CUDA_BUILD
from .conda_fixtures import CUDA_ENV_SPECS, TEST_SOLVER

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

pytestmark = pytest.mark.conda

FLIP = (
    f"[gpu-to-cpu] pytorch 1.11.0 {PYTORCH_CUDA_BUILD} (CUDA) is replaced by "
    f"1.12.1 {PYTORCH_CPU_BUILD} (CPU)"
)
#: the mirror's channel directories → the test channels (tests/conda_channel.py)
LAYOUT = {
    "forge": "conda-forge",
    "pytorch": "pytorch",
    "nvidia": "nvidia",
    "pkgs/main": "conda-forge",
    "pkgs/pytorch": "pytorch",
    "pkgs/nvidia": "nvidia",
}
#: what a report must never say about these environments
NO_MOVES = ("channel-mix", "moved channel", "switch channel", "cannot read")


# -- the mirror and its server --------------------------------------------------


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _certificate(where: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (``openssl req``)."""
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@dataclass
class Mirror:
    """The mirror directory, its https server and certificate."""

    root: Path
    https: str = ""
    cert: Path | None = None
    stop: list[Callable[[], None]] = field(default_factory=list)


@pytest.fixture(scope="module")
def mirror(
    guard_channels: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Mirror]:
    """The test channels under mirror names, served over https too."""
    root = tmp_path_factory.mktemp("mirror")
    for name, channel in LAYOUT.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).symlink_to(guard_channels[channel], target_is_directory=True)
    found = Mirror(root)
    if shutil.which("openssl"):
        cert, key = _certificate(tmp_path_factory.mktemp("tls"))
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(cert, key)
        handler = functools.partial(_Quiet, directory=str(root))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        found.https = f"https://127.0.0.1:{server.server_address[1]}"
        found.cert = cert
        found.stop += [server.shutdown, server.server_close]
    yield found
    for stop in found.stop:
        stop()


# -- the configurations -----------------------------------------------------------


def _alias_file(m: Mirror) -> list[str]:
    return [
        "offline: true",
        "channels: [forge, pytorch, nvidia]",
        f"channel_alias: {m.root.as_uri()}",
    ]


def _alias_https(m: Mirror) -> list[str]:
    return [
        "offline: false",
        "channels: [forge, pytorch, nvidia]",
        f"channel_alias: {m.https}",
        f"ssl_verify: {m.cert}",
    ]


def _custom_file(m: Mirror) -> list[str]:
    return [
        "offline: true",
        "channels: [forge, pytorch, nvidia]",
        "custom_channels:",
        *(f"  {name}: {m.root.as_uri()}" for name in ("forge", "pytorch", "nvidia")),
    ]


def _defaults_https(m: Mirror) -> list[str]:
    return [
        "offline: false",
        "channels: [defaults]",
        "default_channels:",
        *(f"  - {m.https}/pkgs/{n}" for n in ("main", "pytorch", "nvidia")),
        f"ssl_verify: {m.cert}",
    ]


CONFIGS: dict[str, tuple[Callable[[Mirror], list[str]], bool]] = {
    # name: (channel settings, needs the https server)
    "alias-file-offline": (_alias_file, False),
    "alias-https": (_alias_https, True),
    "custom-channels-offline": (_custom_file, False),
    "defaults-https": (_defaults_https, True),
}


@dataclass
class Setup:
    """One configuration: its ``.condarc`` lines, package cache and prefix."""

    name: str
    channels: list[str]
    pkgs: Path
    envs: Path
    prefix: Path = Path()
    history_name: str = ""

    def condarc(self, **plugins: Any) -> str:
        lines = [
            f"solver: {TEST_SOLVER}",
            "channel_priority: flexible",
            "auto_update_conda: false",
            "notify_outdated_conda: false",
            *self.channels,
            f"pkgs_dirs: [{self.pkgs}]",
            f"envs_dirs: [{self.envs}]",
        ]
        if plugins:
            lines.append("plugins:")
            lines += [f"  {k}: {v}" for k, v in plugins.items()]
        return "\n".join(lines) + "\n"


#: variables that would override this configuration: requests takes
#: ``REQUESTS_CA_BUNDLE`` (and ``CURL_CA_BUNDLE``) over conda's ``ssl_verify``
_OVERRIDING = (
    "CONDA_PLUGINS_GUARD_",
    "CONDARC",
    "CONDA_PKGS_DIRS",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
)


def _conda(condarc: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OVERRIDING)}
    env["CONDARC"] = str(condarc)
    return subprocess.run(
        [sys.executable, "-m", "conda", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module", params=list(CONFIGS))
def setup(
    request: pytest.FixtureRequest,
    mirror: Mirror,
    tmp_path_factory: pytest.TempPathFactory,
) -> Setup:
    """The CUDA environment of the conda tests, made through this configuration.

    Revision 0 is ``python=3.10 pytorch=1.11.0 cudatoolkit=11.1``, revision 1
    adds ``filelock``.
    """
    lines, needs_https = CONFIGS[request.param]
    if needs_https and not mirror.https:
        pytest.skip("no openssl command to make a certificate for the https mirror")
    where = tmp_path_factory.mktemp(request.param)
    found = Setup(request.param, lines(mirror), where / "pkgs", where / "envs")
    condarc = where / "condarc"
    condarc.write_text(found.condarc())
    found.prefix = where / "envs" / "gpu"
    for argv in (
        ("create", "-p", str(found.prefix), "-y", *CUDA_ENV_SPECS),
        ("install", "-p", str(found.prefix), "-y", "filelock"),
    ):
        done = _conda(condarc, *argv)
        assert done.returncode == 0, done.stderr
    return found


@pytest.fixture
def conda_in(setup: Setup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Point this process's conda at the configuration; call with ``plugins:``."""
    from conda.base.context import reset_context
    from conda.gateways.connection.session import CondaSession, get_session
    from conda.models.match_spec import MatchSpec

    for name in list(os.environ):
        if name.startswith(_OVERRIDING):
            monkeypatch.delenv(name)
    condarc = tmp_path / "condarc"

    def write(**plugins: Any) -> Setup:
        condarc.write_text(setup.condarc(**plugins))
        reset_context()
        # conda keeps a spec's channel and its HTTP sessions (offline or not),
        # made under the configuration of their first use, for the life of the
        # process: each configuration here is a new conda process's
        MatchSpec._MATCHER_CACHE.clear()
        get_session.cache_clear()
        CondaSession.cache_clear()
        return setup

    monkeypatch.setenv("CONDARC", str(condarc))
    monkeypatch.setenv("CONDA_PKGS_DIRS", str(setup.pkgs))
    write()
    yield write
    monkeypatch.delenv("CONDARC")
    reset_context()


# -- the prefix as conda wrote it -------------------------------------------------


def test_conda_meta_holds_urls_and_the_history_names(setup: Setup):
    meta = setup.prefix / "conda-meta"
    (record,) = meta.glob("pytorch-1.11.0-*.json")
    url = json.loads(record.read_text())["channel"]
    assert "://" in url
    history = (meta / "history").read_text()
    assert url not in history  # the history names the channel
    assert "/linux-64::pytorch-1.11.0-" in history


# -- (a) the Details command ---------------------------------------------------------


def test_details_command_runs_and_reports(setup: Setup, conda_in, conda_cli):
    conda_in()
    out, err, exc = conda_cli(
        "update", "-p", setup.prefix, "--all", "--dry-run", raises=DryRunExit
    )
    assert FLIP in err
    assert "Details: " in err, err
    details = err.split("Details: ", 1)[1].splitlines()[0].strip()
    assert details == f"conda guard diff -p {setup.prefix} --update-all"
    argv = shlex.split(details)[2:]
    out, err, code = conda_cli("guard", *argv)
    assert code == 1, err  # the high finding, found again
    assert FLIP in out
    for text in NO_MOVES:
        assert text not in out + err


# -- (b) the batch solve -----------------------------------------------------------


def test_batch_solve_runs(setup: Setup, conda_in, conda_cli, guard_outcomes):
    conda_in(guard_batch="always")
    conda_cli(
        "install", "-p", setup.prefix, "--dry-run", "pytorch=1.12.1", raises=DryRunExit
    )
    (outcome,) = guard_outcomes
    notes = "\n".join(outcome.analysis.notes)
    assert "batch solve skipped" not in notes
    (compared,) = outcome.analysis.comparisons
    batch, before = compared.analysis.before, outcome.analysis.before
    # the one-shot solve read the mirror, and names its channels as conda-meta
    assert batch.get("cudatoolkit").version.startswith("11.1")
    for name in ("python", "cudatoolkit", "mkl"):
        assert batch.get(name).channel == before.get(name).channel, name
    assert not [
        c.name for c in compared.analysis.changes if c.has(ChangeKind.CHANNEL_SWITCH)
    ]


# -- (c) conda guard install --batch ------------------------------------------------


def test_guard_install_batch(setup: Setup, conda_in, conda_cli):
    conda_in()
    out, err, exc = conda_cli(
        "guard",
        "install",
        "-p",
        setup.prefix,
        "--batch",
        "--dry-run",
        "--accept",
        "gpu-to-cpu",
        "pytorch=1.12.1",
        raises=DryRunExit,
    )
    assert "1.12.1-py3.10_cpu_0" in out
    assert "candidate not in requested channel" not in out + err


# -- (d) history and revisions ---------------------------------------------------------


def test_history_shows_no_channel_moves(setup: Setup, conda_in, conda_cli):
    conda_in()
    out, err, code = conda_cli("guard", "history", "-p", setup.prefix)
    assert out.startswith("rev 0  ")
    # revision 0 mixes forge, pytorch and nvidia (channel-mix, by their names);
    # revision 1 adds filelock and moves nothing
    rev1 = out[out.index("\nrev 1  ") :]
    assert "conda-guard: no findings in 1 change" in rev1
    assert "moved channel" not in out
    # the last revision is the prefix: conda-meta's URLs are the history's names
    out, err, code = conda_cli(
        "guard", "diff", f"{setup.prefix}@1", str(setup.prefix), "--json"
    )
    report = json.loads(out)
    assert (report["changes"], report["findings"]) == ([], []), report


def test_revision_check_shows_no_channel_moves(
    setup: Setup, conda_in, conda_cli, guard_outcomes
):
    conda_in()
    conda_cli(
        "install", "-p", setup.prefix, "--revision", "0", "--dry-run", raises=DryRunExit
    )
    (outcome,) = guard_outcomes
    analysis = outcome.analysis
    assert [c.name for c in analysis.changes] == ["filelock"]
    before, after = analysis.before, analysis.after
    # conda-meta's URL and the history's name are one channel
    assert before.get("pytorch").channel == after.get("pytorch").channel
    assert [f.rule for f in analysis.findings] == []


# -- exact pins and conda's rattler solver ------------------------------------------


@pytest.mark.parametrize("solver", ["classic", "rattler"])
def test_pins_name_only_channels_the_solver_reads(
    solver: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """conda-rattler-solver reads a spec's channel name under conda.anaconda.org:
    a pin keeps a channel only where that is where conda reads it too."""
    from conda.base.context import reset_context

    from conda_guard.adapters.conda_channels import pin_channel

    condarc = tmp_path / "condarc"
    monkeypatch.setenv("CONDARC", str(condarc))
    condarc.write_text(f"solver: {solver}\nchannel_alias: {tmp_path.as_uri()}\n")
    reset_context()
    mirror = f"{tmp_path.as_uri()}/forge"
    elsewhere = "https://example.com/channel"
    if solver == "rattler":
        expected = {"forge": None, mirror: None, "defaults": None}
    else:
        expected = {"forge": "forge", mirror: mirror, "defaults": "defaults"}
    expected[elsewhere] = elsewhere  # conda names it by its URL
    assert {c: pin_channel(c) for c in expected} == expected
    condarc.write_text(f"solver: {solver}\n")  # conda's own alias
    reset_context()
    assert pin_channel("conda-forge") == "conda-forge"
    monkeypatch.delenv("CONDARC")
    reset_context()
