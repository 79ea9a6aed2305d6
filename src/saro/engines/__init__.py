"""Chat engines: named factories (:mod:`.registry`) behind one protocol (:mod:`.base`).

``make_engine("hf", model="smollm2-135m")`` returns an engine; heavy SDK imports happen inside
each factory, so importing :mod:`saro.engines` is cheap and nothing outside this package imports
an SDK. :mod:`.factory` builds an engine with the generation cache attached.
"""

from __future__ import annotations

from saro.engines.base import BaseEngine, ChatRequest, Completion, Job, SamplingParams
from saro.engines.cache import GenerationCache
from saro.engines.registry import ENGINES, make_engine, register_engine

__all__ = [
    "ENGINES",
    "BaseEngine",
    "ChatRequest",
    "Completion",
    "GenerationCache",
    "Job",
    "SamplingParams",
    "make_engine",
    "register_engine",
]
