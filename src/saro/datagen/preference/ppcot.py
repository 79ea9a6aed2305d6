"""PP-COT: process-level preference pairs by stepwise reflection.

Usage::

    saro data ppcot --model runs/demo/models/rw --config configs/data/pref.yaml --out runs/x/ppcot

Take a rejected rollout (unsafe on a harmful/jailbreak prompt, or over-refusing on a benign
one), split its reasoning into steps and, for a step index k:

* ``prompt`` = the chat-templated user turn + the first k reasoning steps (ends inside the
  assistant turn; stored as text, exactly what the model continues);
* ``chosen`` = a short reflection trigger opening step k+1 (one of the policy's
  ``reflection_triggers``, <= 15 tokens, varied, chosen to fit the prompt's kind) followed by
  **the policy model's own continuation**, sampled ``chosen_samples`` times; the shortest
  continuation the judge accepts (the answer refuses or safe-completes a harmful request, helps a
  benign one) is kept. Nothing else is inserted: no category text, no safe-completion sentence;
  what the chosen side says after the trigger, the model wrote;
* ``rejected`` = the rollout's original continuation from step k.

The card reports, per k, how many cuts were tried and how many found an accepted continuation
(``acceptance_per_step``), and how often the model went on reasoning after the trigger instead
of closing ``</think>`` at once (``continued_after_trigger``: at least 5 words of reasoning before
``</think>``). An RW model that never saw a reflection closes its reasoning right after a bare
trigger; the seed set's mid-course corrections are meant to change that. Pairs whose chosen
side the judge rejects are dropped and counted, as are rollouts too short for k or not in the
canonical format.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

from saro.datagen.accept import Acceptor
from saro.datagen.preference.config import PrefConfig
from saro.datagen.preference.rollouts import Rollout, Sample, classify
from saro.engines import BaseEngine, ChatRequest
from saro.reasoning import join_prefix, parse

# Triggers that fit each situation (ids from the policy's reflection_triggers); the others fit all.
BENIGN_TRIGGERS = {"r08", "r09", "r13", "r15"}
JAILBREAK_TRIGGERS = {"r03", "r06", "r11", "r12"}


def pick_trigger(policy: Any, kind: str, rng: random.Random) -> Any:
    triggers = list(policy.triggers)
    if kind == "benign":
        pool = [t for t in triggers if t.id in BENIGN_TRIGGERS]
    else:
        pool = [
            t
            for t in triggers
            if t.id not in BENIGN_TRIGGERS
            and (kind == "jailbreak" or t.id not in JAILBREAK_TRIGGERS)
        ]
    return rng.choice(pool or triggers)


def continued(completion: str, min_words: int = 5) -> bool:
    """Whether a continuation after the trigger goes on reasoning (>= ``min_words`` words before
    ``</think>``) rather than closing the reasoning at once."""
    return len(completion.split("</think>", 1)[0].split()) >= min_words


def step_indices(n_steps: int, cfg: Any, rng: random.Random) -> list[int]:
    """Which k to cut at, by ``cfg.steps``: first, sampled, all (up to max_steps), or an int."""
    if cfg.steps == "first":
        return [1]
    if cfg.steps == "sampled":
        return [rng.randint(1, max(1, min(n_steps, cfg.max_steps)))]
    if cfg.steps == "all":
        return list(range(1, cfg.max_steps + 1))
    return [int(cfg.steps)]


def process_pairs(
    rollouts: list[Rollout],
    engine: BaseEngine,
    cfg: PrefConfig,
    acceptor: Acceptor,
    policy: Any,
    *,
    progress: bool = True,
    render: Any = None,
) -> tuple[list[dict[str, Any]], Counter]:
    """Build PP-COT pairs from rejected rollouts; returns pairs and counts of what was dropped.

    ``render(request) -> str`` gives the chat-templated text the model continues (default: the
    engine's own ``render``, which the hf and mock engines have).
    """
    render = render or engine.render
    pp = cfg.ppcot
    rng = random.Random(cfg.seed)
    counts: Counter = Counter()
    cands = [r for r in rollouts if r.label == "rejected" and r.prompt.kind in pp.kinds]
    if pp.max_rollouts:
        cands = cands[: pp.max_rollouts]
    jobs = []  # (rollout, k, steps, prefix, trigger_id, reflection)
    for r in cands:
        text = r.text.lstrip()
        parsed = parse(text)
        if not parsed.well_formed or not parsed.steps:
            counts["skipped_malformed"] += 1
            continue
        for k in step_indices(len(parsed.steps), pp, rng):
            if len(parsed.steps) < k:
                counts["skipped_too_few_steps"] += 1
                continue
            prefix = join_prefix(parsed.steps[:k])
            if not text.startswith(prefix):
                counts["skipped_noncanonical"] += 1
                continue
            trigger = pick_trigger(policy, r.prompt.kind, rng)
            jobs.append((r, k, parsed.steps, prefix, trigger.id, trigger.text, text))
    if not jobs:
        return [], counts
    requests = [
        ChatRequest.user(r.prompt.text, prefill=prefix + "\n\n" + refl)
        for r, _, _, prefix, _, refl, _ in jobs
    ]
    outs = engine.generate(
        requests,
        n=pp.chosen_samples,
        temperature=cfg.sampling.temperature,
        top_p=cfg.sampling.top_p,
        max_new_tokens=cfg.sampling.max_new_tokens,
        seed=cfg.seed + 101,
        progress=progress,
    )

    flat, owners = [], []
    for j, ((r, _, _, prefix, _, refl, _), comps) in enumerate(zip(jobs, outs, strict=True)):
        for c in comps:
            flat.append((r.prompt, Sample(prefix + "\n\n" + refl + c.text, c.completion_tokens)))
            owners.append(j)
            counts["continuations"] += 1
            counts["continued_after_trigger"] += continued(c.text)
    judged = classify(flat, acceptor, origin="reflection")
    best: dict[int, Rollout] = {}
    for j, roll in zip(owners, judged, strict=True):
        if roll.label == "chosen" and (j not in best or roll.tokens < best[j].tokens):
            best[j] = roll
    pairs = []
    for j, (r, k, steps, prefix, trig, _, text) in enumerate(jobs):
        counts[f"attempted_k{k}"] += 1
        if j not in best:
            counts["dropped_chosen_rejected_by_judge"] += 1
            continue
        rendered = render(ChatRequest.user(r.prompt.text, prefill=prefix))
        pairs.append(
            {
                "prompt": rendered,
                "chosen": best[j].text[len(prefix) :],
                "rejected": text[len(prefix) :],
                "level": "process",
                "kind": r.prompt.kind,
                "category": r.prompt.category,
                "prompt_id": r.prompt.id,
                "attack": r.prompt.attack,
                "step": k,
                "n_steps": len(steps),
                "trigger": trig,
                "origin_rejected": r.origin,
            }
        )
        counts["pairs"] += 1
        counts[f"accepted_k{k}"] += 1
    counts["attempted"] = len(jobs)
    return pairs, counts
