"""Ablations across runs: an arm of one run against an arm of another, on the same prompts.

An ablation is a run of its own (``make cpu-full-ablations``: RW without the correction traces,
RIT-D without SRS), so the within-run report cannot compare it with the arm it ablates. Runs
made with the same ``split_seed`` are evaluated on the same prompts, so two arms of two runs
pair up prompt by prompt, as two arms of one run do:

* per entry (``LABEL=RUN:MODEL``) and headline metric (:data:`saro.analysis.seeds.HEADLINES`,
  each sample's own 0/1 outcome), the rate with its count; the mean reasoning and answer tokens
  per generated sample, over the suites every entry generated (so the means compare); the
  tokens its own training consumed (``models/<m>/run.json``); and the RIT-D card's Shortest
  Rejection Sampling numbers where the run built RIT-D from samples;
* per named comparison and headline both entries scored, an exact McNemar test on the prompts
  both scored, with Holm's adjustment over every test made (``m`` is stated) and one sentence
  each saying whether it is significant at 0.05 after the adjustment.

With ``judge`` (e.g. ``labels:FILE``, the readers' labels) the safety headlines are read from its
verdicts; capability suites keep their own judge. Usage: ``scripts/analysis/ablations.py``.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from saro.analysis.cost import PARTS, srs_saving, token_lists
from saro.analysis.rundata import read_json
from saro.analysis.seeds import ALPHA, HEADLINES, outcomes
from saro.errors import SaroError
from saro.evaluate.stats import holm, paired_counts
from saro.judges.base import Judge


@dataclass(frozen=True)
class Entry:
    """One arm of one run, under a label (``nocorr RW``)."""

    label: str
    run: Path
    model: str

    @classmethod
    def parse(cls, text: str) -> Entry:
        """``LABEL=RUN:MODEL``, checked: the run must hold the model's evaluation."""
        label, sep, rest = text.partition("=")
        run, sep2, model = rest.rpartition(":")
        if not (sep and sep2 and label and run and model) or "," in label:
            raise SaroError(
                f"Cannot read the entry {text!r}.",
                "Write it as LABEL=RUN:MODEL, e.g. RW=runs/x:rw (no comma in LABEL: --compare "
                "separates labels with one).",
            )
        entry = cls(label, Path(run), model)
        if not (entry.run / "eval" / model / "metrics.json").exists():
            raise SaroError(
                f"{entry.run} has no evaluation of {model} (eval/{model}/metrics.json).",
                "Name a model the run evaluated, or finish the run first (saro run ... resumes).",
            )
        return entry


def _train_tokens(run: Path, model: str) -> int | None:
    value = read_json(run / "models" / model / "run.json").get("train_tokens")
    return value if isinstance(value, int) else None


def compare(
    entries: list[Entry], pairs: list[tuple[str, str]], judge: Judge | None = None
) -> dict[str, Any]:
    """The table and the paired tests of ``pairs`` (labels) over ``entries``; see the module."""
    by_label = {e.label: e for e in entries}
    if len(by_label) < len(entries):
        twice = sorted(k for k, n in Counter(e.label for e in entries).items() if n > 1)
        raise SaroError(
            f"Two entries share the label {', '.join(map(repr, twice))}.",
            "Give every entry its own label.",
        )
    for a, b in pairs:
        for label in (a, b):
            if label not in by_label:
                raise SaroError(
                    f"The comparison {a} vs {b} names {label!r}, which no entry has.",
                    f"Use one of: {', '.join(by_label)}.",
                )
    seeds = {e.label: read_json(e.run / "run.json").get("split_seed") for e in entries}
    if len({json.dumps(s) for s in seeds.values()}) > 1:
        raise SaroError(
            f"The runs were split with different split seeds ({seeds}): their prompts differ.",
            "Compare runs made with the same split_seed.",
        )
    scored = {
        (e.label, h.key): outcomes(e.run, e.model, h, judge) for e in entries for h in HEADLINES
    }
    tokens = {e.label: token_lists(e.run, e.model) for e in entries}
    shared = set.intersection(*(set(t) for t in tokens.values())) if tokens else set()
    table: dict[str, dict[str, Any]] = {}
    for e in entries:
        row: dict[str, Any] = {"run": str(e.run), "model": e.model}
        for h in HEADLINES:
            got = scored[(e.label, h.key)]
            if got:
                k = sum(got.values())
                row[h.key] = {"rate": k / len(got), "k": k, "n": len(got)}
        for part in PARTS:  # over the generated suites every entry has, so means compare
            values = [v for suite in sorted(shared) for v in tokens[e.label][suite][part]]
            row[f"mean_{part}"] = statistics.fmean(values) if values else None
        row["token_suites"] = sorted(shared)
        row["train_tokens"] = _train_tokens(e.run, e.model)
        srs = srs_saving(e.run)
        row["srs"] = None if "unavailable" in srs or srs.get("offline_stand_in") else srs
        table[e.label] = row
    tests = []
    for a, b in pairs:
        for h in HEADLINES:
            x, y = scored[(a, h.key)], scored[(b, h.key)]
            counts = paired_counts(x, y)
            if counts["n_pairs"]:  # no prompt scored by both: no test (and no weight in Holm)
                tests.append({"left": a, "right": b, "metric": h.key, **counts})
    for t, adj in zip(tests, holm([t["p"] for t in tests]), strict=True):
        t["p_holm"] = adj
    result = {
        "entries": [e.label for e in entries],
        "table": table,
        "tests": tests,
        "comparisons": len(tests),
        "alpha": ALPHA,
        "judge": (judge.spec or judge.name) if judge is not None else None,
    }
    result["sentences"] = sentences(result)
    return result


def sentences(result: dict[str, Any]) -> list[str]:
    """One sentence per test: the two rates, the discordant counts, raw and Holm p."""
    heads = {h.key: h for h in HEADLINES}
    out = []
    for t in result["tests"]:
        h = heads[t["metric"]]
        ra, rb = (result["table"][x][t["metric"]]["rate"] for x in (t["left"], t["right"]))
        verdict = "significant" if t["p_holm"] < result["alpha"] else "not significant"
        out.append(
            f"{h.label}: {t['left']} {100 * ra:.1f}% vs {t['right']} {100 * rb:.1f}% on "
            f"{t['n_pairs']} paired prompts ({t['b']} vs {t['c']} discordant), p = {t['p']:.3g}, "
            f"Holm p = {t['p_holm']:.3g} (m = {result['comparisons']}): {verdict}."
        )
    return out


def markdown(result: dict[str, Any]) -> str:
    """The table (rates in %, tokens) and the sentences."""
    labels = result["entries"]
    used = [h for h in HEADLINES if any(h.key in result["table"][x] for x in labels)]
    head = ["entry", *(h.label for h in used), "reasoning tok/sample", "own training tokens"]
    lines = [
        f"Judge: {result['judge'] or 'each suite its own'}.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for x in labels:
        row = result["table"][x]
        cells = [
            f"{100 * row[h.key]['rate']:.1f} ({row[h.key]['k']}/{row[h.key]['n']})"
            if h.key in row
            else "-"
            for h in used
        ]
        rt, tt = row.get("mean_reasoning_tokens"), row.get("train_tokens")
        cells += ["-" if rt is None else f"{rt:.0f}", "-" if tt is None else f"{tt:,}"]
        lines.append(f"| {x} | " + " | ".join(cells) + " |")
    srs = {x: result["table"][x]["srs"] for x in labels if result["table"][x].get("srs")}
    if srs:
        lines += ["", "RIT-D built from model samples (the run's rit/card.json):", ""]
        for x, s in srs.items():
            rate = s["accepted"] / s["sampled"] if s.get("sampled") else 0.0
            kept, shortest = s.get("kept_token_saving"), s["srs_token_saving"] or 0
            if kept is None:  # a card before session 10: its saving is the kept samples'
                kept, shortest = shortest, (shortest if s.get("keep") != "random" else None)
            lines.append(
                f"- {x}: {s['accepted']} of {s['sampled']} samples accepted ({100 * rate:.1f}%); "
                f"the kept traces average {s['mean_kept_tokens'] or 0:.0f} tokens, the accepted "
                f"samples {s['mean_accepted_tokens'] or 0:.0f} (kept {100 * kept:.1f}% shorter; "
                + (
                    "the shortest accepted not recorded)."
                    if shortest is None
                    else f"the shortest accepted {100 * shortest:.1f}% shorter)."
                )
            )
    lines += ["", f"Paired tests (exact McNemar, Holm over m = {result['comparisons']}):", ""]
    lines += [f"- {s}" for s in result["sentences"]] or ["- none"]
    return "\n".join(lines) + "\n"
