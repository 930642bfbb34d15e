"""``conda guard rollback``: back to a generation, offline, with conda's own linker.

No solve and no network. In order:

1. read and validate the generation (:mod:`conda_guard.recovery.generation`);
2. hash every archive it needs (and every kept pip file) against the digest it
   recorded, and refuse, changing nothing, when one is missing or corrupt;
3. build conda ``PackageRecord`` objects from the stored records and let
   ``diff_for_unlink_link_precs`` say what to unlink and link (conda's
   explicit-install path, as conda-self's ``reset`` does);
4. run the guard's rules on the change (the prefix now -> the generation) and
   warn or block as for any transaction (``plugins.guard_mode``);
5. confirm, then put each archive to link into conda's first writable package
   cache (a hard link from the store) and extract it there with conda's
   ``ExtractPackageAction`` from the stored record, so the record conda writes
   to ``conda-meta`` is the generation's (URL, channel, md5, sha256);
6. run conda's ``UnlinkLinkTransaction``, whose history entry sets the
   requested specs to the generation's (``update specs``; names requested
   since then go in ``remove specs``);
7. restore the pip-installed distributions whose files the generation kept,
   and name those it cannot.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conda.exceptions import CondaError

if TYPE_CHECKING:
    from ..analysis import Analysis
    from ..recovery.generation import Generation
    from ..recovery.store import Store

_GEN_ARG = re.compile(r"g?(-?[0-9]+)")


class GuardRecoveryError(CondaError):
    """A rollback that cannot be done; nothing was changed."""

    return_code = 2

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


# -- choosing and checking the generation --------------------------------------


def _current_key(prefix: str) -> tuple[Any, ...]:
    from ..recovery.capture import read_meta_records
    from ..recovery.pipdists import find_dists

    raw = read_meta_records(Path(prefix))
    recs = tuple(
        sorted(
            (
                str(r["name"]),
                str(r["version"]),
                r.get("build", ""),
                r.get("sha256") or "",
            )
            for r in raw
        )
    )
    pip = tuple(sorted((d.name, d.version) for d in find_dists(Path(prefix), raw)))
    return recs, pip


def _gen_key(gen: Generation) -> tuple[Any, ...]:
    recs, _requested, pip = gen.key()
    return recs, tuple((n, v) for n, v, _h in pip)


def choose(store: Store, prefix: str, text: str | None) -> Generation:
    """The generation asked for, or the newest one unlike the prefix now."""
    from ..exceptions import UsageError
    from ..recovery.states import pick

    if text is not None:
        m = _GEN_ARG.fullmatch(text.strip())
        if m is None:
            raise UsageError(f"not a generation: {text!r} (give g3, 3 or -1)")
        return pick(store, int(m.group(1)))
    numbers = store.numbers()
    if not numbers:
        raise UsageError(
            f"no generations of {prefix} yet (one is taken before each transaction, "
            f"or with `conda guard snapshot`)"
        )
    now = _current_key(prefix)
    for number in reversed(numbers):
        gen = store.load(number)
        if _gen_key(gen) != now:
            return gen
    raise UsageError(f"{prefix} is as every generation has it: nothing to roll back to")


def refusal(gen: Generation, problems: list[Any]) -> str:
    """The one message of a refused rollback."""
    lines = [
        (
            f"conda guard rollback: refusing to restore {gen.label} of {gen.prefix}: "
            f"{len(problems)} archive(s) cannot be used, and nothing was changed:"
        )
    ]
    lines += [f"  - {p}" for p in problems]
    return "\n".join(lines)


# -- the conda transaction ---------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What the rollback does."""

    generation: Generation
    unlink: tuple[Any, ...]
    link: tuple[Any, ...]
    update_specs: tuple[str, ...]
    remove_specs: tuple[str, ...]
    specs_change: bool

    @property
    def conda_nothing(self) -> bool:
        """No conda package changes and no history change."""
        return not self.unlink and not self.link and not self.specs_change


def package_records(gen: Generation) -> tuple[Any, ...]:
    """conda ``PackageRecord`` objects of the generation, dependencies first."""
    from conda.models.prefix_graph import PrefixGraph
    from conda.models.records import PackageRecord

    precs = [PackageRecord(**rec) for rec in gen.records]
    return tuple(PrefixGraph(precs).graph)


def plan(prefix: str, gen: Generation) -> Plan:
    """conda's unlink/link lists and the history specs that make ``gen``."""
    from conda.core.solve import diff_for_unlink_link_precs

    from ..readers.history import parse_history

    unlink, link = diff_for_unlink_link_precs(prefix, package_records(gen))
    history = Path(prefix) / "conda-meta" / "history"
    now = parse_history(history).requested_specs() if history.is_file() else {}
    update = tuple(gen.requested[k] for k in sorted(gen.requested))
    remove = tuple(sorted(set(now) - set(gen.requested)))
    return Plan(
        generation=gen,
        unlink=tuple(unlink),
        link=tuple(link),
        update_specs=update,
        remove_specs=remove,
        specs_change=now != gen.requested,
    )


def stage(store: Store, gen: Generation, link: tuple[Any, ...]) -> None:
    """Put each archive to link into the package cache, extracted as recorded."""
    from conda.core.package_cache_data import PackageCacheData
    from conda.core.path_actions import ExtractPackageAction

    from ..recovery import fsutil
    from ..recovery.verify import archive_file

    cache = PackageCacheData.first_writable()
    list(cache.iter_records())  # load it before new tarballs appear in it
    pkgs_dir = Path(cache.pkgs_dir)
    for prec in link:
        arch = gen.archive_of(prec.name)
        source = archive_file(store, arch) if arch else None
        if arch is None or source is None:
            raise GuardRecoveryError(f"no archive of {prec.name} in {gen.label}")
        tarball = pkgs_dir / arch.fn
        if not (tarball.exists() and tarball.samefile(source)):
            if tarball.exists() or tarball.is_symlink():
                tarball.unlink()
            fsutil.link_or_copy(source, tarball, allow_copy=True)
        if prec.get("url") and prec.url not in cache._urls_data:
            cache._urls_data.add_url(prec.url)
        extracted = pkgs_dir / _strip_ext(arch.fn)
        if _extracted_matches(extracted, prec):
            continue
        ExtractPackageAction(
            source_full_path=str(tarball),
            target_pkgs_dir=str(pkgs_dir),
            target_extracted_dirname=extracted.name,
            record_or_spec=prec,
            sha256=arch.sha256,
            size=arch.size,
            md5=arch.md5,
        ).execute()


def _strip_ext(fn: str) -> str:
    for ext in (".tar.bz2", ".conda"):
        if fn.endswith(ext):
            return fn[: -len(ext)]
    return fn


def _extracted_matches(extracted: Path, prec: Any) -> bool:
    """An extracted package whose repodata_record.json is this very record."""
    try:
        rec = json.loads((extracted / "info" / "repodata_record.json").read_text())
    except (OSError, ValueError):
        return False
    same_hash = (prec.get("sha256") and rec.get("sha256") == prec.sha256) or (
        prec.get("md5") and rec.get("md5") == prec.md5
    )
    return bool(same_hash) and rec.get("url") == prec.get("url")


def execute_plan(prefix: str, p: Plan) -> None:
    """conda's ``UnlinkLinkTransaction`` for the plan (writes the history entry)."""
    from conda.core.link import PrefixSetup, UnlinkLinkTransaction
    from conda.models.match_spec import MatchSpec

    from . import conda_run

    setup = PrefixSetup(
        prefix,
        p.unlink,
        p.link,
        tuple(MatchSpec(name) for name in p.remove_specs),
        tuple(MatchSpec(spec) for spec in p.update_specs),
        (),
    )
    txn = UnlinkLinkTransaction(setup)
    run = conda_run.current()
    run.mark_checked(prefix, None)  # the rules ran on this rollback already
    try:
        txn.execute()
    finally:
        run.mark_checked(prefix, None, will_link=False)


# -- the guard's rules on the rollback ------------------------------------------------


def analysis_of(prefix: str, gen: Generation) -> Analysis:
    """The prefix now -> the generation, through the rules."""
    from ..analysis import analyze
    from ..recovery.states import generation_state
    from .conda_hooks import read_before
    from .conda_run import current

    after = generation_state(gen, f"{prefix}@{gen.label}")
    return analyze(read_before(prefix), after, policy=current().settings().policy())


def guard_check(prefix: str, gen: Generation, analysis: Analysis) -> None:
    """Warn or block as for any transaction (``plugins.guard_mode``)."""
    from ..constants import GuardMode
    from .conda_hooks import frozen_blocks, guard
    from .conda_report import Outcome
    from .conda_run import CondaRequest, current

    run = current()
    settings = run.settings()
    if settings.mode is GuardMode.OFF:
        return
    quoted = shlex.quote(prefix)
    request = CondaRequest(command="rollback")

    def build() -> Outcome:
        return Outcome(
            analysis=analysis,
            prefix=prefix,
            request=request,
            details=f"conda guard diff {quoted} {quoted}@{gen.label}",
            frozen_blocks=frozen_blocks(analysis.before, analysis, settings, request),
            strict=run.strict,
        )

    guard(settings, build)
