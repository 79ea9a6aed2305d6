"""DPO training curves (paper Fig. 4): reward accuracy and margin over steps.

Reads ``models/saro/metrics.jsonl`` (SRPO) and ``models/direct_dpo/metrics.jsonl`` (direct DPO),
written by :class:`saro.train.callbacks.MetricsJsonlCallback`. Training logs carry TRL's
``rewards/accuracies`` and ``rewards/margins``; the held-out evaluations carry them per pair
level as ``eval_outcome_rewards/...`` and ``eval_process_rewards/...`` (SRPO) or
``eval_rewards/...`` (a single eval set). Each series is a list of ``[step, value]``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from saro.analysis import plotting
from saro.analysis.rundata import read_records
from saro.pipeline.roster import ROSTER, display

DPO_MODELS = tuple(a.key for a in ROSTER if a.trainer == "dpo")
METRICS = ("rewards/accuracies", "rewards/margins")
# series name -> metrics.jsonl key prefix
SETS = {
    "train": "",
    "eval": "eval_",
    "eval_outcome": "eval_outcome_",
    "eval_process": "eval_process_",
}
LEVELS = {"train": "", "eval": "", "eval_outcome": "outcome", "eval_process": "process"}


def read_curves(path: Path) -> dict[str, list[list[float]]]:
    """``{"<set>:<metric>": [[step, value], ...]}`` from one metrics.jsonl (missing -> {})."""
    series: dict[str, dict[float, float]] = {}
    for rec in read_records(path):
        step = rec.get("step")
        if not isinstance(step, int | float):
            continue
        for set_name, prefix in SETS.items():
            for metric in METRICS:
                value = rec.get(prefix + metric)
                if isinstance(value, int | float) and not isinstance(value, bool):
                    # a resumed run may log a step twice: the last record wins
                    series.setdefault(f"{set_name}:{metric}", {})[float(step)] = float(value)
    return {k: [[s, v[s]] for s in sorted(v)] for k, v in series.items()}


def summarize(series: list[list[float]]) -> dict[str, float | None]:
    """First, last and best value of a series."""
    values = [v for _, v in series]
    if not values:
        return {"first": None, "last": None, "max": None}
    return {"first": values[0], "last": values[-1], "max": max(values)}


def curves_analysis(run: Path, out_dir: Path) -> dict[str, Any]:
    """Write ``dpo_curves.{json,png}`` and return the JSON."""
    result: dict[str, Any] = {"models": {}}
    for m in DPO_MODELS:
        path = run / "models" / m / "metrics.jsonl"
        curves = read_curves(path)
        if not curves:
            why = "no metrics.jsonl" if not path.exists() else "no DPO reward logs in metrics.jsonl"
            result["models"][m] = {"unavailable": why}
            continue
        result["models"][m] = {
            "series": curves,
            "summary": {name: summarize(s) for name, s in curves.items()},
        }
    result["plot"] = _plot(result, out_dir / "dpo_curves.png")
    return result


def _plot(result: dict[str, Any], path: Path) -> str:
    plt = plotting.pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(10, 7))
    panels = [
        (axes[0][0], "train", "rewards/accuracies", "reward accuracy (train)"),
        (axes[0][1], "train", "rewards/margins", "reward margin (train)"),
        (axes[1][0], "eval", "rewards/accuracies", "reward accuracy (held-out pairs)"),
        (axes[1][1], "eval", "rewards/margins", "reward margin (held-out pairs)"),
    ]
    for ax, which, metric, title in panels:
        drawn = 0
        for m in DPO_MODELS:
            series = result["models"][m].get("series", {})
            names = [which] if which == "train" else ["eval", "eval_outcome", "eval_process"]
            for name in names:
                points = series.get(f"{name}:{metric}")
                if not points:
                    continue
                steps, values = zip(*points, strict=True)
                level = LEVELS[name]
                label = f"{display(m)} {level}".strip()
                style = "--" if level == "process" else "-"
                ax.plot(steps, values, style, color=plotting.COLORS.get(m), label=label,
                        marker="o" if len(points) < 12 else None, ms=3)  # fmt: skip
                drawn += 1
        if drawn:
            ax.set_title(title, fontsize=10)
            ax.set_xlabel("step")
            ax.legend(fontsize=8)
        else:
            plotting.empty_panel(ax, f"{title}: not available")
    return plotting.save(fig, path)
