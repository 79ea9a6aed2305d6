"""Judges: a registry of named factories.

``make_judge("refusal")`` builds the offline refusal judge; a spec may carry a target after the
first colon, which the factory receives as ``target``::

    make_judge("math")
    make_judge("llm:openai:gpt-4o-mini@http://localhost:8000/v1")  # engine:model@base_url
    make_judge("llm:hf:smollm2-135m")
    make_judge("llamaguard:meta-llama/Llama-Guard-3-1B")
    make_judge("labels:src/saro/data/judges/gold/gold.jsonl")      # readers' labels

The registry is :mod:`.registry`; each judge module registers its factory when this package
imports it. Factories import heavy libraries (scikit-learn, engines) only when called, so
importing this package is cheap. Every judge follows :class:`saro.judges.base.Judge`;
docs/judges.md documents the verdict schema.
"""

from __future__ import annotations

from saro.judges import choice, labels, llamaguard, llm, mathjudge, refusal  # noqa: F401
from saro.judges.base import Item, Judge, undetermined
from saro.judges.registry import JUDGES, make_judge, register_judge

__all__ = ["JUDGES", "Item", "Judge", "make_judge", "register_judge", "undetermined"]
