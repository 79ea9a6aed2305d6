"""Held-out DPO reward accuracy of several trained arms on the *same* held-out pairs.

    python scripts/analysis/heldout_rewards.py --run runs/cpu-full-s8 --models saro saro_op

Each DPO arm holds out its own fifth of its pairs by prompt family
(``saro/train/data.py:hold_out``), so SRPO (OP-COT + PP-COT, capped at 64) and its OP-COT-only
ablation are measured during training on different held-out pairs, and TRL reports a mean over
eval batches. This recomputes, for every arm, the implicit DPO reward
``beta * (log p_model - log p_ref)`` of each chosen and rejected completion, pair by pair, on
each arm's own held-out pairs and on the pairs *every* listed arm held out (no arm trained on
them), by level (outcome / process). The reference is the model each arm started from (its
``model_name_or_path``). Writes ``RUN/analysis/heldout_rewards.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def _config(run: Path, model: str) -> dict[str, Any]:
    return json.loads((run / "models" / model / "run.json").read_text())["config"]


def _held_out(cfg: dict[str, Any], tokenizer: Any) -> list[dict[str, Any]]:
    from saro.train.data import train_and_held

    return train_and_held(
        cfg["train_files"],
        cfg.get("eval_files") or [],
        tokenizer,
        max_length=cfg["max_length"],
        limit=cfg["max_train_samples"],
        eval_fraction=cfg["eval_fraction"],
        seed=cfg["seed"],
    )[1]


def _key(row: dict[str, Any]) -> tuple:
    return tuple(row["prompt_ids"]), tuple(row["chosen_ids"]), tuple(row["rejected_ids"])


def _row(prompt: list[int], completion: list[int], max_length: int) -> tuple[list[int], int]:
    """The pair side as TRL scores it: prompt + completion cut to ``max_length`` from the end,
    and how many of its last tokens are the completion's (:func:`tail_logprobs`'s row)."""
    ids = (prompt + completion)[:max_length]
    return ids, len(ids) - min(len(prompt), len(ids) - 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", required=True, type=Path)
    ap.add_argument("--models", nargs="+", required=True)
    args = ap.parse_args()

    from transformers import AutoModelForCausalLM

    from saro.engines.hf_loglik import tail_logprobs
    from saro.train.common import load_tokenizer

    configs = {m: _config(args.run, m) for m in args.models}
    tokenizer = load_tokenizer(configs[args.models[0]]["model_name_or_path"])
    held = {m: {_key(r): r for r in _held_out(c, tokenizer)} for m, c in configs.items()}
    common = set.intersection(*(set(h) for h in held.values()))
    pairs = {k: r for h in held.values() for k, r in h.items()}

    loaded: dict[str, Any] = {}

    def model(path: str) -> Any:
        if path not in loaded:
            loaded[path] = AutoModelForCausalLM.from_pretrained(path).eval()
        return loaded[path]

    out: dict[str, Any] = {"run": str(args.run), "common_pairs": len(common), "models": {}}
    for m, cfg in configs.items():
        policy, ref = model(str(args.run / "models" / m)), model(cfg["model_name_or_path"])
        keys = sorted(set(held[m]) | common)
        rows = [
            _row(pairs[k]["prompt_ids"], pairs[k][side], cfg["max_length"])
            for k in keys
            for side in ("chosen_ids", "rejected_ids")
        ]
        pad = tokenizer.pad_token_id or 0
        lp, lr = (tail_logprobs(x, rows, pad_id=pad) for x in (policy, ref))
        beta = cfg.get("beta", 0.1)
        correct = {  # DPO's implicit reward margin: beta * (chosen - rejected) log-ratios
            k: beta * ((lp[2 * i] - lr[2 * i]) - (lp[2 * i + 1] - lr[2 * i + 1])) > 0
            for i, k in enumerate(keys)
        }
        res = {}
        for name, keys in (("own", set(held[m])), ("common", common)):
            for level in ("outcome", "process"):
                ks = [k for k in keys if pairs[k]["level"] == level]
                if ks:
                    res[f"{name}_{level}"] = {"n": len(ks), "correct": sum(correct[k] for k in ks)}
        out["models"][m] = res
    dest = args.run / "analysis" / "heldout_rewards.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(out, indent=2) + "\n")
    print(f"pairs every arm held out: {len(common)}")
    for m, res in out["models"].items():
        cells = ", ".join(f"{k} {v['correct']}/{v['n']}" for k, v in res.items())
        print(f"  {m}: {cells}")
    print(f"-> {dest}")


if __name__ == "__main__":
    main()
