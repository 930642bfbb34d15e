"""``python -m tests.corpus``: run the whole corpus and dump, count or update.

- ``--dump FILE``: every finding of every pair (id, pair, env/platform, rule,
  severity, message, packages with their before/after builds, evidence) and
  every reader error, as JSON, for judging.
- ``--summary``: findings per rule and severity, states compared, time.
- ``--update``: rewrite ``tests/data/corpus/verdicts.json`` from the run,
  keeping the verdicts of findings that stay (new ones are ``unjudged``).
- ``--write-docs``: regenerate ``docs/precision.md`` from the verdicts file
  (no run needed).
- ``--retag``: recompute every pair's change tags (``scripts/corpus_tags.py``)
  from the stored files into ``corpus.json``.

``--jobs N`` runs the chunks of the corpus in N processes.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from tests import corpus as C
from tests import corpus_verdicts as V


def _chunk(args: tuple[str, int, str]) -> list[C.PairResult]:
    source_id, index, workdir = args
    return C.run_chunk(source_id, index, Path(workdir) / source_id)


def run(jobs: int) -> tuple[list[C.PairResult], float]:
    """Every pair's result in corpus order, and the wall time it took."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="conda-guard-corpus-") as tmp:
        todo = [(s, i, tmp) for s, i in C.chunks()]
        if jobs > 1:
            with ProcessPoolExecutor(jobs) as pool:
                parts = list(pool.map(_chunk, todo))
        else:
            parts = [_chunk(t) for t in todo]
    return [r for part in parts for r in part], time.perf_counter() - start


def rule_ids() -> list[str]:
    """Every rule id, in report order."""
    from conda_guard.rules import RULE_IDS

    return list(RULE_IDS)


def write_docs() -> None:
    """Regenerate docs/precision.md from the verdicts file."""
    text = V.render(V.load(), C.corpus(), rule_ids())
    C.PRECISION_MD.write_text(text, encoding="utf-8")


def retag() -> None:
    """Recompute the tags of every pair of corpus.json from the stored blobs."""
    sys.path.insert(0, str(C.ROOT / "scripts"))
    from corpus_tags import tags

    data = json.loads(C.CORPUS_JSON.read_text(encoding="utf-8"))
    for source in data["sources"]:
        blobs = C.read_blobs(source)
        for pair in source["pairs"]:
            before, after = pair["before"]["blob"], pair["after"]["blob"]
            pair["tags"] = tags(blobs[before], blobs[after])
    text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    C.CORPUS_JSON.write_text(text, encoding="utf-8")
    C.corpus.cache_clear()


def summary(results: list[C.PairResult], seconds: float) -> str:
    """Counts per rule and severity, states compared, errors, time."""
    counts = Counter((row.rule, row.severity) for r in results for row in r.rows)
    compared = sum(r.compared for r in results)
    errors = sum(len(r.errors) for r in results)
    lines = [
        (
            f"{len(results)} pairs, {compared} states compared, {errors} read errors, "
            f"{seconds:.1f} s"
        ),
        f"{'rule':<16} " + " ".join(f"{s:>6}" for s in V.SEVERITIES),
    ]
    for rule in sorted({rule for rule, _ in counts}):
        lines.append(
            f"{rule:<16} " + " ".join(f"{counts[(rule, s)]:>6}" for s in V.SEVERITIES)
        )
    lines += [f"error: {r.pair}: {e}" for r in results for e in r.errors]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.corpus")
    parser.add_argument("--dump", type=Path, help="write every finding to FILE")
    parser.add_argument("--summary", action="store_true")
    parser.add_argument("--update", action="store_true")
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--retag", action="store_true")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    if not (args.dump or args.summary or args.update or args.write_docs or args.retag):
        parser.error(
            "nothing to do: give --dump, --summary, --update, --write-docs or --retag"
        )
    if args.retag:
        retag()
    if args.dump or args.summary or args.update:
        results, seconds = run(args.jobs)
        if args.dump:
            out = {
                "pairs": [
                    {"pair": r.pair, "compared": r.compared, "errors": r.errors}
                    for r in results
                ],
                "findings": [row.to_json() for r in results for row in r.rows],
            }
            args.dump.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
        if args.summary or args.dump:
            print(summary(results, seconds))
        if args.update:
            old = V.load()
            data, log = V.updated(results, old)
            V.dump(data)
            if data["counts"] != old["counts"]:
                log.append("low/info counts changed")
            print("\n".join(log) or "verdicts.json: no change")
    if args.write_docs or args.update or args.retag:
        write_docs()
    return 0


if __name__ == "__main__":
    sys.exit(main())
