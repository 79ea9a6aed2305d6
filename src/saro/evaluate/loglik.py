"""Multiple choice by log-likelihood, as lm-eval-harness scores ARC and MMLU.

* ``text`` style (ARC): context ``"Question: {stem}\\nAnswer:"``, one continuation per option
  ``" {option text}"``; ``correct`` uses the summed log-probability, ``correct_norm`` divides
  it by the option's length in characters (lm-eval's ``acc_norm``), which removes the bias
  toward short options.
* ``letter`` style (MMLU): context is the question with its lettered options then
  ``"\\nAnswer:"``; continuations ``" A"``, ``" B"``... (one token each, so no normalization).

The prompt is raw text, not chat-templated (lm-eval's default): this measures what the model
knows, independent of its chat behaviour. Scores are cached in the engine's generation cache,
so a rerun recomputes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from saro.errors import SaroError
from saro.records import Prompt
from saro.sources.capability import LETTERS


def mc_requests(prompt: Prompt, style: str) -> tuple[list[str], list[str]]:
    """Contexts and continuations scoring each option of ``prompt``."""
    options = prompt.choices or []
    if style == "text":
        stem = prompt.meta.get("question") or prompt.text
        context = f"Question: {stem}\nAnswer:"
        return [context] * len(options), [f" {opt}" for opt in options]
    context = f"{prompt.text}\nAnswer:"
    return [context] * len(options), [f" {LETTERS[i]}" for i in range(len(options))]


def engine_loglikelihood(
    engine: Any,
    contexts: Sequence[str],
    continuations: Sequence[str],
    *,
    desc: str = "loglik",
    progress: bool = False,
) -> list[float]:
    """``engine.loglikelihood`` if it has one, the hf implementation for hf engines, cached."""
    fn = getattr(engine, "loglikelihood", None)
    if fn is None and getattr(engine, "name", "") == "hf":
        from saro.engines.hf_loglik import loglikelihood as hf_loglik

        def fn(ctx, cont, progress=False):
            return hf_loglik(engine, ctx, cont, progress=progress, desc=desc)

    if fn is None:
        raise SaroError(
            f"The {getattr(engine, 'name', '?')!r} engine cannot score log-likelihoods, which "
            "the arc_easy and mmlu suites need.",
            "Use --engine hf, or the generation variant (arc_easy_gen).",
        )
    cache = getattr(engine, "cache", None)
    keys = [_key(engine, c, k) for c, k in zip(contexts, continuations, strict=True)]
    out: list[float | None] = [None] * len(keys)
    todo = []
    for i, key in enumerate(keys):
        hit = cache.get(key) if cache is not None else None
        if hit is not None and "loglik" in hit:
            out[i] = float(hit["loglik"])
        else:
            todo.append(i)
    if todo:
        scores = fn(
            [contexts[i] for i in todo], [continuations[i] for i in todo], progress=progress
        )
        for i, score in zip(todo, scores, strict=True):
            out[i] = float(score)
            if cache is not None:
                cache.put(keys[i], {"loglik": float(score)})
    return out  # type: ignore[return-value]


def _key(engine: Any, context: str, continuation: str) -> str:
    payload = json.dumps(
        {"model": engine.identity(), "loglik": [context, continuation]}, ensure_ascii=False
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def score_multiple_choice(
    engine: Any, prompts: Sequence[Prompt], style: str, *, progress: bool = False, desc: str = ""
) -> list[dict[str, Any]]:
    """One sample record per prompt: per-option log-likelihoods, predictions, correctness."""
    flat_ctx, flat_cont, spans = [], [], []
    for p in prompts:
        if not p.choices or p.reference not in LETTERS[: len(p.choices)]:
            raise SaroError(
                f"Prompt {p.id!r} has no options or no answer letter.",
                "Multiple-choice suites need 'choices' and a letter 'reference'.",
            )
        ctx, cont = mc_requests(p, style)
        spans.append((len(flat_ctx), len(flat_ctx) + len(ctx)))
        flat_ctx += ctx
        flat_cont += cont
    scores = engine_loglikelihood(engine, flat_ctx, flat_cont, desc=desc, progress=progress)
    records = []
    for p, (a, b) in zip(prompts, spans, strict=True):
        ll = scores[a:b]
        norm = [s / max(len(c), 1) for s, c in zip(ll, flat_cont[a:b], strict=True)]
        pred = LETTERS[max(range(len(ll)), key=ll.__getitem__)]
        pred_norm = (
            LETTERS[max(range(len(norm)), key=norm.__getitem__)] if style == "text" else pred
        )
        records.append(
            {
                "id": p.id,
                "prompt": flat_ctx[a],
                "kind": p.kind,
                "category": p.category,
                "source": p.source,
                "reference": p.reference,
                "choices": p.choices,
                "continuations": flat_cont[a:b],
                "loglik": ll,
                "response": pred,
                "pred_norm": pred_norm,
                "correct": pred == p.reference,
                "correct_norm": pred_norm == p.reference,
            }
        )
    return records
