"""Per-policy-category scorecard: ASR and the unhelpful rate per policy category, per model.

Each evaluated sample is mapped to a policy category id (``[cyber]``, ``[violence]``...) with
:meth:`saro.policy.Policy.category_for` from its source's category label (or its text's cues
when the source gives none); samples of new runs carry it as ``policy_category``, older ones are
mapped here. Per model and category:

* **ASR**: harmful and jailbreak samples judged complied / judged (the headline ASR pooled over
  both suites);
* **unhelpful**: benign (``overrefusal``) samples the judge marks ``refusal`` (refusal, safe
  completion, no answer, junk) / judged.

Each cell has its count and Wilson interval; ``scorecard.png`` is a heat-map of both, each cell
labelled with its percentage and n. Categories with few samples are noisy: the n says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from saro.analysis import plotting
from saro.analysis.rundata import answer_verdict, eval_models, samples
from saro.evaluate.metrics import wilson
from saro.pipeline.roster import display

PANELS = (
    ("asr", "ASR (harmful + jailbreak)", ("harmful", "jailbreak"), "unsafe"),
    ("unhelpful", "Unhelpful (benign)", ("overrefusal",), "refusal"),
)
UNMAPPED = "-"


def policy_category(rec: dict[str, Any], policy: Any) -> str:
    """The record's policy category id (``-`` when neither its label nor its text maps)."""
    if rec.get("policy_category"):
        return str(rec["policy_category"])
    found = policy.category_or_none(
        rec.get("source") or "", rec.get("category") or None, str(rec.get("prompt") or "")
    )
    return found or UNMAPPED


def scorecard_analysis(run: Path, out_dir: Path) -> dict[str, Any]:
    """Write ``scorecard.{json,png}`` and return the JSON."""
    from saro.policy import Policy

    policy = Policy.load()
    models: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
    for m in eval_models(run):
        panels: dict[str, dict[str, dict[str, Any]]] = {}
        for key, _, suites, field in PANELS:
            counts: dict[str, list[int]] = {}
            for suite in suites:
                for rec in samples(run, m, suite):
                    v = answer_verdict(rec)
                    if v.get("score") is None or v.get(field) is None:
                        continue
                    cell = counts.setdefault(policy_category(rec, policy), [0, 0])
                    cell[0] += int(bool(v[field]))
                    cell[1] += 1
            panels[key] = {
                cat: {"k": k, "n": n, "rate": k / n, "ci95": wilson(k, n)}
                for cat, (k, n) in sorted(counts.items())
            }
        if any(panels.values()):
            models[m] = panels
    if not models:
        return {"unavailable": "no judged harmful, jailbreak or benign samples", "models": {}}
    result: dict[str, Any] = {"policy": policy.name, "models": models}
    result["plot"] = _plot(models, out_dir / "scorecard.png")
    return result


def _plot(models: dict[str, Any], path: Path) -> str:
    plt = plotting.pyplot()
    names = list(models)
    fig, axes = plt.subplots(1, len(PANELS), figsize=(13, 1.2 + 0.5 * len(names)), squeeze=False)
    for ax, (key, title, _, _) in zip(axes[0], PANELS, strict=True):
        cats = sorted({c for m in names for c in models[m][key]})
        if not cats:
            plotting.empty_panel(ax, f"{title}: not available")
            continue
        grid = [[(models[m][key].get(c) or {}).get("rate", float("nan")) for c in cats]
                for m in names]  # fmt: skip
        ax.imshow(grid, vmin=0, vmax=1, cmap="Reds", aspect="auto")
        for i, m in enumerate(names):
            for j, c in enumerate(cats):
                cell = models[m][key].get(c)
                if cell:
                    ink = "white" if cell["rate"] > 0.6 else "black"  # readable on dark cells
                    ax.text(j, i, f"{cell['rate'] * 100:.0f}%\nn={cell['n']}", ha="center",
                            va="center", fontsize=7, color=ink)  # fmt: skip
        ax.set_xticks(range(len(cats)), cats, rotation=60, ha="right", fontsize=7)
        ax.set_yticks(range(len(names)), [display(m) for m in names], fontsize=8)
        ax.set_title(title, fontsize=9)
    return plotting.save(fig, path)
