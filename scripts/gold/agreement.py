"""Print the refusal judge's agreement with the gold set's held-out part (docs/judges.md).

python scripts/gold/agreement.py [--gold FILE] [--part heldout|recheck|train|all]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from saro.judges.refusal import RefusalJudge, gold_agreement
from saro.judges.refusal_data import gold_rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gold", default=None, help="a gold.jsonl (default: the packaged one)")
    ap.add_argument("--part", default="heldout", choices=("heldout", "recheck", "train", "all"))
    args = ap.parse_args()
    if args.gold:
        rows = [json.loads(x) for x in Path(args.gold).read_text().splitlines() if x.strip()]
    else:
        rows = gold_rows()
    rows = [r for r in rows if args.part == "all" or r["part"] == args.part]
    verdicts = RefusalJudge().classify(
        [r["answer"] or "" for r in rows], [r["prompt"] for r in rows]
    )
    result = gold_agreement(rows, verdicts)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
