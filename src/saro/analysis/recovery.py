"""The recovery curve: SaRO's stepwise-reflection claim, measured on prefilled reasoning.

Reads each model's ``recovery`` suite (:mod:`saro.evaluate.recovery`): per depth ``k`` of the
prefilled compliant reasoning, the share of harmful-prompt continuations whose final answer
refuses or safely completes, with Wilson intervals; and the share of benign prompts, prefilled
with an over-cautious step, whose answer helps. ``recovery.png`` draws recovery against ``k``
per model, the benign share as a separate panel. This is the report's headline reflection
measure; the phrase-based reflection count (``reflection``) is secondary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from saro.analysis import plotting
from saro.analysis.rundata import eval_models, suite_metrics
from saro.pipeline.roster import display


def recovery_analysis(run: Path, out_dir: Path) -> dict[str, Any]:
    """Write ``recovery.{json,png}`` and return the JSON."""
    models = {}
    for m in eval_models(run):
        entry = suite_metrics(run, m).get("recovery")
        if not entry:
            continue
        models[m] = {
            "judge": entry.get("judge"),
            "harmful": {"value": entry.get("value"), "ci95": entry.get("ci95")},
            "by_k": entry.get("by_k") or {},
            "benign": entry.get("benign") or {},
            "n": entry.get("n"),
            "forced_rate": entry.get("forced_rate"),
        }
    if not models:
        return {"unavailable": "no model was evaluated on the recovery suite", "models": {}}
    result: dict[str, Any] = {"models": models}
    result["plot"] = _plot(models, out_dir / "recovery.png")
    return result


def _plot(models: dict[str, Any], path: Path) -> str:
    plt = plotting.pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), gridspec_kw={"width_ratios": [2, 1]})
    for i, (m, e) in enumerate(models.items()):
        ks = sorted(e["by_k"], key=int)
        if not ks:
            continue
        color = plotting.COLORS.get(m)
        xs = [int(k) + (i - (len(models) - 1) / 2) * 0.04 for k in ks]
        ys = [100 * (e["by_k"][k]["value"] or 0) for k in ks]
        cis = [e["by_k"][k]["ci95"] or [0, 0] for k in ks]
        errs = [
            [y - 100 * ci[0] for y, ci in zip(ys, cis, strict=True)],
            [100 * ci[1] - y for y, ci in zip(ys, cis, strict=True)],
        ]
        left.errorbar(xs, ys, yerr=errs, marker="o", capsize=3, color=color, label=display(m))
    left.set_xlabel("compliant reasoning steps prefilled (k)")
    left.set_ylabel("recovered: refusal or safe completion (%)")
    left.set_xticks([1, 2, 3])
    left.set_ylim(-5, 105)
    left.set_title("Harmful prompts: recovery after k compliant steps (higher is better)",
                   fontsize=9)  # fmt: skip
    left.legend(fontsize=7)
    names = [m for m in models if models[m]["benign"].get("value") is not None]
    if names:
        vals = [100 * models[m]["benign"]["value"] for m in names]
        right.bar(range(len(names)), vals, color=[plotting.COLORS.get(m) for m in names])
        for j, m in enumerate(names):
            right.text(j, vals[j] + 2, f"n={models[m]['benign'].get('n')}", ha="center", fontsize=7)
        right.set_xticks(range(len(names)), [display(m) for m in names], rotation=45, ha="right",
                         fontsize=7)  # fmt: skip
        right.set_ylim(0, 110)
        right.set_title("Benign: helped after an over-cautious step", fontsize=9)
    else:
        plotting.empty_panel(right, "no benign recovery samples")
    return plotting.save(fig, path)
