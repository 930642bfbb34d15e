"""The solve plan: which specs, locked and pinned records each solve gets.

:func:`plan_solves` chooses them the way conda's solver does for ``install``,
``update``, ``update --all`` and a batch (one-shot) solve; :meth:`Plan.jobs`
turns a plan into the worker's :class:`~conda_guard.solve.protocol.Job` objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..exceptions import UsageError
from ..graph import dep_name as spec_name
from .protocol import Job

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from ..models import Record, State


def _has_version(spec: str) -> bool:
    from ..matchspec import MatchSpec

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


def conda_records(state: State) -> list[Record]:
    """The records conda manages (no pip records, no virtual packages)."""
    return [r for r in state if not r.pip and not r.name.startswith("__")]


def dependency_closure(current: State, names: Iterable[str]) -> set[str]:
    """Names the installed ``names`` depend on, directly or not (not ``names``)."""
    seen: set[str] = set()
    todo = [n for n in names if n in current]
    while todo:
        rec = current.get(todo.pop())
        if rec is None:
            continue
        for spec in rec.depends:
            name = spec_name(spec)
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

    @property
    def command_word(self) -> str:
        """The conda command this plan stands for (``update --all`` ...)."""
        return _WORDS[self.mode]

    def jobs(self, *, batch: bool = False) -> tuple[Job, ...]:
        """The worker's jobs: the incremental solve (unless ``mode`` is batch)
        and, with ``batch``, the one-shot solve."""
        jobs: list[Job] = []
        if self.mode != "batch":
            jobs.append(
                Job(
                    label="incremental",
                    specs=self.incremental_specs,
                    command="update"
                    if self.mode in ("update", "update-all")
                    else "install",
                    request=tuple(self.request.values()),
                    locked=self.locked,
                    pinned=self.pinned,
                    retry_unpinned=self.retry_unpinned,
                    constraints=self.constraints,
                    update_all=self.mode == "update-all",
                    update_deps=self.update_deps,
                )
            )
        if batch or self.mode == "batch":
            jobs.append(
                Job(
                    label="batch",
                    specs=self.batch_specs,
                    command="create",
                    request=self.batch_specs,
                )
            )
        return tuple(jobs)


_WORDS = {
    "install": "install",
    "update": "update",
    "update-all": "update --all",
    "batch": "create (batch)",
}


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
    records = {r.name: r for r in conda_records(current)}
    _check_installed(update, records)
    history, notes = _history_specs(current, records)
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
        locked, pinned, retry = _kept(
            current, records, request, mode, freeze_installed, update_deps
        )
    held_python = _hold_python(records, request, specs)
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


def _check_installed(update: Sequence[str], records: Mapping[str, Record]) -> None:
    missing = sorted(n for n in _by_name(update) if n not in records)
    if missing:
        raise UsageError(
            "--update only updates installed packages; not installed: "
            + ", ".join(missing)
            + " (use --install)"
        )


def _history_specs(
    current: State, records: Mapping[str, Record]
) -> tuple[dict[str, str], list[str]]:
    """The history specs (every installed name when there are none), and a note."""
    history = {
        name: spec
        for name, spec in current.explicit.items()
        if not name.startswith("__")
    }
    if history or not records:
        return history, []
    note = (
        "the environment has no history specs; every installed package name"
        " counts as requested"
    )
    return {name: name for name in records}, [note]


def _kept(
    current: State,
    records: Mapping[str, Record],
    request: Mapping[str, str],
    mode: str,
    freeze_installed: bool | None,
    update_deps: bool,
) -> tuple[tuple[Record, ...], tuple[Record, ...], bool]:
    """(locked, pinned, retry unpinned): what the installed records do."""
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
        return (), keep, freeze_installed is None
    return keep, (), False


def _hold_python(
    records: Mapping[str, Record], request: Mapping[str, str], specs: dict[str, str]
) -> str | None:
    """Hold the installed python minor version unless asked (sets ``specs``)."""
    python = records.get("python")
    if python is None or "python" in request:
        return None
    if "python" in specs and _has_version(specs["python"]):
        return None
    minor = ".".join(python.version.split(".")[:2])
    specs["python"] = held = f"python {minor}.*"
    return held
