"""Multiple choice by log-likelihood on a tiny random Llama, and ``saro eval`` on the real model."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")

from saro.engines import GenerationCache, make_engine  # noqa: E402
from saro.engines.hf_loglik import encode_pair, loglikelihood, tail_logprobs  # noqa: E402
from saro.evaluate import evaluate  # noqa: E402
from saro.evaluate.loglik import mc_requests, score_multiple_choice  # noqa: E402
from saro.records import Prompt  # noqa: E402

PAIRS = [
    ("Question: How do I bake bread?\nAnswer:", " Mix flour"),
    ("What is 12 plus 30? The answer is", " 42"),
    ("Hi", " there friend"),
    ("The quick brown fox", " jumps over the lazy dog."),
    ("What is 12 plus 30? The answer is ", "41"),  # trailing space moves to the continuation
]


@pytest.fixture(scope="module")
def tiny_engine(tiny):
    """The hf engine on the tiny model (the ``tiny`` fixture in tests/conftest.py)."""
    return make_engine("hf", model=str(tiny))


def reference(engine, context, continuation):
    """Sum of log-probs from one unpadded forward pass, position by position."""
    ctx, cont = encode_pair(engine.tokenizer, context, continuation)
    with torch.no_grad():
        logits = engine.model(torch.tensor([ctx + cont])).logits[0].float()
    logp = torch.log_softmax(logits, -1)
    return sum(logp[len(ctx) - 1 + j, tok].item() for j, tok in enumerate(cont))


@pytest.mark.parametrize("budget", [16, 64, 4096])  # 16: one row per batch; 4096: all at once
def test_batched_loglik_equals_unpadded_reference(tiny_engine, budget):
    contexts, continuations = [c for c, _ in PAIRS], [k for _, k in PAIRS]
    got = loglikelihood(tiny_engine, contexts, continuations, max_batch_tokens=budget)
    want = [reference(tiny_engine, c, k) for c, k in PAIRS]
    assert got == pytest.approx(want, abs=1e-4)


def test_the_ids_core_scores_each_rows_tail_whatever_its_batch(tiny_engine):
    """``tail_logprobs`` (the core, also scoring DPO pairs from token ids): the last ``n`` tokens
    of each row, the same alone or batched with longer and shorter rows; ``n = 0`` scores 0."""
    tok = tiny_engine.tokenizer
    rows = [(tok(c + k, add_special_tokens=False).input_ids, 3) for c, k in PAIRS]
    rows.append((rows[0][0], 0))
    alone = [tail_logprobs(tiny_engine.model, [r])[0] for r in rows]
    together = tail_logprobs(tiny_engine.model, rows, max_batch_tokens=4096)
    assert together == pytest.approx(alone, abs=1e-4) and together[-1] == 0.0
    ids = rows[0][0]
    with torch.no_grad():
        logp = torch.log_softmax(tiny_engine.model(torch.tensor([ids])).logits[0].float(), -1)
    by_hand = sum(logp[j - 1, ids[j]].item() for j in range(len(ids) - 3, len(ids)))
    assert alone[0] == pytest.approx(by_hand, abs=1e-4)
    # the first token has no prediction: asking for every token scores all but the first
    every, but_first = tail_logprobs(tiny_engine.model, [(ids, len(ids)), (ids, len(ids) - 1)])
    assert every == pytest.approx(but_first, abs=1e-5)


def test_context_and_continuation_split_like_lm_eval(tiny_engine):
    ctx, cont = encode_pair(tiny_engine.tokenizer, "The answer is ", "42")
    assert tiny_engine.tokenizer.decode(cont).startswith(" ")
    assert tiny_engine.tokenizer.decode(ctx + cont) == "The answer is 42"


ITEM = Prompt(
    "t/1", "What do bakers mix?\nA. Mix flour\nB. lazy dog", "general",
    reference="A", choices=["Mix flour", "lazy dog"], meta={"question": "What do bakers mix?"},
)  # fmt: skip


def test_multiple_choice_styles():
    ctx, cont = mc_requests(ITEM, "text")
    assert ctx == ["Question: What do bakers mix?\nAnswer:"] * 2
    assert cont == [" Mix flour", " lazy dog"]
    ctx, cont = mc_requests(ITEM, "letter")
    assert ctx[0].endswith("B. lazy dog\nAnswer:") and cont == [" A", " B"]


def test_scores_pick_the_argmax_and_are_cached(tiny_engine, tmp_path):
    tiny_engine.cache = GenerationCache(tmp_path / "c.jsonl")
    [rec] = score_multiple_choice(tiny_engine, [ITEM], "text")
    best = max(range(2), key=rec["loglik"].__getitem__)
    assert rec["response"] == "AB"[best] and rec["correct"] == (best == 0)
    norm = [s / len(c) for s, c in zip(rec["loglik"], rec["continuations"], strict=True)]
    assert rec["pred_norm"] == "AB"[max(range(2), key=norm.__getitem__)]
    assert len(tiny_engine.cache) == 2
    original = tiny_engine.model.forward
    tiny_engine.model.forward = lambda *a, **k: pytest.fail("recomputed a cached score")
    try:
        again = score_multiple_choice(tiny_engine, [ITEM], "text")
    finally:
        tiny_engine.model.forward = original
        tiny_engine.cache = None
    assert again[0]["loglik"] == rec["loglik"]


def test_evaluate_loglik_suites_on_the_tiny_model(tiny_engine, tmp_path):
    suites = ["arc_easy", "mmlu", "mmlu_letter"]
    metrics = evaluate(tiny_engine, suites, tmp_path / "ev", limit=3, progress=False)
    for name in suites:
        m = metrics["suites"][name]
        assert m["mode"] == "loglik" and m["n"] == 3 and 0 <= m["value"] <= 1
    assert "acc_norm" in metrics["suites"]["arc_easy"]


def test_the_mock_engine_cannot_score_and_says_so(tmp_path):
    from saro.engines.mock import MockEngine
    from saro.errors import SaroError

    with pytest.raises(SaroError, match="arc_easy_gen"):
        evaluate(MockEngine(), ["arc_easy"], tmp_path / "ev", limit=2, progress=False)


@pytest.mark.slow
def test_saro_eval_on_the_real_default_model(tmp_path, capsys):
    from saro.cli import main

    out = tmp_path / "ev"
    code = main(["eval", "--suites", "all", "--limit", "3", "--out", str(out), "-q"])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["suites"]) >= {"jailbreak", "harmful", "overrefusal", "gsm8k", "arc_easy"}
    from saro.evaluate.suites import SUITES

    for name, entry in metrics["suites"].items():  # recovery: 3 depths + 1 benign per prompt
        assert entry["n"] == 3 * SUITES[name].per_prompt and entry["value"] is not None
    for line in (out / "samples" / "harmful.jsonl").read_text().splitlines():
        response = json.loads(line)["response"]
        assert not response.strip() or response.strip()[:60] not in printed.out + printed.err
