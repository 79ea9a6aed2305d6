"""Paired tests and across-seed intervals: what a comparison of two models may claim.

* :func:`mcnemar_exact`: two arms scored on the same prompts, each prompt a 0/1 outcome. Only
  the discordant prompts carry information: ``b`` (1 for A, 0 for B) and ``c`` (the reverse);
  ``p = 2 * P(Binomial(b + c, 1/2) <= min(b, c))``, capped at 1.
* :func:`stratified_exact`: the same comparison repeated in several strata (training seeds),
  combined. A Cochran-Mantel-Haenszel test that treats each matched pair as its own stratum
  reduces to McNemar's statistic on the discordant pairs pooled over the strata; its exact form
  is the binomial test on ``sum(b)`` against ``sum(c)``, which is what is computed (no normal
  approximation, so it holds at the small counts of a CPU run). The common odds ratio of the
  matched pairs (Mantel-Haenszel) is ``sum(b) / sum(c)``.
* :func:`holm`: Holm's step-down adjustment of several p-values (family-wise error at the level
  used), for when several comparisons are claimed at once.
* :func:`t_interval`: mean and 95% interval of a metric across seeds (Student's t with n - 1
  degrees of freedom; None for one seed).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from saro.judges.agreement import cohen_kappa

__all__ = ["cohen_kappa", "holm", "mcnemar_exact", "paired_counts", "stratified_exact",
           "t_interval"]  # fmt: skip


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value for ``b`` and ``c`` discordant pairs."""
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(b, c) + 1)) / 2**n
    return min(1.0, 2 * tail)


def paired_counts(a: dict[str, int], b: dict[str, int]) -> dict[str, Any]:
    """Discordant counts and McNemar's p on the ids both sides scored."""
    common = sorted(set(a) & set(b))
    only_a = sum(1 for k in common if a[k] and not b[k])
    only_b = sum(1 for k in common if b[k] and not a[k])
    return {"n_pairs": len(common), "b": only_a, "c": only_b, "p": mcnemar_exact(only_a, only_b)}


def stratified_exact(strata: Sequence[dict[str, int]]) -> dict[str, Any]:
    """Combine per-stratum paired tables (each with ``b``, ``c``, ``n_pairs``) into one test."""
    b = sum(s["b"] for s in strata)
    c = sum(s["c"] for s in strata)
    return {
        "strata": len(strata),
        "n_pairs": sum(s.get("n_pairs", 0) for s in strata),
        "b": b,
        "c": c,
        "odds_ratio": None if c == 0 else b / c,
        "p": mcnemar_exact(b, c),
    }


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values, in the input order (monotone, capped at 1)."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def t_interval(values: Sequence[float], level: float = 0.95) -> dict[str, Any]:
    """Mean, sample standard deviation and a Student-t interval across seeds."""
    vals = [float(v) for v in values if v is not None]
    n = len(vals)
    if not n:
        return {"mean": None, "sd": None, "ci95": None, "n": 0}
    mean = sum(vals) / n
    if n < 2:
        return {"mean": mean, "sd": None, "ci95": None, "n": 1}
    from scipy.stats import t

    sd = math.sqrt(sum((v - mean) ** 2 for v in vals) / (n - 1))
    half = float(t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return {"mean": mean, "sd": sd, "ci95": [mean - half, mean + half], "n": n}
