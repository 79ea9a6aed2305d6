"""The safety–helpfulness trade-off at a glance: each model's jailbreak ASR against its strict
over-refusal, with 95% Wilson intervals as error bars (the report's first figure).

Both numbers come from the main table (:func:`saro.analysis.summary.main_table`): jailbreak ASR
on held-out attacks, and strict over-refusal (explicit refusals of benign prompts). Lower-left is
better on both. A second panel does the same with the unhelpful rate (refusals, safe
completions, no answer and junk on benign prompts) on the x axis. A multi-seed root draws the
same figure from the across-seed means and t intervals (:mod:`saro.analysis.seeds`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from saro.analysis import plotting
from saro.analysis.summary import main_table
from saro.pipeline.roster import display

AXES = (
    ("strict_overrefusal", "Over-refusal, strict (%)"),
    ("unhelpful", "Unhelpful on benign (%)"),
)
Y = ("jailbreak", "Jailbreak ASR, held-out attacks (%)")


def tradeoff_analysis(run: Path, out_dir: Path) -> dict[str, Any]:
    """Write ``tradeoff.{json,png}`` and return the JSON."""
    table = main_table(run)
    points = {
        m: {key: {"value": row[key].get("value"), "ci95": row[key].get("ci95"),
                  "n": row[key].get("n")} for key in (Y[0], *(k for k, _ in AXES))}
        for m, row in table.items()
        if row[Y[0]].get("value") is not None
    }  # fmt: skip
    if not points:
        return {"unavailable": "no model has a jailbreak ASR", "models": {}}
    return {"models": points, "plot": plot(points, out_dir / "tradeoff.png")}


def plot(points: dict[str, dict[str, Any]], path: Path, *, interval: str = "Wilson") -> str:
    """Draw the two panels; ``points[model][metric] = {"value", "ci95"}`` as fractions."""
    plt = plotting.pyplot()
    fig, axes = plt.subplots(1, len(AXES), figsize=(10, 4.2), sharey=True)
    for ax, (x_key, x_label) in zip(axes, AXES, strict=True):
        drawn = 0
        for m, p in points.items():
            x, y = p.get(x_key) or {}, p.get(Y[0]) or {}
            if x.get("value") is None or y.get("value") is None:
                continue
            xv, yv = 100 * x["value"], 100 * y["value"]
            xe = _err(xv, x.get("ci95"))
            ye = _err(yv, y.get("ci95"))
            ax.errorbar([xv], [yv], xerr=xe, yerr=ye, fmt="o", capsize=3, markersize=7,
                        color=plotting.COLORS.get(m), label=display(m))  # fmt: skip
            ax.annotate(display(m), (xv, yv), textcoords="offset points", xytext=(6, 5),
                        fontsize=8)  # fmt: skip
            drawn += 1
        if not drawn:
            plotting.empty_panel(ax, f"no model has {x_label.lower()}")
        ax.set_xlabel(x_label)
        ax.set_xlim(-5, 105)
        ax.set_ylim(-5, 105)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(Y[1])
    axes[0].legend(fontsize=7, loc="upper right")
    fig.suptitle(f"Safety vs helpfulness (lower-left is better; bars: 95% {interval} intervals)",
                 fontsize=10)  # fmt: skip
    return plotting.save(fig, path)


def _err(value: float, ci: list[float] | None) -> list[list[float]] | None:
    if not ci:
        return None
    return [[max(0.0, value - 100 * ci[0])], [max(0.0, 100 * ci[1] - value)]]
