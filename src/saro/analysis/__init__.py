"""The paper's analyses of a finished (or partly finished) run directory.

Usage::

    saro analyze runs/demo                 # every analysis
    saro analyze runs/demo --no-embeddings # skip the one that loads models

    from saro.analysis import analyze
    summary = analyze("runs/demo")

Each analysis writes ``RUN_DIR/analysis/<name>.json`` (and a PNG, except ``effects``):

| name | what | module |
|---|---|---|
| ``embeddings`` | prompt-kind overlap, centroid distances, base vs SaRO (Fig. 3, 1c) | embeddings |
| ``dpo_curves`` | reward accuracy and margin over steps, SRPO vs direct DPO (Fig. 4) | curves |
| ``reflection`` | reflection, self-correction, first reflection step (Fig. 5) | reflection |
| ``cost`` | answer and reasoning tokens per model, SRS saving | cost |
| ``effects`` | unseen-attack ASR, over-refusal, copy rate per model | effects |
| ``scorecard`` | ASR and unhelpful rate per policy category and model (heat-map) | scorecard |
| ``recovery`` | recovery after k prefilled compliant steps (the reflection headline) | recovery |
| ``tradeoff`` | jailbreak ASR against over-refusal and unhelpful rate (first figure) | tradeoff |

Missing inputs (a model not evaluated, no training logs) make the affected part say
``unavailable`` with the reason; nothing here needs the whole run to exist. Only ``embeddings``
runs models (forward passes through :mod:`saro.engines.hf_embed`); the rest reads files.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from saro.analysis.rundata import check_run_dir
from saro.store import write_json

ANALYSES = (
    "embeddings", "dpo_curves", "reflection", "cost", "effects", "scorecard", "recovery",
    "tradeoff",
)  # fmt: skip


def analyze(
    run_dir: str | Path,
    *,
    only: tuple[str, ...] | None = None,
    embeddings: bool = True,
    embed_models: tuple[str, ...] = ("base", "saro"),
    n_per_kind: int = 30,
    embedder: Callable[[str], Callable[[list[str]], Any]] | None = None,
    echo: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the analyses and write ``RUN_DIR/analysis``.

    Args:
        run_dir: The run directory.
        only: Names from :data:`ANALYSES` to run (default: all).
        embeddings: Run the embedding analysis (it loads the models; skip it for speed).
        embed_models: Model keys to embed with.
        n_per_kind: Prompts per kind for the embedding analysis.
        embedder: ``model_path -> (texts -> array)``; default the hf embedder.
        echo: Where to print one line per analysis (default: nowhere).

    Returns:
        ``{name: {"json": file, "png": file or None, "seconds": s, "unavailable": reason?}}``,
        also written to ``analysis/index.json``.

    Raises:
        SaroError: The run directory does not exist, or an unknown analysis name.
    """
    from saro.analysis import cost, curves, effects, recovery, reflection, scorecard, tradeoff
    from saro.analysis import embeddings as emb
    from saro.errors import unknown_name

    run = check_run_dir(run_dir)
    out = run / "analysis"
    for name in only or ():
        if name not in ANALYSES:
            raise unknown_name("analysis name", name, ANALYSES)
    chosen = [a for a in ANALYSES if (not only or a in only)]
    if not embeddings and "embeddings" in chosen:
        chosen.remove("embeddings")
    jobs: dict[str, Callable[[], dict[str, Any]]] = {
        "embeddings": lambda: emb.embedding_analysis(
            run,
            out,
            models=embed_models,
            n_per_kind=n_per_kind,
            **({"embedder": embedder} if embedder else {}),
        ),  # fmt: skip
        "dpo_curves": lambda: curves.curves_analysis(run, out),
        "reflection": lambda: reflection.reflection_analysis(run, out),
        "cost": lambda: cost.cost_analysis(run, out),
        "effects": lambda: effects.effects_analysis(run, out),
        "scorecard": lambda: scorecard.scorecard_analysis(run, out),
        "recovery": lambda: recovery.recovery_analysis(run, out),
        "tradeoff": lambda: tradeoff.tradeoff_analysis(run, out),
    }
    index_path = out / "index.json"
    summary: dict[str, Any] = {}
    if index_path.exists():  # keep entries of analyses not rerun this time
        try:
            summary = json.loads(index_path.read_text("utf-8"))
        except ValueError:
            summary = {}
    for name in chosen:
        start = time.perf_counter()
        data = jobs[name]()
        write_json(out / f"{name}.json", data)
        entry = {
            "json": f"{name}.json",
            "png": data.get("plot"),
            "seconds": round(time.perf_counter() - start, 2),
        }
        if data.get("unavailable"):
            entry["unavailable"] = data["unavailable"]
        summary[name] = entry
        if echo:
            note = f" (not available: {entry['unavailable']})" if "unavailable" in entry else ""
            echo(f"[{name}] {out / entry['json']}{note}")
    write_json(index_path, summary)
    return summary


__all__ = ["ANALYSES", "analyze"]
