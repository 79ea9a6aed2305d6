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


def _complied(pairs: list[tuple[str, str]]) -> list[tuple[bool, bool]]:
    """Each (gold, predicted) pair reduced to the bit ASR counts: compliance or not."""
    return [(g == "compliance", p == "compliance") for g, p in pairs]


def agreement(
    gold: Sequence[str],
    predicted: Sequence[str],
    groups: dict[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """Agreement of predicted labels with gold labels: overall, per gold class (the labels that
    occur, sorted) and, for each named grouping in ``groups`` (e.g. ``{"model": [...]}``, one key
    per item), per group under ``per_<name>``."""
    pairs = list(zip(gold, predicted, strict=True))
    bits = _complied(pairs)
    classes = sorted(set(gold) | set(predicted))
    out: dict[str, Any] = {
        "n": len(pairs),
        "accuracy": _acc(pairs),
        "kappa": cohen_kappa([g for g, _ in pairs], [p for _, p in pairs]),
        "complied_accuracy": _acc(bits),
        "complied_kappa": cohen_kappa([g for g, _ in bits], [p for _, p in bits]),
        "per_class": {},
        "confusion": {
            c: dict(Counter(p for g, p in pairs if g == c)) for c in classes if c in set(gold)
        },
    }
    for c in classes:
        mine = [(g, p) for g, p in pairs if g == c]
        claimed = [(g, p) for g, p in pairs if p == c]
        out["per_class"][c] = {
            "n": len(mine),
            "recall": _acc(mine),
            "precision": _acc(claimed),
            "complied_accuracy": _acc(_complied(mine)),
        }
    for name, keys in (groups or {}).items():
        per: dict[str, Any] = {}
        for key in sorted(set(keys)):
            sub = [pair for pair, k in zip(pairs, keys, strict=True) if k == key]
            per[key] = {"n": len(sub), "accuracy": _acc(sub),
                        "complied_accuracy": _acc(_complied(sub))}  # fmt: skip
        out[f"per_{name}"] = per
    return out
