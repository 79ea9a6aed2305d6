"""Judges: a registry of named factories.

``make_judge("refusal")`` builds the offline refusal judge; a spec may carry a target after the
first colon, which the factory receives as ``target``::

    make_judge("math")
    make_judge("llm:openai:gpt-4o-mini@http://localhost:8000/v1")  # engine:model@base_url
    make_judge("llm:hf:smollm2-135m")
    make_judge("llamaguard:meta-llama/Llama-Guard-3-1B")

Factories import heavy libraries (scikit-learn, engines) only when called, so importing this
package is cheap. Every judge follows :class:`saro.judges.base.Judge`; docs/judges.md documents
the verdict schema.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from saro.errors import SaroError, unknown_name
from saro.judges.base import Item, Judge, undetermined

JUDGES: dict[str, Callable[..., Judge]] = {}


def register_judge(name: str) -> Callable[[Callable[..., Judge]], Callable[..., Judge]]:
    """Register a judge factory under ``name``."""

    def deco(factory: Callable[..., Judge]) -> Callable[..., Judge]:
        JUDGES[name] = factory
        return factory

    return deco


def make_judge(spec: str | Judge, **options: Any) -> Judge:
    """Build a judge from a spec string (``NAME`` or ``NAME:TARGET``) and options.

    Raises:
        SaroError: Unknown judge name (the nearest known one is suggested), or a target given
            to a judge that takes none.
    """
    if isinstance(spec, Judge):
        return spec
    name, _, target = spec.strip().partition(":")
    if name not in JUDGES:
        raise unknown_name("judge", name, JUDGES)
    factory = JUDGES[name]
    key = options.pop("name", None) or name  # e.g. two llm judges under different keys
    if target:
        if "target" not in inspect.signature(factory).parameters:
            raise SaroError(
                f"The {name!r} judge takes no ':' target (got {spec!r}).", f"Use plain {name!r}."
            )
        options["target"] = target
    judge = factory(**options)
    judge.name = key
    judge.spec = spec.strip()
    return judge


# Registration happens on import; these modules import nothing heavy at top level.
from saro.judges import choice, llamaguard, llm, mathjudge, refusal  # noqa: E402, F401

__all__ = ["JUDGES", "Item", "Judge", "make_judge", "register_judge", "undetermined"]
