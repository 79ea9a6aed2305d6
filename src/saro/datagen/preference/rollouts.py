"""On-policy rollouts for the preference stage: sample, judge, classify.

Both OP-COT and PP-COT start here. For every training prompt the policy model (the RW model)
samples ``n`` reasoning responses; each is judged with the RIT-D acceptance rules
(:mod:`saro.datagen.accept`) and classified:

* ``chosen``: accepted (safe with a cited category on harmful/jailbreak, helpful on benign and
  general, correct on math);
* ``rejected``: a failed behaviour (:data:`saro.datagen.accept.FAILED_BEHAVIOUR`): complies
  with a harmful request, refuses a benign one, wrong math answer, a junk answer (loop, echo),
  or no answer at all (reasoning never closed, empty answer). With budget forcing every rollout
  has an answer, so "no answer" only happens without it;
* ``neither``: safe but without naming a category: not good enough to be chosen, not a failure
  to be rejected.

Samples live in the generation cache, so rebuilding (or building PP-COT after OP-COT with the
same settings) regenerates nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from saro.config import prompt_spec
from saro.datagen.accept import FAILED_BEHAVIOUR, Acceptor
from saro.datagen.preference.config import SamplingConfig
from saro.engines.base import BaseEngine, ChatRequest
from saro.engines.forcing import budget_of, generate_with_budget
from saro.errors import SaroError
from saro.records import Prompt
from saro.store import read_jsonl

MINED = "overrefusal"  # the prompts-config key of benign prompts mined for over-refusal


def failed(reason: str) -> bool:
    """Whether a rejection reason names a failed behaviour (a rejected side), not merely a
    response too weak to keep (e.g. a refusal whose reasoning cites no category: "neither")."""
    return reason.startswith(FAILED_BEHAVIOUR)


@dataclass
class Rollout:
    """One judged sample."""

    prompt: Prompt
    text: str
    tokens: int
    label: str  # chosen | rejected | neither
    reason: str
    origin: str = "onpolicy"
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Sample:
    """A whole response assembled from a prefill and the model's continuation."""

    text: str
    completion_tokens: int


def rit_prompts(path: str | None, kind: str) -> list[Prompt]:
    """The user turns of the RIT-D records of one kind (``source: rit`` in a prompts config).

    Preference prompts taken from RIT-D always have an off-policy chosen response to fall back
    on, and share RIT-D's training split and training-only attacks.
    """
    if not path:
        raise SaroError(
            f"prompts.{kind} asks for source 'rit' but no RIT-D file is set.",
            "Set rit: to the RIT-D file (saro run sets it), or name a prompt source.",
        )
    out = []
    for rec in read_jsonl(path, required=["messages", "kind"]):
        if rec["kind"] != kind:
            continue
        out.append(
            Prompt(
                id=rec.get("id") or f"rit/{len(out)}",
                text=rec["messages"][0]["content"],
                kind=kind,
                category=rec.get("category") or "",
                source=rec.get("source") or "rit",
                attack=rec.get("attack"),
                split="train",
            )
        )
    return out


def training_prompts(
    prompts_cfg: dict[str, Any], *, split_seed: int = 0, seed: int = 0, rit: str | None = None
) -> list[Prompt]:
    """Training-split prompts per kind; jailbreak prompts wrap harmful ones in training attacks.

    ``split_seed`` chooses the prompt and attack splits (the evaluation suites draw from the
    other side of the same splits); ``seed`` chooses which training attack wraps which prompt.
    ``source: rit`` takes the kind's prompts from the RIT-D file ``rit`` instead.
    ``source_kind`` keeps only a mixed source's prompts of that kind (WildJailbreak train's
    ``harmful``, ``jailbreak`` or ``benign``), and ``wrap: false`` keeps jailbreak prompts that
    are attacks already (WildJailbreak's adversarial ones) unwrapped. The key
    ``overrefusal`` names a pool of benign prompts *mined* for over-refusal: they are benign
    prompts (``kind`` benign) marked ``meta["mined"]``, which OP-COT pairs only where the model
    itself refused (:func:`saro.datagen.preference.opcot.outcome_pairs`).
    """
    from saro.attacks import jailbreak_prompts, load_attacks, split_attacks
    from saro.sources import load_source

    out: list[Prompt] = []
    for kind, spec in prompts_cfg.items():
        spec = prompt_spec(spec)
        if spec["source"] == "rit":
            found = rit_prompts(rit, kind)[spec.get("offset", 0) :]
            out += found[: spec["limit"]] if spec.get("limit") else found
            continue
        options = {
            k: v
            for k, v in spec.items()
            if k not in ("source", "limit", "offset", "max_attack_tokens", "source_kind", "wrap")
        }
        found = load_source(spec["source"], split="train", seed=split_seed, **options)
        if spec.get("source_kind"):  # a mixed source (WildJailbreak): keep one of its kinds
            found = [p for p in found if p.kind == spec["source_kind"]]
        if kind == "jailbreak" and spec.get("wrap", True):
            attacks = [
                a
                for a in split_attacks(load_attacks(), seed=split_seed).train
                if a.kind == "transform" or a.approx_tokens <= spec.get("max_attack_tokens", 300)
            ]
            found = jailbreak_prompts(found, attacks, seed=seed)
        else:
            for p in found:
                p.kind = "benign" if kind == MINED else kind
                if kind == MINED:
                    p.meta = {**p.meta, "mined": True}
        if spec.get("offset"):
            found = found[spec["offset"] :]
        out += found[: spec["limit"]] if spec.get("limit") else found
    return out


def check_budget(n_prompts: int, cfg: SamplingConfig) -> None:
    need = n_prompts * cfg.n
    if need > cfg.max_samples:
        raise SaroError(
            f"The config asks for {need} samples ({n_prompts} prompts x n={cfg.n}), more than "
            f"the budget max_samples={cfg.max_samples}.",
            "Lower sampling.n or the prompt limits, or raise sampling.max_samples.",
        )


def sample_rollouts(
    engine: BaseEngine,
    prompts: list[Prompt],
    cfg: SamplingConfig,
    acceptor: Acceptor,
    *,
    seed: int = 0,
    progress: bool = True,
) -> list[Rollout]:
    """Sample ``cfg.n`` responses per prompt from the policy model and classify each."""
    check_budget(len(prompts), cfg)
    requests = [ChatRequest.user(p.text) for p in prompts]
    sampling = {"n": cfg.n, "temperature": cfg.temperature, "top_p": cfg.top_p, "seed": seed}
    budget = budget_of(cfg.max_reasoning_tokens, cfg.max_answer_tokens)
    if budget:
        outs = generate_with_budget(engine, requests, budget, progress=progress, **sampling)
    else:
        outs = engine.generate(
            requests, max_new_tokens=cfg.max_new_tokens, progress=progress, **sampling
        )
    flat = [(p, c) for p, comps in zip(prompts, outs, strict=True) for c in comps]
    return classify(flat, acceptor)


def classify(
    pairs: list[tuple[Prompt, Any]], acceptor: Acceptor, *, origin: str = "onpolicy"
) -> list[Rollout]:
    """Judge ``(prompt, completion)`` pairs; completions need ``text`` and ``completion_tokens``."""
    verdicts: list[tuple[bool, str]] = []
    for start in range(0, len(pairs), 256):
        chunk = pairs[start : start + 256]
        verdicts += acceptor.check_responses([(p, c.text) for p, c in chunk])
    rollouts = []
    for (p, c), (ok, reason) in zip(pairs, verdicts, strict=True):
        label = "chosen" if ok else "rejected" if failed(reason) else "neither"
        meta = {"forced": True} if getattr(c, "forced", False) else {}
        rollouts.append(Rollout(p, c.text, c.completion_tokens, label, reason, origin, meta))
    return rollouts
