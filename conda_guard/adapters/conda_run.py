"""One conda command as the guard sees it: a :class:`GuardRun` and its lifetime.

conda calls the guard's hooks one after the other for one command: the
pre-command hook (with the command's name, as conda dispatches it), the
pre-solve hook (with the request: conda's ``MatchSpec`` objects), the
post-solve check, the pre-transaction link check, the post-command hook. What
one hook tells a later one lives in one :class:`GuardRun`:

- its :class:`CondaRequest` (command, specs, ``update --all``, ``--revision``,
  ``--override-frozen``), read from conda's own objects;
- the settings the strict subcommands (``conda guard install/update``) force;
- the transaction the solve-time check saw (so the link check does not run
  the rules twice), recorded only when conda will link it (not on
  ``--dry-run``).

Lifetime: :func:`begin` starts a run (the pre-command hook, or
``conda guard install/update`` through :func:`strict_run`) and replaces any
earlier one; :func:`end` closes it (the post-command hook). conda used
through its Python API calls no command hook; :func:`current` then starts a
run of an unnamed command, replaced by the next one. :func:`begin`,
:func:`current` and :func:`end` are the only code that touches the slot.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from conda.models.match_spec import MatchSpec
    from conda.models.records import PackageRecord

    from ..settings import GuardSettings


@dataclass(frozen=True)
class CondaRequest:
    """What the user asked conda for, read from conda's objects.

    ``command`` is conda's name for it (``install``, ``update``, ``remove``,
    ``create`` — also ``env create`` —, ``env_update``; ``""`` when conda runs
    through its API). ``specs`` are the specs to add as conda writes them to
    the history (``str(MatchSpec)``), ``typed`` as the user wrote them.
    """

    command: str = ""
    specs: tuple[str, ...] = ()
    typed: tuple[str, ...] = ()
    update_all: bool = False
    revision: int | None = None
    override_frozen: bool = False

    def requested(self) -> dict[str, str]:
        """name → spec of the specs to add (the history's update specs)."""
        from ..graph import dep_name

        return {dep_name(s): s for s in self.specs if dep_name(s)}


@dataclass
class GuardRun:
    """The guard's state for one conda command (see the module docstring)."""

    command: str = ""
    #: ``mode``/``fail_on`` replace the user's; ``ignore``/``allow`` add to them
    overrides: dict[str, Any] = field(default_factory=dict)
    specs: tuple[MatchSpec, ...] = ()
    #: (prefix, transaction key) of the transaction the solve-time check saw;
    #: key None: the ``--revision`` check saw the prefix
    checked: tuple[str, frozenset[str] | None] | None = None
    #: ``--accept`` values taken as packages: each must name one of the
    #: transaction (checked when it is known, ``policy.check_accepted_packages``)
    accepted: tuple[str, ...] = ()
    #: (rule, severity, message) of what the solve-time check reported, so the
    #: link check adds only what the extracted files prove beyond it
    reported: frozenset[tuple[str, str, str]] = frozenset()
    #: a dry run said once that the link-level proof runs on the real run
    dry_run_noted: bool = False

    @property
    def strict(self) -> bool:
        """True inside ``conda guard install/update``."""
        return bool(self.overrides)

    def request(self) -> CondaRequest:
        """The request of this command, from the solve's specs and conda's context."""
        from conda.base.constants import UpdateModifier
        from conda.base.context import context

        # conda's parsed arguments: only what conda's context does not carry
        args = context._argparse_args
        revision = getattr(args, "revision", None) if args is not None else None
        ordered = sorted(self.specs, key=lambda s: (s.name, str(s)))
        return CondaRequest(
            command=self.command,
            specs=tuple(str(s) for s in ordered),
            typed=tuple(s.original_spec_str or str(s) for s in ordered),
            update_all=context.update_modifier == UpdateModifier.UPDATE_ALL,
            revision=None if revision is None else int(revision),
            # --override-frozen stores False here; the setting alone does not
            override_frozen=getattr(args, "protect_frozen_envs", None) is False,
        )

    def settings(self) -> GuardSettings:
        """The user's settings with this run's overrides applied."""
        from .conda_settings import read_settings

        settings = read_settings()
        if not self.overrides:
            return settings
        changes = dict(self.overrides)
        changes["ignore"] = (*settings.ignore, *changes.get("ignore", ()))
        changes["allow"] = (*settings.allow, *changes.get("allow", ()))
        return replace(settings, **changes)

    def mark_checked(
        self, prefix: str, key: frozenset[str] | None, *, will_link: bool = True
    ) -> None:
        """Remember what the solve-time check saw (only when conda will link it)."""
        self.checked = (prefix, key) if will_link else None

    def take_checked(
        self,
        prefix: str,
        unlink_precs: Iterable[PackageRecord],
        link_precs: Iterable[PackageRecord],
    ) -> bool:
        """True (once) when the solve-time or --revision check saw this transaction."""
        checked, self.checked = self.checked, None
        if checked is None or checked[0] != prefix:
            return False
        return checked[1] is None or checked[1] == transaction_key(
            unlink_precs, link_precs
        )


def transaction_key(
    unlink_precs: Iterable[PackageRecord], link_precs: Iterable[PackageRecord]
) -> frozenset[str]:
    """The unlinked and linked dists of a transaction, as a comparable set."""
    return frozenset(
        [f"-{p.name}-{p.version}-{p.build}" for p in unlink_precs]
        + [f"+{p.name}-{p.version}-{p.build}" for p in link_precs]
    )


class _Slot:
    """The one place the current run lives (conda may verify in a thread pool)."""

    lock = threading.Lock()
    run: GuardRun | None = None


def begin(command: str, overrides: dict[str, Any] | None = None) -> GuardRun:
    """Start the run of a conda command (ending the previous one); channels are
    named by conda from here on (:func:`conda_channels.install`)."""
    from . import conda_channels

    run = GuardRun(command=command, overrides=dict(overrides or {}))
    conda_channels.install()
    with _Slot.lock:
        _Slot.run = run
    return run


def current() -> GuardRun:
    """The run of the current command (a new, unnamed one without a command)."""
    with _Slot.lock:
        run = _Slot.run
    return run if run is not None else begin("")


def end() -> None:
    """End the current run."""
    with _Slot.lock:
        _Slot.run = None


@contextmanager
def strict_run(command: str, overrides: dict[str, Any]) -> Iterator[GuardRun]:
    """``conda guard install/update``: a run with forced settings, ended on exit."""
    run = begin(command, overrides)
    try:
        yield run
    finally:
        end()
