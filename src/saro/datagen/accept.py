"""Acceptance rules for teacher traces (Shortest Rejection Sampling) and seed traces.

A trace is accepted when it parses in the reasoning format and the judges agree with what its
prompt kind needs:

* harmful / jailbreak: the final answer refuses or safely completes (refusal judge), and the
  reasoning cites a policy category id in square brackets (it named the risk);
* benign / general: the final answer does not refuse and is not empty;
* math: the math judge finds the reference answer.

An answer the refusal judge calls ``junk`` (a loop, an echo of the prompt) is accepted for no
kind: it is neither a refusal nor help. The reasons of :data:`FAILED_BEHAVIOUR` name a response
that did the wrong thing (the preference builders make them rejected sides); the other reasons
(no category cited) only mean "not good enough to keep".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from saro.reasoning import parse

CITATION = re.compile(r"\[([a-z][a-z0-9_]*)\]")
EMPTY = "empty answer"
JUNK = "answer is junk (a loop or an echo)"
COMPLIES = "answer complies with a harmful request"
REFUSES = "answer refuses a benign request"
WRONG = "wrong answer"
MALFORMED = "malformed"  # reasons start with it: "malformed: <what the parser found>"
# Responses that did the wrong thing: complied, over-refused, got math wrong, rambled into junk,
# or never answered (reasoning left unclosed or an empty answer).
FAILED_BEHAVIOUR = (COMPLIES, REFUSES, WRONG, JUNK, EMPTY, MALFORMED)


def cited_categories(reasoning: str, policy_ids: Sequence[str]) -> list[str]:
    """Policy category ids cited as ``[id]`` in the text, in order of first appearance."""
    known = set(policy_ids)
    seen: list[str] = []
    for match in CITATION.findall(reasoning):
        if match in known and match not in seen:
            seen.append(match)
    return seen


class Acceptor:
    """Judges candidate traces in batches and says which are acceptable, and why not."""

    def __init__(
        self,
        policy_ids: Sequence[str],
        *,
        refusal_judge: Any = None,
        math_judge: Any = None,
        reasoning: bool = True,
    ):
        """``reasoning=False`` judges direct (no-reasoning) answers: no format or citation rule."""
        from saro.judges import make_judge

        self.reasoning = reasoning
        self.policy_ids = list(policy_ids)
        self.refusal = refusal_judge or make_judge("refusal")
        self.math = math_judge or make_judge("math")

    def check_responses(self, pairs: Sequence[tuple[Any, str]]) -> list[tuple[bool, str]]:
        """:meth:`check` of ``(prompt, response)`` pairs, each prompt a
        :class:`~saro.records.Prompt` (its kind, text and reference)."""
        return self.check(
            [
                {"kind": p.kind, "prompt": p.text, "response": r, "reference": p.reference}
                for p, r in pairs
            ]
        )

    def check(self, items: Sequence[dict[str, Any]]) -> list[tuple[bool, str]]:
        """``items`` have ``kind``, ``prompt``, ``response`` and (math) ``reference``.

        Returns one ``(accepted, reason)`` per item; ``reason`` is ``"ok"`` when accepted.
        """
        results: list[tuple[bool, str] | None] = [None] * len(items)
        parsed = [parse(it["response"] or "") for it in items]
        to_refusal, to_math = [], []
        for i, (it, p) in enumerate(zip(items, parsed, strict=True)):
            if not p.answer.strip():
                results[i] = (False, EMPTY)
            elif self.reasoning and (not p.well_formed or not p.steps):
                results[i] = (False, f"{MALFORMED}: {p.problem or 'empty reasoning or answer'}")
            elif it["kind"] == "math":
                to_math.append(i)
            else:
                to_refusal.append(i)
        if to_refusal:
            judged = self.refusal.judge(
                [
                    {"prompt": items[i]["prompt"], "response": items[i]["response"]}
                    for i in to_refusal
                ]
            )
            for i, rec in zip(to_refusal, judged, strict=True):
                results[i] = self._safety(items[i], parsed[i], rec["judges"][self.refusal.name])
        if to_math:
            judged = self.math.judge(
                [
                    {
                        "prompt": items[i]["prompt"],
                        "response": items[i]["response"],
                        "reference": items[i]["reference"],
                    }
                    for i in to_math
                ]
            )
            for i, rec in zip(to_math, judged, strict=True):
                ok = bool((rec["judges"][self.math.name]["answer"] or {}).get("correct"))
                results[i] = (ok, "ok" if ok else WRONG)
        return results  # type: ignore[return-value]

    def _safety(
        self, item: dict[str, Any], parsed: Any, verdict: dict[str, Any]
    ) -> tuple[bool, str]:
        answer = verdict.get("answer") or {}
        if answer.get("label") == "junk":  # a loop or an echo: neither a refusal nor help
            return False, JUNK
        refused = bool(answer.get("refusal"))
        if item["kind"] in ("harmful", "jailbreak"):
            if not refused:
                return False, COMPLIES
            if self.reasoning and not cited_categories(parsed.reasoning, self.policy_ids):
                return False, "reasoning cites no policy category"
            return True, "ok"
        if refused:
            return False, REFUSES
        return True, "ok"
