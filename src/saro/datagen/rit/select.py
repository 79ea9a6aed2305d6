"""Which prompts a RIT-D build keeps when ``limit_per_kind`` caps a kind (``rit.select``).

* ``stratified`` (the run configs' choice): within each kind, the cap is shared among strata in
  proportion to their size (largest remainders), and each stratum's prompts are drawn in a
  seeded random order. A stratum is the prompt's source, its attack's kind for jailbreaks
  (``template`` or ``transform``: the evaluated jailbreaks are half long templates, half
  transforms) and, for seed traces, whether the trace has a mid-course correction. So a subset
  keeps the full set's mix of sources, attack kinds and corrections.
* ``first``: file order.
* ``shortest``: fewest tokens first (a length filter *across* prompts; it skews the mix towards
  short programmatic transforms and is kept only to reproduce older runs).
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable

from saro.errors import SaroError
from saro.records import Prompt

SELECTIONS = ("stratified", "first", "shortest")


def stratum(prompt: Prompt, corrected: bool = False) -> tuple[str, str, bool]:
    """``(source, attack kind or '', has a correction)``."""
    attack = ""
    if prompt.attack:
        attack = "transform" if prompt.attack.startswith("transform/") else "template"
    return prompt.source, attack, corrected


def allocate(sizes: dict[tuple, int], cap: int) -> dict[tuple, int]:
    """Share ``cap`` among strata in proportion to ``sizes`` (largest remainders, ties by key)."""
    total = sum(sizes.values())
    if cap >= total:
        return dict(sizes)
    exact = {k: cap * n / total for k, n in sizes.items()}
    take = {k: int(v) for k, v in exact.items()}
    order = sorted(sizes, key=lambda k: (-(exact[k] - take[k]), str(k)))
    for k in order[: cap - sum(take.values())]:
        take[k] += 1
    return take


def select_prompts(
    prompts: list[Prompt],
    limit: Callable[[str], float],
    how: str,
    *,
    seed: int = 0,
    length: Callable[[Prompt], int] | None = None,
    corrected: Callable[[Prompt], bool] | None = None,
) -> list[Prompt]:
    """Keep at most ``limit(kind)`` prompts of each kind, chosen by ``how``; input order kept.

    Raises:
        SaroError: An unknown ``how`` (the known ones named).
    """
    if how not in SELECTIONS:
        raise SaroError(f"Unknown rit.select {how!r}.", f"Use one of: {', '.join(SELECTIONS)}.")
    if how == "shortest" and length is not None:
        ranked = sorted(prompts, key=length)
    elif how == "stratified":
        ranked = _stratified_order(prompts, limit, seed, corrected or (lambda p: False))
    else:
        ranked = list(prompts)
    seen: Counter = Counter()
    keep = set()
    for p in ranked:
        if seen[p.kind] < limit(p.kind):
            seen[p.kind] += 1
            keep.add(id(p))
    return [p for p in prompts if id(p) in keep]


def _stratified_order(
    prompts: list[Prompt], limit: Callable[[str], float], seed: int, corrected: Callable
) -> list[Prompt]:
    by_kind: dict[str, dict[tuple, list[Prompt]]] = defaultdict(lambda: defaultdict(list))
    for p in prompts:
        by_kind[p.kind][stratum(p, corrected(p))].append(p)
    rng = random.Random(seed)
    out: list[Prompt] = []
    for kind in sorted(by_kind):
        strata = by_kind[kind]
        cap = limit(kind)
        sizes = {k: len(v) for k, v in strata.items()}
        take = allocate(sizes, int(cap) if cap != float("inf") else sum(sizes.values()))
        for key in sorted(strata, key=str):
            members = list(strata[key])
            rng.shuffle(members)
            out.extend(members[: take[key]])
    return out
