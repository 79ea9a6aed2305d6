"""OP-COT: outcome-level preference pairs from on-policy rollouts of the RW model.

Usage::

    saro data opcot --model runs/demo/models/rw --config configs/data/pref.yaml --out runs/x/opcot

For each training prompt the policy model samples ``n`` reasoning responses, each judged
(:mod:`saro.datagen.preference.rollouts`), and pairs are formed per kind: harmful/jailbreak safe
over unsafe,
benign/general helpful over over-refusing, math correct over wrong. The shortest chosen sample
is paired with each rejected one (up to ``pairs_per_prompt``). When a prompt has no on-policy
chosen, the RIT-D trace for that prompt is used if there is one (``origin: offpolicy``); when it
has no on-policy rejected, a compliance (or, on benign prompts, a refusal) opening is prefilled
and the policy model continues it (``origin: prefilled``), kept only when the judge confirms it,
or the prompt is skipped, by ``on_missing_rejected``.

**Over-refusal pairs mined from the model's own refusals** (the ``overrefusal`` prompt pool,
e.g. the train-only ``edgy`` source): every time the stage runs, the RW model answers those
benign prompts, and a pair is formed only where it refused (or answered with junk, or never
closed its reasoning): its own helpful answer, else the prompt's seed RIT-D trace, is chosen
over its own failure. Prompts it already helps with make no pair (no refusal is prefilled), so
the pairs follow the model's actual over-refusal; the card reports how many it refused.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from saro.datagen.accept import Acceptor
from saro.datagen.preference.config import PrefConfig
from saro.datagen.preference.rejection import prefilled_rejected
from saro.datagen.preference.rollouts import Rollout, sample_rollouts
from saro.engines.base import BaseEngine
from saro.records import Prompt
from saro.store import read_jsonl


def rit_chosen(path: str | None) -> dict[str, str]:
    """Prompt text -> RIT-D assistant response, for off-policy chosen sides."""
    if not path:
        return {}
    out = {}
    for rec in read_jsonl(path, required=["messages"]):
        out[rec["messages"][0]["content"]] = rec["messages"][-1]["content"]
    return out


def seed_chosen() -> dict[str, str]:
    """Prompt text -> seed RIT-D trace response, for mined prompts RIT-D does not hold."""
    from saro.datagen.rit.seed import load_seed_set

    return {t.prompt.text: t.response() for t in load_seed_set(kinds=("benign",))}


def outcome_pairs(
    rollouts: list[Rollout], engine: BaseEngine, cfg: PrefConfig, acceptor: Acceptor
) -> tuple[list[dict[str, Any]], Counter]:
    """Form OP-COT pairs from classified rollouts; returns pairs and outcome counts."""
    by_prompt: dict[str, list[Rollout]] = {}
    prompts: dict[str, Prompt] = {}
    for r in rollouts:
        by_prompt.setdefault(r.prompt.id, []).append(r)
        prompts[r.prompt.id] = r.prompt
    offpolicy = rit_chosen(cfg.rit)
    if any(p.meta.get("mined") for p in prompts.values()):
        offpolicy = {**seed_chosen(), **offpolicy}
    counts: Counter = Counter()
    chosen_of: dict[str, Rollout] = {}
    rejected_of: dict[str, list[Rollout]] = {}
    for pid, rs in by_prompt.items():
        good = sorted((r for r in rs if r.label == "chosen"), key=lambda r: r.tokens)
        bad = [r for r in rs if r.label == "rejected"]
        if good:
            chosen_of[pid] = good[0]
        elif prompts[pid].text in offpolicy:
            chosen_of[pid] = Rollout(
                prompts[pid], offpolicy[prompts[pid].text], 0, "chosen", "ok", "offpolicy"
            )
        else:
            counts["no_chosen"] += 1
            continue
        if bad:
            rejected_of[pid] = bad
        if prompts[pid].meta.get("mined"):
            counts["mined_refused" if bad else "mined_helped"] += 1
    # mined prompts the model already helps with make no pair: no refusal is made up for them
    missing = [
        prompts[pid]
        for pid in chosen_of
        if pid not in rejected_of and not prompts[pid].meta.get("mined")
    ]
    if missing and cfg.on_missing_rejected == "prefill":
        made = prefilled_rejected(
            engine,
            missing,
            acceptor,
            style="reasoning",
            tries=cfg.prefill_tries,
            temperature=cfg.sampling.temperature,
            max_new_tokens=cfg.sampling.max_new_tokens // 2,
            seed=cfg.seed,
        )
        for pid, r in made.items():
            rejected_of[pid] = [r]
    pairs = []
    for pid, chosen in chosen_of.items():
        if pid not in rejected_of:
            counts["no_rejected"] += 1
            continue
        for rejected in rejected_of[pid][: cfg.pairs_per_prompt]:
            p = prompts[pid]
            pairs.append(
                {
                    "prompt": [{"role": "user", "content": p.text}],
                    "chosen": [{"role": "assistant", "content": chosen.text}],
                    "rejected": [{"role": "assistant", "content": rejected.text}],
                    "level": "outcome",
                    "kind": p.kind,
                    "category": p.category,
                    "prompt_id": p.id,
                    "attack": p.attack,
                    "origin_chosen": chosen.origin,
                    "origin_rejected": rejected.origin,
                    "reason_rejected": rejected.reason,
                    "mined": bool(p.meta.get("mined")),
                }
            )
            counts[f"pair_{chosen.origin}_{rejected.origin}"] += 1
    return pairs, counts


def build_opcot(
    engine: BaseEngine,
    prompts: list[Prompt],
    cfg: PrefConfig,
    acceptor: Acceptor,
    *,
    progress: bool = True,
) -> tuple[list[dict], list[Rollout], Counter]:
    """Sample, judge and pair; returns (pairs, rollouts, counts)."""
    rollouts = sample_rollouts(
        engine, prompts, cfg.sampling, acceptor, seed=cfg.seed, progress=progress
    )
    pairs, counts = outcome_pairs(rollouts, engine, cfg, acceptor)
    return pairs, rollouts, counts


def rollout_record(r: Rollout) -> dict[str, Any]:
    """A rollout as saved in ``rollouts.jsonl`` (for PP-COT and the card)."""
    return {
        "prompt_id": r.prompt.id,
        "kind": r.prompt.kind,
        "prompt": r.prompt.text,
        "response": r.text,
        "tokens": r.tokens,
        "label": r.label,
        "reason": r.reason,
        "origin": r.origin,
        "forced": bool(r.meta.get("forced")),
    }
