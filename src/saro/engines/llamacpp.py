"""llama.cpp (``llama-cpp-python``) as a chat engine for GGUF files: the optional ``llamacpp``
extra, so an exported model (``saro export --format gguf``) can be chatted with and evaluated
through the same engine protocol.

Example:
    >>> engine = make_engine("llamacpp", model="exports/saro-gguf/saro-saro.q8_0.gguf")
    >>> engine.generate([ChatRequest.user("Hi")], max_new_tokens=128)

The prompt is the GGUF's own chat template (``tokenizer.chat_template``, which ``saro export``
writes) rendered with jinja2's sandbox, plus the prefill; llama.cpp then completes the text.
Greedy is ``temperature 0``; samples use ``sample_seed(seed, i)``, as the other engines do.
``llama_cpp`` is imported only when the engine is built.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from saro.engines.base import BaseEngine, ChatRequest, Completion, Job, OnDone, SamplingParams
from saro.engines.retry import sample_seed
from saro.errors import SaroError


def _import_llama_cpp() -> Any:
    try:
        import llama_cpp
    except ImportError:
        raise SaroError(
            "The llamacpp engine needs llama-cpp-python, which is not installed.",
            "Install the llamacpp extra (pip install -e '.[llamacpp]' torch==2.13.0; it builds "
            "llama.cpp from source, about 10 minutes), or chat with the hf engine.",
        ) from None
    return llama_cpp


class LlamaCppEngine(BaseEngine):
    """Chat engine over ``llama_cpp.Llama`` for one GGUF file.

    Args:
        model: Path to a ``.gguf`` file.
        n_ctx: Context window.
        cache: Generation cache.
        **llama_kwargs: Passed to ``llama_cpp.Llama`` (``n_threads``, ``n_gpu_layers``...).
    """

    name = "llamacpp"

    def __init__(self, model: str, *, n_ctx: int = 4096, cache: Any = None, **llama_kwargs: Any):
        super().__init__(cache=cache)
        path = Path(model)
        if path.suffix != ".gguf" or not path.is_file():
            raise SaroError(
                f"{model} is not a GGUF file.",
                "Pass the .gguf file saro export --format gguf wrote.",
            )
        llama_cpp = _import_llama_cpp()
        self.path = path
        self.llm = llama_cpp.Llama(model_path=str(path), n_ctx=n_ctx, verbose=False, **llama_kwargs)
        template = (getattr(self.llm, "metadata", None) or {}).get("tokenizer.chat_template")
        if not template:
            raise SaroError(
                f"{model} has no chat template.",
                "Export it again with saro export, which embeds the model's chat template.",
            )
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        self.template = ImmutableSandboxedEnvironment().from_string(template)
        stat = path.stat()
        digest = hashlib.sha256(f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode())
        self._identity = f"llamacpp:{path.name}:{digest.hexdigest()[:16]}"

    def identity(self) -> str:
        return self._identity

    def render_key(self, request: ChatRequest) -> str:
        text = self.template.render(messages=list(request.messages), add_generation_prompt=True)
        return text + request.prefill

    def count_tokens(self, text: str) -> int | None:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def _run(
        self, jobs: Sequence[Job], params: SamplingParams, on_done: OnDone, *, progress: bool
    ) -> None:
        for i, job in enumerate(jobs):
            out = self.llm.create_completion(
                self.render_key(job.request),
                max_tokens=params.max_new_tokens,
                temperature=params.temperature,
                top_p=params.top_p,
                seed=sample_seed(params.seed, job.index),
                stop=list(params.stop) or None,
            )
            choice = out["choices"][0]
            usage = out.get("usage") or {}
            on_done(
                i,
                Completion(
                    text=choice.get("text") or "",
                    prompt_tokens=int(usage.get("prompt_tokens") or 0),
                    completion_tokens=int(usage.get("completion_tokens") or 0),
                    finish_reason="length" if choice.get("finish_reason") == "length" else "stop",
                ),
            )
