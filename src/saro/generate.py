"""``saro generate``: completions for a source's prompts, resumable through the generation cache.

Usage::

    saro generate --model smollm2-135m --source overrefusal --split test --limit 8 --out gen.jsonl

Every finished completion is stored in the content-addressed generation cache as it finishes,
so a run that is killed and started again regenerates nothing it already did; the output file
is written atomically once all prompts are done. Completions are never echoed to the terminal:
they may answer harmful prompts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from saro.engines import BaseEngine, ChatRequest, GenerationCache, make_engine
from saro.paths import subdir
from saro.records import Prompt
from saro.store import write_jsonl


def open_cache(engine: BaseEngine, cache_path: str | Path | None = None) -> GenerationCache:
    """Attach the default cache for this engine's model (or the given file) and return it."""
    import hashlib

    if cache_path is None:
        digest = hashlib.sha256(engine.identity().encode()).hexdigest()[:16]
        cache_path = subdir("generations") / f"{engine.name}-{digest}.jsonl"
    engine.cache = GenerationCache(cache_path)
    return engine.cache


def build_engine(name: str, model: str, **options: Any) -> BaseEngine:
    """Make an engine for ``model`` with the default generation cache attached."""
    engine = make_engine(name, model=model, **options)
    open_cache(engine)
    return engine


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


def write_records(path: str | Path, records: list[dict[str, Any]]) -> int:
    return write_jsonl(path, records)
