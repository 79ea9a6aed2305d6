"""Prefilled rejections: a rejected response made by prefilling an opening the model continues.

When sampling gives a prompt no rejected response (the model already answers well), a pair can
still be formed by prefilling a compliance opening (harmful, jailbreak and math prompts) or a
refusal opening (benign and general prompts) and letting the model continue it. The judge must
confirm the whole text is really wrong for the prompt's kind; otherwise the prompt is retried
with another opening, up to ``tries`` times, and then left without a rejected side.

The openings are data (``saro/data/preference/openings.yaml``): a ``reasoning`` set (a short
bad reasoning closed before the answer, for OP-COT) and a ``direct`` set (for direct pairs).
"""

from __future__ import annotations

import random
from importlib import resources

import yaml

from saro.datagen.accept import Acceptor
from saro.datagen.preference.rollouts import Rollout, Sample, classify
from saro.engines.base import BaseEngine, ChatRequest
from saro.records import Prompt

STYLES = ("reasoning", "direct")


def openings(style: str) -> dict[str, list[str]]:
    """The ``comply`` and ``refuse`` openings of ``style`` (``reasoning`` or ``direct``)."""
    text = (resources.files("saro") / "data" / "preference" / "openings.yaml").read_text()
    return yaml.safe_load(text)[style]


def opening_side(kind: str) -> str:
    """Which opening makes a wrong answer for a prompt kind: refuse a benign one, else comply."""
    return "refuse" if kind in ("benign", "general") else "comply"


def prefilled_rejected(
    engine: BaseEngine,
    prompts: list[Prompt],
    acceptor: Acceptor,
    *,
    style: str,
    tries: int,
    temperature: float,
    max_new_tokens: int,
    seed: int,
) -> dict[str, Rollout]:
    """Prompt id -> a judge-confirmed rejected response made from a prefilled opening.

    Each try draws one opening per prompt still missing (seeded), has the engine continue it
    for ``max_new_tokens`` and keeps what the judge classifies as rejected.
    """
    opens = openings(style)
    rng = random.Random(seed)
    found: dict[str, Rollout] = {}
    todo = list(prompts)
    for attempt in range(tries):
        if not todo:
            break
        heads = [rng.choice(opens[opening_side(p.kind)]) for p in todo]
        outs = engine.generate(
            [ChatRequest.user(p.text, prefill=h) for p, h in zip(todo, heads, strict=True)],
            n=1,
            temperature=temperature,
            max_new_tokens=max_new_tokens,
            seed=seed + 7 + attempt,
            progress=False,
        )
        judged = classify(
            [
                (p, Sample(h + o[0].text, o[0].completion_tokens))
                for p, h, o in zip(todo, heads, outs, strict=True)
            ],
            acceptor,
            origin="prefilled",
        )
        for r in judged:
            if r.label == "rejected":
                found[r.prompt.id] = r
        todo = [p for p in todo if p.id not in found]
    return found
