"""The engine registry: named factories, each importing its SDK only when called."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from saro.engines.base import BaseEngine
from saro.errors import unknown_name

ENGINES: dict[str, Callable[..., BaseEngine]] = {}


def register_engine(name: str) -> Callable[[Callable[..., BaseEngine]], Callable[..., BaseEngine]]:
    def deco(factory: Callable[..., BaseEngine]) -> Callable[..., BaseEngine]:
        ENGINES[name] = factory
        return factory

    return deco


def make_engine(name: str, **options: Any) -> BaseEngine:
    """Build a registered engine by name."""
    if name not in ENGINES:
        raise unknown_name("engine", name, ENGINES)
    return ENGINES[name](**options)


@register_engine("mock")
def _mock(**options: Any) -> BaseEngine:
    from saro.engines.mock import MockEngine

    return MockEngine(**options)


@register_engine("hf")
def _hf(**options: Any) -> BaseEngine:
    from saro.engines.hf import HFEngine

    return HFEngine(**options)


@register_engine("openai")
def _openai(**options: Any) -> BaseEngine:
    from saro.engines.openai import OpenAIEngine

    return OpenAIEngine(**options)


@register_engine("vllm")
def _vllm(**options: Any) -> BaseEngine:
    from saro.engines.vllm import VLLMEngine

    return VLLMEngine(**options)


@register_engine("llamacpp")
def _llamacpp(**options: Any) -> BaseEngine:
    from saro.engines.llamacpp import LlamaCppEngine

    return LlamaCppEngine(**options)
