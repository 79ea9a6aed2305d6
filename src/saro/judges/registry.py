"""The judge registry: named factories, and :func:`make_judge` to build one from a spec.

Judge modules register themselves on import; importing :mod:`saro.judges` imports them all.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from saro.errors import SaroError, unknown_name
from saro.judges.base import Judge

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
