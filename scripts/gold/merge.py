"""Build ``src/saro/data/judges/gold/gold.jsonl`` from the candidates and the readers' labels.

    python scripts/gold/merge.py --candidates runs/gold/candidates.jsonl \
        --labels /tmp/gold/labels0.jsonl /tmp/gold/labels1.jsonl --labeller llm-reader:claude

Each candidate (scripts/gold/candidates.py) gets a stable ``gold_id`` (a hash of model, part,
suite and prompt id), the label its reader gave, the reader (``labeller``) and the reader's note.
Rows were shown to readers blind (shuffled, without model name or any judge's verdict).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

OUT = Path(__file__).resolve().parents[2] / "src/saro/data/judges/gold/gold.jsonl"
LABELS = {"compliance", "refusal", "safe_completion", "no_answer", "junk"}
KEEP = ("part", "model", "suite", "kind", "id", "source", "category", "attack", "prompt",
        "reasoning", "answer", "forced")  # fmt: skip


def gold_id(row: dict) -> str:
    key = f"{row['model']}|{row['part']}|{row['suite']}|{row['id']}"
    return "g" + hashlib.sha256(key.encode()).hexdigest()[:10]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--candidates", required=True)
    ap.add_argument("--labels", nargs="+", required=True)
    ap.add_argument("--labeller", required=True)
    ap.add_argument("--out", default=str(OUT))
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
    for row in rows:
        gid = gold_id(row)
        if gid not in labels:
            continue
        got = labels[gid]
        out.append({"gold_id": gid, **{k: row.get(k) for k in KEEP}, "label": got["label"],
                    "labeller": args.labeller, "note": got.get("note") or ""})  # fmt: skip
    missing = len(rows) - len(out)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        for r in out:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{len(out)} labelled rows -> {args.out} ({missing} candidates without a label)")


if __name__ == "__main__":
    main()
