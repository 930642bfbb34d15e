"""Dry-run solves: what an install/update would do, and what a one-shot solve would do.

Given the current state of a prefix and a request (``--install``,
``--update``, ``--update-all``), :func:`propose` computes

- the *incremental* result: what the normal command does now; installed
  packages stay unless the request needs them to move (conda's default
  ``install``: frozen first, then free to move; rattler: the installed records
  as pinned, then as locked/preferred packages);
- the *batch* result (with ``--batch`` or ``--update-all``): one fresh solve of
  the explicit history specs plus the request, as if the environment were
  created in one command;

and compares them: ``batch vs current``, ``incremental vs batch``, plus
``drift`` findings where the two disagree. Solvers run in a worker subprocess
(``conda_guard.adapters.solve_worker``) under a time budget; this module is
standard library only and never imports a solver.
"""

from __future__ import annotations

import json
import os
import platform as _platform
import queue
import shlex
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .constants import DEFAULT_BATCH_TIMEOUT
from .exceptions import SolveError, UnsatisfiableError, UsageError
from .models import Record, State, channel_name

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterable, Mapping, Sequence

    from .abi import AbiTable
    from .analysis import Comparison
    from .models import Finding
    from .policy import Policy

SOLVERS = ("rattler", "conda")
PRIORITIES = ("strict", "flexible", "disabled")
#: environment variable naming the Python that runs the worker (e.g. one with conda)
PYTHON_ENV = "CONDA_GUARD_SOLVE_PYTHON"
_WORKER = "conda_guard.adapters.solve_worker"


@dataclass(frozen=True)
class Proposal:
    """The outcome of a dry-run: the incremental and (optional) batch states.

    ``findings`` are the ``drift`` findings (incremental vs batch);
    ``comparisons`` hold ``batch vs current`` and ``incremental vs batch``;
    ``notes`` say what was skipped and why; ``commands`` suggest the one-shot
    command that recreates the environment in batch.
    """

    current: State
    incremental: State
    batch: State | None = None
    findings: tuple[Finding, ...] = ()
    comparisons: tuple[Comparison, ...] = ()
    notes: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()


@dataclass(frozen=True)
class SolveRequest:
    """Everything a worker needs, independent of argparse."""

    solver: str = "rattler"
    channels: tuple[str, ...] = ()
    platform: str = ""
    channel_priority: str | None = "flexible"
    virtual_packages: tuple[str, ...] | None = None
    timeout: float = DEFAULT_BATCH_TIMEOUT
    jobs: tuple[dict[str, Any], ...] = ()
    prefix: str | None = None
    python: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The worker's stdin document."""
        platforms = [self.platform, "noarch"] if self.platform != "noarch" else []
        return {
            "backend": self.solver,
            "channels": list(self.channels),
            "platforms": platforms or ["noarch"],
            "channel_priority": self.channel_priority,
            "virtual_packages": (
                None if self.virtual_packages is None else list(self.virtual_packages)
            ),
            "prefix": self.prefix,
            "jobs": [dict(j, timeout=self.timeout) for j in self.jobs],
        }


@dataclass
class WorkerOutcome:
    """What came back from a worker: results by job label, and why some did not."""

    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str | None = None
    timed_out: bool = False
    crashed: str | None = None
    seconds: float = 0.0


# -- arguments -----------------------------------------------------------------


def add_solve_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the dry-run solve options to ``parser`` (the ``diff`` subcommand)."""
    group = parser.add_argument_group(
        "dry-run solve",
        "propose a change to a prefix and compare it (with --batch) to a one-shot "
        "solve of everything the environment's history asked for",
    )
    group.add_argument(
        "--install",
        nargs="+",
        action="extend",
        default=[],
        metavar="SPEC",
        help="what `conda install SPEC…` would do",
    )
    group.add_argument(
        "--update",
        nargs="+",
        action="extend",
        default=[],
        metavar="SPEC",
        help="what `conda update SPEC…` would do (SPECs must be installed)",
    )
    group.add_argument(
        "--update-all",
        action="store_true",
        help="what `conda update --all` would do (implies --batch)",
    )
    group.add_argument(
        "--batch",
        action="store_true",
        help="also solve the history specs plus the request from scratch and compare",
    )
    group.add_argument(
        "--solver",
        choices=SOLVERS,
        default="rattler",
        help="solver backend (default: rattler; conda uses your configured solver)",
    )
    group.add_argument(
        "-c",
        "--channel",
        action="append",
        default=[],
        metavar="C",
        help="channel to solve against, highest priority first (repeatable; "
        "default: the channels the environment's packages came from)",
    )
    group.add_argument(
        "--custom-channel",
        action="append",
        default=[],
        metavar="NAME=LOCATION",
        help="serve channel NAME from LOCATION (a URL or a local channel "
        "directory), as conda's custom_channels setting does; packages solved "
        "from it are reported as NAME (repeatable)",
    )
    group.add_argument(
        "--strict-channel-priority",
        action="store_const",
        const="strict",
        dest="channel_priority",
        help="a package only comes from the highest-priority channel that has it",
    )
    group.add_argument(
        "--channel-priority",
        choices=PRIORITIES,
        dest="channel_priority",
        default=None,
        help="channel priority (default: flexible, as conda's default)",
    )
    group.add_argument(
        "--solve-timeout",
        type=_positive_float,
        default=DEFAULT_BATCH_TIMEOUT,
        metavar="SECONDS",
        help=f"time budget of the dry-run solves (default: {DEFAULT_BATCH_TIMEOUT:g});"
        " a comparison that runs out of time is skipped with a note",
    )
    group.add_argument(
        "--virtual-package",
        action="append",
        default=None,
        metavar="SPEC",
        help="a virtual package the solve assumes, e.g. __glibc=2.35, __cuda=12.4,"
        " __unix (repeatable; default: detected on this machine)",
    )
    group.add_argument(
        "--update-deps",
        action="store_true",
        help="the requested packages' dependencies may move too (conda's"
        " --update-deps)",
    )
    group.add_argument(
        "--freeze-installed",
        action="store_true",
        default=None,
        help="installed packages may not move (conda's default for install;"
        " a failed frozen solve is retried unfrozen only without this flag)",
    )


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _arg_error(f"not a number: {text!r}") from None
    if value <= 0:
        raise _arg_error(f"must be > 0: {text!r}")
    return value


def _arg_error(message: str) -> Exception:
    import argparse

    return argparse.ArgumentTypeError(message)


def wants_solve(args: argparse.Namespace) -> bool:
    """True when the arguments ask for a dry-run solve."""
    return bool(
        getattr(args, "install", None)
        or getattr(args, "update", None)
        or getattr(args, "update_all", False)
        or getattr(args, "batch", False)
    )


# -- specs -----------------------------------------------------------------------


def spec_name(spec: str) -> str:
    """The package name of a spec (``conda-forge::numpy>=2`` → ``numpy``)."""
    from .adapters.solve_worker import spec_name as _name

    return _name(spec)


def _has_version(spec: str) -> bool:
    from .matchspec import MatchSpec

    try:
        parsed = MatchSpec.parse(spec)
    except ValueError:
        return True
    return parsed.version is not None or parsed.build is not None


def _by_name(specs: Iterable[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for spec in specs:
        name = spec_name(spec)
        if not name:
            raise UsageError(f"invalid spec {spec!r}")
        out[name] = spec.strip()
    return out


def record_from_solver(data: Mapping[str, Any], source: str = "") -> Record:
    """A worker's repodata-shaped dict as a :class:`Record`."""
    track = data.get("track_features") or ()
    if isinstance(track, str):
        track = tuple(t for t in track.replace(",", " ").split() if t)
    noarch = data.get("noarch")
    if isinstance(noarch, dict):
        noarch = noarch.get("type")
    if noarch is True:
        noarch = "generic"
    channel = data.get("channel") or ""
    url = data.get("url")
    if not channel and url:
        channel = url.rsplit("/", 1)[0]
    return Record(
        name=data["name"],
        version=str(data["version"]),
        build=data.get("build", ""),
        build_number=int(data.get("build_number") or 0),
        channel=channel_name(channel),
        subdir=data.get("subdir", ""),
        depends=tuple(data.get("depends") or ()),
        constrains=tuple(data.get("constrains") or ()),
        track_features=tuple(track),
        noarch=str(noarch) if noarch else None,
        url=url,
        md5=data.get("md5"),
        sha256=data.get("sha256"),
        fn=data.get("fn"),
        timestamp=data.get("timestamp"),
        source=source or None,
    )


def _conda_records(state: State) -> list[Record]:
    return [r for r in state if not r.pip and not r.name.startswith("__")]


def host_platform() -> str:
    """conda's subdir name for this machine."""
    machine = _platform.machine().lower()
    arch = {
        "x86_64": "64",
        "amd64": "64",
        "aarch64": "aarch64",
        "arm64": "arm64",
        "ppc64le": "ppc64le",
        "s390x": "s390x",
    }.get(machine, "64")
    if sys.platform.startswith("linux"):
        return f"linux-{arch}"
    if sys.platform == "darwin":
        return f"osx-{arch}"
    if sys.platform.startswith("win"):
        return "win-64" if arch == "64" else f"win-{arch}"
    return f"linux-{arch}"


def target_platform(current: State, given: str | None = None) -> str:
    """The subdir to solve for: given, the state's, its records', or this host's."""
    if given:
        return given
    if current.platform:
        return current.platform
    subdirs = Counter(r.subdir for r in _conda_records(current))
    subdirs.pop("noarch", None)
    subdirs.pop("", None)
    if subdirs:
        return subdirs.most_common(1)[0][0]
    return host_platform()


def channel_url(channel: str) -> str:
    """A channel as a solver source: names stay, local paths become file URLs."""
    ch = channel.strip()
    if ch.startswith("pkgs/"):
        return f"https://repo.anaconda.com/{ch}"
    if ch.startswith(("/", "./", "../", "~")) or (len(ch) > 2 and ch[1:3] == ":\\"):
        return Path(ch).expanduser().resolve().as_uri()
    return ch


#: what conda's ``defaults`` stands for on the platforms conda-guard targets
DEFAULTS = ("https://repo.anaconda.com/pkgs/main", "https://repo.anaconda.com/pkgs/r")


def solver_channels(channels: Sequence[str], solver: str) -> list[str]:
    """Channels as the backend wants them: rattler gets URLs, conda keeps names."""
    if solver == "conda":
        return [c.strip() for c in channels if c.strip()]
    out: list[str] = []
    for ch in channels:
        expanded = DEFAULTS if ch.strip() == "defaults" else (channel_url(ch),)
        out.extend(c for c in expanded if c not in out)
    return out


def default_channels(current: State) -> list[str]:
    """The channels the installed packages came from, most used first."""
    counts = Counter(r.channel for r in _conda_records(current) if r.channel)
    counts.pop("pypi", None)
    counts.pop("<unknown>", None)
    return [ch for ch, _ in counts.most_common()]


# -- jobs ------------------------------------------------------------------------


def dependency_closure(current: State, names: Iterable[str]) -> set[str]:
    """Names the installed ``names`` depend on, directly or not (not ``names``)."""
    from .adapters.solve_worker import spec_name as dep

    seen: set[str] = set()
    todo = [n for n in names if n in current]
    while todo:
        rec = current.get(todo.pop())
        if rec is None:
            continue
        for spec in rec.depends:
            name = dep(spec)
            if name not in seen and name in current:
                seen.add(name)
                todo.append(name)
    return seen - set(names)


def pinned_specs(current: State) -> tuple[str, ...]:
    """The specs of ``PREFIX/conda-meta/pinned`` (conda's per-environment pins)."""
    if not current.prefix:
        return ()
    path = Path(current.prefix) / "conda-meta" / "pinned"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ()
    return tuple(
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )


@dataclass(frozen=True)
class Plan:
    """The specs of the incremental and batch solves, and how they were chosen."""

    mode: str  # install | update | update-all | batch
    request: dict[str, str]
    incremental_specs: tuple[str, ...]
    locked: tuple[Record, ...]
    pinned: tuple[Record, ...]
    retry_unpinned: bool
    batch_specs: tuple[str, ...]
    explicit: dict[str, str]
    notes: tuple[str, ...] = ()
    #: the ``python X.Y.*`` spec added to hold the installed minor version
    held_python: str | None = None
    #: conda-meta/pinned specs: constraints on the incremental solve
    constraints: tuple[str, ...] = ()
    update_deps: bool = False


def plan_solves(
    current: State,
    *,
    install: Sequence[str] = (),
    update: Sequence[str] = (),
    update_all: bool = False,
    freeze_installed: bool | None = None,
    update_deps: bool = False,
) -> Plan:
    """Build the specs/locked/pinned sets the way conda's solver would.

    - install (conda's default ``FREEZE_INSTALLED``): history specs + request,
      installed packages pinned, retried as locked (preferred, free to move) when
      the frozen solve fails;
    - update (``UPDATE_SPECS``): history specs + request, installed packages locked;
    - update --all (``UPDATE_ALL``): the *names* of the history specs, nothing
      locked (conda drops their version constraints);
    - a python already installed keeps its minor version unless the request
      names python (conda's business rule);
    - batch: the history specs (with their constraints) + the request, fresh.
    """
    request = _by_name([*install, *update])
    # several specs for one name all apply (the solver intersects them)
    same_name = tuple(
        s.strip() for s in (*install, *update) if s.strip() != request[spec_name(s)]
    )
    records = {r.name: r for r in _conda_records(current)}
    if update:
        missing = sorted(n for n in _by_name(update) if n not in records)
        if missing:
            raise UsageError(
                "--update only updates installed packages; not installed: "
                + ", ".join(missing)
                + " (use --install)"
            )
    history = {
        name: spec
        for name, spec in current.explicit.items()
        if not name.startswith("__")
    }
    notes: list[str] = []
    if not history and records:
        notes.append(
            "the environment has no history specs; every installed package name"
            " counts as requested"
        )
        history = {name: name for name in records}
    explicit = {**history, **request}
    if update_all:
        mode = "update-all"
        specs = {name: name for name in history}
        specs.update(request)
        locked: tuple[Record, ...] = ()
        pinned: tuple[Record, ...] = ()
        retry = False
    else:
        mode = "update" if update and not install else "install"
        if not request:
            mode = "batch"
        specs = dict(explicit)
        free = set(request)
        if update_deps:
            free |= dependency_closure(current, request)
        keep = tuple(r for n, r in sorted(records.items()) if n not in free)
        frozen = (
            freeze_installed
            if freeze_installed is not None
            else mode == "install" and not update_deps
        )
        if frozen:
            locked, pinned, retry = (), keep, freeze_installed is None
        else:
            locked, pinned, retry = keep, (), False
    held_python = None
    python = records.get("python")
    if python is not None and "python" not in request:
        if "python" not in specs or not _has_version(specs["python"]):
            minor = ".".join(python.version.split(".")[:2])
            specs["python"] = held_python = f"python {minor}.*"
    return Plan(
        mode=mode,
        request=request,
        incremental_specs=(*specs.values(), *same_name),
        locked=locked,
        pinned=pinned,
        retry_unpinned=retry,
        batch_specs=(*explicit.values(), *same_name),
        explicit=explicit,
        notes=tuple(notes),
        held_python=held_python,
        constraints=pinned_specs(current),
        update_deps=update_deps,
    )


# -- worker ----------------------------------------------------------------------


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (root, env.get("PYTHONPATH", "")) if p
    )
    env.setdefault("PYTHONIOENCODING", "utf-8")
    return env


def run_worker(
    document: Mapping[str, Any], *, timeout: float, python: str | None = None
) -> WorkerOutcome:
    """Run the solve worker on ``document``; stop it when ``timeout`` runs out.

    Results are read line by line as they come; the worker is killed at the
    deadline and whatever arrived is returned. A worker that exits badly after
    its final ``done`` line counts as a success (py-rattler can crash at exit).
    """
    exe = python or os.environ.get(PYTHON_ENV) or sys.executable
    started = time.perf_counter()
    try:
        proc = subprocess.Popen(
            [exe, "-m", _WORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_worker_env(),
        )
    except OSError as exc:
        raise SolveError(f"cannot start the solve worker {exe}: {exc}") from None
    lines: queue.Queue[bytes | None] = queue.Queue()
    errors: list[bytes] = []

    def pump_out() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    def pump_err() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            if len(errors) < 200:
                errors.append(line)

    threads = [
        threading.Thread(target=pump_out, daemon=True),
        threading.Thread(target=pump_err, daemon=True),
    ]
    for t in threads:
        t.start()
    outcome = WorkerOutcome()
    try:
        assert proc.stdin is not None
        proc.stdin.write(json.dumps(document).encode())
        proc.stdin.close()
    except OSError:
        pass  # the worker died at once; its stderr says why
    deadline = started + timeout
    done = False
    while True:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            outcome.timed_out = True
            break
        try:
            raw = lines.get(timeout=remaining)
        except queue.Empty:
            outcome.timed_out = True
            break
        if raw is None:
            break
        try:
            message = json.loads(raw)
        except ValueError:
            continue
        event = message.get("event")
        if event == "result":
            outcome.results[message.get("label", "")] = message
        elif event == "error":
            outcome.error = message.get("message", "the solve worker failed")
        elif event == "done":
            done = True
            break
    if outcome.timed_out:
        proc.kill()
    try:
        rc = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = proc.wait()
    for t in threads:
        t.join(timeout=5)
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()
    if not done and not outcome.timed_out:
        tail = b"".join(errors[-5:]).decode("utf-8", "replace").strip()
        last = tail.splitlines()[-1] if tail else ""
        outcome.crashed = f"the solve worker exited with code {rc}" + (
            f": {last}" if last else ""
        )
    outcome.seconds = time.perf_counter() - started
    return outcome


def solve_request(request: SolveRequest) -> WorkerOutcome:
    """Run ``request`` in a worker under its time budget."""
    return run_worker(request.to_json(), timeout=request.timeout, python=request.python)


# -- propose ---------------------------------------------------------------------


def _unsat_message(
    what: str, result: Mapping[str, Any], held_python: str | None = None
) -> str:
    conflicts = result.get("conflicts") or ()
    head = f"{what} is unsatisfiable"
    if conflicts:
        head += ": conflicting specs " + ", ".join(f"'{c}'" for c in conflicts)
    if held_python and held_python in conflicts:
        head += (
            f" ('{held_python}' holds the installed python minor version, as conda"
            " does; request python explicitly to move it)"
        )
    chain = str(result.get("message", "")).strip()
    if chain:
        head += "\n" + "\n".join("  " + line for line in chain.splitlines())
    return head


def custom_channels(items: Iterable[str]) -> dict[str, str]:
    """``NAME=LOCATION`` items → {NAME: solver source}."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, location = item.partition("=")
        if not sep or not name.strip() or not location.strip():
            raise UsageError(f"--custom-channel takes NAME=LOCATION, not {item!r}")
        out[name.strip()] = channel_url(location.strip())
    return out


def _relabel(record: Record, labels: Mapping[str, str]) -> Record:
    name = labels.get(record.channel)
    return record if name is None else replace(record, channel=name)


def _state_from(
    result: Mapping[str, Any],
    current: State,
    *,
    source: str,
    explicit: Mapping[str, str],
    platform: str,
    labels: Mapping[str, str],
) -> State:
    records = [
        _installed_copy(_relabel(record_from_solver(d, source), labels), current)
        for d in result.get("records", ())
    ]
    records = [r for r in records if not r.name.startswith("__")]
    # packages installed by other tools (pip) stay where they are
    records.extend(r for r in current if r.pip)
    return State.from_records(
        records,
        source=source,
        kind="solve",
        explicit=dict(explicit),
        prefix=current.prefix,
        platform=platform,
        frozen=current.frozen,
    )


def same_artifact(a: Record, b: Record) -> bool:
    """True when two records are the same package file (from any mirror/channel).

    Name, version, build and subdir must agree, and the sha256 (else the md5,
    else the file name) where both sides know it.
    """
    if (a.name, a.version, a.build, a.subdir) != (b.name, b.version, b.build, b.subdir):
        return False
    for key in ("sha256", "md5", "fn"):
        x, y = getattr(a, key), getattr(b, key)
        if x and y:
            return x == y
    return False


def _installed_copy(solved: Record, current: State) -> Record:
    """The installed record when the solver picked the very same file.

    A solve against a mirror or a local copy of the channel returns the
    package under that channel's URL; the file (and its ABI) is the one
    installed, so it is no change.
    """
    installed = current.get(solved.name)
    if installed is not None and same_artifact(installed, solved):
        return installed
    return solved


def _command_word(plan: Plan) -> str:
    return {
        "install": "install",
        "update": "update",
        "update-all": "update --all",
        "batch": "create (batch)",
    }[plan.mode]


def one_shot_command(
    current: State,
    specs: Sequence[str],
    channels: Sequence[str],
    *,
    strict: bool = False,
    labels: Mapping[str, str] | None = None,
) -> str:
    """``conda create -n NAME --override-channels -c … spec…`` for a batch solve.

    Channels served by ``--custom-channel`` are written by their name.
    """
    name = Path(current.prefix).name if current.prefix else "NAME"
    parts = ["conda", "create", "-n", name, "--override-channels"]
    for ch in channels:
        parts += ["-c", (labels or {}).get(channel_name(ch), ch)]
    if strict:
        parts.append("--strict-channel-priority")
    parts += list(specs)
    return " ".join(shlex.quote(p) for p in parts)


def propose(
    args: argparse.Namespace, current: State, *, policy: Policy | None = None
) -> Proposal:
    """Dry-run the request in ``args`` against ``current`` (see the module doc).

    ``policy`` (ignore/allow filters) applies to the comparisons' analyses.
    """
    install = list(getattr(args, "install", None) or ())
    update = list(getattr(args, "update", None) or ())
    update_all = bool(getattr(args, "update_all", False))
    batch = bool(getattr(args, "batch", False)) or update_all
    if update_all and update:
        raise UsageError("--update-all takes no SPEC; use --update SPEC… instead")
    plan = plan_solves(
        current,
        install=install,
        update=update,
        update_all=update_all,
        freeze_installed=getattr(args, "freeze_installed", None),
        update_deps=bool(getattr(args, "update_deps", False)),
    )
    platform = target_platform(current, getattr(args, "platform", None))
    solver = getattr(args, "solver", None) or "rattler"
    custom = custom_channels(getattr(args, "custom_channel", None) or ())
    if custom and solver == "conda":
        raise UsageError(
            "--custom-channel is for the rattler solver; conda reads custom_channels "
            "from .condarc"
        )
    named = list(getattr(args, "channel", None) or ())
    notes = list(plan.notes)
    if not named and solver == "conda":
        notes.append("channels: conda's configured channels")
    elif not named:
        named = default_channels(current)
        if not named:
            raise UsageError("no channel to solve against: pass -c/--channel")
        notes.append("channels (from the installed packages): " + ", ".join(named))
    channels = solver_channels([custom.get(c, c) for c in named], solver)
    for name, url in custom.items():
        if url in channels:
            notes.append(f"channel {name} served from {url}")
    labels = {channel_name(url): name for name, url in custom.items()}
    priority = getattr(args, "channel_priority", None) or (
        "strict" if getattr(args, "strict_channel_priority", False) else None
    )
    if priority is None and solver != "conda":
        priority = "flexible"  # conda's default; the conda backend reads .condarc
    virtual = getattr(args, "virtual_package", None) or None  # [] = detect
    timeout = float(getattr(args, "solve_timeout", None) or DEFAULT_BATCH_TIMEOUT)
    return propose_plan(
        current,
        plan,
        channels=channels,
        platform=platform,
        priority=priority,
        solver=solver,
        virtual_packages=None if virtual is None else tuple(virtual),
        timeout=timeout,
        batch=batch,
        notes=notes,
        policy=policy,
        labels=labels,
    )


def propose_plan(
    current: State,
    plan: Plan,
    *,
    channels: Sequence[str],
    platform: str,
    priority: str | None = "flexible",
    solver: str = "rattler",
    virtual_packages: tuple[str, ...] | None = None,
    timeout: float = DEFAULT_BATCH_TIMEOUT,
    batch: bool = False,
    notes: Sequence[str] = (),
    python: str | None = None,
    table: AbiTable | None = None,
    policy: Policy | None = None,
    labels: Mapping[str, str] | None = None,
) -> Proposal:
    """Run the solves of ``plan`` and build the :class:`Proposal`.

    ``labels`` maps a solver channel (short name of its URL) to the name its
    packages are reported under (``--custom-channel``).
    """
    labels = labels or {}
    notes = list(notes)
    if plan.constraints:
        notes.append("pinned (conda-meta/pinned): " + ", ".join(plan.constraints))
    jobs: list[dict[str, Any]] = []
    if plan.mode != "batch":
        jobs.append(
            {
                "label": "incremental",
                "specs": list(plan.incremental_specs),
                "locked": [r.to_repodata() for r in plan.locked],
                "pinned": [r.to_repodata() for r in plan.pinned],
                "retry_unpinned": plan.retry_unpinned,
                "constraints": list(plan.constraints),
                "command": "update"
                if plan.mode in ("update", "update-all")
                else "install",
                "update_all": plan.mode == "update-all",
                "update_deps": plan.update_deps,
                "request": list(plan.request.values()),
            }
        )
    if batch or plan.mode == "batch":
        jobs.append(
            {
                "label": "batch",
                "specs": list(plan.batch_specs),
                "command": "create",
                "request": list(plan.batch_specs),
            }
        )
    request = SolveRequest(
        solver=solver,
        channels=tuple(channels),
        platform=platform,
        channel_priority=priority,
        virtual_packages=virtual_packages,
        timeout=timeout,
        jobs=tuple(jobs),
        prefix=current.prefix,
        python=python,
    )
    outcome = solve_request(request)
    if outcome.error:
        message = outcome.error
        if "is not available in" in message:
            message += f" (set {PYTHON_ENV} to a Python that has it)"
        raise SolveError(message)
    word = _command_word(plan)
    where = f"{solver}, {priority or 'configured'} channel priority"
    incremental = current
    if plan.mode != "batch":
        result = outcome.results.get("incremental")
        if result is None:
            if outcome.timed_out:
                raise SolveError(
                    f"the dry-run {word} did not finish within {timeout:g} s"
                    " (--solve-timeout); nothing to compare"
                )
            raise SolveError(outcome.crashed or "the solve worker returned nothing")
        if not result.get("ok"):
            hint = ""
            other = outcome.results.get("batch")
            if other is not None and other.get("ok"):
                hint = (
                    "a one-shot solve of the history specs plus the request works"
                    f" ({len(other.get('records', ()))} packages): "
                    + one_shot_command(
                        current,
                        plan.batch_specs,
                        channels,
                        strict=priority == "strict",
                        labels=labels,
                    )
                )
            _raise_failed(
                f"the request ({word} {' '.join(plan.request.values())})".replace(
                    " )", ")"
                ),
                result,
                hint,
                plan.held_python,
            )
        notes.extend(result.get("notes", ()))
        incremental = _state_from(
            result,
            current,
            source=f"dry-run {word} {' '.join(plan.request.values())}".strip()
            + f" ({where})",
            explicit=plan.explicit,
            platform=platform,
            labels=labels,
        )
    batch_state: State | None = None
    findings: list[Finding] = []
    comparisons: list[Comparison] = []
    commands: list[str] = []
    if batch or plan.mode == "batch":
        commands.append(
            one_shot_command(
                current,
                plan.batch_specs,
                channels,
                strict=priority == "strict",
                labels=labels,
            )
        )
        result = outcome.results.get("batch")
        if result is None:
            why = (
                f"it did not finish within {timeout:g} s (--solve-timeout)"
                if outcome.timed_out
                else outcome.crashed or "the worker returned nothing"
            )
            notes.append(
                "batch comparison skipped (batch vs current, incremental vs batch):"
                f" the one-shot solve of the history specs plus the request: {why}"
            )
        elif not result.get("ok"):
            from .rules.drift import unsatisfiable_finding

            what = "a one-shot solve of the history specs plus the request"
            if result.get("error") == "unsatisfiable":
                findings.append(
                    unsatisfiable_finding(
                        plan.batch_specs,
                        tuple(result.get("conflicts") or ()),
                        str(result.get("message", "")),
                    )
                )
                why = _unsat_message(what, result).splitlines()[0]
            elif result.get("error") == "timeout":
                why = f"{what} ran out of time ({timeout:g} s, --solve-timeout)"
            else:
                why = f"{what} failed: {result.get('message', '')}".rstrip(": ")
            notes.append(
                "batch comparison skipped (batch vs current, incremental vs batch): "
                + why
            )
        else:
            batch_state = _state_from(
                result,
                current,
                source=f"one-shot create of the history specs + request ({where})",
                explicit=plan.explicit,
                platform=platform,
                labels=labels,
            )
            findings, comparisons = _compare(
                current, incremental, batch_state, plan, table, policy
            )
    return Proposal(
        current=current,
        incremental=incremental,
        batch=batch_state,
        findings=tuple(findings),
        comparisons=tuple(comparisons),
        notes=tuple(dict.fromkeys(notes)),
        commands=tuple(commands),
    )


def _raise_failed(
    what: str,
    result: Mapping[str, Any],
    hint: str = "",
    held_python: str | None = None,
) -> None:
    if result.get("error") == "unsatisfiable":
        message = _unsat_message(what, result, held_python)
        if hint:
            message += "\n" + hint
        raise UnsatisfiableError(message, tuple(result.get("conflicts") or ()))
    if result.get("error") == "timeout":
        raise SolveError(
            f"{what}: the solver ran out of time ({result.get('message')})"
        )
    raise SolveError(f"{what}: {result.get('message', 'the solve failed')}")


def _compare(
    current: State,
    incremental: State,
    batch: State,
    plan: Plan,
    table: AbiTable | None,
    policy: Policy | None = None,
) -> tuple[list[Finding], list[Comparison]]:
    from .abi import load_table
    from .analysis import Comparison, analyze
    from .rules.drift import drift_findings

    table = table or load_table()
    findings = list(drift_findings(incremental, batch, table))
    comparisons = [
        Comparison(
            "batch vs current", analyze(current, batch, table=table, policy=policy)
        )
    ]
    if plan.mode != "batch":
        comparisons.append(
            Comparison(
                "incremental vs batch",
                analyze(batch, incremental, table=table, policy=policy),
            )
        )
    return findings, comparisons
