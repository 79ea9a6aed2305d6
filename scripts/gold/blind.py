"""Blind batches of gold candidates for readers: shuffled, without model, run or any verdict.

    python scripts/gold/blind.py --candidates runs/gold-s8/seed-1.jsonl --out /tmp/gold \
        [--batches 5] [--seed 0] [--reading runs/gold-s8/seed-2.jsonl ...]

Writes ``OUT/batch<i>.jsonl`` with ``gold_id``, ``prompt``, ``reasoning``, ``answer`` and
``forced`` only. Candidates whose answer (prompt + answer text) already has a label in the
packaged gold set are left out, as are repeats of one answer and answers in the candidate files
``--reading`` names (batches other readers are labelling now: two models often give the same
answer), so no answer is read twice and none gets two labels.
Readers write ``OUT/labels<i>.jsonl`` (``gold_id``, ``label``, ``note``) under
``src/saro/data/judges/gold/GUIDELINES.md``; ``merge.py --append`` adds them to the gold set.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from merge import OUT, gold_id  # noqa: E402

from saro.judges.labels import answer_key, read_labels  # noqa: E402
from saro.store import read_jsonl  # noqa: E402

SHOWN = ("prompt", "reasoning", "answer", "forced")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--candidates", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--batches", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--gold", default=str(OUT), help="labels already given (default: the gold set)")
    ap.add_argument(
        "--reading",
        nargs="*",
        default=[],
        help="candidate files whose answers other readers are labelling now",
    )
    args = ap.parse_args()
    have = read_labels([args.gold]) if Path(args.gold).exists() else {}
    seen = {answer_key(r["prompt"], r["answer"] or "") for p in args.reading for r in read_jsonl(p)}
    rows = []
    for row in read_jsonl(args.candidates):
        key = answer_key(row["prompt"], row["answer"] or "")
        if key in have or key in seen:
            continue
        seen.add(key)
        rows.append(row)
    random.Random(args.seed).shuffle(rows)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    n = max(1, min(args.batches, len(rows)))
    for i in range(n):
        with open(out / f"batch{i}.jsonl", "w", encoding="utf-8") as fh:
            for row in rows[i::n]:
                shown = {"gold_id": gold_id(row), **{k: row.get(k) for k in SHOWN}}
                fh.write(json.dumps(shown, ensure_ascii=False) + "\n")
    print(f"{len(rows)} rows to read in {n} batches -> {out}/batch*.jsonl")


if __name__ == "__main__":
    main()
