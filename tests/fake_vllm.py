"""A fake ``vllm`` module: records every call and answers ``<last word>#<seed>``.

Installed into ``sys.modules`` by the ``fake_vllm`` fixture (tests/conftest.py), so the vllm
engine runs without the real library. Every ``LLM`` it builds is kept in
``FakeLLM.instances`` (reset by the fixture) for assertions on the calls made.
"""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass, field
from typing import ClassVar


@dataclass
class FakeSamplingParams:
    n: int = 1
    temperature: float = 1.0
    top_p: float = 1.0
    max_tokens: int = 16
    seed: int | None = None
    stop: list[str] | None = None


@dataclass
class FakeSample:
    text: str
    token_ids: list[int]
    finish_reason: str | None


@dataclass
class FakeOutput:
    prompt_token_ids: list[int]
    outputs: list[FakeSample]


class FakeTokenizer:
    """A chat template simple enough to write out in assertions; one token per word."""

    def apply_chat_template(self, messages, tokenize, add_generation_prompt):
        assert tokenize is False and add_generation_prompt is True
        return "".join(f"<{m['role']}>{m['content']}" for m in messages) + "<assistant>"

    def __call__(self, text, add_special_tokens=False):
        return {"input_ids": text.split()}


def reply_text(prompt_text: str, seed: int | None) -> str:
    """What the fake model answers: the prompt's last word and the sample's seed."""
    return f"{prompt_text.split()[-1]}#{seed}"


@dataclass
class FakeLLM:
    """Records every call; replies ``<last content word>#<seed>`` with three tokens."""

    model: str
    kwargs: dict
    calls: list = field(default_factory=list)
    instances: ClassVar[list[FakeLLM]] = []

    def __post_init__(self):
        FakeLLM.instances.append(self)

    def get_tokenizer(self):
        return FakeTokenizer()

    def _reply(self, prompt_text, sp):
        reason = "length" if "LONG" in prompt_text else "stop"
        sample = FakeSample(reply_text(prompt_text, sp.seed), [1, 2, 3], reason)
        return FakeOutput([0] * len(prompt_text.split()), [sample])

    def chat(self, messages, sampling_params, use_tqdm, add_generation_prompt,
             continue_final_message):  # fmt: skip
        self.calls.append(("chat", messages, sampling_params, add_generation_prompt,
                           continue_final_message))  # fmt: skip
        return [
            self._reply(" ".join(m["content"] for m in conv), sp)
            for conv, sp in zip(messages, sampling_params, strict=True)
        ]

    def generate(self, prompts, sampling_params, use_tqdm):
        self.calls.append(("generate", prompts, sampling_params))
        return [self._reply(p, sp) for p, sp in zip(prompts, sampling_params, strict=True)]


def install(monkeypatch) -> types.ModuleType:
    """Put a fake ``vllm`` module in ``sys.modules`` (undone by ``monkeypatch``)."""
    FakeLLM.instances = []
    module = types.ModuleType("vllm")
    module.LLM = lambda model, **kwargs: FakeLLM(model, kwargs)
    module.SamplingParams = FakeSamplingParams
    monkeypatch.setitem(sys.modules, "vllm", module)
    return module
