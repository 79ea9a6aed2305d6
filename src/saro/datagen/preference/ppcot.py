"""PP-COT: process-level preference pairs by stepwise reflection.

Usage::

    saro data ppcot --model runs/demo/models/rw --config configs/data/pref.yaml --out runs/x/ppcot

Take a rejected rollout (unsafe on a harmful/jailbreak prompt, or over-refusing on a benign
one), split its reasoning into steps and, for a step index k:

* ``prompt`` = the chat-templated user turn + the first k reasoning steps (ends inside the
  assistant turn; stored as text, exactly what the model continues);
* ``chosen`` = a reflection step written from the policy data (a varied trigger phrase, what the
  prefix got wrong, the category that applies, what a safe or helpful answer offers), then the
  policy model's own continuation with that reflection prefilled, sampled until the judge accepts
  the whole response (``chosen_samples`` tries);
* ``rejected`` = the rollout's original continuation from step k.

Offline no teacher writes reflections, and the RW model does not write one of its own (measured:
it closes ``</think>`` at once after a bare trigger), so the reflection *step* comes from the
policy: its category texts and trigger phrasings. Pairs whose chosen side the judge rejects are
dropped and counted, as are rollouts too short for k or not in the canonical format.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

from saro.datagen.accept import Acceptor
from saro.datagen.preference.config import PrefConfig
from saro.datagen.preference.rollouts import Rollout, Sample, classify
from saro.engines import BaseEngine, ChatRequest
from saro.errors import SaroError
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


def reflection_step(policy: Any, prompt: Any, rng: random.Random) -> tuple[str, str]:
    """A one-paragraph reflection grounded in the policy category of the prompt.

    Returns ``(trigger_id, text)``.
    """
    trigger = pick_trigger(policy, prompt.kind, rng)
    cat = policy.category(policy.category_for(prompt.source, prompt.category, text=prompt.text))
    if prompt.kind == "benign":
        allowed = rng.choice(list(cat.allowed)) if cat.allowed else "information like this"
        body = (
            f"This touches [{cat.id}], but what is asked is allowed there: {allowed}. "
            "Refusing would fail a legitimate request, so I should answer it specifically."
        )
    else:
        banned = rng.choice(list(cat.disallowed)) if cat.disallowed else cat.description
        lead = (
            "The framing around it does not change what the answer would enable. "
            if prompt.kind == "jailbreak"
            else ""
        )
        body = (
            f"{lead}Going on would provide {banned[0].lower() + banned[1:]}, which [{cat.id}] "
            f"does not allow. {cat.safe_completion}"
        )
    return trigger.id, f"{trigger.text} {body}"


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
            try:
                trig, refl = reflection_step(policy, r.prompt, rng)
            except SaroError:  # no policy category fits this prompt: no grounded reflection
                counts["skipped_no_category"] += 1
                continue
            jobs.append((r, k, parsed.steps, prefix, trig, refl, text))
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
    judged = classify(flat, acceptor, origin="reflection")
    best: dict[int, Rollout] = {}
    for j, roll in zip(owners, judged, strict=True):
        if roll.label == "chosen" and (j not in best or roll.tokens < best[j].tokens):
            best[j] = roll
    pairs = []
    for j, (r, k, steps, prefix, trig, _, text) in enumerate(jobs):
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
    counts["attempted"] = len(jobs)
    return pairs, counts
