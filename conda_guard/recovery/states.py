"""A generation as a state: ``PREFIX@gN`` in ``conda-guard diff``.

``PREFIX@g3`` is generation 3 of the prefix, ``PREFIX@g-1`` the newest and
``PREFIX@g-2`` the one before. The store is found as for the other commands
(``$CONDA_PLUGINS_GUARD_SNAPSHOT_DIR``, else ``~/.conda/guard/generations``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from ..exceptions import UsageError
from ..models import Record, State
from ..readers.prefix import record_from_prefix_json

if TYPE_CHECKING:
    from .generation import Generation
    from .store import Store

GENERATION_RE = re.compile(r"(?P<prefix>.+)@g(?P<number>-?[0-9]+)")


def pick(store: Store, number: int) -> Generation:
    """Generation ``number``; negative numbers count back from the newest."""
    if number < 0:
        numbers = store.numbers()
        if not numbers:
            raise UsageError(f"no generations of {store.prefix} yet")
        if -number > len(numbers):
            raise UsageError(
                f"only {len(numbers)} generation(s) of {store.prefix} "
                f"(g-{len(numbers)} is the oldest)"
            )
        number = numbers[number]
    if number == 0:
        raise UsageError("generations are numbered from 1 (g1 is the oldest)")
    return store.load(number)


def generation_state(gen: Generation, source: str) -> State:
    """The records, pip distributions and requested specs of ``gen``."""
    records: dict[str, Record] = {}
    for raw in gen.records:
        rec = record_from_prefix_json(raw, f"{source}:{raw['name']}")
        records[rec.name] = rec
    for dist in gen.pip:
        records[dist.name] = Record(
            name=dist.name,
            version=dist.version,
            build="pypi_0",
            channel="pypi",
            subdir="pypi",
            pip=True,
            source=source,
        )
    explicit = {k: v for k, v in gen.requested.items() if k in records}
    return State(
        records=records,
        source=source,
        kind="generation",
        explicit=explicit,
        prefix=gen.prefix,
        platform=gen.platform,
        revision=gen.revision,
    )


def match_reference(text: str) -> tuple[str, int] | None:
    """``(prefix, number)`` when ``text`` is ``PREFIX@gN`` of an existing prefix."""
    m = GENERATION_RE.fullmatch(text)
    if m is None or Path(text).exists() or not Path(m.group("prefix")).is_dir():
        return None
    return m.group("prefix"), int(m.group("number"))


def read_generation_state(prefix: str, number: int, root: str | None = None) -> State:
    """``PREFIX@gN`` as a :class:`State` (the reader of ``read_state``)."""
    from .store import Store  # not on the path of every other state

    store = Store.for_prefix(prefix, root)
    gen = pick(store, number)
    return generation_state(gen, f"{prefix}@{gen.label}")
