"""Prompt-kind overlap in a model's representation space (paper Fig. 3 and Fig. 1c).

For the base and the SaRO model, each harmful, jailbreak and benign-edgy prompt is embedded as
the mean-pooled last hidden state of its chat-rendered user turn
(:class:`saro.engines.hf_embed.HFEmbedder`). The numbers, per model:

* ``silhouette``: silhouette score of the kind labels under cosine distance, in [-1, 1]; near 0
  or below means the kinds overlap, so surface features cannot separate them.
* ``knn_agreement``: for each prompt, the share of its ``k`` nearest other prompts (cosine)
  that have its kind, averaged; ``knn_chance`` is the same share for random neighbours.
* ``centroid_distance``: cosine distance between the kinds' mean embeddings (Fig. 1c: which kind
  sits closest to harmful).

The 2-D plot is a PCA of the standardised embeddings, fitted per model (two models' spaces are
not comparable axis by axis). Prompts come from the run's eval samples (the same prompts for
every model), else from RIT-D; at most ``n_per_kind`` of each kind, chosen by seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from saro.analysis import plotting
from saro.analysis.rundata import base_model_name, eval_models, read_records, samples
from saro.errors import SaroError
from saro.pipeline.roster import display

KINDS = ("harmful", "jailbreak", "benign")
SUITE_OF_KIND = {"harmful": "harmful", "jailbreak": "jailbreak", "benign": "overrefusal"}
Embedder = Callable[[list[str]], np.ndarray]


def collect_prompts(run: Path, n_per_kind: int = 30, seed: int = 0) -> dict[str, list[str]]:
    """Prompt texts per kind: eval samples of any model first, then RIT-D user turns."""
    pools: dict[str, list[str]] = {k: [] for k in KINDS}
    for model in eval_models(run):
        for kind, suite in SUITE_OF_KIND.items():
            pools[kind] += [str(r["prompt"]) for r in samples(run, model, suite) if r.get("prompt")]
    for rec in read_records(run / "rit" / "rit.jsonl"):
        kind = rec.get("kind")
        users = [m for m in rec.get("messages") or [] if isinstance(m, dict)]
        users = [m for m in users if m.get("role") == "user"]
        if kind in pools and users and len(pools[kind]) < n_per_kind:
            pools[kind].append(str(users[0].get("content") or ""))
    out = {}
    for kind, texts in pools.items():
        unique = sorted({t for t in texts if t.strip()})
        random.Random(seed).shuffle(unique)
        out[kind] = unique[:n_per_kind]
    return out


def overlap_metrics(x: np.ndarray, labels: list[str], k: int = 5) -> dict[str, Any]:
    """Silhouette, k-NN label agreement (with its chance level) and centroid distances."""
    from sklearn.metrics import silhouette_score
    from sklearn.neighbors import NearestNeighbors

    y = np.array(labels)
    kinds = [kd for kd in KINDS if kd in set(labels)] + sorted(set(labels) - set(KINDS))
    n = len(labels)
    out: dict[str, Any] = {"n": {kd: int((y == kd).sum()) for kd in kinds}, "k": k}
    enough = len(kinds) >= 2 and n > len(kinds)
    out["silhouette"] = float(silhouette_score(x, y, metric="cosine")) if enough else None
    if n > k and len(kinds) >= 2:
        nn = NearestNeighbors(n_neighbors=k + 1, metric="cosine").fit(x)
        idx = nn.kneighbors(x, return_distance=False)
        # drop each point itself (normally the first neighbour; duplicates may reorder)
        agree = [
            np.mean([y[j] == y[i] for j in [j for j in row if j != i][:k]])
            for i, row in enumerate(idx)
        ]
        out["knn_agreement"] = float(np.mean(agree))
        counts = np.array([out["n"][kd] for kd in kinds], dtype=float)
        out["knn_chance"] = float(np.sum(counts * (counts - 1)) / (n * (n - 1)))
    else:
        out["knn_agreement"] = out["knn_chance"] = None
    centroids = {kd: x[y == kd].mean(axis=0) for kd in kinds}
    out["centroid_distance"] = {
        a: {b: round(_cosine_distance(centroids[a], centroids[b]), 6) for b in kinds} for a in kinds
    }
    return out


def _cosine_distance(a: np.ndarray, b: np.ndarray) -> float:
    denom = float(np.linalg.norm(a) * np.linalg.norm(b))
    return 1.0 - float(a @ b) / denom if denom else 1.0


def project_2d(x: np.ndarray) -> np.ndarray:
    """PCA of the standardised embeddings to two dimensions."""
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    z = StandardScaler().fit_transform(x)
    dims = min(2, z.shape[0], z.shape[1])
    proj = PCA(n_components=dims, random_state=0).fit_transform(z)
    return np.pad(proj, ((0, 0), (0, 2 - dims)))


def model_paths(run: Path, models: tuple[str, ...]) -> dict[str, str | None]:
    """Where each model's weights are: ``base`` is the run's base model name, others
    ``models/<key>``; None when it cannot be found."""
    out: dict[str, str | None] = {}
    for m in models:
        if m == "base":
            out[m] = base_model_name(run)
        else:
            folder = run / "models" / m
            out[m] = str(folder) if (folder / "config.json").exists() else None
    return out


def default_embedder(model: str) -> Embedder:
    from saro.engines.hf_embed import HFEmbedder

    return HFEmbedder(model).embed


def embedding_analysis(
    run: Path,
    out_dir: Path,
    *,
    models: tuple[str, ...] = ("base", "saro"),
    n_per_kind: int = 30,
    k: int = 5,
    seed: int = 0,
    embedder: Callable[[str], Embedder] = default_embedder,
) -> dict[str, Any]:
    """Embed the prompts with each model, write ``embeddings.{json,png}``, return the JSON."""
    prompts = collect_prompts(run, n_per_kind, seed)
    texts = [t for kd in KINDS for t in prompts[kd]]
    labels = [kd for kd in KINDS for _ in prompts[kd]]
    result: dict[str, Any] = {
        "prompts_per_kind": {kd: len(v) for kd, v in prompts.items()},
        "models": {},
        "method": "mean-pooled last hidden state of the chat-rendered user turn; cosine",
    }
    points: dict[str, np.ndarray] = {}
    if sum(1 for v in prompts.values() if v) < 2:
        result["unavailable"] = "fewer than two prompt kinds found in eval samples or RIT-D"
    else:
        for m, path in model_paths(run, models).items():
            if path is None:
                result["models"][m] = {"unavailable": f"no weights found for model {m!r}"}
                continue
            try:
                x = np.asarray(embedder(path)(texts), dtype=np.float64)
            except (SaroError, OSError, ValueError) as err:  # unreadable or missing weights
                result["models"][m] = {"unavailable": str(err) or err.__class__.__name__}
                continue
            result["models"][m] = {"model": path, **overlap_metrics(x, labels, k)}
            points[m] = project_2d(x)
    result["plot"] = _plot(points, labels, result, out_dir / "embeddings.png")
    return result


def _plot(points: dict[str, np.ndarray], labels: list[str], result: dict, path: Path) -> str:
    plt = plotting.pyplot()
    names = list(result["models"]) or ["(none)"]
    fig, axes = plt.subplots(2, len(names), figsize=(4.2 * len(names), 7.6), squeeze=False)
    y = np.array(labels)
    for col, m in enumerate(names):
        ax, heat = axes[0][col], axes[1][col]
        info = result["models"].get(m, {})
        if m not in points:
            why = info.get("unavailable") or result.get("unavailable", "not available")
            plotting.empty_panel(ax, f"{display(m)}: {why}"[:160])
            plotting.empty_panel(heat, "no centroid distances")
            continue
        for kd in KINDS:
            sel = y == kd
            if sel.any():
                ax.scatter(*points[m][sel].T, s=14, alpha=0.75, label=kd,
                           color=plotting.KIND_COLORS[kd])  # fmt: skip
        sil = info.get("silhouette")
        ax.set_title(f"{display(m)}  silhouette={sil:.3f}" if sil is not None else display(m))
        ax.set_xlabel("PC1")
        ax.set_ylabel("PC2")
        ax.legend(fontsize=8)
        dist = info["centroid_distance"]
        kinds = list(dist)
        mat = np.array([[dist[a][b] for b in kinds] for a in kinds])
        im = heat.imshow(mat, cmap="viridis")
        heat.set_xticks(range(len(kinds)), kinds)
        heat.set_yticks(range(len(kinds)), kinds)
        for i in range(len(kinds)):
            for j in range(len(kinds)):
                heat.text(j, i, f"{mat[i, j]:.3g}", ha="center", va="center", color="w", fontsize=8)
        heat.set_title("cosine distance between centroids", fontsize=9)
        fig.colorbar(im, ax=heat, fraction=0.046)
    return plotting.save(fig, path)
