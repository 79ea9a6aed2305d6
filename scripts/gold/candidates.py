"""Generate the judge gold set's candidate outputs from a finished run's trained models.

    python scripts/gold/candidates.py --run runs/demo --out runs/gold [--eval-limit N] [--train-n N]

For each of base, Safety-SFT, RW and SaRO (the run's models, the run's eval budget):

* **held-out part**: the jailbreak, harmful and over-refusal suites (the eval side of the splits,
  ``--eval-limit`` prompts each), i.e. the very samples the refusal judge scores in a report;
* **judge-train part**: ``--train-n`` prompts from the *train* side of the same splits (harmful,
  jailbreak wrapped in train-side attacks, benign-edgy), which the judge may learn from without
  ever seeing an eval prompt.

Writes ``OUT/candidates.jsonl`` (one row per output, no labels) for labelling under
``src/saro/data/judges/gold/GUIDELINES.md``. Generation goes through the cache, so reruns are free.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from saro.attacks import load_attacks, split_attacks
from saro.engines.forcing import Budget
from saro.evaluate import evaluate
from saro.evaluate.select import by_category, by_source, pick, wrap_in_attacks
from saro.evaluate.suites import MAX_TEMPLATE_TOKENS, file_suite
from saro.sources import load_source
from saro.store import read_jsonl, write_jsonl

MODELS = ("base", "safety_sft", "rw", "saro")
SAFETY = ("jailbreak", "harmful", "overrefusal")


def train_side(n: int, split_seed: int) -> list[dict]:
    """``n`` train-side prompts: a third harmful, a third jailbreak, the rest benign-edgy."""

    def side(*sources):
        return [p for s in sources for p in load_source(s, split="train", seed=split_seed)]

    k = n // 3
    harmful = pick(side("advbench"), 2 * k, (by_source, by_category), 1)
    attacks = [
        a for a in split_attacks(load_attacks(), seed=split_seed).train
        if a.kind == "transform" or a.approx_tokens <= MAX_TEMPLATE_TOKENS
    ]  # fmt: skip
    jail = wrap_in_attacks(harmful[k:], attacks, seed=1)
    benign = pick(side("overrefusal", "uncensorbench"), n - 2 * k, (by_source, by_category), 1)
    rows = []
    for p, kind in [*((p, "harmful") for p in harmful[:k]), *((p, "jailbreak") for p in jail),
                    *((p, "benign") for p in benign)]:  # fmt: skip
        side_kind = "benign" if kind == "benign" else "harmful"
        rows.append({"id": p.id, "text": p.text, "kind": side_kind, "category": p.category,
                     "source": p.source, "gold_kind": kind, "attack": p.attack})  # fmt: skip
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", default="runs/demo")
    ap.add_argument("--out", default="runs/gold")
    ap.add_argument("--eval-limit", type=int, default=25)
    ap.add_argument("--train-n", type=int, default=25)
    args = ap.parse_args()
    run, out = Path(args.run), Path(args.out)
    cfg = json.loads((run / "eval" / "base" / "config.json").read_text())
    budget = Budget(**cfg["budget"]) if cfg.get("budget") else None
    split_seed = cfg.get("split_seed", 0)
    out.mkdir(parents=True, exist_ok=True)
    rows = train_side(args.train_n, split_seed)
    for kind in ("harmful", "benign"):
        write_jsonl(out / f"train_{kind}.jsonl", [r for r in rows if r["kind"] == kind])
    meta = {r["text"].strip(): r for r in rows}  # file suites give new ids: match by text
    gathered = []
    for m in MODELS:
        model = json.loads((run / "eval" / m / "config.json").read_text())["model"]
        evaluate(model, list(SAFETY), out / m / "eval", limit=args.eval_limit, budget=budget,
                 split_seed=split_seed)  # fmt: skip
        suites = [file_suite(out / f"train_{k}.jsonl", k) for k in ("harmful", "benign")]
        evaluate(model, suites, out / m / "train", budget=budget, split_seed=split_seed)
        for part, folder in (("heldout", "eval"), ("train", "train")):
            for path in sorted((out / m / folder / "samples").glob("*.jsonl")):
                for r in read_jsonl(path):
                    src = {} if part == "heldout" else meta[r["prompt"].strip()]
                    kind = r["suite"] if part == "heldout" else src["gold_kind"]
                    gathered.append({
                        "part": part, "model": m, "suite": r["suite"], "kind": kind,
                        "id": src.get("id", r["id"]), "source": src.get("source", r["source"]),
                        "category": src.get("category", r["category"]),
                        "attack": r.get("attack") or src.get("attack"),
                        "prompt": r["prompt"], "reasoning": r["reasoning"],
                        "answer": r["answer"], "forced": r.get("forced", False),
                        "judge_refusal": (r.get("judges") or {}).get("refusal", {}).get("label"),
                    })  # fmt: skip
    write_jsonl(out / "candidates.jsonl", gathered)
    print(f"{len(gathered)} candidate outputs -> {out / 'candidates.jsonl'}")


if __name__ == "__main__":
    main()
