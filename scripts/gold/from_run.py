"""Gold-set candidates taken from a finished run's own outputs (no generation).

    python scripts/gold/from_run.py --run runs/demo-s7 --out runs/gold-s8/candidates.jsonl \
        [--models safety_sft sft_dpo rw saro] [--per-suite 10] [--part recheck]
    python scripts/gold/from_run.py --run runs/demo-s7 --out runs/gold-s8/train.jsonl \
        --train-side [--per-suite 40]

Where ``candidates.py`` regenerates outputs, this reads the very records a report scored
(``RUN/eval/<model>/samples/<suite>.jsonl``), so the judge is checked on exactly the outputs it
scored. The ``recheck`` part is never trained on (``saro.judges.refusal_data.training_rows``
reads the ``train`` part only): it checks the shipped judge, frozen, on models it has not seen.
Each suite gives ``--per-suite`` rows per model (seeded pick; all when fewer).

``--train-side`` takes the ``train`` part instead, from answers to *training* prompts only (the
judge may learn from them without ever seeing an eval prompt's answer): RW's OP-COT rollouts
(``pref/opcot/rollouts.jsonl``, model ``rw``) and the Safety-SFT model's own answers in the
control pairs (``pref/control/pairs.jsonl``, sides with origin ``onpolicy``, model
``safety_sft``); ``--per-suite`` rows from each. Rows carry the run
(``run``) so two runs' models never share a ``gold_id``; ``judge_refusal`` (the judge's verdict)
is kept for the agreement script and must be hidden from readers (``blind.py``).
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from saro.reasoning import parse
from saro.store import read_jsonl, write_jsonl

SUITES = ("jailbreak", "rephrase", "harmful", "overrefusal", "recovery")


def run_name(run: Path) -> str:
    """The run's name in gold ids: its folder, with the multi-seed root (``demo-seeds/seed-1``)."""
    return f"{run.parent.name}/{run.name}" if run.name.startswith("seed-") else run.name


def rows_of(run: Path, model: str, suite: str, n: int, seed: int, part: str) -> list[dict]:
    path = run / "eval" / model / "samples" / f"{suite}.jsonl"
    if not path.exists():
        return []
    records = list(read_jsonl(path))
    random.Random(f"{seed}|{model}|{suite}").shuffle(records)
    out = []
    for r in records[:n]:
        verdict = (r.get("judges") or {}).get("refusal", {})
        out.append({
            "part": part, "run": run_name(run), "model": model, "suite": suite,
            "kind": r.get("recovery_side") or r["kind"], "id": r["id"], "source": r["source"],
            "category": r["category"], "attack": r.get("attack"), "prompt": r["prompt"],
            "reasoning": r["reasoning"], "answer": r["answer"], "forced": r.get("forced", False),
            "judge_refusal": verdict.get("answer", {}).get("label"),
        })  # fmt: skip
    return out


def _answer_row(run: Path, model: str, suite: str, r: dict, response: str) -> dict:
    parsed = parse(response)
    return {
        "part": "train", "run": run_name(run), "model": model, "suite": suite, "kind": r["kind"],
        "id": r["prompt_id"], "source": r["prompt_id"].split("/")[0], "category": None,
        "attack": None, "prompt": r["prompt"], "reasoning": "\n\n".join(parsed.steps),
        "answer": parsed.answer, "forced": r.get("forced", False), "judge_refusal": None,
    }  # fmt: skip


def train_side(run: Path, n: int, seed: int) -> list[dict]:
    """Answers to training prompts: RW's OP-COT rollouts and Safety-SFT's control answers."""
    rows = []
    path = run / "pref" / "opcot" / "rollouts.jsonl"
    if path.exists():
        rollouts = list(read_jsonl(path))
        random.Random(f"{seed}|rw|opcot").shuffle(rollouts)
        rows += [_answer_row(run, "rw", "opcot", r, r["response"]) for r in rollouts[:n]]
    path = run / "pref" / "control" / "pairs.jsonl"
    if path.exists():
        sides = []
        for r in read_jsonl(path):
            prompt = r["prompt"][-1]["content"] if isinstance(r["prompt"], list) else r["prompt"]
            for side in ("chosen", "rejected"):
                if r.get(f"origin_{side}") == "onpolicy":
                    text = r[side][-1]["content"] if isinstance(r[side], list) else r[side]
                    sides.append(({**r, "prompt": prompt}, text))
        random.Random(f"{seed}|safety_sft|control").shuffle(sides)
        rows += [_answer_row(run, "safety_sft", "control", r, t) for r, t in sides[:n]]
    seen: dict[tuple[str, str], int] = {}
    for row in rows:  # a prompt has several samples: number them so each row has its own id
        key = (row["model"], row["id"])
        seen[key] = seen.get(key, 0) + 1
        row["id"] = f"{row['id']}#s{seen[key]}"
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--models", nargs="+", default=["safety_sft", "sft_dpo", "rw", "saro"])
    ap.add_argument("--suites", nargs="+", default=list(SUITES))
    ap.add_argument("--per-suite", type=int, default=10)
    ap.add_argument("--part", default="recheck")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--train-side", action="store_true", help="the train part (see above)")
    args = ap.parse_args()
    run = Path(args.run)
    if args.train_side:
        rows = train_side(run, args.per_suite, args.seed)
    else:
        rows = [
            row
            for m in args.models
            for s in args.suites
            for row in rows_of(run, m, s, args.per_suite, args.seed, args.part)
        ]
    if not rows:
        raise SystemExit(
            f"No eval samples under {run}/eval/<model>/samples/: is the run evaluated?"
        )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    write_jsonl(Path(args.out), rows)
    print(f"{len(rows)} candidate outputs -> {args.out}")


if __name__ == "__main__":
    main()
