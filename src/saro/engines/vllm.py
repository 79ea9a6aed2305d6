"""vLLM in-process (GPU) as a chat engine: the optional ``vllm`` extra.

Example:
    >>> engine = make_engine("vllm", model="Qwen/Qwen2.5-7B-Instruct", tensor_parallel_size=2)
    >>> engine.generate([ChatRequest.user("Hi")], n=8, temperature=1.0, seed=1)

``vllm`` is imported only here, when the engine is built, and the model loads on the first
``generate``. Each sample is its own vLLM request with ``SamplingParams(n=1,
seed=sample_seed(seed, i))``: sample ``i`` is then the same whether it is generated with its
siblings or alone on a resumed run, and vLLM's scheduler batches them all anyway (prefix caching
shares the prompt). Jobs go to vLLM in chunks of ``chunk_size`` and each chunk's results reach the
generation cache as soon as it ends, so a killed run loses at most one chunk.

Prefill: ``prefill_mode="continue_final_message"`` (default) calls ``LLM.chat`` with the prefill
as a final assistant message and ``continue_final_message=True, add_generation_prompt=False``;
``prefill_mode="prompt"`` renders the chat template with vLLM's tokenizer, appends the prefill and
calls ``LLM.generate`` on the text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from saro.engines.base import BaseEngine, ChatRequest, Completion, Job, OnDone, SamplingParams
from saro.engines.retry import sample_seed
from saro.errors import SaroError
from saro.security import reject_inline_key

PREFILL_MODES = ("continue_final_message", "prompt")
# Engine options that change what the model outputs, so they belong in the cache identity.
_IDENTITY_OPTIONS = ("revision", "dtype", "quantization", "tokenizer", "tokenizer_revision")


def _import_vllm() -> Any:
    try:
        import vllm
    except ImportError:
        raise SaroError(
            "The vllm engine needs the optional vllm package, which is not installed.",
            "Install the vllm extra (pip install 'saro[vllm]') on a machine with a GPU, or use "
            "the hf or openai engine.",
        ) from None
    return vllm


class VLLMEngine(BaseEngine):
    """Chat engine over ``vllm.LLM``.

    Args:
        model: Hub id or local folder.
        tensor_parallel_size: GPUs to shard the model over.
        prefill_mode: ``continue_final_message`` or ``prompt`` (module docstring).
        chunk_size: Jobs per ``LLM`` call; results are cached after each call.
        cache: Generation cache.
        **engine_kwargs: Passed to ``vllm.LLM`` (``dtype``, ``max_model_len``,
            ``gpu_memory_utilization``...). ``trust_remote_code`` stays off unless given.
    """

    name = "vllm"

    def __init__(
        self,
        model: str,
        *,
        tensor_parallel_size: int = 1,
        prefill_mode: str = "continue_final_message",
        chunk_size: int = 1024,
        cache=None,
        **engine_kwargs: Any,
    ):
        super().__init__(cache=cache)
        reject_inline_key(engine_kwargs, env="HF_TOKEN")  # the hub reads HF_TOKEN by itself
        if prefill_mode not in PREFILL_MODES:
            raise SaroError(
                f"Unknown prefill_mode {prefill_mode!r} for the vllm engine.",
                f"Use one of {', '.join(PREFILL_MODES)}.",
            )
        self._vllm = _import_vllm()
        self.model = model
        self.tensor_parallel_size = tensor_parallel_size
        self.prefill_mode = prefill_mode
        self.chunk_size = max(1, chunk_size)
        self.engine_kwargs = engine_kwargs
        self._llm: Any = None

    def count_tokens(self, text: str) -> int | None:
        if self._llm is None:  # never load a model just to count (cached evaluations)
            return None
        tok = self._llm.get_tokenizer()
        return len(tok(text, add_special_tokens=False)["input_ids"]) if text else 0

    def identity(self) -> str:
        opts = {k: self.engine_kwargs[k] for k in _IDENTITY_OPTIONS if k in self.engine_kwargs}
        return f"vllm:{self.model}" + (f"|{json.dumps(opts, sort_keys=True)}" if opts else "")

    @property
    def llm(self) -> Any:
        """The ``vllm.LLM``, loaded on first use (building the engine stays cheap)."""
        if self._llm is None:
            self._llm = self._vllm.LLM(
                model=self.model,
                tensor_parallel_size=self.tensor_parallel_size,
                **self.engine_kwargs,
            )
        return self._llm

    def render_key(self, request: ChatRequest) -> str:
        if request.prefill and self.prefill_mode == "prompt":
            return self._render(request)
        return super().render_key(request)

    def _render(self, request: ChatRequest) -> str:
        text = self.llm.get_tokenizer().apply_chat_template(
            [dict(m) for m in request.messages], tokenize=False, add_generation_prompt=True
        )
        return text + request.prefill

    def _params(self, job: Job, params: SamplingParams) -> Any:
        return self._vllm.SamplingParams(
            n=1,
            temperature=params.temperature,
            top_p=params.top_p,
            max_tokens=params.max_new_tokens,
            seed=sample_seed(params.seed, job.index),
            stop=list(params.stop) or None,
        )

    def _run(
        self, jobs: Sequence[Job], params: SamplingParams, on_done: OnDone, *, progress: bool
    ) -> None:
        # LLM.chat takes add_generation_prompt / continue_final_message per call, so plain and
        # prefilled requests go in separate calls.
        plain = [i for i, job in enumerate(jobs) if not job.request.prefill]
        prefilled = [i for i, job in enumerate(jobs) if job.request.prefill]
        for group, call in ((plain, self._chat), (prefilled, self._prefilled)):
            for start in range(0, len(group), self.chunk_size):
                chunk = group[start : start + self.chunk_size]
                outputs = call([jobs[i] for i in chunk], params, progress)
                if len(outputs) != len(chunk):
                    raise RuntimeError(f"vllm returned {len(outputs)} outputs for {len(chunk)}")
                for i, out in zip(chunk, outputs, strict=True):
                    on_done(i, _to_completion(out))

    def _chat(self, jobs: list[Job], params: SamplingParams, progress: bool) -> list[Any]:
        return self.llm.chat(
            [[dict(m) for m in job.request.messages] for job in jobs],
            sampling_params=[self._params(job, params) for job in jobs],
            use_tqdm=progress,
            add_generation_prompt=True,
            continue_final_message=False,
        )

    def _prefilled(self, jobs: list[Job], params: SamplingParams, progress: bool) -> list[Any]:
        sampling = [self._params(job, params) for job in jobs]
        if self.prefill_mode == "prompt":
            prompts = [self._render(job.request) for job in jobs]
            return self.llm.generate(prompts, sampling_params=sampling, use_tqdm=progress)
        conversations = [
            [dict(m) for m in job.request.messages]
            + [{"role": "assistant", "content": job.request.prefill}]
            for job in jobs
        ]
        return self.llm.chat(
            conversations,
            sampling_params=sampling,
            use_tqdm=progress,
            add_generation_prompt=False,
            continue_final_message=True,
        )


def _to_completion(output: Any) -> Completion:
    """Map one ``vllm.RequestOutput`` (a single sample) to a :class:`Completion`."""
    sample = output.outputs[0]
    return Completion(
        text=sample.text,
        prompt_tokens=len(output.prompt_token_ids or ()),
        completion_tokens=len(sample.token_ids),
        finish_reason="length" if sample.finish_reason == "length" else "stop",
    )
