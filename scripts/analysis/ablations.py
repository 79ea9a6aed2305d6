"""Ablations across runs: arms of different runs compared on the same prompts.

    python scripts/analysis/ablations.py \
        --entry "RW=runs/cpu-full-s8:rw" --entry "RW no corr.=runs/cpu-full-s8-nocorr:rw" \
        --compare "RW no corr.,RW" [--judge labels:src/saro/data/judges/gold/gold.jsonl] \
        --out runs/cpu-full-s8/analysis/ablations

Each ``--entry`` is ``LABEL=RUN:MODEL``; each ``--compare`` two labels. Writes
``OUT/ablations.json`` and ``OUT/ablations.md`` (:mod:`saro.analysis.ablations`: rates per
headline, reasoning tokens, own training tokens, SRS numbers, exact McNemar tests with Holm).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from saro.analysis.ablations import Entry, compare, markdown
    from saro.errors import SaroError
    from saro.store import write_text

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--entry", action="append", required=True, help="LABEL=RUN:MODEL")
    ap.add_argument("--compare", action="append", default=[], help="LABEL_A,LABEL_B")
    ap.add_argument("--judge", help="judge spec replacing the suites' own (e.g. labels:FILE)")
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args(argv)
    try:
        entries = [Entry.parse(e) for e in args.entry]
        pairs = []
        for c in args.compare:
            a, sep, b = c.partition(",")
            if not sep:
                raise SaroError(
                    f"Cannot read the comparison {c!r}.", "Write it as LABEL_A,LABEL_B."
                )
            pairs.append((a, b))
        judge = None
        if args.judge:
            from saro.judges.registry import make_judge

            judge = make_judge(args.judge)
        result = compare(entries, pairs, judge)
    except SaroError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    write_text(args.out / "ablations.json", json.dumps(result, indent=2) + "\n")
    md = markdown(result)
    write_text(args.out / "ablations.md", md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
