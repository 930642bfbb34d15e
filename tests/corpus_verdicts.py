"""Verdicts on the corpus findings, and the precision page made from them.

``tests/data/corpus/verdicts.json`` holds:

- ``findings``: every high and medium finding of the corpus by its id (pair,
  environment/platform, rule, package names; see
  :func:`tests.corpus.finding_id`), with its severity, message and a verdict
  judged by hand: ``correct``, ``false alarm`` or ``debatable`` (``unjudged``
  until someone has read the records), and one checkable line saying why.
- ``counts``: per pair, how many low and info findings each rule gave.

:func:`check` compares a run with the file (what ``tests/test_corpus.py``
asserts); :func:`updated` rewrites it after a run, keeping the verdicts of
findings that stay; :func:`render` writes ``docs/precision.md``.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING, Any

from tests.corpus import JUDGED, VERDICTS, VERDICTS_JSON

if TYPE_CHECKING:
    from pathlib import Path

    from tests.corpus import PairResult, Row

SEVERITIES = ("high", "medium", "low", "info")
UPDATE = "python -m tests.corpus --update"


def load(path: Path = VERDICTS_JSON) -> dict[str, Any]:
    """The verdicts file (an empty one when it does not exist)."""
    if not path.exists():
        return {"findings": {}, "counts": {}}
    return json.loads(path.read_text(encoding="utf-8"))


def dump(data: dict[str, Any], path: Path = VERDICTS_JSON) -> None:
    """Write the verdicts file, sorted, one finding per block."""
    data = dict(data)
    data["findings"] = dict(sorted(data["findings"].items()))
    data["counts"] = dict(sorted(data["counts"].items()))
    text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")


def other_counts(rows: list[Row]) -> dict[str, int]:
    """``"rule severity"`` → count for the findings that are not judged."""
    c = Counter(f"{r.rule} {r.severity}" for r in rows if r.severity not in JUDGED)
    return dict(sorted(c.items()))


def check(results: list[PairResult], data: dict[str, Any]) -> list[str]:
    """Every way ``results`` disagree with the verdicts file, one line each."""
    problems: list[str] = []
    known = data["findings"]
    pairs = {r.pair for r in results}
    seen = set()
    for result in results:
        problems += [f"{result.pair}: read error: {e}" for e in result.errors]
        for row in result.rows:
            if row.severity not in JUDGED:
                continue
            seen.add(row.id)
            entry = known.get(row.id)
            if entry is None:
                problems.append(f"new {row.severity} finding {row.id!r}: {row.message}")
            elif entry["severity"] != row.severity:
                problems.append(
                    f"{row.id!r} is now {row.severity}, judged as {entry['severity']}"
                )
            elif row.severity == "high" and entry["verdict"] == "unjudged":
                problems.append(f"high finding {row.id!r} is not judged yet")
        want = data["counts"].get(result.pair, {})
        have = other_counts(result.rows)
        if want != have:
            problems.append(f"{result.pair}: low/info counts {have}, expected {want}")
    for fid, entry in known.items():
        if fid.split(" ", 1)[0] in pairs and fid not in seen:
            problems.append(
                f"judged {entry['severity']} finding {fid!r} no longer appears"
            )
    for fid, entry in known.items():
        if entry.get("verdict") not in VERDICTS:
            problems.append(f"{fid!r}: verdict {entry.get('verdict')!r} unknown")
    return problems


def updated(
    results: list[PairResult], data: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """The verdicts file for ``results``, and what changed (one line each)."""
    old = data["findings"]
    findings: dict[str, Any] = {}
    log: list[str] = []
    for row in (row for r in results for row in r.rows):
        if row.severity not in JUDGED:
            continue
        entry = old.get(row.id)
        verdict, why = "unjudged", ""
        if entry is not None and entry["severity"] == row.severity:
            verdict, why = entry["verdict"], entry["why"]
        elif entry is not None:
            log.append(f"severity changed, verdict reset: {row.id}")
        else:
            log.append(f"new: {row.id}")
        findings[row.id] = {
            "rule": row.rule,
            "severity": row.severity,
            "verdict": verdict,
            "why": why,
            "message": row.message,
        }
    log += [f"gone: {fid}" for fid in old if fid not in findings]
    counts = {r.pair: c for r in results if (c := other_counts(r.rows))}
    new = {k: v for k, v in data.items() if k not in ("findings", "counts")}
    new.update(findings=findings, counts=counts)
    return new, log


def tally(data: dict[str, Any]) -> dict[str, Counter[str]]:
    """rule → Counter of severities and ``"<severity> <verdict>"``."""
    out: dict[str, Counter[str]] = {}
    for entry in data["findings"].values():
        c = out.setdefault(entry["rule"], Counter())
        c[entry["severity"]] += 1
        c[f"{entry['severity']} {entry['verdict']}"] += 1
    for per_pair in data["counts"].values():
        for key, n in per_pair.items():
            rule, severity = key.rsplit(" ", 1)
            out.setdefault(rule, Counter())[severity] += n
    return out


def _precision(c: Counter[str], severity: str) -> str:
    right = c[f"{severity} correct"]
    judged = sum(c[f"{severity} {v}"] for v in VERDICTS if v != "unjudged")
    if not c[severity]:
        return "–"
    text = f"{right}/{judged}" if judged else "not judged"
    if judged:
        text += f" ({100 * right / judged:.0f} %)"
    if c[f"{severity} debatable"]:
        text += f", {c[f'{severity} debatable']} debatable"
    if c[f"{severity} unjudged"]:
        text += f", {c[f'{severity} unjudged']} unjudged"
    return text


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


#: tag of scripts/corpus_tags.py -> the rule ids that should report that change
TAG_RULES = {
    "gpu-to-cpu": ("gpu-to-cpu",),
    "cuda-major": ("cuda-change",),
    "cudnn-nccl": ("cuda-change", "gpu-to-cpu"),
    "blas-switch": ("blas-switch",),
    "mpi-loss": ("mpi-switch",),
    "numpy-major": ("numpy-abi",),
    "python-minor": ("python-minor",),
    "openmp-switch": ("openmp-switch",),
}


def _header(data: dict[str, Any], corpus: dict[str, Any]) -> list[str]:
    npairs = sum(len(s["pairs"]) for s in corpus["sources"])
    repos = sorted({s["repo"] for s in corpus["sources"]})
    return [
        "# Precision on real lock files",
        "",
        (
            "<!-- generated by `python -m tests.corpus --write-docs` from "
            "tests/data/corpus/verdicts.json; do not edit -->"
        ),
        "",
        (
            f"conda-guard runs on {npairs} consecutive before/after pairs of real "
            "lock files (`pixi.lock` v4–v7, `conda-lock.yml`, `@EXPLICIT`) from the "
            f"git histories of {len(repos)} public repositories: "
            + ", ".join(repos)
            + ". The corpus, its sources and licenses are in `tests/data/corpus/` "
            "(`SOURCES.md`); `tests/test_corpus.py` analyzes every pair and fails "
            "when a high or medium finding is not in the table below, or when one "
            "in it no longer appears."
        ),
        "",
        f"Rules as of: {data.get('rules', 'unknown')}.",
        "",
        *([f"{data['before']}", ""] if data.get("before") else []),
        (
            "Each high and medium finding was read against the records of both "
            "lock files and judged: **correct** (a conda-forge maintainer would "
            "agree with the severity and the message), **false alarm**, or "
            "**debatable**. Precision is correct / judged."
        ),
    ]


def _rule_table(data: dict[str, Any], rule_ids: list[str]) -> list[str]:
    counts = tally(data)
    lines = [
        "",
        "## Per rule",
        "",
        "| rule | high | medium | low | info | high precision | medium precision |",
        "|---|---|---|---|---|---|---|",
    ]
    total: Counter[str] = Counter()
    for rule in rule_ids + sorted(set(counts) - set(rule_ids)):
        c = counts.get(rule, Counter())
        total.update(c)
        lines.append(
            f"| `{rule}` | "
            + " | ".join(str(c[s]) for s in SEVERITIES)
            + f" | {_precision(c, 'high')} | {_precision(c, 'medium')} |"
        )
    lines.append(
        "| **all** | "
        + " | ".join(str(total[s]) for s in SEVERITIES)
        + f" | {_precision(total, 'high')} | {_precision(total, 'medium')} |"
    )
    return lines


def rules_by_pair(data: dict[str, Any]) -> dict[str, set[str]]:
    """pair id → the rules that reported anything on it (any severity)."""
    out: dict[str, set[str]] = {}
    for fid, entry in data["findings"].items():
        out.setdefault(fid.split(" ", 1)[0], set()).add(entry["rule"])
    for pair, per_rule in data["counts"].items():
        for key in per_rule:
            out.setdefault(pair, set()).add(key.rsplit(" ", 1)[0])
    return out


def _recall_table(data: dict[str, Any], corpus: dict[str, Any]) -> list[str]:
    fired = rules_by_pair(data)
    lines = [
        "",
        "## Changes the rules should see",
        "",
        (
            "A rough scan of the package URLs (`scripts/corpus_tags.py`, no "
            "conda-guard code) tags the pairs holding each kind of change; a tagged "
            "pair where no matching rule reports anything may be a missed switch."
        ),
        "",
        "| change | pairs | reported by | pairs with no report |",
        "|---|---|---|---|",
    ]
    for tag, rules in TAG_RULES.items():
        tagged = [
            p["id"] for s in corpus["sources"] for p in s["pairs"] if tag in p["tags"]
        ]
        missed = [p for p in tagged if not fired.get(p, set()) & set(rules)]
        shown = ", ".join(f"`{p}`" for p in missed[:8])
        if len(missed) > 8:
            shown += f" and {len(missed) - 8} more"
        lines.append(
            f"| {tag} | {len(tagged)} | {', '.join(f'`{r}`' for r in rules)} | "
            f"{len(missed)}{': ' + shown if missed else ''} |"
        )
    return lines


def _verdict_tables(data: dict[str, Any]) -> list[str]:
    lines = ["", "## Every high and medium finding", ""]
    by_rule: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for fid, entry in data["findings"].items():
        by_rule.setdefault(entry["rule"], []).append((fid, entry))
    for rule in sorted(by_rule):
        lines += [
            f"### `{rule}`",
            "",
            "| finding | severity | verdict | why |",
            "|---|---|---|---|",
        ]
        for fid, entry in sorted(
            by_rule[rule], key=lambda x: (SEVERITIES.index(x[1]["severity"]), x[0])
        ):
            lines.append(
                f"| `{_cell(fid)}` | {entry['severity']} | {entry['verdict']} | "
                f"{_cell(entry['why']) or '–'} |"
            )
        lines.append("")
    return lines


def render(data: dict[str, Any], corpus: dict[str, Any], rule_ids: list[str]) -> str:
    """``docs/precision.md``: precision per rule, recall hints, every verdict."""
    lines = [
        *_header(data, corpus),
        *_rule_table(data, rule_ids),
        *_recall_table(data, corpus),
        *_verdict_tables(data),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"
