"""Budget forcing (the s1 technique): every response ends with an answer, within two budgets.

A reasoning model that rambles past its token budget never closes ``</think>`` and leaves no
answer, which a judge would score as "no answer". With a :class:`Budget`, generation runs in two
passes through any engine (the passes are ordinary prefilled requests, so the generation cache,
hf, vllm and openai all work unchanged):

1. up to ``reasoning`` new tokens;
2. then, per response:

   * reasoning still open (the budget ran out, or the model stopped inside it): the text so far
     plus a closing ``</think>`` is prefilled and the answer generated with up to ``answer``
     tokens; the completion is marked ``forced``;
   * reasoning closed, or no reasoning at all, but cut by the first budget: the answer is
     continued until it holds ``answer`` tokens (not forced);
   * finished: kept as it is.

So an answer always gets its own budget: forcing never trades a cut reasoning for a cut answer.
A response without reasoning is all answer; when the first budget is larger than the answer
budget such an answer may hold up to ``reasoning`` tokens (it is not cut back).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from saro.engines.base import BaseEngine, ChatRequest, Completion
from saro.errors import SaroError
from saro.reasoning import CLOSE, OPEN

FORCED_CLOSE = f"\n{CLOSE}\n\n"  # what a forced close appends: the format's own separator


@dataclass(frozen=True)
class Budget:
    """Token budgets for the reasoning and, separately, for the final answer."""

    reasoning: int
    answer: int

    def __post_init__(self) -> None:
        if self.reasoning < 1 or self.answer < 1:
            raise SaroError(
                f"Token budgets must be positive (reasoning {self.reasoning}, answer "
                f"{self.answer}).",
                "Set max_reasoning_tokens and max_answer_tokens to positive numbers.",
            )


def budget_of(max_reasoning_tokens: int | None, max_answer_tokens: int | None) -> Budget | None:
    """The budget two config values ask for: both set, or neither (None: no forcing)."""
    if max_reasoning_tokens is None and max_answer_tokens is None:
        return None
    if max_reasoning_tokens is None or max_answer_tokens is None:
        raise SaroError(
            "Budget forcing needs both max_reasoning_tokens and max_answer_tokens.",
            "Set both, or neither for one plain max_new_tokens budget.",
        )
    return Budget(max_reasoning_tokens, max_answer_tokens)


def reasoning_state(text: str) -> str:
    """``open`` (a think block is not closed), ``closed`` or ``none`` (no reasoning)."""
    head = text.lstrip()
    if not head.startswith(OPEN):
        return "none"
    return "closed" if CLOSE in head else "open"


def _answer_tokens(engine: BaseEngine, c: Completion, head: str, state: str) -> int:
    """Tokens of the answer written so far (after ``</think>``, or all of a plain answer)."""
    if state == "none":
        return c.completion_tokens
    answer = head.split(CLOSE, 1)[1]
    counted = engine.count_tokens(answer)
    if counted is not None:
        return counted
    share = len(answer) / max(1, len(c.text))  # no tokenizer here: apportion by characters
    return min(c.completion_tokens, round(c.completion_tokens * share))


def generate_with_budget(
    engine: BaseEngine,
    requests: Sequence[ChatRequest],
    budget: Budget,
    *,
    n: int = 1,
    temperature: float = 0.0,
    top_p: float = 1.0,
    seed: int = 0,
    progress: bool = True,
) -> list[list[Completion]]:
    """Like :meth:`BaseEngine.generate`, with the reasoning and the answer budgeted apart.

    Each returned completion's ``text`` is everything after the request's prefill: the first
    pass, the forced close when there was one, and the answer; ``forced`` says whether the
    close was forced; ``completion_tokens`` counts both passes.
    """
    first = engine.generate(
        requests, n=n, temperature=temperature, top_p=top_p,
        max_new_tokens=budget.reasoning, seed=seed, progress=progress,
    )  # fmt: skip
    # second pass, grouped by (budget, sample index): one engine call each, seeds kept apart
    todo: dict[tuple[int, int], list[tuple[int, int, ChatRequest, str]]] = {}
    for r, (request, comps) in enumerate(zip(requests, first, strict=True)):
        for s, c in enumerate(comps):
            if c.finish_reason == "error":
                continue
            head = request.prefill + c.text
            state = reasoning_state(head)
            if state == "open":
                glue = FORCED_CLOSE.lstrip("\n") if head.endswith("\n") else FORCED_CLOSE
                more = budget.answer
            elif c.finish_reason == "length":
                glue, more = "", budget.answer - _answer_tokens(engine, c, head, state)
            else:
                continue
            if more > 0:
                follow = ChatRequest(request.messages, head + glue)
                todo.setdefault((more, c.index), []).append((r, s, follow, glue))
    out = [[Completion(**vars(c)) for c in comps] for comps in first]
    for (more, index), items in todo.items():
        second = engine.generate(
            [follow for _, _, follow, _ in items], n=1, temperature=temperature, top_p=top_p,
            max_new_tokens=more, seed=seed + 7919 * (index + 1), progress=progress,
        )  # fmt: skip
        for (r, s, _, glue), [c2] in zip(items, second, strict=True):
            c = out[r][s]
            c.text = c.text + glue + c2.text
            c.completion_tokens += c2.completion_tokens
            c.finish_reason = c2.finish_reason
            c.forced = bool(glue)
            c.cached = c.cached and c2.cached
    return out
