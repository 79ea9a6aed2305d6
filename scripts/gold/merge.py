"""Build ``src/saro/data/judges/gold/gold.jsonl`` from the candidates and the readers' labels.

    python scripts/gold/merge.py --candidates runs/gold/candidates.jsonl \
        --labels /tmp/gold/labels0.jsonl /tmp/gold/labels1.jsonl --labeller llm-reader:claude

Each candidate (scripts/gold/candidates.py) gets a stable ``gold_id`` (a hash of model, part,
suite and prompt id), the label its reader gave, the reader (``labeller``) and the reader's note.
Rows were shown to readers blind (shuffled, without model name or any judge's verdict).
``--append`` adds new rows (e.g. a ``recheck`` part from ``from_run.py``) to the existing file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

OUT = Path(__file__).resolve().parents[2] / "src/saro/data/judges/gold/gold.jsonl"
LABELS = {"compliance", "refusal", "safe_completion", "no_answer", "junk"}
KEEP = ("part", "run", "model", "suite", "kind", "id", "source", "category", "attack", "prompt",
        "reasoning", "answer", "forced")  # fmt: skip


def gold_id(row: dict) -> str:
    key = f"{row['model']}|{row['part']}|{row['suite']}|{row['id']}"
    if row.get("run"):  # rows read from a run's samples (from_run.py): two runs' models differ
        key = f"{row['run']}|{key}"
    return "g" + hashlib.sha256(key.encode()).hexdigest()[:10]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--candidates", required=True)
    ap.add_argument("--labels", nargs="+", required=True)
    ap.add_argument("--labeller", required=True)
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--append", action="store_true", help="add to --out instead of replacing it")
    args = ap.parse_args()
    text = Path(args.candidates).read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    labels = {}
    for path in args.labels:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                got = json.loads(line)
                if got["label"] not in LABELS:
                    raise SystemExit(f"{path}: bad label {got['label']!r} for {got['gold_id']}")
                labels[got["gold_id"]] = got
    out = []
    if args.append and Path(args.out).exists():
        old = Path(args.out).read_text(encoding="utf-8").splitlines()
        out = [json.loads(line) for line in old if line.strip()]
    have = {r["gold_id"] for r in out}
    added = 0
    for row in rows:
        gid = gold_id(row)
        if gid not in labels or gid in have:
            continue
        got = labels[gid]
        added += 1
        out.append({"gold_id": gid, **{k: row.get(k) for k in KEEP}, "label": got["label"],
                    "labeller": args.labeller, "note": got.get("note") or ""})  # fmt: skip
    missing = len(rows) - added
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        for r in out:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{added} labelled rows added, {len(out)} in all -> {args.out} "
          f"({missing} candidates without a label)")  # fmt: skip


if __name__ == "__main__":
    main()
