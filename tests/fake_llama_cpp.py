"""A stand-in for the ``llama_cpp`` module (llama-cpp-python builds from source; not installed
here): ``Llama`` reads nothing, carries a ChatML chat template in its metadata, and answers a
prompt with a short deterministic text built from the prompt's last word and the seed."""

from __future__ import annotations

import sys
import types

TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def reply_text(prompt: str, seed: int) -> str:
    return f" {prompt.split()[-1]} #{seed % 97}"


class Llama:
    calls: list = []

    def __init__(self, model_path, n_ctx=4096, verbose=False, **kwargs):
        self.model_path = model_path
        self.metadata = {"tokenizer.chat_template": TEMPLATE}

    def tokenize(self, data, add_bos=False, special=True):
        return data.split()

    def create_completion(self, prompt, **kw):
        Llama.calls.append((prompt, kw))
        text = reply_text(prompt, kw.get("seed", 0))
        return {
            "choices": [{"text": text, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": len(prompt.split()), "completion_tokens": len(text.split())},
        }


def install(monkeypatch) -> None:
    Llama.calls = []
    monkeypatch.setitem(sys.modules, "llama_cpp", types.SimpleNamespace(Llama=Llama))
