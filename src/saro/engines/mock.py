"""A scripted engine for tests: returns exactly the outputs a test needs, malformed ones too."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from saro.engines.base import BaseEngine, ChatRequest, Completion, Job, OnDone, SamplingParams

Script = Callable[[ChatRequest, int], str] | Sequence[str] | dict[str, str | Sequence[str]]


class MockEngine(BaseEngine):
    """Replies from a script.

    The script is one of:
      * a callable ``(request, sample_index) -> text``;
      * a list of replies, used in order and cycled;
      * a dict from a substring of the last user message (or prefill) to a reply or a list of
        replies indexed by sample index; ``"*"`` is the fallback.

    Attributes:
        calls: Every job the engine actually ran (cache hits excluded), for assertions.
    """

    name = "mock"

    def __init__(self, script: Script = ("OK",), *, model: str = "mock", cache=None):
        super().__init__(cache=cache)
        self.script = script
        self.model = model
        self.calls: list[Job] = []
        self._cursor = 0

    def identity(self) -> str:
        return f"mock:{self.model}"

    def count_tokens(self, text: str) -> int | None:
        return len(text.split())  # the mock's tokens are words

    def render(self, request: ChatRequest) -> str:
        """A ChatML-like rendering, so builders that store templated text can be tested."""
        turns = "".join(
            f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in request.messages
        )
        return f"{turns}<|im_start|>assistant\n{request.prefill}"

    def reply(self, request: ChatRequest, index: int) -> str:
        script = self.script
        if callable(script):
            return script(request, index)
        if isinstance(script, dict):
            haystack = request.messages[-1]["content"] + "\n" + request.prefill
            for needle, out in script.items():
                if needle != "*" and needle in haystack:
                    return out if isinstance(out, str) else out[index % len(out)]
            out = script.get("*", "")
            return out if isinstance(out, str) else out[index % len(out)]
        text = script[self._cursor % len(script)]
        self._cursor += 1
        return text

    def _run(
        self, jobs: Sequence[Job], params: SamplingParams, on_done: OnDone, *, progress: bool
    ) -> None:
        for i, job in enumerate(jobs):
            self.calls.append(job)
            text = self.reply(job.request, job.index)
            words = text.split()
            finish = "stop"
            if len(words) > params.max_new_tokens:
                text, finish = " ".join(words[: params.max_new_tokens]), "length"
            for s in params.stop:
                if s in text:
                    text = text[: text.index(s)]
            prompt_len = sum(len(m["content"].split()) for m in job.request.messages)
            on_done(i, Completion(text, prompt_len, len(text.split()), finish))
