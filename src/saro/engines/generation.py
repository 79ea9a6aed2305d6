"""``saro generate``: completions for a source's prompts, one record per completion.

Usage::

    saro generate --model smollm2-135m --source overrefusal --split test --limit 8 --out gen.jsonl

Completions are never echoed to the terminal: they may answer harmful prompts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from saro.engines.base import BaseEngine, ChatRequest
from saro.records import Prompt


def generate_records(
    engine: BaseEngine,
    prompts: Sequence[Prompt],
    *,
    n: int = 1,
    system: str | None = None,
    temperature: float = 0.0,
    top_p: float = 1.0,
    max_new_tokens: int = 256,
    seed: int = 0,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Generate ``n`` completions per prompt; one output record per completion."""
    requests = [ChatRequest.user(p.text, system=system) for p in prompts]
    outputs = engine.generate(
        requests,
        n=n,
        temperature=temperature,
        top_p=top_p,
        max_new_tokens=max_new_tokens,
        seed=seed,
        progress=progress,
    )
    records = []
    for prompt, completions in zip(prompts, outputs, strict=True):
        for c in completions:
            records.append(
                {
                    "prompt_id": prompt.id,
                    "kind": prompt.kind,
                    "category": prompt.category,
                    "source": prompt.source,
                    "split": prompt.split,
                    "prompt": prompt.text,
                    "sample": c.index,
                    "response": c.text,
                    "prompt_tokens": c.prompt_tokens,
                    "completion_tokens": c.completion_tokens,
                    "finish_reason": c.finish_reason,
                    "reference": prompt.reference,
                    "cached": c.cached,
                }
            )
    return records
