"""Log-likelihood scoring for the ``hf`` engine: ``log P(continuation | context)``.

Multiple-choice benchmarks are scored the way lm-eval-harness scores them: each option is a
continuation of the question, and the option with the highest summed log-probability wins. A
135M model cannot be measured fairly by generation (it rarely writes a clean letter), but its
logits still rank options.

Example::

    from saro.engines import make_engine
    from saro.engines.hf_loglik import loglikelihood
    engine = make_engine("hf", model="smollm2-135m")
    loglikelihood(engine, ["Question: 2+2?\\nAnswer:"] * 2, [" 4", " 5"])

Tokenization follows lm-eval: the context and the whole text are tokenized separately and the
continuation is the whole text's tokens after the context's (trailing spaces of the context
move to the continuation first, so " 4" is not split as "... " + "4"). Requests are sorted by
length and batched under a token budget; rows are left-padded so every continuation ends at
the last position, which lets the model project only the last few hidden states onto the
vocabulary (``logits_to_keep``) instead of the whole sequence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def encode_pair(tokenizer: Any, context: str, continuation: str) -> tuple[list[int], list[int]]:
    """Token ids of the context and of the continuation that follows it."""
    stripped = context.rstrip(" ")
    continuation = context[len(stripped) :] + continuation
    ctx = tokenizer(stripped, add_special_tokens=False).input_ids
    whole = tokenizer(stripped + continuation, add_special_tokens=False).input_ids
    # BPE may merge across the boundary; the shared prefix is the context's tokens
    cut = 0
    while cut < min(len(ctx), len(whole)) and ctx[cut] == whole[cut]:
        cut += 1
    cut = min(cut, len(whole) - 1) if whole else 0
    return whole[:cut], whole[cut:]


def loglikelihood(
    engine: Any,
    contexts: Sequence[str],
    continuations: Sequence[str],
    *,
    max_batch_tokens: int = 4096,
    progress: bool = False,
    desc: str = "loglik",
) -> list[float]:
    """Summed log-probability of each continuation given its context.

    Args:
        engine: An :class:`~saro.engines.hf.HFEngine` (its ``model`` and ``tokenizer`` are used).
        contexts: Prompt texts, used as given (no chat template is applied here).
        continuations: One continuation per context.
        max_batch_tokens: Cap on rows x padded length per forward pass.
        progress: Show a tqdm bar.
        desc: The bar's label.

    Returns:
        One float per pair, in input order.
    """
    if len(contexts) != len(continuations):
        raise ValueError("contexts and continuations differ in length")
    tok, model = engine.tokenizer, engine.model
    limit = int(getattr(model.config, "max_position_embeddings", 0) or 0) or None
    rows = []
    for ctx, cont in zip(contexts, continuations, strict=True):
        c_ids, k_ids = encode_pair(tok, ctx, cont)
        ids = c_ids + k_ids
        if limit and len(ids) > limit:  # keep the end: the continuation and the nearest context
            ids = ids[-limit:]
        rows.append((ids, min(len(k_ids), len(ids) - 1)))
    pad = tok.pad_token_id if tok.pad_token_id is not None else 0
    return tail_logprobs(
        model, rows, pad_id=pad, device=engine.device, max_batch_tokens=max_batch_tokens,
        progress=progress, desc=desc,
    )  # fmt: skip


def tail_logprobs(
    model: Any,
    rows: Sequence[tuple[list[int], int]],
    *,
    pad_id: int = 0,
    device: Any = "cpu",
    max_batch_tokens: int = 4096,
    progress: bool = False,
    desc: str = "loglik",
) -> list[float]:
    """Summed log-probability of the last ``n`` tokens of each row ``(ids, n)`` given the ones
    before: the core of :func:`loglikelihood`, from token ids (also used to score DPO pairs,
    scripts/analysis/heldout_rewards.py).

    Rows are sorted by length and batched under ``max_batch_tokens``, left-padded so every
    scored tail ends at the last position, and only the last ``n + 1`` positions are projected
    onto the vocabulary. Returns one float per row, in input order (0.0 where ``n`` is 0).
    """
    import torch
    from tqdm.auto import tqdm

    items = sorted(  # the first token has no prediction: at most len - 1 are scored
        ((i, list(ids), max(0, min(n, len(ids) - 1))) for i, (ids, n) in enumerate(rows)),
        key=lambda it: -len(it[1]),
    )
    out = [0.0] * len(items)
    bar = tqdm(total=len(items), disable=not progress, desc=desc, unit="opt")
    start = 0
    with torch.inference_mode():
        while start < len(items):
            width = len(items[start][1])  # longest first, so the first row sets the width
            per_batch = max(1, max_batch_tokens // max(width, 1))
            batch = items[start : start + per_batch]
            start += len(batch)
            ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for r, (_, seq, _) in enumerate(batch):
                ids[r, width - len(seq) :] = torch.tensor(seq)
                mask[r, width - len(seq) :] = 1
            keep = max(n for _, _, n in batch) + 1
            logits = model(
                input_ids=ids.to(device),
                attention_mask=mask.to(device),
                position_ids=(mask.cumsum(1) - 1).clamp(min=0).to(device),
                logits_to_keep=keep,
            ).logits.float()
            logp = torch.log_softmax(logits[:, :-1], dim=-1)  # position j predicts token j+1
            targets = ids[:, width - keep + 1 :].to(logp.device)
            picked = logp.gather(-1, targets[..., None])[..., 0]
            for r, (i, _, n) in enumerate(batch):
                out[i] = float(picked[r, picked.shape[1] - n :].sum()) if n else 0.0
            bar.update(len(batch))
    bar.close()
    return out
