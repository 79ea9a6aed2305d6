"""Any OpenAI-compatible server (vLLM, llama.cpp server, SGLang, a hosted API) as a chat engine.

Example:
    >>> engine = make_engine("openai", model="Qwen/Qwen2.5-7B-Instruct",
    ...                      base_url="http://127.0.0.1:8000/v1", api_key_env="VLLM_KEY")
    >>> engine.generate([ChatRequest.user("Hi")], n=4, temperature=0.7, seed=1)

Requests run concurrently (``concurrency`` at a time) over :mod:`httpx`; each sample is its own
request with its own seed. A failed request is retried ``max_retries`` times with exponential
backoff and jitter on 429, 5xx, timeouts, dropped connections and malformed JSON, honouring
``Retry-After``. Every finished job is reported at once, so the generation cache keeps it even if
others fail; jobs that still fail are counted, the rest run to the end, and then one
:class:`SaroError` says what failed. Rerunning resumes from the cache.

Prefill (text the assistant turn must continue) is sent one of two ways (``prefill_mode``):

* ``continue_final_message``: chat completions with the prefill as a final assistant message and
  ``continue_final_message: true, add_generation_prompt: false`` (vLLM's extension);
* ``completions``: the completions endpoint with the chat template rendered locally by
  ``tokenizer`` (a local folder or hub id), then the prefill;
* ``auto``: ``completions`` when a tokenizer is given, else ``continue_final_message``.

Requests without a prefill always use chat completions. The API key is read from the environment
variable named by ``api_key_env`` when requests are sent; it never enters identities, cache keys,
reprs or logs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from saro.engines.base import BaseEngine, ChatRequest, Completion, Job, OnDone, SamplingParams
from saro.engines.retry import FATAL_STATUS, Backoff, is_retryable, parse_retry_after, sample_seed
from saro.errors import SaroError
from saro.security import MASK, api_key_from_env, check_env_name, reject_inline_key

log = logging.getLogger(__name__)

PREFILL_MODES = ("auto", "completions", "continue_final_message")
DEFAULT_BASE_URL = "https://api.openai.com/v1"


class _JobFailed(Exception):
    """This job gave up (after retries, or at once for a non-retryable 4xx)."""


class _Fatal(Exception):
    """Every job would fail the same way (bad key, wrong URL): stop the run."""

    def __init__(self, status: int, detail: str):
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status


class _Malformed(Exception):
    """A 200 response whose body is not the JSON we need."""


class OpenAIEngine(BaseEngine):
    """Chat engine over an OpenAI-compatible HTTP API.

    Args:
        model: Model name the server knows.
        base_url: API root, e.g. ``http://127.0.0.1:8000/v1`` (default ``$OPENAI_BASE_URL`` or
            OpenAI's).
        api_key_env: Name of the environment variable holding the key (unset is fine for local
            servers).
        concurrency: Requests in flight at once.
        timeout: Seconds to wait for a connection or for the response before retrying.
        max_retries: Retries per request after the first try.
        backoff: First backoff in seconds (doubling each retry, jittered, capped at
            ``max_backoff``).
        max_backoff: Cap of one backoff wait.
        max_retry_after: Cap of a server's ``Retry-After`` wait.
        prefill_mode: ``auto``, ``completions`` or ``continue_final_message`` (module docstring).
        tokenizer: Local folder or hub id of the model's tokenizer (or a tokenizer object), used
            to render prompts for the completions endpoint and to count tokens when the server
            reports no usage.
        extra_body: Extra fields for every request (e.g. ``{"top_k": 20}``).
        cache: Generation cache.
    """

    name = "openai"

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        concurrency: int = 8,
        timeout: float = 60.0,
        max_retries: int = 5,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        max_retry_after: float = 300.0,
        prefill_mode: str = "auto",
        tokenizer: Any = None,
        extra_body: dict[str, Any] | None = None,
        cache=None,
        **options: Any,
    ):
        super().__init__(cache=cache)
        reject_inline_key(options, env=api_key_env)
        if options:
            raise SaroError(
                f"Unknown option(s) for the openai engine: {', '.join(sorted(options))}.",
                "See saro.engines.openai.OpenAIEngine for the supported options.",
            )
        if prefill_mode not in PREFILL_MODES:
            raise SaroError(
                f"Unknown prefill_mode {prefill_mode!r}.", f"Use one of {', '.join(PREFILL_MODES)}."
            )
        if prefill_mode == "completions" and tokenizer is None:
            raise SaroError(
                "prefill_mode='completions' renders prompts locally and needs the chat template.",
                "Pass tokenizer=<local folder or hub id of the model's tokenizer>.",
            )
        if concurrency < 1 or max_retries < 0 or timeout <= 0:
            raise SaroError(
                "The openai engine needs concurrency >= 1, max_retries >= 0 and timeout > 0.",
                "Fix those options.",
            )
        self.model = model
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip(
            "/"
        )
        self.api_key_env = check_env_name(api_key_env)
        self.concurrency = concurrency
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = Backoff(backoff, max_backoff, max_retry_after)
        self.prefill_mode = prefill_mode
        self.extra_body = dict(extra_body or {})
        self._tokenizer_spec = tokenizer
        self._tok: Any = None

    def __repr__(self) -> str:
        return f"OpenAIEngine(model={self.model!r}, base_url={self.base_url!r})"

    # -- identity and prompts ---------------------------------------------------------------
    def identity(self) -> str:
        extra = f"|{json.dumps(self.extra_body, sort_keys=True)}" if self.extra_body else ""
        return f"openai:{self.base_url}|{self.model}{extra}"

    def _route(self, request: ChatRequest) -> str:
        """``chat``, ``continue`` or ``completions``: how this request is sent."""
        if not request.prefill:
            return "chat"
        if self.prefill_mode == "completions" or (
            self.prefill_mode == "auto" and self._tokenizer_spec is not None
        ):
            return "completions"
        return "continue"

    def render_key(self, request: ChatRequest) -> str:
        if self._route(request) == "completions":
            return self._render(request)
        return super().render_key(request)

    @property
    def tokenizer(self) -> Any:
        if self._tok is None and self._tokenizer_spec is not None:
            spec = self._tokenizer_spec
            if not isinstance(spec, str | os.PathLike):
                self._tok = spec
            else:
                from transformers import AutoTokenizer

                try:
                    self._tok = AutoTokenizer.from_pretrained(str(spec))
                except (OSError, ValueError) as err:
                    raise SaroError(
                        f"Cannot load the tokenizer {str(spec)!r} ({type(err).__name__}).",
                        "Pass a local folder holding the model's tokenizer files.",
                    ) from None
        return self._tok

    def _render(self, request: ChatRequest) -> str:
        """Chat template with the generation prompt, then the prefill: exactly what is sent."""
        text = self.tokenizer.apply_chat_template(
            [dict(m) for m in request.messages], tokenize=False, add_generation_prompt=True
        )
        return text + request.prefill

    def _count(self, text: str) -> int:
        """Token count for a server that reports no usage: the tokenizer's, else ~4 chars/token."""
        if not text:
            return 0
        if self.tokenizer is not None:
            return len(self.tokenizer.encode(text, add_special_tokens=False))
        return max(1, round(len(text) / 4))

    # -- one request --------------------------------------------------------------------------
    def _build(self, job: Job, params: SamplingParams) -> tuple[str, dict[str, Any]]:
        req = job.request
        route = self._route(req)
        body: dict[str, Any] = {
            "model": self.model,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "max_tokens": params.max_new_tokens,
            "seed": sample_seed(params.seed, job.index),
            "n": 1,
        }
        if params.stop:
            body["stop"] = list(params.stop)
        body.update(self.extra_body)
        if route == "completions":
            return "/completions", {**body, "prompt": self._render(req)}
        messages = [dict(m) for m in req.messages]
        if route == "continue":
            messages.append({"role": "assistant", "content": req.prefill})
            body.update(continue_final_message=True, add_generation_prompt=False)
        return "/chat/completions", {**body, "messages": messages}

    def _parse(self, resp: httpx.Response, path: str, body: dict[str, Any]) -> Completion:
        try:
            data = resp.json()
            choice = data["choices"][0]
            text = choice["text"] if path == "/completions" else choice["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as err:
            raise _Malformed(f"{type(err).__name__} reading the response body") from None
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise _Malformed("the completion text is not a string")
        usage = data.get("usage") or {}
        prompt_tokens = usage.get("prompt_tokens")
        if not isinstance(prompt_tokens, int):
            prompt = body.get("prompt") or json.dumps(body["messages"], ensure_ascii=False)
            prompt_tokens = self._count(prompt)
        completion_tokens = usage.get("completion_tokens")
        if not isinstance(completion_tokens, int):
            completion_tokens = self._count(text)
        finish = "length" if choice.get("finish_reason") == "length" else "stop"
        return Completion(text, prompt_tokens, completion_tokens, finish)

    async def _request(
        self, client: httpx.AsyncClient, job: Job, params: SamplingParams
    ) -> Completion:
        path, body = self._build(job, params)
        key = api_key_from_env(self.api_key_env)

        def said(resp: httpx.Response) -> str:
            # a server may echo the request headers in an error body: never pass the key on
            text = resp.text[:200]
            return text.replace(key, MASK) if key else text

        last = ""
        for attempt in range(self.max_retries + 1):
            retry_after = None
            try:
                resp = await client.post(path, json=body)
            except httpx.TimeoutException:
                last = f"no response within {self.timeout:g} s"
            except httpx.ConnectError as err:
                last = f"cannot connect ({err or 'connection refused'})"
            except httpx.TransportError as err:
                last = f"connection failed ({type(err).__name__}: {err})"
            else:
                status = resp.status_code
                if status == 200:
                    try:
                        return self._parse(resp, path, body)
                    except _Malformed as err:
                        last = f"malformed response ({err})"
                elif status in FATAL_STATUS:
                    raise _Fatal(status, said(resp))
                elif is_retryable(status):
                    last = f"HTTP {status}: {said(resp)}"
                    retry_after = parse_retry_after(resp.headers)
                else:  # 400, 413, 422...: this request is wrong, retrying will not help
                    raise _JobFailed(f"HTTP {status}: {said(resp)}")
            if attempt == self.max_retries:
                break
            delay = self.backoff.delay(attempt, retry_after)
            log.info("%s: %s; retry %d/%d in %.2f s", self.base_url, last, attempt + 1,
                     self.max_retries, delay)  # fmt: skip
            await asyncio.sleep(delay)
        raise _JobFailed(last)

    # -- the run ------------------------------------------------------------------------------
    async def _run_async(
        self, jobs: Sequence[Job], params: SamplingParams, on_done: OnDone, progress: bool
    ) -> tuple[list[str], _Fatal | None]:
        from tqdm.auto import tqdm

        headers = {}
        key = api_key_from_env(self.api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        failures: list[str] = []
        fatal: list[_Fatal] = []
        todo = iter(range(len(jobs)))
        limits = httpx.Limits(max_connections=self.concurrency)
        bar = tqdm(total=len(jobs), disable=not progress, desc=f"openai {self.model}", unit="req")

        async def worker() -> None:
            for i in todo:  # one shared iterator: each job is taken by exactly one worker
                if fatal:
                    return
                try:
                    completion = await self._request(client, jobs[i], params)
                except _JobFailed as err:
                    failures.append(str(err))
                except _Fatal as err:
                    fatal.append(err)
                    return
                else:
                    on_done(i, completion)
                bar.update(1)

        async with httpx.AsyncClient(
            base_url=self.base_url, headers=headers, timeout=self.timeout, limits=limits
        ) as client:
            try:
                await asyncio.gather(*(worker() for _ in range(min(self.concurrency, len(jobs)))))
            finally:
                bar.close()
        return failures, (fatal[0] if fatal else None)

    def _run(
        self, jobs: Sequence[Job], params: SamplingParams, on_done: OnDone, *, progress: bool
    ) -> None:
        coro = self._run_async(jobs, params, on_done, progress)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            failures, fatal = asyncio.run(coro)
        else:  # called from inside an event loop (a notebook): run ours on a helper thread
            with ThreadPoolExecutor(1) as pool:
                failures, fatal = pool.submit(asyncio.run, coro).result()
        if fatal is not None:
            fix = FATAL_STATUS[fatal.status].replace("${env}", f"${self.api_key_env}")
            raise SaroError(f"{self.base_url} refused model {self.model!r} with {fatal}.", fix)
        if failures:
            raise self._failure_error(len(jobs), failures)

    def _failure_error(self, total: int, failures: list[str]) -> SaroError:
        done = total - len(failures)
        if done == 0:
            kept = "No request succeeded."
        elif self.cache is not None:
            kept = (
                f"The {done} finished completions were kept in the generation cache, so "
                "rerunning the same command resumes where this run stopped."
            )
        else:
            kept = f"The {done} finished completions were not cached (no generation cache set)."
        hint = ""
        if failures[-1].startswith("HTTP 400") and self.prefill_mode != "completions":
            hint = (
                " If the server rejects continue_final_message, use prefill_mode='completions' "
                "with tokenizer=<the model's tokenizer>."
            )
        return SaroError(
            f"{len(failures)} of {total} requests to {self.base_url} (model {self.model!r}) "
            f"failed after {self.max_retries} retries; last error: {failures[-1]}.",
            f"{kept} Check that the server is up and reachable, then rerun.{hint}",
        )
