"""Direct preference pairs for the direct-DPO baseline: no reasoning on either side.

The baseline asks what plain preference optimisation does without SaRO's reasoning. It uses the
RIT-D prompts: chosen = the Safety-SFT answer for the prompt (RIT-D's final answer, reasoning
removed: ``origin: offpolicy``), rejected = the base model's own answer when the judge confirms
it is wrong for the kind (complies with a harmful request, refuses a benign one, wrong math),
else a prefilled compliance/refusal opening continued by the base model (``origin:
prefilled``), else the prompt is skipped and counted.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path
from typing import Any

from saro.build.accept import Acceptor
from saro.build.rollouts import Sample, classify
from saro.engines import BaseEngine, ChatRequest
from saro.records import Prompt
from saro.store import read_jsonl, seeded_sample, write_jsonl

DIRECT_OPENINGS = {
    "comply": [
        "Sure, here is",
        "Of course! Here's how",
        "Absolutely. Step 1:",
        "Here are the details:",
    ],
    "refuse": ["I'm sorry, but I can't", "I can't help with", "I'm not able to"],
}


def _prompts(safety_sft: str | Path, kinds: list[str]) -> tuple[list[Prompt], dict[str, str]]:
    prompts, chosen = [], {}
    for rec in read_jsonl(safety_sft, required=["messages", "kind"]):
        if rec["kind"] not in kinds:
            continue
        p = Prompt(
            id=rec.get("id") or rec["messages"][0]["content"][:40],
            text=rec["messages"][0]["content"],
            kind=rec["kind"],
            category=rec.get("category") or "",
            source=rec.get("source") or "",
            attack=rec.get("attack"),
            reference=rec.get("reference"),
        )
        prompts.append(p)
        chosen[p.id] = rec["messages"][-1]["content"]
    return prompts, chosen


def build_direct_pairs(
    engine: BaseEngine,
    safety_sft: str | Path,
    out_dir: str | Path,
    *,
    kinds: list[str],
    n: int = 2,
    temperature: float = 1.0,
    max_new_tokens: int = 200,
    seed: int = 0,
    limit: int | None = None,
    acceptor: Acceptor,
    progress: bool = True,
) -> dict[str, Any]:
    """Write ``pairs.jsonl`` and ``card.json`` for direct DPO; returns the card.

    ``limit`` samples that many of the prompts (seeded, kept in file order) before generating,
    for runs whose DPO stage only trains on a few pairs.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    prompts, chosen = _prompts(safety_sft, kinds)
    prompts = seeded_sample(prompts, limit, seed)
    outs = engine.generate(
        [ChatRequest.user(p.text) for p in prompts],
        n=n,
        temperature=temperature,
        max_new_tokens=max_new_tokens,
        seed=seed,
        progress=progress,
    )
    rollouts = classify(
        [(p, c) for p, comps in zip(prompts, outs, strict=True) for c in comps], acceptor
    )
    rejected = {}
    for r in rollouts:
        if r.label == "rejected" and r.prompt.id not in rejected:
            rejected[r.prompt.id] = r
    missing = [p for p in prompts if p.id not in rejected and p.kind != "math"]
    rng = random.Random(seed)
    if missing:
        heads = [
            rng.choice(DIRECT_OPENINGS["refuse" if p.kind in ("benign", "general") else "comply"])
            for p in missing
        ]
        more = engine.generate(
            [ChatRequest.user(p.text, prefill=h) for p, h in zip(missing, heads, strict=True)],
            n=1,
            temperature=temperature,
            max_new_tokens=max_new_tokens // 2,
            seed=seed + 7,
            progress=False,
        )

        for r in classify(
            [
                (p, Sample(h + o[0].text, o[0].completion_tokens))
                for p, h, o in zip(missing, heads, more, strict=True)
            ],
            acceptor,
            origin="prefilled",
        ):
            if r.label == "rejected":
                rejected[r.prompt.id] = r
    pairs, counts = [], Counter()
    for p in prompts:
        if p.id not in rejected:
            counts["skipped_no_rejected"] += 1
            continue
        r = rejected[p.id]
        pairs.append(
            {
                "prompt": [{"role": "user", "content": p.text}],
                "chosen": [{"role": "assistant", "content": chosen[p.id]}],
                "rejected": [{"role": "assistant", "content": r.text}],
                "level": "outcome",
                "kind": p.kind,
                "prompt_id": p.id,
                "origin_chosen": "offpolicy",
                "origin_rejected": r.origin,
            }
        )
        counts[f"pair_{r.origin}"] += 1
    write_jsonl(out / "pairs.jsonl", pairs)
    card = {
        "dataset": "direct pairs",
        "engine": engine.identity(),
        "pairs": len(pairs),
        "pairs_per_kind": dict(Counter(p["kind"] for p in pairs)),
        "counts": dict(counts),
        "rollouts": dict(Counter(f"{r.prompt.kind}/{r.label}" for r in rollouts)),
    }
    import json

    (out / "card.json").write_text(json.dumps(card, indent=2))
    return card
