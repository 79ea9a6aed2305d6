"""``saro data opcot|ppcot|direct``: run a preference builder, write its pairs and a card."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from saro.config import to_dict
from saro.datagen.accept import Acceptor
from saro.datagen.preference.config import DirectConfig, PrefConfig
from saro.datagen.preference.direct import build_direct_pairs
from saro.datagen.preference.opcot import outcome_pairs, rollout_record
from saro.datagen.preference.ppcot import process_pairs
from saro.datagen.preference.rollouts import Rollout, sample_rollouts, training_prompts
from saro.engines.base import BaseEngine
from saro.security import redact
from saro.store import write_json, write_jsonl, write_text


def policy_engine(model: str, cfg: PrefConfig) -> BaseEngine:
    """The policy model behind the configured engine, with the generation cache attached."""
    from saro.engines.factory import build_engine

    return build_engine(cfg.sampling.engine, model)


def _sampled(
    model: str,
    cfg: PrefConfig,
    out_dir: str | Path,
    engine: BaseEngine | None,
    acceptor: Acceptor | None,
    progress: bool,
) -> tuple[Path, Any, BaseEngine, Acceptor, list[Rollout]]:
    """What OP-COT and PP-COT both start from: the output folder, the policy, the policy
    model's engine, the acceptor and the judged rollouts (from the cache the second time)."""
    from saro.policy import Policy

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    policy = Policy.load(cfg.policy)
    engine = engine or policy_engine(model, cfg)
    acceptor = acceptor or Acceptor(policy.ids)
    prompts = training_prompts(cfg.prompts, split_seed=cfg.split_seed, seed=cfg.seed, rit=cfg.rit)
    rollouts = sample_rollouts(
        engine, prompts, cfg.sampling, acceptor, seed=cfg.seed, progress=progress
    )
    return out, policy, engine, acceptor, rollouts


def rollout_stats(rollouts: list[Rollout]) -> dict[str, dict[str, int]]:
    stats: dict[str, Counter] = {}
    for r in rollouts:
        stats.setdefault(r.prompt.kind, Counter())[r.label] += 1
    return {k: dict(v) for k, v in sorted(stats.items())}


def build_opcot_dir(
    model: str,
    cfg: PrefConfig,
    out_dir: str | Path,
    *,
    progress: bool = True,
    engine: BaseEngine | None = None,
    acceptor: Acceptor | None = None,
) -> dict[str, Any]:
    """OP-COT into ``out_dir``: ``pairs.jsonl``, ``rollouts.jsonl``, ``card.json``/``card.md``."""
    out, _, engine, acceptor, rollouts = _sampled(model, cfg, out_dir, engine, acceptor, progress)
    pairs, counts = outcome_pairs(rollouts, engine, cfg, acceptor)
    write_jsonl(out / "pairs.jsonl", pairs)
    write_jsonl(out / "rollouts.jsonl", [rollout_record(r) for r in rollouts])
    return _outcome_card(out, "OP-COT", model, engine, cfg, pairs, rollouts, outcomes=counts)


def build_ppcot_dir(
    model: str,
    cfg: PrefConfig,
    out_dir: str | Path,
    *,
    progress: bool = True,
    engine: BaseEngine | None = None,
    acceptor: Acceptor | None = None,
    render: Any = None,
) -> dict[str, Any]:
    """PP-COT into ``out_dir``: ``pairs.jsonl`` and a card (rollouts come from the cache)."""
    sampled = _sampled(model, cfg, out_dir, engine, acceptor, progress)
    out, policy, engine, acceptor, rollouts = sampled
    pairs, counts = process_pairs(
        rollouts, engine, cfg, acceptor, policy, progress=progress, render=render
    )
    write_jsonl(out / "pairs.jsonl", pairs)
    attempted = counts.get("attempted", 0)
    card = {
        "dataset": "PP-COT",
        "model": model,
        "engine": engine.identity(),
        "config": redact(to_dict(cfg)),
        "pairs": len(pairs),
        "pairs_per_kind": dict(Counter(p["kind"] for p in pairs)),
        "step_histogram": dict(sorted(Counter(p["step"] for p in pairs).items())),
        "triggers": dict(Counter(p["trigger"] for p in pairs)),
        "chosen_acceptance_rate": (len(pairs) / attempted) if attempted else 0.0,
        "acceptance_per_step": {
            str(k): {"attempted": counts[f"attempted_k{k}"], "accepted": counts[f"accepted_k{k}"]}
            for k in sorted(
                {int(key[len("attempted_k") :]) for key in counts if key.startswith("attempted_k")}
            )
        },
        "continued_after_trigger": (
            counts["continued_after_trigger"] / counts["continuations"]
            if counts.get("continuations")
            else None
        ),
        "rejected_rollouts": sum(r.label == "rejected" for r in rollouts),
        "rollouts": rollout_stats(rollouts),
        "counts": dict(counts),
    }
    _write_card(out, card)
    return card


def build_direct_dir(
    model: str,
    cfg: DirectConfig,
    safety_sft: str | Path,
    out_dir: str | Path,
    *,
    progress: bool = True,
    engine: BaseEngine | None = None,
    acceptor: Acceptor | None = None,
    on_policy_chosen: bool = False,
    dataset: str = "Direct pairs",
) -> dict[str, Any]:
    """Direct pairs into ``out_dir``: ``pairs.jsonl``, ``card.json``/``card.md``
    (``on_policy_chosen``: the control arm's pairs, :mod:`saro.datagen.preference.direct`)."""
    from saro.engines.factory import build_engine
    from saro.policy import Policy

    out = Path(out_dir)
    engine = engine or build_engine(cfg.engine or "hf", model)
    acceptor = acceptor or Acceptor(Policy.load(cfg.policy).ids, reasoning=False)
    pairs, rollouts, counts = build_direct_pairs(
        engine, safety_sft, cfg, acceptor, progress, on_policy_chosen=on_policy_chosen
    )
    write_jsonl(out / "pairs.jsonl", pairs)
    return _outcome_card(out, dataset, model, engine, cfg, pairs, rollouts, counts=counts)


def _outcome_card(
    out: Path,
    dataset: str,
    model: str,
    engine: BaseEngine,
    cfg: Any,
    pairs: list[dict],
    rollouts: list[Rollout],
    **counters: Counter,
) -> dict[str, Any]:
    """Write and return the card of an outcome-level pair set (OP-COT or direct pairs)."""
    card = {
        "dataset": dataset,
        "model": model,
        "engine": engine.identity(),
        "config": redact(to_dict(cfg)),
        "pairs": len(pairs),
        "pairs_per_kind": dict(Counter(p["kind"] for p in pairs)),
        "origins": dict(Counter(f"{p['origin_chosen']}/{p['origin_rejected']}" for p in pairs)),
        "rollouts": rollout_stats(rollouts),
        **{name: dict(c) for name, c in counters.items()},
    }
    _write_card(out, card)
    return card


def _write_card(out: Path, card: dict[str, Any]) -> None:
    write_json(out / "card.json", card)
    lines = [
        f"# {card['dataset']} dataset card",
        "",
        f"Sampled from `{card['model']}` ({card['engine']}). Pairs: {card['pairs']}.",
        "",
        "| kind | pairs |",
        "|---|---|",
    ]
    lines += [f"| {k} | {v} |" for k, v in sorted(card["pairs_per_kind"].items())]
    lines += [
        "",
        "## On-policy rollouts (judge labels)",
        "",
        "| kind | chosen | rejected | neither |",
        "|---|---|---|---|",
    ]
    for kind, c in card["rollouts"].items():
        lines.append(
            f"| {kind} | {c.get('chosen', 0)} | {c.get('rejected', 0)} | {c.get('neither', 0)} |"
        )
    for key in ("origins", "outcomes", "step_histogram", "triggers", "counts"):
        if card.get(key):
            lines += [
                "",
                f"**{key.replace('_', ' ')}**: "
                + ", ".join(f"{k}: {v}" for k, v in card[key].items()),
            ]
    if "chosen_acceptance_rate" in card:
        lines += [
            "",
            "Chosen-side acceptance (the judge accepted the model's own continuation after the "
            f"trigger): {card['chosen_acceptance_rate']:.1%}; per step k: "
            + ", ".join(
                f"k={k} {v['accepted']}/{v['attempted']}"
                for k, v in card.get("acceptance_per_step", {}).items()
            )
            + ".",
        ]
    if card.get("continued_after_trigger") is not None:
        lines += [
            "",
            "Went on reasoning after the trigger (>= 5 words before `</think>`) in "
            f"{card['continued_after_trigger']:.0%} of the continuations.",
        ]
    outcomes = card.get("outcomes") or {}
    mined = outcomes.get("mined_refused", 0) + outcomes.get("mined_helped", 0)
    if mined:
        lines += [
            "",
            f"Over-refusal mining: the model refused (or failed) {outcomes.get('mined_refused', 0)}"
            f" of {mined} benign-edgy prompts at least once; those made the mined pairs.",
        ]
    write_text(out / "card.md", "\n".join(lines) + "\n")
