"""``saro report RUN_DIR``: ``report.md`` and a self-contained ``report.html`` from disk alone.

Usage::

    saro analyze runs/demo     # the plots and their numbers (loads models for embeddings only)
    saro report runs/demo      # -> runs/demo/report.md, runs/demo/report.html

    from saro.analysis.report import write_report
    md_path, html_path = write_report("runs/demo")

The report holds: the main table (every model x jailbreak ASR, harmful ASR, over-refusal,
GSM8K, ARC-Easy, mean tokens, with 95% intervals), a verdict computed from those numbers, the
effect measures, the analyses with their plots (embedded as base64 PNGs in the HTML, linked in
the markdown), the dataset cards, safe example responses (:mod:`saro.analysis.examples`), and
the run's config, versions and wall times. No model is loaded; a missing part says "not
available" and how to produce it.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

from saro.analysis.rundata import MODELS, check_run_dir, read_json
from saro.analysis.summary import COLUMNS, fmt, main_table, verdict
from saro.pipeline.roster import DEFAULT_ARMS, ROSTER, arm, display
from saro.store import write_text

TEMPLATES = ("report.md.j2", "report.html.j2")
PAIR_CARDS = (
    ("opcot", "OP-COT pairs"),
    ("ppcot", "PP-COT pairs"),
    ("direct", "Direct pairs"),
    ("control", "Safety-SFT→DPO pairs (control)"),
)
PLOTS = (
    ("tradeoff", "Safety vs helpfulness at a glance: jailbreak ASR against over-refusal"),
    ("recovery", "Prefilled-reasoning recovery: the headline reflection measure"),
    ("embeddings", "Prompt-kind overlap in representation space (Fig. 3, 1c)"),
    ("dpo_curves", "DPO reward accuracy and margin over steps (Fig. 4)"),
    ("reflection", "Reflection and self-correction in the model's own words (Fig. 5)"),
    ("cost", "Reasoning cost"),
    ("scorecard", "Per-policy-category scorecard: ASR and unhelpful rate"),
)


def _pct(cell: dict[str, Any] | None) -> str:
    if not isinstance(cell, dict) or "unavailable" in cell:
        return "n/a"
    return fmt(cell, "rate")


def _num(value: Any, digits: int = 3) -> str:
    return "n/a" if not isinstance(value, int | float) else f"{value:.{digits}f}"


def effects_rows(effects: dict[str, Any]) -> list[dict[str, str]]:
    rows = []
    for m, e in (effects.get("models") or {}).items():
        jb = e.get("jailbreak_asr") or {}
        rows.append({
            "model": display(m),
            "template": _pct(jb.get("template")),
            "transform": _pct(jb.get("transform")),
            "seen": str(jb.get("eval_attacks_seen_in_training", "n/a")),
            "over_refusal": _pct(e.get("over_refusal")),
            "copy_rate": _pct(e.get("copy_rate")),
        })  # fmt: skip
    return rows


def analysis_rows(analysis: dict[str, dict[str, Any]]) -> dict[str, list[dict[str, str]]]:
    """Small tables of the analyses' headline numbers."""
    out: dict[str, list[dict[str, str]]] = {"embeddings": [], "reflection": [], "cost": [],
                                            "recovery": []}  # fmt: skip
    for m, e in (analysis.get("recovery", {}).get("models") or {}).items():
        by_k = e.get("by_k") or {}
        out["recovery"].append({
            "model": display(m),
            **{f"k{k}": _pct(by_k.get(str(k))) + f" (n={(by_k.get(str(k)) or {}).get('n', 0)})"
               for k in (1, 2, 3)},
            "benign": _pct(e.get("benign")) + f" (n={(e.get('benign') or {}).get('n', 0)})",
        })  # fmt: skip
    for m, e in (analysis.get("embeddings", {}).get("models") or {}).items():
        dist = e.get("centroid_distance") or {}
        harm = dist.get("harmful") or {}
        out["embeddings"].append({
            "model": display(m),
            "silhouette": _num(e.get("silhouette")),
            "knn": f"{_num(e.get('knn_agreement'))} (chance {_num(e.get('knn_chance'))})",
            "harm_jb": _num(harm.get("jailbreak"), 4),
            "harm_benign": _num(harm.get("benign"), 4),
            "note": e.get("unavailable", ""),
        })  # fmt: skip
    for m, e in (analysis.get("reflection", {}).get("models") or {}).items():
        for kind, s in (e.get("by_kind") or {}).items():
            out["reflection"].append({
                "model": display(m), "kind": kind, "n": str(s["n"]),
                "reasoning": str(s["with_reasoning"]),
                "reflection": _pct(s["reflection"]), "safety": _pct(s["safety_reflection"]),
                "correction": _pct(s["self_correction"]),
                "first": _num(s.get("mean_first_safety_step"), 2),
            })  # fmt: skip
    for m, e in (analysis.get("cost", {}).get("models") or {}).items():
        a = (e.get("all") or {}).get("answer_tokens") or {}
        r = (e.get("all") or {}).get("reasoning_tokens") or {}
        out["cost"].append({
            "model": display(m), "answer_mean": _num(a.get("mean"), 1),
            "answer_median": _num(a.get("median"), 1), "reasoning_mean": _num(r.get("mean"), 1),
            "reasoning_median": _num(r.get("median"), 1),
        })  # fmt: skip
    return out


def curve_rows(curves: dict[str, Any]) -> list[dict[str, str]]:
    rows = []
    for m, e in (curves.get("models") or {}).items():
        for name, s in sorted((e.get("summary") or {}).items()):
            rows.append({"model": display(m), "series": name, "first": _num(s["first"]),
                         "last": _num(s["last"]), "max": _num(s["max"])})  # fmt: skip
    return rows


def build_context(run_dir: str | Path) -> dict[str, Any]:
    """Everything the templates show, read from the run directory."""
    from saro.analysis.examples import pick_examples
    from saro.analysis.judgecheck import judge_check

    run = check_run_dir(run_dir)
    info = read_json(run / "run.json")
    table = main_table(run)
    adir = run / "analysis"
    analysis = {
        name: read_json(adir / f"{name}.json")
        for name in (
            "embeddings",
            "dpo_curves",
            "reflection",
            "cost",
            "effects",
            "recovery",
            "tradeoff",
        )
        if (adir / f"{name}.json").exists()
    }
    plots = []
    for name, title in PLOTS:
        png = adir / f"{name}.png"
        if png.exists():
            data = base64.b64encode(png.read_bytes()).decode("ascii")
            plots.append({"name": name, "title": title, "file": f"analysis/{png.name}",
                          "data_uri": f"data:image/png;base64,{data}"})  # fmt: skip
    cards = []
    pair_cards = [(title, run / "pref" / n / "card.md") for n, title in PAIR_CARDS]
    for title, path in [("RIT-D", run / "rit" / "card.md"), *pair_cards]:
        if path.exists():
            cards.append({"title": title, "text": path.read_text("utf-8", errors="replace")})
    stages = info.get("stages") if isinstance(info.get("stages"), dict) else {}
    stage_rows = [  # the report stage is running while it writes this report
        {"name": k, "status": "this report" if k == "report" else str(v.get("status", "?")),
         "seconds": v.get("seconds")}
        for k, v in stages.items()
        if isinstance(v, dict)
    ]  # fmt: skip
    wheels = info.get("wheels") if isinstance(info.get("wheels"), dict) else {}
    srs = (analysis.get("cost") or {}).get("srs") or {}
    return {
        "run_dir": str(run),
        "generated": time.strftime("%Y-%m-%d %H:%M"),
        "columns": [{"key": c.key, "label": c.label, "better": c.better} for c in COLUMNS],
        "rows": [
            {
                "model": display(m),
                "key": m,
                "cells": [fmt(table[m][c.key], c.kind) for c in COLUMNS],
                "n": {c.key: table[m][c.key].get("n") for c in COLUMNS},
            }
            for m in table
        ],  # fmt: skip
        "missing_models": [display(m) for m in run_arms(info) if m not in table],
        "verdict": verdict(table)["sentences"] if table else [],
        "paired": paired_sentences(run, info),
        "judge_check": judge_check(run),
        "training": training_rows(run),
        "analysis_missing": not analysis,
        "effects": effects_rows(analysis.get("effects") or {}),
        "effects_note": (analysis.get("effects") or {}).get("unseen_by_construction"),
        "copy_ngram": (analysis.get("effects") or {}).get("ngram"),
        "tables": analysis_rows(analysis),
        "curves": curve_rows(analysis.get("dpo_curves") or {}),
        "reflection_definition": (analysis.get("reflection") or {}).get("definition"),
        "srs_saving": srs.get("srs_token_saving"),
        "glance": next((p for p in plots if p["name"] == "tradeoff"), None),
        "plots": [p for p in plots if p["name"] != "tradeoff"],
        "missing_plots": [n for n, _ in PLOTS if n not in {p["name"] for p in plots}],
        "cards": cards,
        "examples": pick_examples(run),
        "info": {
            "saro_version": info.get("saro_version", "n/a"),
            "seed": info.get("seed", "n/a"),
            "config": json.dumps(info.get("config", {}), indent=2, default=str),
            "stages": stage_rows,
            "total_seconds": sum(r["seconds"] or 0 for r in stage_rows),
            "wheels": {k: v.get("version") for k, v in wheels.items() if isinstance(v, dict)},
            "missing": not info,
        },
    }


def run_arms(info: dict[str, Any]) -> list[str]:
    """The arms the run's config lists (the default arms for a run without one)."""
    arms = (info.get("config") or {}).get("arms") if isinstance(info, dict) else None
    return [m for m in MODELS if m in (arms or DEFAULT_ARMS)]


def training_rows(run: Path) -> list[dict[str, Any]]:
    """Per trained arm: its own training tokens and steps, and the tokens of its whole lineage
    (its own plus those of the arm it starts from, recursively), for compute-aware comparison."""
    own: dict[str, dict[str, Any]] = {}
    for a in ROSTER:
        info = read_json(run / "models" / a.key / "run.json") if a.trained else None
        if isinstance(info, dict) and info.get("status") == "done":
            own[a.key] = {"tokens": info.get("train_tokens"), "steps": info.get("global_step")}

    def lineage(key: str | None) -> int | None:
        if key is None or not arm(key).trained:
            return 0
        mine = (own.get(key) or {}).get("tokens")
        before = lineage(arm(key).start)
        return None if mine is None or before is None else mine + before

    return [
        {"model": display(k), "start": display(arm(k).start or "base"), "tokens": v["tokens"],
         "steps": v["steps"], "total": lineage(k)}
        for k, v in own.items()
    ]  # fmt: skip


def paired_sentences(run: Path, info: dict[str, Any]) -> list[str]:
    """SaRO against every other arm on the same prompts, this run's seed alone: exact McNemar
    per comparison, Holm-adjusted over all of them (saro.analysis.seeds with one seed)."""
    from saro.analysis.seeds import aggregate, one_run

    return aggregate(one_run(run, info))["sentences"]


def render(context: dict[str, Any], template: str) -> str:
    """Render one of :data:`TEMPLATES` (HTML with autoescaping, markdown without)."""
    from importlib import resources

    import jinja2

    source = resources.files("saro.data").joinpath(f"report/{template}").read_text("utf-8")
    env = jinja2.Environment(
        autoescape=template.endswith(".html.j2"),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["pct"] = lambda v: "n/a" if v is None else f"{v * 100:.1f}%"
    env.filters["secs"] = lambda v: "n/a" if v is None else f"{v / 60:.1f} min"
    return env.from_string(source).render(**context)


def write_report(run_dir: str | Path) -> tuple[Path, Path]:
    """Write ``report.md`` and ``report.html`` into the run directory and return their paths."""
    context = build_context(run_dir)
    run = Path(context["run_dir"])
    md, html = run / "report.md", run / "report.html"
    for path, template in ((md, TEMPLATES[0]), (html, TEMPLATES[1])):
        write_text(path, render(context, template))
    return md, html
