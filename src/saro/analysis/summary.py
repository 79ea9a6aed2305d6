"""The report's main table and its verdict, computed from the eval metrics on disk.

The verdict is written from the numbers every time (nothing is hard-coded): for each metric with
a direction and each baseline, SaRO's value is compared with the baseline's and the 95%
intervals are checked for overlap. Non-overlapping Wilson intervals mean a difference at roughly
the 5% level or stronger; overlapping ones do not prove there is none, so the text says "not
established at this sample size" rather than "equal".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from saro.analysis.rundata import MODELS, display, eval_models, suite_metrics
from saro.pipeline.roster import SARO


@dataclass(frozen=True)
class Column:
    """A main-table column: suites to read (first found wins), label, better direction."""

    key: str
    suites: tuple[str, ...]
    label: str
    better: str | None  # "lower", "higher" or None (no verdict)


COLUMNS = (
    Column("jailbreak", ("jailbreak",), "Jailbreak ASR", "lower"),
    Column("harmful", ("harmful",), "Harmful ASR", "lower"),
    Column("overrefusal", ("overrefusal",), "Over-refusal", "lower"),
    Column("gsm8k", ("gsm8k",), "GSM8K", "higher"),
    Column("arc_easy", ("arc_easy", "arc_easy_gen"), "ARC-Easy", "higher"),
    Column("tokens", (), "Mean tokens", None),
)
BASELINES = tuple(m for m in MODELS if m != SARO)  # every arm SaRO is compared with


def _cell(entry: dict[str, Any] | None, suite: str | None = None) -> dict[str, Any]:
    if not entry or entry.get("value") is None:
        return {"value": None, "ci95": None, "n": None, "suite": suite}
    return {"value": entry["value"], "ci95": entry.get("ci95"), "n": entry.get("n"), "suite": suite}


def mean_tokens(suites: dict[str, dict[str, Any]]) -> float | None:
    """Mean generated tokens per response over the generation suites, weighted by n."""
    total = count = 0.0
    for entry in suites.values():
        per = entry.get("mean_completion_tokens")
        if per is None and entry.get("mean_answer_tokens") is not None:
            per = entry["mean_answer_tokens"] + (entry.get("mean_reasoning_tokens") or 0)
        if per is not None and entry.get("n"):
            total += per * entry["n"]
            count += entry["n"]
    return total / count if count else None


def main_table(run: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """``{model: {column key: {"value", "ci95", "n", "suite"}}}`` for every evaluated model."""
    table = {}
    for m in eval_models(run):
        suites = suite_metrics(run, m)
        row = {}
        for col in COLUMNS:
            if col.key == "tokens":
                row[col.key] = {"value": mean_tokens(suites), "ci95": None, "n": None}
                continue
            found = next((s for s in col.suites if s in suites), None)
            row[col.key] = _cell(suites.get(found) if found else None, found)
        table[m] = row
    return table


def fmt(cell: dict[str, Any], key: str) -> str:
    """``"15.0% [5.2, 36.0]"`` for rates, ``"42.1"`` for tokens, ``"n/a"`` when missing."""
    value = cell.get("value")
    if value is None:
        return "n/a"
    if key == "tokens":
        return f"{value:.1f}"
    ci = cell.get("ci95")
    interval = f" [{ci[0] * 100:.1f}, {ci[1] * 100:.1f}]" if ci else ""
    return f"{value * 100:.1f}%{interval}"


def compare(saro: dict[str, Any], other: dict[str, Any], better: str) -> dict[str, Any] | None:
    """SaRO vs a baseline on one metric: ``better``/``worse``/``equal`` and interval overlap."""
    a, b = saro.get("value"), other.get("value")
    if a is None or b is None:
        return None
    if a == b:
        outcome = "equal"
    else:
        wins = a < b if better == "lower" else a > b
        outcome = "better" if wins else "worse"
    ca, cb = saro.get("ci95"), other.get("ci95")
    overlap = None if not (ca and cb) else not (ca[1] < cb[0] or cb[1] < ca[0])
    return {"outcome": outcome, "overlap": overlap, "saro": a, "other": b}


def verdict(table: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """Per metric, SaRO against each baseline, with sentences for the report."""
    if SARO not in table:
        return {"sentences": ["SaRO was not evaluated in this run, so there is no verdict."],
                "comparisons": {}, "counts": {}}  # fmt: skip
    comparisons: dict[str, dict[str, Any]] = {}
    sentences = []
    counts = {"better": 0, "worse": 0, "equal": 0, "clear_better": 0, "clear_worse": 0}
    for col in COLUMNS:
        if col.better is None:
            continue
        saro = table[SARO].get(col.key) or {}
        if saro.get("value") is None:
            sentences.append(f"{col.label}: SaRO has no result, so no comparison.")
            continue
        parts = []
        for b in BASELINES:
            if b not in table:
                continue
            c = compare(saro, table[b].get(col.key) or {}, col.better)
            if c is None:
                continue
            comparisons.setdefault(col.key, {})[b] = c
            counts[c["outcome"]] += 1
            if c["overlap"] is False:
                counts[f"clear_{c['outcome']}"] = counts.get(f"clear_{c['outcome']}", 0) + 1
            parts.append(_phrase(display(b), c, table[b][col.key]))
        if parts:
            head = f"{col.label} ({col.better} is better): SaRO {fmt(saro, col.key)}"
            sentences.append(head + "; vs " + "; vs ".join(parts) + ".")
    n = counts["better"] + counts["worse"] + counts["equal"]
    if n:
        sentences.insert(
            0,
            f"Across {n} metric-by-baseline comparisons SaRO is better in {counts['better']} "
            f"({counts['clear_better']} with non-overlapping 95% intervals), worse in "
            f"{counts['worse']} ({counts['clear_worse']} with non-overlapping intervals) and "
            f"equal in {counts['equal']}. Overlapping intervals mean the difference is not "
            "established at this sample size; they do not mean the models are the same.",
        )
    return {"sentences": sentences, "comparisons": comparisons, "counts": counts}


def _phrase(name: str, c: dict[str, Any], cell: dict[str, Any]) -> str:
    value = fmt(cell, "")
    if c["outcome"] == "equal":
        return f"{name} {value}: equal"
    if c["overlap"] is None:
        return f"{name} {value}: {c['outcome']} (no interval to compare)"
    if c["overlap"]:
        return f"{name} {value}: {c['outcome']}, but the intervals overlap"
    return f"{name} {value}: {c['outcome']}, intervals do not overlap"


__all__ = ["BASELINES", "COLUMNS", "MODELS", "compare", "fmt", "main_table", "verdict"]
