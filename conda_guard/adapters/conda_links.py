"""Link-level proof before conda links: a pre-transaction action that only verifies.

conda calls ``verify()`` of every pre-transaction action after it downloaded and
extracted the packages and before it touches the prefix (never on
``--dry-run``, not at all with ``safety_checks: disabled``). The check reads the
binaries that stay in the prefix and the extracted incoming packages
(:func:`conda_guard.binaries.check_links`) and reports sonames or C/C++ runtime
symbol versions that would go missing. In block mode the refusal is *returned*
(conda then cleans up and raises it; raising here would leave an empty new
prefix behind). ``execute``/``reverse``/``cleanup`` do nothing: the guard never
writes into the prefix.

A transaction no solve-time check saw (``conda install --file`` with an
``@EXPLICIT`` file, which conda links without solving) gets the rules here as
well, so every way into a prefix passes the guard once.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from conda.core.path_actions import Action

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..models import State
    from .conda_hooks import Outcome
    from .conda_settings import GuardSettings


def incoming_dirs(link_precs: Iterable[Any]) -> dict[str, Path]:
    """Name → extracted package directory in conda's package cache."""
    from conda.core.package_cache_data import PackageCacheData

    out: dict[str, Path] = {}
    for prec in link_precs:
        for pcrec in PackageCacheData.query_all(prec):
            if pcrec.is_extracted:
                out[prec.name] = Path(pcrec.extracted_package_dir)
                break
    return out


def link_outcome(
    settings: GuardSettings,
    prefix: str,
    unlink_precs: Iterable[Any],
    link_precs: Iterable[Any],
) -> Outcome | None:
    """The findings of a transaction about to be linked (None when there are none).

    Always the link-level ones; also the rules' when no solve-time check saw
    this transaction (``conda install --file`` with an ``@EXPLICIT`` file).
    """
    from ..analysis import Analysis, analyze
    from ..binaries import check_links
    from ..diff import diff_states
    from ..policy import apply_filters
    from .conda_hooks import Outcome, _args, _frozen_blocks, read_before, was_checked
    from .conda_records import state_after

    unlink_precs, link_precs = tuple(unlink_precs), tuple(link_precs)
    seen = was_checked(prefix, unlink_precs, link_precs)
    before: State = read_before(prefix)
    after = state_after(before, unlink_precs, link_precs)
    policy = settings.policy()
    if seen:
        analysis = Analysis(before, after, diff_states(before, after), ())
    else:
        analysis = analyze(before, after, policy=policy)
    if before.records:  # binaries that stay in the prefix
        report = check_links(
            before, after, prefix=Path(prefix), incoming=incoming_dirs(link_precs)
        )
        kept = apply_filters(report.findings, policy)
        analysis = analysis.extend(
            findings=kept.kept, notes=(*report.notes, *kept.notes)
        )
    frozen = not seen and _frozen_blocks(before, analysis, settings, _args())
    if not analysis.findings and not frozen:
        return None
    return Outcome(
        analysis=analysis,
        prefix=prefix,
        frozen_blocks=frozen,
        label=" (link check)" if seen else " (before linking)",
    )


class GuardLinkCheck(Action):
    """conda-guard's pre-transaction action: ``verify()`` runs the link check."""

    def verify(self) -> Exception | None:
        """Warn (stderr) or return :class:`GuardBlockedError`; never raise."""
        try:
            return self._verify()
        except Exception as exc:  # never let a check crash conda's transaction
            return exc
        finally:
            self._verified = True

    def _verify(self) -> Exception | None:
        from ..exceptions import GuardError
        from .conda_errors import (
            GuardBlockedError,
            GuardInputError,
            GuardInternalError,
        )
        from .conda_hooks import act, current_settings, report_skipped

        settings = current_settings()
        if settings.mode == "off" or not self.target_prefix:
            return None
        try:
            outcome = link_outcome(
                settings,
                self.target_prefix,
                self.unlink_precs or (),
                self.link_precs or (),
            )
        except GuardError as exc:
            if settings.on_error == "closed":
                return GuardInputError(str(exc))
            report_skipped(exc)
            return None
        except Exception as exc:
            if settings.on_error == "closed":
                return GuardInternalError(exc)
            report_skipped(exc)
            return None
        if outcome is None:
            return None
        try:
            act(outcome, settings)
        except GuardBlockedError as exc:
            return exc
        return None

    def execute(self) -> None:
        """Nothing to do: the guard never writes into the prefix."""

    def reverse(self) -> None:
        """Nothing to undo."""

    def cleanup(self) -> None:
        """Nothing to clean up."""
