"""Link-level proof before conda links: a pre-transaction action that only verifies.

conda calls ``verify()`` of every pre-transaction action after it downloaded and
extracted the packages and before it touches the prefix (never on
``--dry-run``, not at all with ``safety_checks: disabled``). The check reads the
binaries that stay in the prefix and the extracted incoming packages
(:func:`conda_guard.file_proof.prove`) and reports sonames or C/C++ runtime
symbol versions that would go missing, and what the files prove beyond the
solve-time check: an extension module built against NumPy 1.x next to numpy
2, which the records could only call "cannot be proven from metadata"
(:func:`conda_guard.analysis.proven_by_files`). In block mode the refusal is *returned*
(conda then cleans up and raises it; raising here would leave an empty new
prefix behind). ``execute``/``reverse``/``cleanup`` do nothing: the guard never
writes into the prefix.

A transaction no solve-time check saw (``conda install --file`` with an
``@EXPLICIT`` file, which conda links without solving) gets the rules here as
well, so every way into a prefix passes the guard once.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from conda.core.path_actions import Action

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from conda.models.records import PackageRecord

    from ..models import State
    from ..settings import GuardSettings
    from .conda_report import Outcome
    from .conda_run import GuardRun


def incoming_dirs(link_precs: Iterable[PackageRecord]) -> dict[str, Path]:
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
    run: GuardRun,
    settings: GuardSettings,
    prefix: str,
    unlink_precs: Sequence[PackageRecord],
    link_precs: Sequence[PackageRecord],
) -> Outcome | None:
    """The findings of a transaction about to be linked (None when there are none).

    Always the link-level ones; also the rules' when no solve-time check saw
    this transaction (``conda install --file`` with an ``@EXPLICIT`` file).
    """
    from ..analysis import Analysis, analyze, proven_by_files
    from ..diff import diff_states
    from ..file_proof import prove
    from ..policy import apply_filters
    from .conda_hooks import frozen_blocks, read_before
    from .conda_records import state_after
    from .conda_report import Outcome

    seen = run.take_checked(prefix, unlink_precs, link_precs)
    request = run.request()
    before: State = read_before(prefix)
    after = state_after(before, unlink_precs, link_precs)
    policy = settings.policy()
    # the extracted packages are there now: the files prove what the records
    # could not (sonames, symbol versions, the NumPy C-API of extension modules)
    proof = prove(
        before,
        after,
        incoming=incoming_dirs(link_precs),
        pkgs_dirs=(),
        links=bool(before.records),
    )
    if seen:
        analysis = Analysis(before, after, diff_states(before, after), ())
        if proof.facts is not None:
            proven = proven_by_files(
                before, after, proof.facts, policy=policy, known=run.reported
            )
            analysis = analysis.extend(findings=proven)
    else:
        analysis = analyze(before, after, policy=policy, files=proof.facts)
    kept = apply_filters(proof.findings, policy)
    analysis = analysis.extend(findings=kept.kept, notes=(*proof.notes, *kept.notes))
    proof.save()
    frozen = not seen and frozen_blocks(before, analysis, settings, request)
    if not analysis.findings and not frozen:
        return None
    return Outcome(
        analysis=analysis,
        prefix=prefix,
        request=request,
        frozen_blocks=frozen,
        strict=run.strict,
        label=" (link check)" if seen else " (before linking)",
    )


class GuardLinkCheck(Action):
    """conda-guard's pre-transaction action: ``verify()`` runs the link check."""

    def verify(self) -> Exception | None:
        """Warn (stderr) or return :class:`GuardBlockedError`; never raise.

        conda raises what ``verify`` returns, so only a refusal, or a failure
        with ``guard_on_error: closed``, is returned; anything else is one
        warning and conda goes on.
        """
        try:
            return self._verify()
        except Exception as exc:  # never let the check itself crash conda
            from .conda_report import report_skipped

            report_skipped(exc)
            return None
        finally:
            self._verified = True

    def _verify(self) -> Exception | None:
        from conda.exceptions import CondaError

        from ..constants import GuardMode
        from . import conda_run
        from .conda_hooks import guard
        from .conda_report import report_skipped

        run = conda_run.current()
        try:
            settings = run.settings()
        except CondaError as exc:  # an invalid setting: conda's own error
            return exc
        except Exception as exc:  # a bug reading them: the default is open
            report_skipped(exc)
            return None
        if settings.mode is GuardMode.OFF or not self.target_prefix:
            return None
        unlink, link = tuple(self.unlink_precs or ()), tuple(self.link_precs or ())
        try:
            guard(
                settings,
                lambda: link_outcome(run, settings, self.target_prefix, unlink, link),
            )
        except CondaError as exc:  # the refusal, or a failure in closed mode
            return exc
        return None

    def execute(self) -> None:
        """Nothing to do: the guard never writes into the prefix."""

    def reverse(self) -> None:
        """Nothing to undo."""

    def cleanup(self) -> None:
        """Nothing to clean up."""
