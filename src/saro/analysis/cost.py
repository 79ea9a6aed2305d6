"""Reasoning cost: answer and reasoning token distributions per model, and the SRS saving.

Token counts come from the eval samples (``answer_tokens``, ``reasoning_tokens``, counted with
the model's tokenizer by the eval runner). The Shortest Rejection Sampling saving is read from
``rit/card.json``: keeping the shortest accepted trace instead of an average accepted one.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from saro.analysis import plotting
from saro.analysis.rundata import eval_models, read_json, samples, suites_of
from saro.pipeline.roster import display

PARTS = ("answer_tokens", "reasoning_tokens")


def describe(values: list[float]) -> dict[str, float | int | None]:
    """n, mean, median, quartiles and max of a list of token counts."""
    if not values:
        return {"n": 0, "mean": None, "median": None, "p25": None, "p75": None, "max": None}
    qs = (
        statistics.quantiles(values, n=4, method="inclusive")
        if len(values) > 1
        else [values[0]] * 3
    )
    return {
        "n": len(values),
        "mean": statistics.fmean(values),
        "median": qs[1],
        "p25": qs[0],
        "p75": qs[2],
        "max": max(values),
    }


def token_lists(run: Path, model: str) -> dict[str, dict[str, list[float]]]:
    """``{suite: {part: [tokens...]}}`` over generated samples with token counts."""
    out: dict[str, dict[str, list[float]]] = {}
    for suite in suites_of(run, model):
        for rec in samples(run, model, suite):
            for part in PARTS:
                value = rec.get(part)
                if isinstance(value, int | float) and not isinstance(value, bool):
                    out.setdefault(suite, {p: [] for p in PARTS})[part].append(float(value))
    return out


def srs_saving(run: Path) -> dict[str, Any]:
    """The SRS numbers of the RIT-D card, or ``unavailable``."""
    card = read_json(run / "rit" / "card.json")
    srs = card.get("srs") if isinstance(card.get("srs"), dict) else None
    if not srs:
        return {"unavailable": "no rit/card.json with SRS statistics"}
    keys = ("sampled", "accepted", "mean_kept_tokens", "mean_accepted_tokens", "srs_token_saving",
            "kept_token_saving", "with_choice", "srs_token_saving_with_choice")  # fmt: skip
    return {
        **{k: srs.get(k) for k in keys},
        "offline_stand_in": bool(card.get("offline_stand_in")),
        "keep": ((card.get("config") or {}).get("teacher") or {}).get("keep", "shortest"),
        "per_kind": {
            k: v.get("srs_token_saving")
            for k, v in (card.get("srs_per_kind") or {}).items()
            if isinstance(v, dict)
        },
    }


def cost_analysis(run: Path, out_dir: Path) -> dict[str, Any]:
    """Write ``cost.{json,png}`` and return the JSON."""
    result: dict[str, Any] = {"models": {}, "srs": srs_saving(run)}
    pooled: dict[str, dict[str, list[float]]] = {}
    for m in eval_models(run):
        per_suite = token_lists(run, m)
        if not per_suite:
            result["models"][m] = {"unavailable": "no samples with token counts"}
            continue
        pooled[m] = {p: [v for s in per_suite.values() for v in s[p]] for p in PARTS}
        result["models"][m] = {
            "all": {p: describe(pooled[m][p]) for p in PARTS},
            "by_suite": {
                s: {p: describe(v[p]) for p in PARTS} for s, v in sorted(per_suite.items())
            },
        }
    result["plot"] = _plot(pooled, result, out_dir / "cost.png")
    return result


def _plot(pooled: dict[str, dict[str, list[float]]], result: dict, path: Path) -> str:
    plt = plotting.pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    models = list(pooled)
    for ax, part in zip(axes, PARTS, strict=True):
        data = [pooled[m][part] for m in models]
        if not any(data):
            plotting.empty_panel(ax, f"{part.replace('_', ' ')}: not available")
            continue
        box = ax.boxplot([d or [0.0] for d in data], patch_artist=True, showmeans=True)
        for patch, m in zip(box["boxes"], models, strict=True):
            patch.set_facecolor(plotting.COLORS.get(m, "#ccc"))
            patch.set_alpha(0.6)
        ax.set_xticks(range(1, len(models) + 1), [display(m) for m in models])
        ax.set_title(part.replace("_", " ") + " per response (triangle = mean)", fontsize=10)
    saving = result["srs"].get("srs_token_saving")
    if isinstance(saving, float):
        fig.suptitle(f"RIT-D: Shortest Rejection Sampling saved {saving:.1%} tokens", fontsize=10)
    return plotting.save(fig, path)
