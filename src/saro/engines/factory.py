"""Build an engine with the default generation cache attached: how every stage gets its engine.

Every finished completion is stored in the content-addressed cache as it finishes, so a job
that is killed and started again regenerates nothing it already did.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from saro.engines.base import BaseEngine
from saro.engines.cache import GenerationCache
from saro.engines.registry import make_engine
from saro.paths import subdir


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
