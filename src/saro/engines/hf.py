"""The ``hf`` engine: local transformers models with continuous batching on CPU (or one GPU).

Example::

    from saro.engines import ChatRequest, make_engine
    engine = make_engine("hf", model="smollm2-135m")
    [[reply]] = engine.generate([ChatRequest.user("Name a prime number.")], max_new_tokens=32)

Why not ``model.generate``: a padded batch keeps decoding rows that already hit EOS until the
longest row ends, so with mixed-length answers most of the compute is spent on finished rows.
transformers' own continuous batching (``generate_batch``, paged attention) runs on CPU but was
slower than plain batched ``generate`` on this hardware (docs/performance.md). So this module
keeps the model's own ``forward`` and sampling maths and adds only the scheduling the library
lacks, in :mod:`saro.engines.hf_batch`: a KV cache whose rows can be dropped when they finish and
refilled from the queue with freshly prefilled prompts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from saro.engines.base import BaseEngine, ChatRequest, Completion, Job, OnDone, SamplingParams
from saro.engines.cache import GenerationCache
from saro.errors import SaroError

DTYPES = ("auto", "float32", "bfloat16", "float16")


def _fingerprint(folder: Path) -> str:
    """A cheap hash of a model folder: the config's bytes and each weight file's size and mtime."""
    digest = hashlib.sha256()
    for name in ("config.json", "generation_config.json"):
        if (folder / name).exists():
            digest.update((folder / name).read_bytes())
    for path in sorted(folder.glob("*.safetensors")) + sorted(folder.glob("*.bin")):
        stat = path.stat()
        digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


class HFEngine(BaseEngine):
    """Generate with a local causal LM through transformers.

    Args:
        model: Registry name, local folder or hub id (see :func:`saro.models.resolve_model`).
        dtype: ``auto`` (fp32 on CPU, bf16 on a GPU that supports it) or an explicit dtype.
        batch_size: Most sequences decoded together. Small-batch fp32 matmuls use the CPU poorly
            (a 16-row step ran at under half the FLOP rate of a 128-row one), so bigger batches
            give more tokens per second; finished rows leave and free slots are refilled.
        max_batch_tokens: Cap on rows x (cached length + new tokens), which bounds KV-cache memory.
        max_prefill_tokens: Cap on padded prompt tokens prefilled in one forward pass.
        cache: Optional generation cache.
        device: ``cpu``, ``cuda``, ``cuda:1``...
        trust_remote_code: Allow custom modelling code from the model folder (off by default).
        threads: Torch intra-op threads (default: leave torch's choice).
        prepack: Reorder the linear layers' weights once for oneDNN (:mod:`saro.engines.hf_cpu`):
            1.23x the tokens/s on the CPU bench (docs/performance.md). ``None`` (default) turns
            it on for fp32 on the CPU when torch has oneDNN; ``False`` keeps plain
            ``nn.Linear``. Packed and plain engines share one :meth:`identity`, hence one
            generation cache: both run the same fp32 weights, and only the order of the sums
            differs (a sample may differ by a token, as it would on another CPU).
    """

    name = "hf"

    def __init__(
        self,
        model: str | Path = "smollm2-135m",
        *,
        dtype: str = "auto",
        batch_size: int = 64,
        max_batch_tokens: int = 32768,
        max_prefill_tokens: int = 4096,
        cache: GenerationCache | None = None,
        device: str = "cpu",
        trust_remote_code: bool = False,
        threads: int | None = None,
        prepack: bool | None = None,
    ):
        super().__init__(cache=cache)
        if dtype not in DTYPES:
            raise SaroError(f"Unknown dtype {dtype!r}.", f"Use one of: {', '.join(DTYPES)}.")
        if batch_size < 1 or max_batch_tokens < 1 or max_prefill_tokens < 1:
            raise SaroError("batch_size and the token caps must be positive.", "Pass values >= 1.")
        from saro.models import resolve_model

        self.model_name = str(model)
        self.folder = resolve_model(model, trust_remote_code=trust_remote_code)
        self.device = device
        self.dtype_name = _resolve_dtype(dtype, device)
        self.batch_size = batch_size
        self.max_batch_tokens = max_batch_tokens
        self.max_prefill_tokens = max_prefill_tokens
        self.trust_remote_code = trust_remote_code
        self.threads = threads
        if prepack and (device != "cpu" or self.dtype_name != "float32"):
            raise SaroError(
                f"prepack=True needs dtype float32 on the CPU (got {self.dtype_name} on {device}).",
                "Leave prepack unset: it turns itself on where it applies.",
            )
        self.prepack = prepack  # None: decided when the model loads
        self._model = None
        self._tokenizer = None
        self._identity = f"hf:{self.folder.resolve()}:{_fingerprint(self.folder)}:{self.dtype_name}"

    # -- loading ------------------------------------------------------------------------------
    @property
    def tokenizer(self):
        if self._tokenizer is None:
            from transformers import AutoTokenizer

            tok = AutoTokenizer.from_pretrained(
                self.folder, trust_remote_code=self.trust_remote_code
            )
            if not getattr(tok, "chat_template", None):
                raise SaroError(
                    f"The tokenizer in {self.folder} has no chat template.",
                    "Use a chat/instruct model, or add a chat_template to its tokenizer_config.",
                )
            self._tokenizer = tok
        return self._tokenizer

    @property
    def model(self):
        if self._model is None:
            import torch
            from transformers import AutoModelForCausalLM

            if self.threads:
                torch.set_num_threads(self.threads)
            model = AutoModelForCausalLM.from_pretrained(
                self.folder,
                dtype=getattr(torch, self.dtype_name),
                trust_remote_code=self.trust_remote_code,
            )
            model = model.to(self.device).eval()
            if self.prepack is not False and self.device == "cpu" and self.dtype_name == "float32":
                from saro.engines import hf_cpu

                if self.prepack or hf_cpu.available():  # auto stays quiet without oneDNN
                    hf_cpu.prepack_linears(model, batch_hint=self.batch_size)
            self._model = model
        return self._model

    # -- BaseEngine ---------------------------------------------------------------------------
    def identity(self) -> str:
        return self._identity

    def render_key(self, request: ChatRequest) -> str:
        return self.render(request)

    def count_tokens(self, text: str) -> int | None:
        return len(self.tokenizer(text, add_special_tokens=False).input_ids) if text else 0

    def render(self, request: ChatRequest) -> str:
        """The chat-templated prompt; a prefill is appended to the opened assistant turn."""
        text = self.tokenizer.apply_chat_template(
            list(request.messages), tokenize=False, add_generation_prompt=True
        )
        return text + request.prefill

    def eos_ids(self) -> set[int]:
        ids: set[int] = set()
        for source in (self.model.generation_config.eos_token_id, self.tokenizer.eos_token_id):
            if isinstance(source, int):
                ids.add(source)
            elif source:
                ids.update(source)
        return ids

    def _run(
        self, jobs: Sequence[Job], params: SamplingParams, on_done: OnDone, *, progress: bool
    ) -> None:
        import torch

        from saro.engines.hf_batch import ContinuousBatcher, Row, row_seed

        tok = self.tokenizer
        context = getattr(self.model.config.get_text_config(), "max_position_embeddings", None)
        rows = []
        for i, job in enumerate(jobs):
            text = self.render(job.request)
            ids = tok(text, add_special_tokens=False).input_ids
            if context and len(ids) + params.max_new_tokens > context:
                raise SaroError(
                    f"A prompt has {len(ids)} tokens; with max_new_tokens={params.max_new_tokens} "
                    f"it exceeds the model's context of {context} tokens.",
                    "Shorten or drop long prompts, or lower max_new_tokens.",
                )
            rows.append(Row(i, ids, row_seed(params.seed, text, job.index)))
        batcher = ContinuousBatcher(
            self.model,
            eos_ids=self.eos_ids(),
            pad_id=tok.pad_token_id if tok.pad_token_id is not None else 0,
            batch_size=self.batch_size,
            max_batch_tokens=self.max_batch_tokens,
            max_prefill_tokens=self.max_prefill_tokens,
            device=self.device,
        )
        stop_check = _StopCheck(tok, params.stop)

        def finish(row: Row, reason: str) -> None:
            gen = row.generated
            if reason == "stop" and gen and gen[-1] in batcher.eos_ids:
                gen = gen[:-1]
            text = tok.decode(gen, skip_special_tokens=True)
            text, hit = stop_check.cut(text)
            on_done(
                row.key,
                Completion(
                    text,
                    prompt_tokens=len(row.prompt),
                    completion_tokens=len(row.generated),
                    finish_reason="stop" if hit else reason,
                ),
            )

        with torch.inference_mode():
            batcher.run(
                rows,
                params,
                finish,
                stopped=stop_check.hit if params.stop else None,
                progress=progress,
            )


class _StopCheck:
    """Stop strings: checked on a decoded tail each step, cut exactly once the row ends."""

    def __init__(self, tokenizer, stops: Sequence[str]):
        self.tokenizer = tokenizer
        self.stops = [s for s in stops if s]
        # a stop string of c characters spans at most c tokens; +2 for a split multi-byte char
        self.tail = max((len(s) for s in self.stops), default=0) + 2

    def hit(self, generated: list[int]) -> bool:
        text = self.tokenizer.decode(generated[-self.tail :], skip_special_tokens=True)
        return any(s in text for s in self.stops)

    def cut(self, text: str) -> tuple[str, bool]:
        cuts = [text.index(s) for s in self.stops if s in text]
        return (text[: min(cuts)], True) if cuts else (text, False)


def _resolve_dtype(dtype: str, device: str) -> str:
    """``auto``: fp32 on CPU (bf16 there is slow without AVX-512 bf16 and must be checked against
    fp32 outputs first, see bench/generate.py); bf16 on GPUs that support it."""
    if dtype != "auto":
        return dtype
    if device.startswith("cuda"):
        import torch

        return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    return "float32"
