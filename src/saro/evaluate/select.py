"""Deterministic, balanced selection of evaluation prompts.

``spread(prompts, keys, seed)`` orders prompts so that every prefix is as balanced as possible
over the given keys (round-robin over the first key's groups, and within each group over the
next key's, ...), with ties broken by a hash of ``(seed, id)``. Taking the first ``n`` is the
selection, so ``--limit 3`` is always a subset of the default-size run: its generations are
already cached.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import TypeVar

from saro.attacks import Attack, jailbreak_prompts
from saro.records import Prompt

T = TypeVar("T")
Key = Callable[[Prompt], str]


def _rank(seed: int, text: str) -> str:
    return hashlib.sha256(f"{seed}\x1f{text}".encode()).hexdigest()


def interleave(groups: Sequence[Sequence[T]]) -> list[T]:
    """Round-robin over groups: first of each, then second of each, ..."""
    out: list[T] = []
    for i in range(max((len(g) for g in groups), default=0)):
        out.extend(g[i] for g in groups if i < len(g))
    return out


def spread(prompts: Sequence[Prompt], keys: Sequence[Key], seed: int = 0) -> list[Prompt]:
    """Order prompts so that every prefix is balanced over ``keys`` (outermost first)."""
    if not keys:
        return sorted(prompts, key=lambda p: _rank(seed, p.id))
    groups: dict[str, list[Prompt]] = {}
    for p in prompts:
        groups.setdefault(keys[0](p), []).append(p)
    # the group order is seeded too: with fewer picks than groups, which groups get one varies
    names = sorted(groups, key=lambda g: _rank(seed, f"group:{g}"))
    return interleave([spread(groups[g], keys[1:], seed) for g in names])


def pick(prompts: Sequence[Prompt], n: int | None, keys: Sequence[Key], seed: int = 0):
    """The first ``n`` of :func:`spread` (all when ``n`` is None)."""
    ordered = spread(prompts, keys, seed)
    return ordered if n is None else ordered[:n]


def by_source(p: Prompt) -> str:
    return p.source


def by_category(p: Prompt) -> str:
    return p.category


def wrap_in_attacks(base: Sequence[Prompt], attacks: Sequence[Attack], seed: int = 0):
    """Wrap the i-th base prompt in one held-out attack, alternating templates and transforms.

    Templates and transforms are each cycled in a seeded order, so a run of 30 prompts uses 15
    distinct templates and every transform several times: both halves are large enough to
    report separately. The wrapping itself is :func:`saro.attacks.jailbreak_prompts`, so ids,
    ``attack`` and ``meta`` match the training-side jailbreak prompts exactly.
    """
    pools = [
        sorted((a for a in attacks if a.kind == kind), key=lambda a: _rank(seed, a.id))
        for kind in ("template", "transform")
    ]
    pools = [p for p in pools if p]
    out: list[Prompt] = []
    counters = [0] * len(pools)
    for i, prompt in enumerate(base):
        k = i % len(pools)
        attack = pools[k][counters[k] % len(pools[k])]
        counters[k] += 1
        out += jailbreak_prompts([prompt], [attack], seed=seed)
    return out
