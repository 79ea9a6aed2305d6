"""The one protocol all model I/O goes through.

A :class:`ChatRequest` is a conversation plus an optional assistant *prefill*: text the
assistant turn must continue (PP-COT builds on it). ``engine.generate(requests, n=K, ...)``
returns, for each request, ``K`` :class:`Completion` objects. Engines implement one method,
:meth:`BaseEngine._run`, over flat *jobs* (one request, one sample index); the base class
expands requests, serves finished jobs from the generation cache, and stores new ones as
they finish, so a killed run resumes without redoing work.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from saro.engines.cache import GenerationCache


@dataclass(frozen=True)
class ChatRequest:
    """Messages (``[{"role": ..., "content": ...}]``) and an optional assistant prefill."""

    messages: tuple[dict[str, str], ...]
    prefill: str = ""

    @classmethod
    def user(cls, text: str, *, system: str | None = None, prefill: str = "") -> ChatRequest:
        msgs = ([{"role": "system", "content": system}] if system else []) + [
            {"role": "user", "content": text}
        ]
        return cls(tuple(msgs), prefill)

    def __post_init__(self) -> None:
        object.__setattr__(self, "messages", tuple(dict(m) for m in self.messages))


@dataclass
class Completion:
    """One sampled continuation.

    Attributes:
        text: Generated text only (the prefill is not repeated).
        prompt_tokens: Tokens in the rendered prompt (prefill included).
        completion_tokens: Generated tokens up to and including the stop token.
        finish_reason: ``stop`` (EOS or stop string), ``length`` (hit max_new_tokens) or
            ``error`` (the back-end failed for this job after retries; ``text`` is empty).
        index: Sample index within the request (0..n-1).
        cached: True when served from the generation cache.
        forced: True when budget forcing closed the reasoning to get an answer
            (:mod:`saro.engines.forcing`).
    """

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str = "stop"
    index: int = 0
    cached: bool = False
    forced: bool = False

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("cached")
        d.pop("forced")  # a property of an assembled response, never of one cached pass
        return d


@dataclass(frozen=True)
class SamplingParams:
    """Sampling settings; ``temperature == 0`` means greedy."""

    temperature: float = 0.0
    top_p: float = 1.0
    max_new_tokens: int = 256
    seed: int = 0
    stop: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Job:
    """One unit of work: a request and a sample index."""

    request: ChatRequest
    index: int


OnDone = Callable[[int, Completion], None]


class BaseEngine:
    """Shared machinery: request expansion, caching, result assembly.

    Subclasses set :attr:`name` and implement :meth:`identity`, :meth:`render_key` and
    :meth:`_run`.
    """

    name: str = "base"

    def __init__(self, *, cache: GenerationCache | None = None):
        self.cache = cache

    # -- subclass API -----------------------------------------------------------------------
    def identity(self) -> str:
        """A string naming the exact model (weights, revision, dtype): part of every cache key."""
        raise NotImplementedError

    def render_key(self, request: ChatRequest) -> str:
        """The prompt as the model sees it (chat-templated text, or canonical JSON)."""
        return json.dumps(
            {"messages": request.messages, "prefill": request.prefill},
            sort_keys=True,
            ensure_ascii=False,
        )

    def count_tokens(self, text: str) -> int | None:
        """Tokens ``text`` takes in this model's tokenizer; None when the engine has none here
        (remote endpoints), in which case callers apportion a completion's reported count."""
        return None

    def _run(
        self, jobs: Sequence[Job], params: SamplingParams, on_done: OnDone, *, progress: bool
    ) -> None:
        """Generate every job, calling ``on_done(job_position, completion)`` as each finishes."""
        raise NotImplementedError

    # -- public API -------------------------------------------------------------------------
    def job_key(self, job: Job, params: SamplingParams) -> str:
        payload = json.dumps(
            {
                "model": self.identity(),
                "prompt": self.render_key(job.request),
                "params": asdict(params),
                "index": job.index,
            },
            sort_keys=True,
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode()).hexdigest()

    def generate(
        self,
        requests: Sequence[ChatRequest],
        *,
        n: int = 1,
        temperature: float = 0.0,
        top_p: float = 1.0,
        max_new_tokens: int = 256,
        seed: int = 0,
        stop: Sequence[str] = (),
        progress: bool = True,
    ) -> list[list[Completion]]:
        """Return ``n`` completions for each request, in request order."""
        params = SamplingParams(temperature, top_p, max_new_tokens, seed, tuple(stop))
        jobs = [Job(req, i) for req in requests for i in range(n)]
        results: list[Completion | None] = [None] * len(jobs)
        keys = [self.job_key(job, params) for job in jobs] if self.cache is not None else []
        todo: list[int] = []
        for pos, job in enumerate(jobs):
            hit = self.cache.get(keys[pos]) if self.cache is not None else None
            if hit is not None:
                results[pos] = Completion(**{**hit, "index": job.index}, cached=True)
            else:
                todo.append(pos)

        def on_done(i: int, completion: Completion) -> None:
            pos = todo[i]
            completion.index = jobs[pos].index
            results[pos] = completion
            if self.cache is not None and completion.finish_reason != "error":
                self.cache.put(keys[pos], completion.to_dict())

        if todo:
            self._run([jobs[p] for p in todo], params, on_done, progress=progress)
        missing = [p for p, r in enumerate(results) if r is None]
        if missing:
            raise RuntimeError(f"{self.name} engine returned no result for {len(missing)} jobs")
        return [results[i * n : (i + 1) * n] for i in range(len(requests))]  # type: ignore[misc]
