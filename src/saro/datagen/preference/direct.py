"""Direct preference pairs: no reasoning on either side, for the two no-reasoning DPO arms.

Both use the RIT-D prompts, and the rejected side is the starting model's own answer when the
judge confirms it failed for the kind (complies with a harmful request, refuses a benign one,
junk, wrong math), else a prefilled compliance/refusal opening continued by that model
(``origin: prefilled``), else the prompt is skipped and counted. They differ in the chosen side:

* **Direct-DPO** (the paper's weak baseline, from the base model): chosen = the Safety-SFT
  answer for the prompt (RIT-D's final answer, reasoning removed: ``origin: offpolicy``).
* **Safety-SFT -> DPO** (the control arm, ``on_policy_chosen``): DPO from the Safety-SFT model
  on its *own* answers: chosen = its shortest answer the judge accepts (refuses or safely
  completes a harmful request, helps a benign one: ``origin: onpolicy``), falling back to the
  Safety-SFT answer when none of its samples passes. This is SRPO's outcome-level recipe
  without reasoning, so SaRO's gain over it is the gain of reasoning, not of preference
  optimisation.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from saro.datagen.accept import Acceptor
from saro.datagen.preference.config import DirectConfig
from saro.datagen.preference.rejection import prefilled_rejected
from saro.datagen.preference.rollouts import Rollout, classify
from saro.engines.base import BaseEngine, ChatRequest
from saro.records import Prompt
from saro.store import read_jsonl, seeded_sample


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
    cfg: DirectConfig,
    acceptor: Acceptor,
    progress: bool = True,
    *,
    on_policy_chosen: bool = False,
) -> tuple[list[dict[str, Any]], list[Rollout], Counter]:
    """Direct pairs for the prompts of ``cfg.kinds``; returns (pairs, sampled rollouts, counts).

    ``cfg.limit`` samples that many of the prompts (seeded, kept in file order) before
    generating, for runs whose DPO stage only trains on a few pairs. ``on_policy_chosen``: the
    chosen side is the model's own accepted answer where it has one (the control arm).
    """
    prompts, chosen = _prompts(safety_sft, cfg.kinds)
    prompts = seeded_sample(prompts, cfg.limit, cfg.seed)
    outs = engine.generate(
        [ChatRequest.user(p.text) for p in prompts],
        n=cfg.n,
        temperature=cfg.temperature,
        max_new_tokens=cfg.max_new_tokens,
        seed=cfg.seed,
        progress=progress,
    )
    rollouts = classify(
        [(p, c) for p, comps in zip(prompts, outs, strict=True) for c in comps], acceptor
    )
    rejected, own = {}, {}
    for r in rollouts:
        if r.label == "rejected" and r.prompt.id not in rejected:
            rejected[r.prompt.id] = r
        better = r.prompt.id not in own or r.tokens < own[r.prompt.id].tokens
        if on_policy_chosen and r.label == "chosen" and better:
            own[r.prompt.id] = r
    missing = [p for p in prompts if p.id not in rejected and p.kind != "math"]
    rejected.update(
        prefilled_rejected(
            engine,
            missing,
            acceptor,
            style="direct",
            tries=1,
            temperature=cfg.temperature,
            max_new_tokens=cfg.max_new_tokens // 2,
            seed=cfg.seed,
        )
    )
    pairs, counts = [], Counter()
    for p in prompts:
        if p.id not in rejected:
            counts["skipped_no_rejected"] += 1
            continue
        r = rejected[p.id]
        good = own[p.id].text if p.id in own else chosen[p.id]
        pairs.append(
            {
                "prompt": [{"role": "user", "content": p.text}],
                "chosen": [{"role": "assistant", "content": good}],
                "rejected": [{"role": "assistant", "content": r.text}],
                "level": "outcome",
                "kind": p.kind,
                "prompt_id": p.id,
                "origin_chosen": "onpolicy" if p.id in own else "offpolicy",
                "origin_rejected": r.origin,
            }
        )
        counts[f"pair_{'onpolicy' if p.id in own else 'offpolicy'}_{r.origin}"] += 1
    return pairs, rollouts, counts
