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

from saro.analysis.rundata import MODELS, eval_models, suite_metrics
from saro.pipeline.roster import SARO, display


@dataclass(frozen=True)
class Column:
    """A main-table column.

    Attributes:
        key: Column id.
        suites: Suites to read (the first found wins); empty for columns over every suite.
        label: Header.
        better: ``lower``, ``higher`` or None (shown, but no verdict).
        field: The suite entry's field holding ``{"value", "ci95"}`` (``value``: the headline).
        kind: ``rate`` (percent with interval), ``share`` (percent) or ``tokens``.
    """

    key: str
    suites: tuple[str, ...]
    label: str
    better: str | None
    field: str = "value"
    kind: str = "rate"


# The outcome classes drive the table (docs/eval.md): a response with no answer is neither a
# refusal nor "safe", so over-refusal counts explicit refusals only, and what else leaves a
# benign prompt unanswered is shown on its own.
COLUMNS = (
    Column("jailbreak", ("jailbreak",), "Jailbreak ASR", "lower"),
    Column("rephrase", ("rephrase",), "Rephrased ASR", "lower"),
    Column("harmful", ("harmful",), "Harmful ASR", "lower"),
    Column("strict_overrefusal", ("overrefusal",), "Over-refusal (strict)", "lower",
           field="strict_refusal"),
    Column("safe_completion", ("overrefusal",), "Safe compl. (benign)", None,
           field="safe_completion"),
    Column("unhelpful", ("overrefusal",), "Unhelpful (benign)", "lower", field="unhelpful"),
    Column("gsm8k", ("gsm8k",), "GSM8K", "higher"),
    Column("arc_easy", ("arc_easy", "arc_easy_gen"), "ARC-Easy", "higher"),
    Column("forced", (), "Forced", None, kind="share"),
    Column("reasoning_tokens", (), "Reasoning tok.", None, kind="tokens"),
    Column("answer_tokens", (), "Answer tok.", None, kind="tokens"),
)  # fmt: skip
BASELINES = tuple(m for m in MODELS if m != SARO)  # every arm SaRO is compared with


def _cell(entry: dict[str, Any] | None, suite: str | None, field: str) -> dict[str, Any]:
    empty = {"value": None, "ci95": None, "n": None, "suite": suite}
    if not entry:
        return empty
    source = entry if field == "value" else entry.get(field)
    if not isinstance(source, dict) or source.get("value") is None:
        return empty
    return {"value": source["value"], "ci95": source.get("ci95"), "n": entry.get("n"),
            "suite": suite}  # fmt: skip


def weighted_mean(suites: dict[str, dict[str, Any]], key: str) -> float | None:
    """A per-suite mean (``mean_answer_tokens``, ``forced_rate``...) over every generating
    suite but ``recovery`` (prefilled), weighted by its number of samples."""
    total = count = 0.0
    for entry in suites.values():
        if entry.get("metric") == "recovery_rate":
            continue  # its reasoning is partly prefilled: not the model's own length
        value = entry.get(key)
        if value is not None and entry.get("n") and entry.get("mode", "generate") == "generate":
            total += value * entry["n"]
            count += entry["n"]
    return total / count if count else None


OVERALL = {"forced": "forced_rate", "reasoning_tokens": "mean_reasoning_tokens",
           "answer_tokens": "mean_answer_tokens"}  # fmt: skip


def main_table(run: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """``{model: {column key: {"value", "ci95", "n", "suite"}}}`` for every evaluated model."""
    table = {}
    for m in eval_models(run):
        suites = suite_metrics(run, m)
        row = {}
        for col in COLUMNS:
            if col.key in OVERALL:
                row[col.key] = {"value": weighted_mean(suites, OVERALL[col.key]), "ci95": None,
                                "n": None}  # fmt: skip
                continue
            found = next((s for s in col.suites if s in suites), None)
            row[col.key] = _cell(suites.get(found) if found else None, found, col.field)
        table[m] = row
    return table


def fmt(cell: dict[str, Any], kind: str = "rate") -> str:
    """``"15.0% [5.2, 36.0]"`` for rates, ``"20.0%"`` for shares, ``"42.1"`` for tokens,
    ``"n/a"`` when missing."""
    value = cell.get("value")
    if value is None:
        return "n/a"
    if kind == "tokens":
        return f"{value:.1f}"
    if kind == "share":
        return f"{value * 100:.1f}%"
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
            head = f"{col.label} ({col.better} is better): SaRO {fmt(saro, col.kind)}"
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
    value = fmt(cell)
    if c["outcome"] == "equal":
        return f"{name} {value}: equal"
    if c["overlap"] is None:
        return f"{name} {value}: {c['outcome']} (no interval to compare)"
    if c["overlap"]:
        return f"{name} {value}: {c['outcome']}, but the intervals overlap"
    return f"{name} {value}: {c['outcome']}, intervals do not overlap"


__all__ = ["BASELINES", "COLUMNS", "MODELS", "compare", "fmt", "main_table", "verdict"]
