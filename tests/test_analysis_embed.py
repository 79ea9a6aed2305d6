"""The embedding capability and the embedding-overlap analysis on tiny random Llamas (offline)."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("transformers")

from fixtures.run_dir import build_run_dir  # noqa: E402
from saro.analysis import analyze  # noqa: E402
from saro.engines.hf_embed import HFEmbedder  # noqa: E402
from saro.errors import SaroError  # noqa: E402
from tiny_models import build_tiny_llama  # noqa: E402


@pytest.fixture(scope="module")
def tiny_pair(tiny, tmp_path_factory):
    """Two different random models: ``tiny`` (seed 0, tests/conftest.py) and one of seed 1."""
    saro = build_tiny_llama(tmp_path_factory.mktemp("tiny") / "saro", seed=1)
    return {"base": tiny, "saro": saro}


def test_embed_shape_and_padding_invariance(tiny):
    emb = HFEmbedder(tiny, batch_size=4)
    texts = ["How do I bake bread?", "What is 12 plus 30? The answer is 42, think step by step."]
    together = emb.embed(texts)
    alone = emb.embed(texts[:1])
    assert together.shape == (2, 32) and together.dtype == np.float32
    # mean pooling ignores padding: a short text padded in a batch embeds as it does alone
    np.testing.assert_allclose(together[0], alone[0], atol=1e-5)
    # batches are sorted by length inside; rows come back in the caller's order
    np.testing.assert_allclose(emb.embed(texts[::-1]), together[::-1], atol=1e-5)
    assert emb.embed([]).shape == (0, 32)
    assert emb.render("hi").startswith("<|im_start|>user\nhi")


def test_embed_bad_model_is_a_user_error(tmp_path):
    with pytest.raises(SaroError):
        HFEmbedder(tmp_path / "no-model")


def test_embedding_analysis_on_tiny_models(tmp_path, tiny_pair):
    run = build_run_dir(tmp_path / "run", models=("base", "saro"), tiny_model_dirs=tiny_pair)
    summary = analyze(run, only=("embeddings",), n_per_kind=8)
    assert summary["embeddings"]["png"] == "embeddings.png"
    data = json.loads((run / "analysis" / "embeddings.json").read_text())
    assert data["prompts_per_kind"] == {"harmful": 8, "jailbreak": 8, "benign": 8}
    for m in ("base", "saro"):
        e = data["models"][m]
        assert -1 <= e["silhouette"] <= 1 and 0 <= e["knn_agreement"] <= 1
        assert set(e["centroid_distance"]) == {"harmful", "jailbreak", "benign"}
    # two different random models give different geometry
    assert data["models"]["base"]["silhouette"] != data["models"]["saro"]["silhouette"]
    assert (run / "analysis" / "embeddings.png").read_bytes()[:4] == b"\x89PNG"


def test_embedding_analysis_without_weights_says_so(tmp_path):
    run = build_run_dir(tmp_path / "run", models=("saro",))
    calls = []

    def fake(path):  # never reached for saro (no weights); base is a registry name here
        calls.append(path)
        return lambda texts: np.random.default_rng(0).normal(size=(len(texts), 4))

    analyze(run, only=("embeddings",), n_per_kind=5, embedder=fake)
    data = json.loads((run / "analysis" / "embeddings.json").read_text())
    assert data["models"]["saro"] == {"unavailable": "no weights found for model 'saro'"}
    assert calls == ["smollm2-135m"]  # base from run.json config.base_model


@pytest.mark.slow
def test_base_model_overlap_on_real_prompts():
    """SmolLM2-135M on 10 prompts of each kind from the eval suites (needs the prepared model)."""
    from saro.analysis.embeddings import overlap_metrics
    from saro.evaluate.suites import get_suite

    texts, labels = [], []
    for kind, suite in (("harmful", "harmful"), ("jailbreak", "jailbreak"),
                        ("benign", "overrefusal")):  # fmt: skip
        prompts = get_suite(suite).prompts(10, 0)
        texts += [p.text for p in prompts]
        labels += [kind] * len(prompts)
    x = HFEmbedder("smollm2-135m").embed(texts)
    assert x.shape == (30, 576) and np.isfinite(x).all()
    m = overlap_metrics(x.astype(np.float64), labels)
    assert -1 <= m["silhouette"] <= 1 and set(m["centroid_distance"]) == set(m["n"])
