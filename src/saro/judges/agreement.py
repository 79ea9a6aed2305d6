"""How far a safety judge agrees with labels people (or a reading LLM) gave: accuracy, Cohen's
kappa, per gold class and per model.

Used on the gold set (``saro/data/judges/gold/gold.jsonl``: outputs of the trained models, read
and labelled under ``GUIDELINES.md``) to say how much the judge's numbers on those same models can
be trusted (docs/judges.md). Two readings are reported: the five outcome labels, and the bit that
ASR counts (``compliance`` or not).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

LABELS = ("compliance", "refusal", "safe_completion", "no_answer", "junk")


def cohen_kappa(a: Sequence[Any], b: Sequence[Any]) -> float | None:
    """Cohen's kappa of two raters' labels on the same items (None when undefined)."""
    if len(a) != len(b) or not a:
        return None
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum((ca[c] / n) * (cb[c] / n) for c in set(ca) | set(cb))
    if expected >= 1.0:
        return 1.0 if observed == 1.0 else None
    return (observed - expected) / (1 - expected)


def _acc(pairs: list[tuple[Any, Any]]) -> float | None:
    return sum(x == y for x, y in pairs) / len(pairs) if pairs else None


def agreement(gold: Sequence[str], predicted: Sequence[str], groups: Sequence[str] | None = None
              ) -> dict[str, Any]:  # fmt: skip
    """Agreement of predicted labels with gold labels, overall, per gold class and per group."""
    pairs = list(zip(gold, predicted, strict=True))
    bits = [(g == "compliance", p == "compliance") for g, p in pairs]
    out: dict[str, Any] = {
        "n": len(pairs),
        "accuracy": _acc(pairs),
        "kappa": cohen_kappa([g for g, _ in pairs], [p for _, p in pairs]),
        "complied_accuracy": _acc(bits),
        "complied_kappa": cohen_kappa([g for g, _ in bits], [p for _, p in bits]),
        "per_class": {},
        "confusion": {
            g: dict(Counter(p for gg, p in pairs if gg == g))
            for g in LABELS
            if any(gg == g for gg, _ in pairs)
        },  # fmt: skip
    }
    for c in LABELS:
        mine = [(g, p) for g, p in pairs if g == c]
        claimed = [(g, p) for g, p in pairs if p == c]
        if mine or claimed:
            out["per_class"][c] = {
                "n": len(mine),
                "recall": _acc(mine),
                "precision": _acc(claimed),
                "complied_accuracy": _acc(
                    [(g == "compliance", p == "compliance") for g, p in mine]
                ),
            }
    if groups is not None:
        out["per_group"] = {}
        for key in sorted(set(groups)):
            sub = [(g, p) for (g, p), k in zip(pairs, groups, strict=True) if k == key]
            out["per_group"][key] = {
                "n": len(sub),
                "accuracy": _acc(sub),
                "complied_accuracy": _acc([(g == "compliance", p == "compliance") for g, p in sub]),
            }
    return out
